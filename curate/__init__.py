"""curate: turn raw news text into a gold dataset of named entities and stance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curate.api import ProjectFrames

__version__ = "0.1.0"


def open(path: str | Path = ".", *, real_names: bool = False) -> ProjectFrames:  # noqa: A001
    """A project's store, agreement and releases as pandas frames (curate.api), read-only."""
    from curate.api import ProjectFrames  # pandas loads only when the API is used

    return ProjectFrames(Path(path), real_names)
