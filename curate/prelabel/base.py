"""What every labeller shares: one signature, a versioned name, and the context it starts from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from curate.project import LabellerContext as LabellerContext  # what every labeller starts from
from curate.records import Document, Prelabel


class Labeller(Protocol):
    """A batch of documents in, suggestions out.

    `name` is the registered name ("spacy-ner.v1"); `version` adds what changes its output (model,
    gazetteer or training-set hash) after a "+", so a new version re-runs and an old one is skipped.
    """

    name: str
    version: str

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]: ...


def newest_artefact(folder: Path) -> Path | None:
    """The most recently trained artefact folder (by its manifest's creation time) under folder."""
    manifests = sorted(
        folder.glob("*/manifest.json"),
        key=lambda p: json.loads(p.read_text(encoding="utf-8"))["created"],
    )
    return manifests[-1].parent if manifests else None


def mark_current(kind: Path, folder: Path | None) -> None:
    """Make this artefact the one labellers load, or (None) none of kind's: training the same
    data again reuses a folder, so "newest" alone would not say which is meant."""
    kind.mkdir(parents=True, exist_ok=True)
    (kind / "CURRENT").write_text(f"{folder.name if folder else ''}\n", encoding="utf-8")


def current_artefact(kind: Path) -> Path | None:
    """The artefact `curate train` last chose under kind (None if it chose none), else the
    newest one (models trained before the choice was recorded)."""
    pointer = kind / "CURRENT"
    if not pointer.is_file():
        return newest_artefact(kind)
    name = pointer.read_text(encoding="utf-8").strip()
    chosen = kind / name
    return chosen if name and (chosen / "manifest.json").is_file() else None


def short_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:12]
