"""Versioned Hugging Face dataset releases: exports/NAME/vX.Y.Z, written once, never changed."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from curate.domain.pseudonyms import project_salt
from curate.domain.splits import document_splits
from curate.errors import UsageError
from curate.project import Project
from curate.release.compare import GoldDiff
from curate.release.folder import agreement, export
from curate.release.rows import ReleaseRows, collect_rows
from curate.release.write import CHECKSUMS, data_fingerprint, file_digest
from curate.store import queries

# ASCII digits only (\d would take any script's digits), at most 6 a part, no leading zeros
# (semantic versioning: 01.0.0 would name the same release as 1.0.0).
PART = r"(0|[1-9][0-9]{0,5})"
VERSION = re.compile(rf"^{PART}\.{PART}\.{PART}$")


def parse_version(text: str) -> tuple[int, int, int]:
    found = VERSION.match(text.removeprefix("v"))
    if not found:
        raise UsageError(
            f"version {text!r} is not X.Y.Z with numbers of up to 6 digits and no leading zeros "
            "(for example 1.0.0)"
        )
    major, minor, patch = (int(part) for part in found.groups())
    return major, minor, patch


def bump(previous: str | None, part: str) -> str:
    major, minor, patch = parse_version(previous) if previous else (0, 0, 0)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise UsageError(f"--bump {part!r} must be major, minor or patch")


@dataclass(frozen=True)
class ReleaseReport:
    version: str
    folder: Path
    fingerprint: str
    rows: dict[str, dict[str, int]]  # config -> split -> rows
    unresolved: int
    changes: GoldDiff | None
    adopted: bool = False  # found on disk from an interrupted run, checked and recorded
    not_adjudicated: int = 0  # annotated documents left out: not adjudicated yet


def release(
    project: Project,
    connection: Connection,
    *,
    version: str | None = None,
    bump_part: str | None = None,
    notes: str | None = None,
    allow_unresolved: bool = False,
    real_names: bool = False,
    with_prelabels: bool = False,
    exports: Path | None = None,
) -> ReleaseReport:
    """Gate, write to a scratch folder, rename into place, record. Refuses an existing version,
    unresolved conflicts (unless allowed), spans that do not match their text, and no change.

    Everything is read through `connection`, in its transaction: on PostgreSQL open it with
    Store.transaction(snapshot=True), so the reads see one state of the store."""
    settings = project.settings
    history = queries.release_history(connection, settings.release.name)
    last = history[-1] if history else None
    version = _chosen_version(last, version, bump_part)
    root = (exports or project.root / "exports") / settings.release.name
    folder = root / f"v{version}"
    _sweep_scratch(root)
    if _left_by_a_killed_run(folder, version, history):
        return adopt(connection, project, version, folder)
    salt = None if real_names else project_salt(project.root)
    rows = _gated(collect_rows(connection, settings, salt, with_prelabels), allow_unresolved)
    splits = document_splits(connection, rows.gold["id"].to_pylist(), settings.release.splits)
    previous = (last["version"], folder_of(project, last["path"])) if last else None
    report = agreement(connection, project, rows)
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=root))
    # A savepoint: a refused release leaves nothing behind, even in the caller's transaction.
    with connection.begin_nested():
        try:
            fingerprint, counts, changes = export(
                project, version, scratch, rows, splits, previous, notes, report
            )
            if last and fingerprint == last["fingerprint"]:
                raise UsageError(f"nothing changed since v{last['version']}; no release written")
            stored = stored_path(project, folder)
            queries.record_release(
                connection, settings.release.name, version, stored, fingerprint, splits
            )
            _readable_by_the_team(scratch)
            os.rename(scratch, folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return ReleaseReport(
        version,
        folder,
        fingerprint,
        counts,
        len(rows.unresolved),
        changes,
        not_adjudicated=len(rows.not_adjudicated),
    )


def _chosen_version(last: dict[str, Any] | None, version: str | None, part: str | None) -> str:
    """The version asked for (--version), or the last one bumped (--bump), as X.Y.Z."""
    if (version is None) == (part is None):
        raise UsageError("give either --version X.Y.Z or --bump major|minor|patch")
    chosen = bump(last["version"] if last else None, part) if part else version
    assert chosen is not None
    return ".".join(str(n) for n in parse_version(chosen))


def _left_by_a_killed_run(folder: Path, version: str, history: list[dict[str, Any]]) -> bool:
    """True when folder holds a new version a release killed before recording it wrote;
    refuses a version that exists already or is not newer than the last."""
    last = history[-1] if history else None
    recorded = any(h["version"] == version for h in history)
    newer = not last or parse_version(version) > parse_version(last["version"])
    if folder.exists() and not recorded and newer:
        return True
    if folder.exists() or recorded:
        raise UsageError(f"{folder} already exists; releases never change, pick a new version")
    if last and not newer:
        raise UsageError(
            f"version {version} must be newer than the last release, v{last['version']}"
        )
    return False


def _gated(rows: ReleaseRows, allow_unresolved: bool) -> ReleaseRows:
    """The rows, unless conflicts are unresolved (and not allowed) or nothing is adjudicated."""
    if rows.unresolved and not allow_unresolved:
        raise UsageError(
            f"{len(rows.unresolved)} documents have unresolved conflicts (first: "
            f"{rows.unresolved[0]}); resolve them with `curate review --as NAME` (NAME: "
            "yours), or add `--allow-unresolved` to leave them out"
        )
    if rows.gold.num_rows == 0:
        raise UsageError("no adjudicated documents to release; run `curate adjudicate --auto`")
    return rows


SCRATCH_AGE = 3600  # seconds: an older scratch folder is left from a release that died


def _sweep_scratch(root: Path) -> None:
    """Scratch folders (.vX.Y.Z-*) a killed release left behind; recent ones may be in use."""
    if not root.is_dir():
        return
    for scratch in root.glob(".v*-*"):
        if scratch.is_dir() and time.time() - scratch.stat().st_mtime > SCRATCH_AGE:
            shutil.rmtree(scratch, ignore_errors=True)


def _readable_by_the_team(folder: Path) -> None:
    """mkdtemp makes a private folder; a release is for sharing: folders 0755, files 0644."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def stored_path(project: Project, folder: Path) -> str:
    """Release folders are recorded relative to the project, so `-C DIR` from anywhere works."""
    absolute, root = folder.absolute(), project.root.absolute()
    return str(absolute.relative_to(root)) if absolute.is_relative_to(root) else str(absolute)


def folder_of(project: Project, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else project.root / path


def release_folder(project: Project, version: str) -> Path:
    """The folder of release `version` (v optional) under the project's exports."""
    clean = ".".join(str(n) for n in parse_version(version))
    folder = project.root / "exports" / project.settings.release.name / f"v{clean}"
    if not folder.is_dir():
        raise UsageError(f"{folder} not found; `curate releases` lists the versions")
    return folder


def folder_bytes(folder: Path) -> int | None:
    """The size of a release folder's files, None when the folder is gone."""
    if not folder.is_dir():
        return None
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def adopt(connection: Connection, project: Project, version: str, folder: Path) -> ReleaseReport:
    """A release folder the store does not record (curate was killed between writing it and
    recording it): recorded now if every checksum holds, refused with the fix otherwise."""
    listed = folder / CHECKSUMS
    lines = listed.read_text("utf-8").splitlines() if listed.is_file() else []
    entries = [line.split("  ", 1) for line in lines if "  " in line]
    broken = [
        name
        for digest, name in entries
        if not (folder / name).is_file() or file_digest(folder / name) != digest
    ]
    if not entries or broken:
        why = f"{broken[0]} does not match its checksum" if broken else f"it has no {CHECKSUMS}"
        raise UsageError(
            f"{folder} exists but the store does not record it, and {why}; move the folder "
            "aside, then release again"
        )
    import pyarrow.parquet as pq

    data = sorted(name for _, name in entries if name.endswith(".parquet"))
    splits: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    for name in data:
        config, split = name.split("/", 1)[0], name.split("/", 1)[1].split("-", 1)[0]
        table = pq.read_table(folder / name)
        counts.setdefault(config, {})[split] = table.num_rows
        if config == "gold":
            splits.update(dict.fromkeys(table.column("id").to_pylist(), split))
    # Every digest was just checked against the file: no need to read the files again.
    fingerprint = data_fingerprint({name: digest for digest, name in entries if name in data})
    queries.record_release(
        connection,
        project.settings.release.name,
        version,
        stored_path(project, folder),
        fingerprint,
        splits,
    )
    return ReleaseReport(version, folder, fingerprint, counts, 0, None, adopted=True)
