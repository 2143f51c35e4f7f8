"""The terminal UI under Textual's Pilot, on the seeds: every key path of the annotator and the
reviewer, drafts that survive a crash, and two annotators writing from two real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curate.project import Project
from curate.records import Annotation
from curate.store import queries
from tui.annotate import AnnotateApp
from tui.review import ReviewApp
from tui.screens import HelpScreen, ReasonScreen

SIZE = (100, 30)


def annotations_of(project: Project, annotator: str) -> list[Annotation]:
    with project.open_store().connect() as connection:
        return [a for a in queries.newest_evidence(connection) if a.annotator == annotator]


async def move_to(pilot, app: AnnotateApp, start: int) -> None:  # type: ignore[no-untyped-def]
    """Press right or left until the cursor's token starts at `start`."""
    state = app.opened.state  # type: ignore[union-attr]
    target = next(i for i, t in enumerate(state.tokens) if t.start == start)
    key = "right" if target > state.cursor else "left"
    await pilot.press(*[key] * abs(target - state.cursor))
    assert state.cursor == target


@pytest.mark.anyio
async def test_annotate_a_seed_document_end_to_end(project: Project) -> None:
    """Accept two suggestions, add a span, set stance for both targets, submit."""
    store = project.open_store()
    app = AnnotateApp(project, store, "alice")
    async with app.run_test(size=SIZE) as pilot:
        opened = app.opened
        assert opened is not None
        state = opened.state
        first, second = state.suggestions[0].span, state.suggestions[1].span
        await move_to(pilot, app, first.start)
        await pilot.press("a")
        await move_to(pilot, app, second.start)
        await pilot.press("a")
        free = next(
            t
            for t in state.tokens
            if t.is_word
            and all(s.span.end <= t.start or t.end <= s.span.start for s in state.suggestions)
        )
        await move_to(pilot, app, free.start)
        await pilot.press("p")
        await pilot.press("1", "tab", "2")
        expected = {(first.start, first.end, first.label), (second.start, second.end, second.label)}
        expected.add((free.start, free.end, "PERSON"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.session.index == 1  # moved on to the next document
    store.close()
    [stored] = annotations_of(project, "alice")
    assert stored.document_id == opened.document_id and stored.origin == "tui"
    assert {(s.start, s.end, s.label) for s in stored.spans} == expected
    assert all(opened.document.text[s.start : s.end] == s.text for s in stored.spans)
    assert {(s.target, s.label) for s in stored.stances} == {
        ("Iran", "favor"),
        ("United States", "against"),
    }
    assert stored.from_prelabel and stored.lead_time_seconds is not None
    assert stored.guideline_version == project.guideline_version()
    assert stored.suggestion_use is not None and len(stored.suggestion_use["accepted"]) == 2


@pytest.mark.anyio
async def test_every_annotator_key_path(project: Project) -> None:
    store = project.open_store()
    app = AnnotateApp(project, store, "bob")
    async with app.run_test(size=SIZE) as pilot:
        state = app.opened.state  # type: ignore[union-attr]
        first_document = app.opened.document_id  # type: ignore[union-attr]
        await pilot.press("down")  # next sentence
        sentence = state.cursor
        assert sentence > 0
        await pilot.press("up")
        assert state.cursor == 0
        await pilot.press("ctrl+right", "ctrl+left")
        assert state.cursor == 0
        await pilot.press("shift+right", "shift+right", "o")  # select three tokens, label ORG
        assert state.spans[0].label == "ORG" and state.spans[0].start == 0
        await pilot.press("x")  # remove it
        assert state.spans == []
        await pilot.press("m", "right", "l")  # mark, move, label LOC
        assert [s.label for s in state.spans] == ["LOC"]
        await pilot.press("u")  # undo
        assert state.spans == []
        await pilot.press("A")  # accept every suggestion
        assert state.spans and all(s.status == "accepted" for s in state.suggestions)
        await pilot.press("u", "r")  # undo, then reject the suggestion under the cursor
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("G")
        panel = app.query_one("#guidelines")
        assert panel.has_class("shown")
        await pilot.press("G")
        assert not panel.has_class("shown")
        await pilot.press("right_square_bracket")
        assert app.opened.document_id != first_document  # type: ignore[union-attr]
        await pilot.press("left_square_bracket")
        assert app.opened.document_id == first_document  # type: ignore[union-attr]
        await pilot.press("k")
        assert isinstance(app.screen, ReasonScreen)
        # Typed text with brackets stays as typed (no markup in the notification).
        await pilot.press(*"[unclear] not news", "enter")
        await pilot.pause()
        await pilot.pause(0.3)
        from textual.widgets._toast import Toast

        shown = [str(Toast(n).render()) for n in app._notifications]
    store.close()
    assert "skipped: [unclear] not news" in " ".join(shown)
    [skipped] = annotations_of(project, "bob")
    assert skipped.document_id == first_document
    assert skipped.skipped_reason == "[unclear] not news"
    assert skipped.spans == ()


@pytest.mark.anyio
async def test_a_draft_survives_a_crash_and_reopening_resumes(project: Project) -> None:
    store = project.open_store()
    app = AnnotateApp(project, store, "carol")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "A", "right", "right", "n", "2")
        opened = app.opened
        assert opened is not None
        spans, stances = list(opened.state.spans), dict(opened.state.stances)
    # The app is gone without a submit (as after a crash); a new one resumes where carol was.
    again = AnnotateApp(project, store, "carol")
    async with again.run_test(size=SIZE):
        resumed = again.opened
        assert resumed is not None
        assert resumed.document_id == opened.document_id
        assert resumed.state.spans == spans and resumed.state.stances == stances
        assert resumed.state.cursor == opened.state.cursor
        status = str(again.query_one("#status").render())
        assert "restored your unsubmitted draft of this document" in status
    store.close()
    assert annotations_of(project, "carol") == []  # drafts are not annotations


@pytest.mark.anyio
async def test_reviewer_resolves_a_conflict_with_a_note(project: Project, conflicted: str) -> None:
    document_id = conflicted
    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        resolution = app.resolution
        assert resolution is not None and resolution.alignment.document_id == document_id
        assert [g.conflicts for g in resolution.groups] == [("boundary",), ("label",), ("missing",)]
        info = str(app.query_one("#info").render())
        assert "boundary" in info  # the conflict type is written, not only coloured
        await pilot.press("ctrl+s")
        assert "conflicts left" in str(app.query_one("#status").render())
        await pilot.press("1", "down", "2", "g", "down", "0", "tab", "2")  # bob's ORG, relabel GPE
        assert resolution.left() == 0
        await pilot.press("N")
        await pilot.press(*"Khamenei only", "enter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "queue is empty" in str(app.query_one("#info").render())
        # Said in the status line, not in a toast over the stance rows.
        assert f"decision stored for {conflicted}" in str(app.query_one("#status").render())
        assert not app.screen.query("Toast")
    with store.connect() as connection:
        gold = queries.gold_entities(connection)[document_id]
        decisions = [
            d for d in queries.decisions_for(connection, [document_id]) if d.method == "reviewer"
        ]
        stances = queries.gold_stances(connection)[document_id]
    store.close()
    assert [(s.text, s.label) for s in gold] == [("Khamenei", "PERSON"), ("Washington", "GPE")]
    assert stances == {"Iran": "against"}
    assert {(d.decided_by, d.note) for d in decisions} == {("rita", "Khamenei only")}


WRITER = """
import sys
from pathlib import Path
from pathlib import Path
from curate.project import Project
from tui.session import AnnotationSession
project = Project.load(Path(sys.argv[1]))
session = AnnotationSession(project, project.open_store(), sys.argv[2])
for round_ in range(int(sys.argv[3])):
    for index in range(len(session.assigned)):
        opened = session.open(index)
        opened.state.move(round_ % 3)
        opened.state.label("PERSON")
        session.submit(opened)
"""


def test_two_annotators_in_two_processes_lose_nothing(project: Project) -> None:
    with project.open_store().connect() as connection:
        assert queries.assignments_of(connection, "alice") == []
    rounds = 8
    # Assign first, so the two processes do not race to create the plan.
    from tui.session import AnnotationSession

    session = AnnotationSession(project, project.open_store(), "alice")
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(project.root), who, str(rounds)])
        for who in ("alice", "bob")
    ]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    with project.open_store().connect() as connection:
        for who in ("alice", "bob"):
            assigned = queries.assignments_of(connection, who)
            for document_id in assigned:
                history = queries.annotation_history(connection, document_id, who)
                assert [a.revision for a in history] == list(range(1, rounds + 1))
    assert len(session.assigned) == 5


def test_tmux_smoke_script_drives_the_real_terminal(project: Project) -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "tui-smoke.sh"
    curate = Path(sys.executable).parent / "curate"
    result = subprocess.run(
        ["bash", str(script), str(project.root), "alice"],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "CURATE": str(curate), "TERM": "xterm-256color"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tui-smoke: ok" in result.stdout
    [stored] = annotations_of(project, "alice")
    assert (
        stored.origin == "tui"
        and stored.spans
        and ("Iran", "favor") in {(s.target, s.label) for s in stored.stances}
    )


@pytest.mark.anyio
async def test_reviewer_help_and_passing_a_document(project: Project, conflicted: str) -> None:
    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("right_square_bracket")  # pass the only queued document
        await pilot.pause()
        assert app.resolution is None
        assert "queue is empty" in str(app.query_one("#info").render())
    with store.connect() as connection:
        assert [
            d for d in queries.decisions_for(connection, [conflicted]) if d.method == "reviewer"
        ] == []
    store.close()


@pytest.mark.anyio
async def test_the_text_follows_the_cursor_on_a_long_document(project_dir: Path) -> None:
    """5,000 words: ↓, PageDown and End keep the cursor's line on screen; the next document
    opens at its top; Home goes back."""
    from curate.records import Document
    from tui.render import annotation_text, line_of, shown_offset

    project = Project.load(project_dir)
    store = project.open_store()
    sentence = "Officials in Tehran said the talks in Muscat would resume on Monday."
    paragraphs = ["\n".join([sentence] * 5) for _ in range(90)]  # 90 x 5 x 11 words
    long = Document("\n\n".join(paragraphs), title="long")
    short = Document("Khamenei spoke in Qom.", title="short")
    with store.transaction() as connection:
        queries.insert_documents(connection, [long, short])
        queries.insert_assignments(
            connection, [(long.id, "alice", False), (short.id, "alice", False)]
        )
    app = AnnotateApp(project, store, "alice")

    def cursor_line_on_screen() -> bool:
        pane = app.query_one("#document")
        rendered = annotation_text(app.state, app.colours)
        width = app.query_one("#text").content_region.width
        line = line_of(rendered, shown_offset(app.state, app.state.token.start), width, app.console)
        return pane.scroll_y <= line < pane.scroll_y + pane.size.height

    async with app.run_test(size=(80, 24)) as pilot:
        if app.opened.document_id != long.id:  # type: ignore[union-attr]
            await pilot.press("right_square_bracket")
        assert len(app.state.text.split()) > 4900
        for _ in range(30):
            await pilot.press("down")
        await pilot.pause()
        assert app.query_one("#document").scroll_y > 0 and cursor_line_on_screen()
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert cursor_line_on_screen()
        await pilot.press("end")
        await pilot.pause()
        assert app.state.token.end >= len(app.state.text) - 1 and cursor_line_on_screen()
        await pilot.press("pageup")
        await pilot.pause()
        assert cursor_line_on_screen()
        await pilot.press("home")
        await pilot.pause()
        assert app.state.cursor == 0 and app.query_one("#document").scroll_y == 0
        await pilot.press("end", "right_square_bracket")  # the other document
        await pilot.pause()
        assert app.query_one("#document").scroll_y == 0  # opens at its top
    store.close()


@pytest.mark.anyio
async def test_escape_clears_a_selection_and_the_status_names_the_suggestion(
    project: Project,
) -> None:
    store = project.open_store()
    app = AnnotateApp(project, store, "alice")
    async with app.run_test(size=SIZE) as pilot:
        state = app.state
        first = state.suggestions[0]
        await move_to(pilot, app, first.span.start)
        status = str(app.query_one("#status").render())
        assert f"by {first.labeller}" in status and "score" in status
        await pilot.press("m", "right", "right")
        assert state.selection is not None
        start, end = state.selection
        status = str(app.query_one("#status").render())
        assert f"selected {state.text[start:end]!r}" in status
        await pilot.press("escape")
        assert state.selection is None
        assert "selection cleared" in str(app.query_one("#status").render())
    store.close()


@pytest.mark.anyio
async def test_accept_all_asks_skips_show_and_the_end_of_the_queue_is_said(
    project: Project,
) -> None:
    from textual.containers import VerticalScroll

    store = project.open_store()
    app = AnnotateApp(project, store, "alice")
    async with app.run_test(size=(80, 24)) as pilot:
        state = app.state
        pending = sum(s.status == "pending" for s in state.suggestions)
        assert pending > 20  # the first seed article has many suggestions
        spans, stances = state.pending_counts()
        assert spans == pending
        await pilot.press("A")
        status = " ".join(str(app.query_one("#status").render()).split())
        what = f"{spans} suggested spans and {stances} suggested stances"
        assert f"{what} pending: press A again" in status
        assert all(s.status == "pending" for s in state.suggestions)  # nothing yet
        await pilot.press("A")
        assert not any(s.status == "pending" for s in state.suggestions)
        assert f"accepted {what}" in " ".join(str(app.query_one("#status").render()).split())
        # The help lists more keys than 24 rows hold: it scrolls.
        await pilot.press("question_mark")
        frame = app.screen.query_one("#frame", VerticalScroll)
        assert frame.max_scroll_y > 0
        await pilot.press("escape")
        # Skip the first document; going back to it shows it as skipped, with the reason.
        first = app.opened.document_id  # type: ignore[union-attr]
        await pilot.press("k", *"duplicate", "enter")
        await pilot.pause()
        await pilot.press("left_square_bracket")
        assert app.opened.document_id == first  # type: ignore[union-attr]
        assert "skipped: duplicate" in str(app.query_one("#title").render())
        # Submit every document: the last submission says the queue is done.
        for _ in range(app.session.progress()[1]):
            await pilot.press("ctrl+s")
            await pilot.pause()
        from textual.widgets._toast import Toast

        shown = " ".join(str(Toast(n).render()) for n in app._notifications)
        assert "documents done: the queue is empty" in shown
    store.close()


@pytest.mark.anyio
async def test_reviewer_jumps_to_open_items_sets_any_stance_and_is_asked_before_quitting(
    project: Project, conflicted: str
) -> None:
    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        resolution = app.resolution
        assert resolution is not None and resolution.group == 0
        await pilot.press("space")
        await pilot.pause()
        assert resolution.group == 1 and not resolution.on_stances
        await pilot.press("space", "space")  # past the last group: the open stance
        await pilot.pause()
        assert resolution.on_stances
        iran = resolution.alignment.stances[resolution.row].target
        given = set(resolution.alignment.stances[resolution.row].versions.values())
        for _ in range(4):  # cycle until a stance no annotator chose
            await pilot.press("ctrl+t")
            await pilot.pause()
            if resolution.stances[iran] not in given:
                break
        assert resolution.stances[iran] not in given  # e.g. neutral: a reviewer's own call
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        assert "not stored" in str(app.query_one("#status").render())
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    store.close()


@pytest.mark.anyio
async def test_reviewer_draws_a_span_no_annotator_gave_and_stores_it(
    project: Project, conflicted: str
) -> None:
    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        resolution = app.resolution
        assert resolution is not None
        await pilot.press("1", "down", "2", "g", "down", "0", "tab", "2")  # as a reviewer would
        assert resolution.left() == 0 and resolution.group == 2  # Iraq, dropped
        await pilot.press("m")  # drawing starts at the span in focus
        await pilot.pause()
        assert "drawing 'Iraq'" in str(app.query_one("#info").render())
        await pilot.press("left", "o")  # one token back: "leave", as ORG
        await pilot.pause()
        assert "added ORG 'leave' (yours)" in str(app.query_one("#status").render())
        assert app.drawing is None and "yours: ORG 'leave'" in str(app.query_one("#info").render())
        await pilot.press("m", "shift+left", "g")  # "leave Iraq" would overlap "leave"
        await pilot.pause()
        assert "overlaps ORG 'leave'; nothing added" in str(app.query_one("#status").render())
        await pilot.press("m", "right", "escape")
        await pilot.pause()
        assert app.drawing is None and [s.text for s in resolution.added] == ["leave"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "queue is empty" in str(app.query_one("#info").render())
        # Said in the status line, not in a toast over the stance rows.
        assert f"decision stored for {conflicted}" in str(app.query_one("#status").render())
        assert not app.screen.query("Toast")
    with store.connect() as connection:
        decision = [
            d for d in queries.decisions_for(connection, [conflicted]) if d.kind == "entity"
        ][-1]
    store.close()
    assert [(s["text"], s["label"], s["method"]) for s in decision.payload["spans"]] == [
        ("Khamenei", "PERSON", "reviewer"),
        ("Washington", "GPE", "reviewer"),
        ("leave", "ORG", "reviewer"),
    ]


@pytest.mark.anyio
async def test_review_panes_follow_the_span_in_focus_on_a_long_document(
    project_dir: Path,
) -> None:
    from curate.adjudicate.auto import auto_adjudicate
    from curate.records import Document, Span

    project = Project.load(project_dir)
    store = project.open_store()
    text = "\n\n".join(f"Report {n}: officials in Tehran met envoys in Muscat." for n in range(50))
    document = Document(text)
    spans = {"alice": [], "bob": []}
    for n in range(50):
        start = text.index(f"Report {n}:") + len(f"Report {n}: officials in ")
        spans["alice"].append(Span(start, start + 6, "GPE", "Tehran"))
        spans["bob"].append(Span(start, start + 6, "ORG", "Tehran"))
    with store.transaction() as connection:
        queries.insert_documents(connection, [document])
        for who, chosen in spans.items():
            queries.add_annotation(connection, Annotation(document.id, who, "test", tuple(chosen)))
        auto_adjudicate(connection, project.settings, "1.0")
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.resolution is not None and len(app.resolution.groups) == 50
        for _ in range(45):
            await pilot.press("down")
        await pilot.pause()
        await pilot.pause()
        scrolls = [pane.scroll_y for pane in app.query("#panes DocumentView")]
        assert len(scrolls) == 2 and all(y > 20 for y in scrolls)
    store.close()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_labelling_time_leaves_out_pauses_over_the_limit(project: Project) -> None:
    """pause_limit_seconds is 120: 5 s, then a 10-minute pause (not counted), then 10 s and
    20 s of work make 35 s on the stored annotation."""
    clock = Clock()
    store = project.open_store()
    app = AnnotateApp(project, store, "alice", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        for step in (5, 600, 10):
            clock.now += step
            await pilot.press("right")
        clock.now += 20
        await pilot.press("ctrl+s")
        await pilot.pause()
    store.close()
    [stored] = annotations_of(project, "alice")
    assert stored.lead_time_seconds == 35.0


@pytest.mark.anyio
async def test_a_control_document_comes_without_suggestions(project: Project) -> None:
    """With control_fraction set, alice's queue holds a document bob's labels made gold:
    shown to her with no suggestions, and her labels on it leave its gold alone."""
    from conftest import agree_on_the_suggestions

    from curate.adjudicate.auto import auto_adjudicate

    store = project.open_store()
    with store.connect() as connection:
        ids = queries.document_ids(connection)
    agree_on_the_suggestions(project)  # alice and bob: every document is gold
    # carol has none yet: her controls are the gold documents she never saw.
    toml = project.root / "curate.toml"
    toml.write_text(
        toml.read_text("utf-8").replace("control_fraction = 0.0", "control_fraction = 0.5"),
        encoding="utf-8",
    )
    project = Project.load(project.root)
    with store.connect() as connection:
        gold_before = queries.gold_entities(connection)
    app = AnnotateApp(project, store, "carol")
    async with app.run_test(size=SIZE) as pilot:
        with store.connect() as connection:
            controls = {d for d, who in queries.control_pairs(connection) if who == "carol"}
        assert controls and controls <= set(ids)
        while app.opened is not None and app.opened.document_id not in controls:
            await pilot.press("right_square_bracket")
        assert app.opened is not None and app.opened.state.suggestions == []
        await pilot.press("ctrl+s")  # carol finds no names at all
        await pilot.pause()
    with store.transaction() as connection:
        report = auto_adjudicate(connection, project.settings, "0.1")
        # Her annotation is no evidence: nothing is decided again, gold stays as it was.
        assert report.recomputed == 0 and not report.decided
        assert queries.gold_entities(connection) == gold_before
    store.close()


def test_a_started_draft_keeps_its_suggestions_and_unopened_documents_show_the_newest(
    project: Project,
) -> None:
    """A labeller retrained while alice works: the document she has a draft of keeps what it
    opened with (nothing changes under her cursor); the others show the new suggestions."""
    from curate.records import Prelabel as Suggested
    from curate.store import queries as q
    from tui.session import AnnotationSession

    store = project.open_store()
    session = AnnotationSession(project, store, "alice")
    first = session.open(0)
    before = [(s.span, s.labeller) for s in first.state.suggestions]
    assert before, "the seed document has suggestions"
    first.state.cursor = 1
    session.save_draft(first)
    newer = "gazetteer.v1+retrained"
    with store.transaction() as connection:
        found = {}
        for document_id in session.assigned:
            text = q.get_document(connection, document_id).text  # type: ignore[union-attr]
            end = next(i for i, c in enumerate(text) if c == " ")
            found[document_id] = [
                Suggested(document_id, "entity", "ORG", newer, 0.9, 0, end, text[:end])
            ]
        q.insert_prelabels(connection, [p for ps in found.values() for p in ps])
        q.record_prelabel_runs(connection, newer, {d: 1 for d in found})
    again = session.open(0)
    assert again.draft and [(s.span, s.labeller) for s in again.state.suggestions] == before
    other = session.open(1)
    assert [s.labeller for s in other.state.suggestions] == [newer]
    store.close()


@pytest.mark.anyio
async def test_a_project_without_stance_targets_annotates_spans_only(project: Project) -> None:
    """No [[stance.targets]]: stance keys do nothing (no crash), spans are stored."""
    import re

    config = project.root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'\[\[stance\.targets\]\]\nname = "[^"]+"\naliases = .*\n', "", text))
    project = Project.load(project.root)
    assert project.settings.target_names() == []
    store = project.open_store()
    app = AnnotateApp(project, store, "alice")
    async with app.run_test(size=SIZE) as pilot:
        opened = app.opened
        assert opened is not None
        await move_to(pilot, app, opened.state.suggestions[0].span.start)
        await pilot.press("a", "tab", "1", "tab", "ctrl+s")
        await pilot.pause()
        assert app.session.index == 1
    store.close()
    [stored] = annotations_of(project, "alice")
    assert len(stored.spans) == 1 and stored.stances == ()


def test_an_annotator_added_after_assignment_is_told_why_there_is_nothing_and_how_to_get_some(
    project: Project,
) -> None:
    from curate.errors import UsageError
    from tui.session import AnnotationSession

    AnnotationSession(project, project.open_store(), "alice")  # every document assigned
    config = project.root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(
        text.replace(
            '[[annotators]]\nname = "alice"',
            '[[annotators]]\nname = "dave"\nemail = "dave@example.org"\n\n'
            '[[annotators]]\nname = "alice"',
            1,
        ),
        "utf-8",
    )
    later = Project.load(project.root)
    with pytest.raises(UsageError) as caught:
        AnnotationSession(later, later.open_store(), "dave")
    assert str(caught.value) == (
        "dave has no documents assigned: each of the 8 stored documents already has its 2 "
        "annotators ([assignment] overlap); raise the overlap in curate.toml to give dave a "
        "share, or ingest new documents"
    )


@pytest.fixture
def stance_only(project: Project) -> str:
    """alice and bob marked the same spans and agreed on Iran ("none"); only the United States
    stance is open."""
    from curate.adjudicate.auto import auto_adjudicate
    from curate.records import Document, Span, StanceLabel

    text = "Tehran and Washington traded threats over the strait."
    spans = (Span(0, 6, "GPE", "Tehran"), Span(11, 21, "GPE", "Washington"))
    document = Document(text)
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [document])
        for who, us in (("alice", "favor"), ("bob", "against")):
            stances = (StanceLabel("Iran", "none"), StanceLabel("United States", us))
            queries.add_annotation(connection, Annotation(document.id, who, "test", spans, stances))
        auto_adjudicate(connection, project.settings, "0.1")
    return document.id


def _stance_decisions(project: Project, document_id: str) -> dict[str, tuple[str, dict]]:  # type: ignore[type-arg]
    with project.open_store().connect() as connection:
        found = queries.decisions_for(connection, [document_id])
    newest = {}
    for d in sorted(found, key=lambda d: d.id or 0):
        if d.kind == "stance":
            newest[d.target] = (d.method, d.payload)
    return newest  # type: ignore[return-value]


@pytest.mark.anyio
async def test_a_settled_stance_cannot_be_changed_by_a_stray_key(
    project: Project, stance_only: str
) -> None:
    """The walkthrough's case: Tab, ctrl+t and ctrl+s on a document where only the United
    States stance is open leave Iran (both annotators: none) as it was."""
    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        resolution = app.resolution
        assert resolution is not None and resolution.alignment.document_id == stance_only
        await pilot.press("tab", "ctrl+t", "tab", "tab", "ctrl+t", "down", "ctrl+t")
        await pilot.pause()
        assert resolution.stances["Iran"] == "none"  # never focused, never cycled
        assert resolution.alignment.stances[resolution.row].target == "United States"
        await pilot.press("ctrl+s")
        await pilot.pause()
    store.close()
    decided = _stance_decisions(project, stance_only)
    assert decided["Iran"][0] not in ("reviewer", "reviewer-override", "open")
    assert decided["Iran"][1]["label"] == "none" and decided["United States"][0] == "reviewer"


@pytest.mark.anyio
async def test_reopening_a_settled_stance_asks_first_and_is_stored_as_an_override(
    project: Project, stance_only: str, offline: None
) -> None:
    from tui.screens import ConfirmScreen

    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=SIZE) as pilot:
        resolution = app.resolution
        assert resolution is not None
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        asked = app.screen.question
        assert asked.startswith("Reopen Iran = none (") and "agreed" in asked
        assert "alice" not in asked and "bob" not in asked  # pseudonyms, as everywhere
        await pilot.press("escape")  # kept
        await pilot.pause()
        assert "Iran kept as agreed" in str(app.query_one("#status").render())
        await pilot.press("ctrl+o", "y", "ctrl+t")
        await pilot.pause()
        assert resolution.stances["Iran"] == "favor"
        await pilot.press("tab", "tab", "down", "ctrl+t", "ctrl+s")  # and the open one
        await pilot.pause()
    store.close()
    decided = _stance_decisions(project, stance_only)
    method, payload = decided["Iran"]
    assert method == "reviewer-override" and payload["label"] == "favor"
    assert payload["replaces"]["label"] == "none" and payload["replaces"]["method"] != "reviewer"
    from typer.testing import CliRunner

    from curate.cli import app as cli

    done = CliRunner().invoke(
        cli, ["--project", str(project.root), "release", "--version", "1.0.0"]
    )
    assert done.exit_code == 0, done.output
    folder = project.root / "exports" / project.settings.release.name / "v1.0.0"
    flat = " ".join((folder / "README.md").read_text("utf-8").split())
    assert "1 were set by a reviewer over what annotators had agreed" in flat
    assert "| reviewer-override | 1 |" in flat
    shown = CliRunner().invoke(cli, ["--project", str(project.root), "agreement", "--json"])
    assert json.loads(shown.output)["reviewer_overrides"] == 1
    shown = CliRunner().invoke(cli, ["--project", str(project.root), "agreement"])
    assert "1 gold labels were set by a reviewer over what annotators agreed" in " ".join(
        shown.output.split()
    )


@pytest.mark.anyio
@pytest.mark.parametrize("width", [100, 160])
async def test_the_review_screen_fits_its_width_and_names_nobody(
    project: Project, conflicted: str, width: int
) -> None:
    """Header, span line and stance rows each fit one screen line, at 100 and 160 columns;
    nothing on screen names a configured annotator (pseudonyms unless --show-annotators)."""
    from rich.cells import cell_len
    from rich.text import Text

    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=(width, 30)) as pilot:
        for keys in ((), ("tab",), ("tab", "1"), ("ctrl+o",), ("escape", "down", "2")):
            await pilot.press(*keys)
            await pilot.pause()
            for name in ("#info", "#stances", "#status"):
                widget = app.query_one(name)
                rendered = widget.render()
                plain = rendered.plain if isinstance(rendered, Text) else str(rendered)
                for line in plain.splitlines():
                    assert cell_len(line) <= widget.size.width, (name, line)
            screen = " ".join(str(w.render()) for w in app.screen.query("Static"))
            screen += " ".join(str(p.border_title) for p in app.query(".pane"))
            for person in project.settings.annotators:
                assert person.name not in screen and person.email not in screen
    store.close()


@pytest.mark.anyio
async def test_review_panes_wrap_alike_so_their_lines_stay_side_by_side(
    project: Project, conflicted: str
) -> None:
    """Tags of different lengths ([PERSON] in one pane, [ORG] or none in the other) are padded
    to the widest, so both panes put every word of the text on the same screen line."""
    from tui.document_view import DocumentView, wrap_exactly

    store = project.open_store()
    app = ReviewApp(project, store, "rita")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        panes = list(app.query(DocumentView))
        shown = [pane.text.plain for pane in panes]
        resolution = app.resolution
        assert resolution is not None
    store.close()
    assert len(panes) == 2 and shown[0] != shown[1]  # alice and bob labelled differently
    assert len(shown[0]) == len(shown[1])
    text = resolution.alignment.document.text
    for offset in (text.index("told"), text.index("Iraq")):
        at = [pane.index(text[offset : offset + 4]) for pane in shown]
        assert at[0] == at[1]  # the same word at the same place in both panes
    for width in (10, 14, 20):  # narrow panes: the lines break at the same words
        first, second = (wrap_exactly(plain, width) for plain in shown)
        assert first == second and len(first) > 1
