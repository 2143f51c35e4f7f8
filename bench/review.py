"""Reviewer repaint speed on a document with 50 disputed spans (two annotators who disagree on
every label), measured with Textual's Pilot, beside the anchor: a bare Textual app with two
panes that restyles one span per move (raw Textual).

    .venv/bin/python bench/review.py [--moves 50]

Prints the median time of one move (the action, then the repaint) and of a burst of 20 keys,
for curate and the anchor. Target: one move <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# bench/tui.py shares its name with the package measured here: keep this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from rich.text import Text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Horizontal, VerticalScroll  # noqa: E402
from textual.widgets import Static  # noqa: E402

from curate.adjudicate.auto import auto_adjudicate  # noqa: E402
from curate.project import Project, init_project  # noqa: E402
from curate.records import Annotation, Document, Span  # noqa: E402
from curate.store import queries  # noqa: E402
from tui.review import ReviewApp  # noqa: E402

SIZE = (100, 30)
SPANS = 50


FILLER = "The talks went on late into the night, aides said, and little was agreed. " * 6


def build(root: Path, long: bool = False) -> tuple[Project, str]:
    """50 reports, each with one disputed span; `long` pads each to about 100 words (5,000 in
    all) to show that a move costs the same on a long document."""
    init_project(root)
    project = Project.load(root)
    text = "\n\n".join(
        f"Report {n}: officials in Tehran met envoys in Muscat to discuss the sanctions."
        + (" " + FILLER if long else "")
        for n in range(SPANS)
    )
    document = Document(text)
    chosen: dict[str, list[Span]] = {"alice": [], "bob": []}
    for n in range(SPANS):
        start = text.index(f"Report {n}:") + len(f"Report {n}: officials in ")
        chosen["alice"].append(Span(start, start + 6, "GPE", "Tehran"))
        chosen["bob"].append(Span(start, start + 6, "ORG", "Tehran"))
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [document])
        for who, spans in chosen.items():
            queries.add_annotation(connection, Annotation(document.id, who, "bench", tuple(spans)))
        auto_adjudicate(connection, project.settings, "1.0")
    return project, text


class Anchor(App[None]):
    """Two panes of the same text; each move restyles the next span in both."""

    BINDINGS = [("down", "step", "next")]

    def __init__(self, text: str):
        super().__init__()
        self.text, self.index = text, 0
        self.starts = [text.index(f"Report {n}:") for n in range(SPANS)]

    def compose(self) -> ComposeResult:
        with Horizontal():
            for n in range(2):
                yield VerticalScroll(Static(id=f"pane-{n}"))

    def on_mount(self) -> None:
        self.action_step()

    def action_step(self) -> None:
        self.index = (self.index + 1) % SPANS
        start = self.starts[self.index]
        for n in range(2):
            shown = Text(self.text)
            shown.stylize("reverse", start, start + 10)
            self.query_one(f"#pane-{n}", Static).update(shown)


async def measure(app: App[None], moves: int) -> tuple[list[float], list[float]]:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        single, burst = [], []
        for _ in range(moves):
            before = time.perf_counter()
            await app.run_action("step(1)" if isinstance(app, ReviewApp) else "step")
            await pilot.pause()
            single.append(time.perf_counter() - before)
        for _ in range(5):
            before = time.perf_counter()
            await pilot.press(*["down"] * 20)
            await pilot.pause()
            burst.append(time.perf_counter() - before)
    return single, burst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project, text = build(Path(folder))
        store = project.open_store()
        curate = asyncio.run(measure(ReviewApp(project, store, "rita"), args.moves))
        store.close()
    with tempfile.TemporaryDirectory() as folder:
        project, long_text = build(Path(folder), long=True)
        store = project.open_store()
        long = asyncio.run(measure(ReviewApp(project, store, "rita"), args.moves))
        store.close()
    anchor = asyncio.run(measure(Anchor(text), args.moves))
    for name, index in (("one move (action + repaint)", 0), ("burst of 20 keys via Pilot", 1)):
        mine, bare = statistics.median(curate[index]), statistics.median(anchor[index])
        print(
            f"{name}: curate {mine * 1000:.1f} ms, bare Textual {bare * 1000:.1f} ms "
            f"(median; ratio {mine / bare:.1f})"
        )
    words = len(long_text.split())
    print(
        f"one move on a {words:,}-word document with {SPANS} spans: curate "
        f"{statistics.median(long[0]) * 1000:.1f} ms (median)"
    )
    print(f"target: one move <= 50 ms on a {SPANS}-span document")


if __name__ == "__main__":
    main()
