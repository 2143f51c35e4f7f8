"""`curate review --as NAME`: resolve conflicts, lowest agreement first, one pane per annotator."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from sqlalchemy.exc import DBAPIError
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Static

from curate import keys
from curate.adjudicate.review import BOUNDARY, LABEL, MISSING
from curate.domain.pseudonyms import namer
from curate.errors import CurateError
from curate.project import Project
from curate.records import Span
from curate.store import Store
from tui.document_view import DocumentView
from tui.render import (
    SELECTION,
    aligned_offset,
    aligned_widths,
    document_text,
    show,
)
from tui.resolution import Resolution
from tui.review_panels import group_panel, stance_rows
from tui.review_session import ReviewSession
from tui.screens import ConfirmScreen, HelpScreen, ReasonScreen
from tui.state import Token, TokenSelection, tokenize

# Conflict types get a style and, because colour is not enough, their name in the panel.
CONFLICT_STYLES = {
    LABEL: Style(underline=True, color="magenta", bold=True),
    BOUNDARY: Style(underline=True, color="yellow", bold=True),
    MISSING: Style(underline=True, color="red", bold=True),
}


def _key(action: str) -> str:
    return keys.key_name(keys.REVIEWER[action])


# The footer shows the keys a review needs at every document, and fits 80 columns; `?` lists
# them all (the help is made from these bindings).
KEYS = [
    Binding(_key("help"), "help", "all keys"),
    Binding("down", "step(1)", "next conflict"),
    Binding("up", "step(-1)", "previous conflict", show=False),
    Binding("space", "next_open", "next open"),
    Binding("ctrl+t", "cycle_stance", "set stance", show=False),
    Binding("tab", "focus_toggle", "spans/stance", priority=True, show=False),
    Binding(_key("drop"), "drop", "no span", show=False),
    Binding(_key("draw"), "draw", "draw span", show=False),
    Binding("left", "draw_move(-1)", "draw: token", show=False),
    Binding("right", "draw_move(1)", "draw: token", show=False),
    Binding("shift+left", "draw_move(-1, True)", "draw: extend", show=False),
    Binding("shift+right", "draw_move(1, True)", "draw: extend", show=False),
    Binding(_key("remove_drawn"), "remove_drawn", "remove your span", show=False),
    Binding("escape", "stop_drawing", "stop drawing", show=False),
    Binding(_key("note"), "note", "note", show=False),
    Binding("ctrl+o", "reopen", "reopen a settled stance", show=False),
    Binding("ctrl+s", "submit", "decide"),
    Binding(_key("next"), "next_document", "next doc"),
    Binding("ctrl+q", "quit", "quit"),
]


class ReviewApp(App[None]):
    TITLE = "curate review"
    ENABLE_COMMAND_PALETTE = False  # no command in it a reviewer needs; its key took footer room
    CSS = """
    #panes { height: 1fr; }
    .pane { width: 1fr; border: round $primary; padding: 0 1; }
    #info, #stances, #status { padding: 0 1; height: auto; }
    """
    BINDINGS = [*KEYS]

    def __init__(
        self, project: Project, store: Store, reviewer: str, show_annotators: bool = False
    ):
        super().__init__()
        self.project, self.reviewer = project, reviewer
        self.session = ReviewSession(project, store, reviewer)
        # The same pseudonyms as the reports and releases, unless real names are asked for.
        self.shown_as = namer(project.root, show_annotators)
        self.settings = project.settings
        self.colours = {label.name: label.colour for label in self.settings.entity_labels}
        self.hotkeys = {label.hotkey: label.name for label in self.settings.entity_labels}
        self.resolution: Resolution | None = None
        self.sub_title = reviewer
        self._repaint_due, self._message = False, ""
        self._quit_armed = False
        self.tokens: list[Token] = []
        self.drawing: TokenSelection | None = None  # a span no annotator gave, being drawn

    @property
    def unstored(self) -> set[str]:
        """Documents whose decision the store refused in this session (kept as drafts)."""
        return self.session.unstored

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="info")
        yield Horizontal(id="panes")
        yield Static(id="stances")
        yield Static(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        await self.next_document()

    async def next_document(self, done: str = "") -> None:
        """Show the next document; `done` says what happened to the last one (in the status
        line: a toast would cover the stance rows)."""
        alignment, self.queue_size = self.session.next()
        self._quit_armed = False
        panes = self.query_one("#panes", Horizontal)
        await panes.remove_children()
        if alignment is None:
            self.resolution = None
            self.title = "curate review · queue empty"
            skipped = f" ({len(self.session.skipped)} skipped with ]: run again to see them)"
            self.query_one("#info", Static).update(
                "The review queue is empty." + (skipped if self.session.skipped else "")
            )
            self.query_one("#status", Static).update(done)
            self.query_one("#stances", Static).update("")
            return
        self.resolution = Resolution(alignment, self.shown_as)
        restored = ""
        draft = self.session.drafts.load(alignment.document_id)
        if draft is not None:
            if self.resolution.restore(draft):
                restored = "restored your unstored choices for this document from a draft"
            else:
                self.session.drafts.discard(alignment.document_id)
                restored = "a draft for this document was made on older annotations; set aside"
        self.tokens, self.drawing = tokenize(alignment.document.text), None
        await panes.mount_all(
            DocumentView(id=f"pane-{i}", classes="pane") for i in range(len(alignment.annotators))
        )
        for i, who in enumerate(alignment.annotators):
            self.query_one(
                f"#pane-{i}", DocumentView
            ).border_title = f"{i + 1} {self.shown_as(who)}"
        self.refresh_view(" · ".join(m for m in (done, restored) if m))

    def refresh_view(self, message: str = "") -> None:
        resolution = self.resolution
        if resolution is None:
            return
        alignment = resolution.alignment
        score = "–" if alignment.score is None else f"{alignment.score:.2f}"
        title = alignment.document.title or alignment.document.text
        title = title if len(title) <= 30 else title[:30] + "…"  # the header fits 80 columns
        self.title = f"curate review · {self.queue_size} in queue"
        show(
            self.query_one("#info", Static),
            Text(
                f"{title}  agreement {score}  ·  open: {len(resolution.open_groups())} spans, "
                f"{len(resolution.open_stances())} stances\n"
            )
            + group_panel(resolution, self._drawn(), self.colours),
        )
        current = resolution.groups[resolution.group] if resolution.groups else None
        pane_spans = [
            [v for g in resolution.groups if (v := g.versions.get(who)) is not None]
            for who in alignment.annotators
        ]
        pad_to = aligned_widths(pane_spans)  # the panes' lines stay side by side
        for i, spans in enumerate(pane_spans):
            marked = []
            drawn = self._drawn()
            if drawn is not None:
                marked.append((*drawn, SELECTION))
            elif current is not None and not resolution.on_stances:
                present = [v for v in current.versions.values() if v is not None]
                start = min(s.start for s in present)
                end = max(s.end for s in present)
                style = CONFLICT_STYLES.get(current.conflicts[0]) if current.conflicts else None
                marked.append((start, end, style or Style(underline=True)))
            pane = self.query_one(f"#pane-{i}", DocumentView)
            shown = document_text(
                alignment.document.text, spans, self.colours, marked=marked, pad_to=pad_to
            )
            pane.show(shown)
            if marked:
                # After the refresh: a pane just mounted has no size, nor wrapped lines, yet.
                self.call_after_refresh(pane.follow, aligned_offset(marked[0][0], pad_to))
        show(self.query_one("#stances", Static), stance_rows(resolution))
        note = f"note: {resolution.note}" if resolution.note else ""
        show(self.query_one("#status", Static), Text(message or note))
        if resolution.changed:  # a crash or a refused store loses nothing
            self.session.drafts.save(alignment.document_id, resolution.snapshot())

    def request_view(self, message: str = "") -> None:
        """Repaint once for a burst of keys: the repaint runs after the keys already queued."""
        self._message = message or self._message
        if not self._repaint_due:
            self._repaint_due = True
            self.call_later(self._repaint)

    def _repaint(self) -> None:
        self._repaint_due = False
        message, self._message = self._message, ""
        self.refresh_view(message)

    # --- keys -----------------------------------------------------------------------------

    def on_key(self, event: Any) -> None:
        if self.resolution is None or isinstance(
            self.screen, (HelpScreen, ReasonScreen, ConfirmScreen)
        ):
            return
        drawn = self._drawn()
        if drawn is not None and event.character in self.hotkeys:
            start, end = drawn
            text = self.resolution.alignment.document.text[start:end]
            self.drawing = None
            self.request_view(
                self.resolution.add(Span(start, end, self.hotkeys[event.character], text))
            )
            event.stop()
        elif event.character and event.character.isdigit() and event.character != "0":
            self.request_view(self.resolution.take(int(event.character)) or "nothing to take")
            event.stop()
        elif event.character in self.hotkeys:
            done = self.resolution.relabel(self.hotkeys[event.character])
            self.request_view(done or "take a version first, then relabel it")
            event.stop()

    def action_step(self, steps: int) -> None:
        if self.resolution:
            self.resolution.step(steps)
            if self.drawing is not None:
                self.action_draw()  # the drawing cursor follows the span in focus
            self.request_view()

    # --- drawing a span no annotator gave ---------------------------------------------------

    def _drawn(self) -> tuple[int, int] | None:
        """The characters the drawing covers: its selection, or the token at its cursor."""
        return self.drawing.covered if self.drawing is not None else None

    def action_draw(self) -> None:
        """Start drawing at the span in focus (the document's start when there is none)."""
        resolution = self.resolution
        if resolution is None or not self.tokens:
            return
        at = resolution.groups[resolution.group].start if resolution.groups else 0
        self.drawing = TokenSelection(self.tokens)
        self.drawing.move_to(at)
        self.request_view("←/→ move, shift+←/→ extend, a label key adds the span, esc stops")

    def action_draw_move(self, steps: int, extend: bool = False) -> None:
        if self.drawing is None:
            return
        self.drawing.move(steps, extend)
        self.request_view()

    def action_remove_drawn(self) -> None:
        drawn = self._drawn()
        if self.resolution is None or drawn is None:
            return
        removed = self.resolution.remove_added(drawn[0])
        self.request_view(removed or "no span of yours here")

    def action_stop_drawing(self) -> None:
        if self.drawing is not None:
            self.drawing = None
            self.request_view()

    def action_next_open(self) -> None:
        if self.resolution:
            found = self.resolution.next_open()
            self.request_view("" if found else "nothing open here: ctrl+s stores the decision")

    def action_cycle_stance(self) -> None:
        if self.resolution:
            done = self.resolution.cycle_stance(list(self.settings.stance.labels))
            self.request_view(done or "tab to the stances first")

    def action_focus_toggle(self) -> None:
        if self.resolution:
            self.resolution.toggle_focus()
            self.request_view(
                ""
                if self.resolution.on_stances or not self.resolution.reopenable()
                else "no open stance here; ctrl+o reopens a settled one"
            )

    def action_reopen(self) -> None:
        """Reopen a settled stance, after a confirmation naming what the annotators agreed."""
        resolution = self.resolution
        if resolution is None:
            return
        found = resolution.reopenable()
        if not found:
            self.request_view("no settled stance to reopen")
            return
        target = found[0]

        def answered(yes: bool | None) -> None:
            if self.resolution is resolution and yes:
                self.request_view(resolution.reopen(target))
            else:
                self.request_view(f"{target} kept as agreed")

        question = (
            f"Reopen {resolution.agreed(target)}?\nThe annotators agreed on it. What you choose "
            "instead is stored as a reviewer override, with the label it replaces."
        )
        self.push_screen(ConfirmScreen(question), answered)

    async def action_quit(self) -> None:
        unsaved = self.resolution is not None and self.resolution.changed
        if unsaved and not self._quit_armed:
            self._quit_armed = True
            self.refresh_view("this decision is not stored: ctrl+s stores it, ctrl+q again quits")
            return
        self.exit()

    def action_drop(self) -> None:
        if self.resolution:
            self.resolution.drop()
            self.refresh_view("no span here in gold")

    def action_note(self) -> None:
        def noted(text: str | None) -> None:
            if self.resolution is not None and text:
                self.resolution.note = text
                self.refresh_view()

        self.push_screen(ReasonScreen("Note for this decision:"), noted)

    async def action_submit(self) -> None:
        resolution = self.resolution
        if resolution is None:
            return
        if resolution.left():
            self.refresh_view(f"{resolution.left()} conflicts left; resolve them first")
            return
        try:
            self.session.decide(resolution)
        except (CurateError, DBAPIError) as error:
            why = str(error).splitlines()[0]
            self.notify(f"not stored: {why}", severity="error", timeout=15)
            self.refresh_view(f"NOT STORED ({why}); your choices are kept as a draft")
            return
        await self.next_document(f"decision stored for {resolution.alignment.document_id}")

    async def action_next_document(self) -> None:
        if self.resolution:
            self.session.skipped.add(self.resolution.alignment.document_id)
        await self.next_document()

    def action_help(self) -> None:
        extra = [("1-9", "take annotator k's version")]
        extra += [(key, f"relabel as {name}") for key, name in self.hotkeys.items()]
        self.push_screen(HelpScreen(KEYS, extra))
