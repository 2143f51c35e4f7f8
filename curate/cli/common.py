"""The root `curate` command and what every command group shares: the project, its store,
printing, and one line per error with its exit code."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.text import Text
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from curate.errors import CurateError, InputError, StoreError, UsageError
from curate.project import Project
from curate.store import Store
from curate.store.database import DB_URL_VARIABLE, explain


class _Commands(TyperGroup):
    """Every command's last line of defence: an error from the store or the file system that no
    command turned into a message becomes one line (the store's transaction was rolled back)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CurateError as error:
            raise fail(error) from None
        except DBAPIError as error:
            where = os.environ.get(DB_URL_VARIABLE) or "in .curate/"
            raise fail(StoreError(explain(error, where))) from None
        except UnicodeDecodeError as error:
            raise fail(
                InputError(f"a file is not UTF-8 ({error.reason}); re-save it as UTF-8")
            ) from None
        except OSError as error:
            name = f"{error.filename}: " if error.filename else ""
            if error.errno == errno.ENOSPC:
                where = error.filename or "the project folder or the temporary folder (TMPDIR)"
                raise fail(
                    CurateError(
                        f"no space left on the device holding {where}; free some space there "
                        "(or set TMPDIR to a roomier folder for scratch files), then run the "
                        "command again; nothing was recorded"
                    )
                ) from None
            raise fail(
                CurateError(f"{name}{error.strerror or error}; check the path and its permissions")
            ) from None


app = typer.Typer(
    cls=_Commands,
    help="curate: turn raw news text into a gold dataset of named entities and stance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts name sections like [adjudication]: print them as written
)


# Messages quote curate.toml sections like [labelstudio]: no console markup, so nothing vanishes.
out = Console(markup=False)


err = Console(stderr=True, markup=False)


ERROR = Text("error: ", style="bold red")


def progress(*columns: ProgressColumn | str) -> Progress:
    """A progress bar on stderr, drawn only on a terminal and gone when done."""
    return Progress(*columns, console=err, disable=not err.is_terminal, transient=True)


def fail(error: CurateError) -> typer.Exit:
    for line in str(error).splitlines():
        err.print(ERROR + line, highlight=False, soft_wrap=True)
    return typer.Exit(error.exit_code)


@app.callback()
def main(
    ctx: typer.Context,
    project: Annotated[
        Path, typer.Option("--project", "-C", help="Project folder (holds curate.toml).")
    ] = Path("."),
) -> None:
    """curate: turn raw news text into a gold dataset of named entities and stance."""
    ctx.obj = project


@contextmanager
def opened_store(project: Project) -> Iterator[Store]:
    store = project.open_store()
    try:
        yield store
    finally:
        store.close()


def project_of(ctx: typer.Context) -> Project:
    return Project.load(ctx.obj)


def print_labels(mapped: dict[str, str], adopted: list[str], removed: list[str]) -> None:
    """What an import did to labels: outside ones renamed or written into curate.toml, and
    template ones a fresh project never used taken out."""
    if mapped:
        renamed = ", ".join(f"{k} -> {v}" for k, v in sorted(mapped.items()))
        out.print(f"labels mapped: {renamed}", highlight=False)
    if adopted:
        out.print(
            f"labels added to curate.toml: {', '.join(adopted)} (edit their hotkeys, "
            "colours and guideline definitions as you like)",
            highlight=False,
        )
    if removed:
        out.print(
            f"labels removed from curate.toml, as nothing uses them: {', '.join(removed)} "
            "(with their [prelabel.label_map] lines and gazetteer entries; the guidelines "
            "still describe them: edit them)",
            highlight=False,
        )


def print_warnings(warnings: dict[str, int]) -> None:
    """What an import or pull took in, but not exactly as written: never silent."""
    for warning, count in sorted(warnings.items()):
        err.print(f"warning: {count} {warning}", highlight=False, soft_wrap=True)


def write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path} ({error.strerror}); choose another path") from None


AdoptLabels = Annotated[
    bool, typer.Option(help="Add labels the file uses but curate.toml lacks to curate.toml.")
]
