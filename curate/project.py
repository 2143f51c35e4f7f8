"""A curate project: its folder, its validated settings and its store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from curate.config import (
    CONFIG_NAME,
    Settings,
    config_template,
    load_settings,
    read_text_file,
    template,
)
from curate.errors import UsageError
from curate.prelabel.base import LabellerContext
from curate.store import Store, default_url, open_store

GAZETTEER_NAME = "gazetteer.jsonl"
GUIDELINES_NAME = "guidelines.md"


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings

    @classmethod
    def load(cls, root: Path) -> Project:
        return cls(root=root, settings=load_settings(root))

    def open_store(self) -> Store:
        return open_store(default_url(self.root))

    def labeller_context(self) -> LabellerContext:
        return LabellerContext(self.settings, self.root)

    @property
    def guidelines(self) -> Path:
        return self.root / self.settings.project.guidelines

    def guideline_version(self) -> str | None:
        """The 'Guidelines version: X' line of guidelines.md, recorded with every label."""
        if not self.guidelines.is_file():
            return None
        found = re.search(r"Guidelines version:\s*([\w.\-]+)", read_text_file(self.guidelines))
        return found.group(1) if found else None


def init_project(root: Path, force: bool = False) -> Path:
    """Write a commented curate.toml (the seeds project's defaults) and, when missing, the seeds
    gazetteer and guidelines as starting points."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; edit it, or pass --force to overwrite it")
    path.write_text(config_template(), encoding="utf-8")
    for name in (GAZETTEER_NAME, GUIDELINES_NAME):
        if not (root / name).exists():
            (root / name).write_text(template(name), encoding="utf-8")
    _ignore_private_files(root)
    return path


def _ignore_private_files(root: Path) -> None:
    """.curate/ holds the store, tokens and the pseudonym salt: keep it out of git."""
    ignore = root / ".gitignore"
    lines = ignore.read_text("utf-8").splitlines() if ignore.is_file() else []
    if not any(line.strip().rstrip("/") in (".curate", "/.curate") for line in lines):
        ignore.write_text("\n".join([*lines, ".curate/"]) + "\n", encoding="utf-8")
