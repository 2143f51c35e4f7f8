"""Terminal UI speed on a store of 100,000 documents, measured with Textual's Pilot, beside the
anchor: a bare Textual app that shows the same text in one Static (raw Textual).

    .venv/bin/python bench/tui.py [--documents 100000] [--moves 50]

Prints first paint (from constructing the app to the first document on screen) and the median
time to show the next document, for curate and the anchor, and their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This file is named tui.py like the package it measures: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402

from curate.project import Project, init_project  # noqa: E402
from curate.records import Document, Prelabel  # noqa: E402
from curate.store import queries  # noqa: E402
from tui.annotate import AnnotateApp  # noqa: E402

SIZE = (100, 30)
SENTENCE = "Tehran said on Monday that Washington had broken the deal, officials in {n} reported. "


def build_store(root: Path, documents: int) -> Project:
    init_project(root)
    project = Project.load(root)
    store = project.open_store()
    for first in range(0, documents, 5000):
        batch = [Document((SENTENCE * 12).format(n=n)) for n in range(first, first + 5000)]
        suggestions = []
        for d in batch:
            for piece in ("Tehran", "Washington"):
                start = d.text.index(piece)
                suggestions.append(
                    Prelabel(
                        d.id,
                        "entity",
                        "GPE",
                        "gazetteer.v1+bench",
                        0.9,
                        start,
                        start + len(piece),
                        piece,
                    )
                )
        with store.transaction() as connection:
            queries.insert_documents(connection, batch)
            queries.insert_prelabels(connection, suggestions)
            queries.record_prelabel_runs(connection, "gazetteer.v1+bench", {d.id: 2 for d in batch})
            queries.insert_assignments(connection, [(d.id, "alice", False) for d in batch])
    store.close()
    return project


class Anchor(App[None]):
    """The least an app can do: the same key shows the next text in one Static."""

    BINDINGS = [("right_square_bracket", "next_text", "next")]

    def __init__(self, texts: list[str]):
        super().__init__()
        self.texts, self.index = texts, 0

    def compose(self) -> ComposeResult:
        yield Static(self.texts[0], id="text")

    def action_next_text(self) -> None:
        self.index += 1
        self.query_one("#text", Static).update(self.texts[self.index])


Timings = tuple[float, list[float], list[float]]


async def measure(app: App[None], start: float, moves: int, action: str) -> Timings:
    """First paint; then per document the key press through Pilot (which adds waits of its
    own) and the app's own work (the action, then the repaint)."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = time.perf_counter() - start
        pressed, repainted = [], []
        for _ in range(moves):
            before = time.perf_counter()
            await pilot.press("right_square_bracket")
            await pilot.pause()
            pressed.append(time.perf_counter() - before)
            before = time.perf_counter()
            await app.run_action(action)
            await pilot.pause()
            repainted.append(time.perf_counter() - before)
    return first, pressed, repainted


async def measure_curate(project: Project, moves: int) -> Timings:
    start = time.perf_counter()
    app = AnnotateApp(project, project.open_store(), "alice")
    return await measure(app, start, moves, "document(1)")


async def measure_anchor(texts: list[str], moves: int) -> Timings:
    start = time.perf_counter()
    return await measure(Anchor(texts), start, moves, "next_text")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        project = build_store(Path(folder), args.documents)
        print(f"store of {args.documents} documents built in {time.perf_counter() - started:.0f} s")
        curate = asyncio.run(measure_curate(project, args.moves))
    texts = [(SENTENCE * 12).format(n=n) for n in range(2 * args.moves + 1)]
    anchor = asyncio.run(measure_anchor(texts, args.moves))
    print(
        f"first paint: curate {curate[0]:.3f} s, bare Textual {anchor[0]:.3f} s "
        f"(ratio {curate[0] / anchor[0]:.1f}; target <= 1 s)"
    )
    for name, index in (("key press via Pilot", 1), ("action + repaint", 2)):
        mine, bare = statistics.median(curate[index]), statistics.median(anchor[index])
        print(
            f"next document, {name}: curate {mine * 1000:.1f} ms, bare Textual "
            f"{bare * 1000:.1f} ms (median of {args.moves}; ratio {mine / bare:.1f})"
        )
    print("target: next document <= 50 ms")


if __name__ == "__main__":
    main()
