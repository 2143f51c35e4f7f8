"""SVG snapshots of the annotate, review and help screens at 80x24, and of the review screen at
100 and 160 columns (pytest-textual-snapshot).
After an intended change to the screens: pytest tests/test_tui_snapshots.py --snapshot-update."""

from __future__ import annotations

import pytest

from curate.domain.pseudonyms import SALT_FILE
from curate.project import Project
from tui.annotate import AnnotateApp
from tui.review import ReviewApp

TERMINAL = (80, 24)


def test_annotate_screen(project: Project, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = AnnotateApp(project, project.open_store(), "alice")
    assert snap_compare(app, press=["A", "A", "right", "right", "1"], terminal_size=TERMINAL)


def test_help_screen(project: Project, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = AnnotateApp(project, project.open_store(), "alice")
    assert snap_compare(app, press=["question_mark"], terminal_size=TERMINAL)


def test_review_screen(project: Project, conflicted: str, snap_compare) -> None:  # type: ignore[no-untyped-def]
    # A fixed pseudonym salt: the reviewer shows the same pseudonyms at every run.
    (project.root / ".curate" / SALT_FILE).write_text("snapshot", "utf-8")
    app = ReviewApp(project, project.open_store(), "rita")
    assert snap_compare(app, press=["down"], terminal_size=TERMINAL)


@pytest.mark.parametrize("size", [(100, 30), (160, 40)])
def test_review_screen_wide(  # type: ignore[no-untyped-def]
    project: Project, conflicted: str, snap_compare, size: tuple[int, int]
) -> None:
    (project.root / ".curate" / SALT_FILE).write_text("snapshot", "utf-8")
    app = ReviewApp(project, project.open_store(), "rita")
    assert snap_compare(app, press=["down", "tab"], terminal_size=size)
