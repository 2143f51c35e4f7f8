"""`curate annotate --as NAME`: label assigned documents with the keyboard."""

from __future__ import annotations

from pathlib import Path
from time import monotonic
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region
from textual.widgets import Footer, Header, Markdown, Static

from curate import keys
from curate.project import Project
from curate.store import Store
from tui.render import annotation_text, label_style, line_of, shown_offset
from tui.screens import HelpScreen, ReasonScreen
from tui.session import AnnotationSession, Clock, Opened
from tui.state import AnnotationState


def _key(action: str) -> str:
    return keys.key_name(keys.ANNOTATOR[action])


# Command keys (the one-key ones from curate.keys, which label hotkeys may not take).
KEYS = [
    Binding("left", "move(-1)", "token", show=False),
    Binding("right", "move(1)", "token", show=False),
    Binding("shift+left", "move(-1, True)", "select", show=False),
    Binding("shift+right", "move(1, True)", "select", show=False),
    Binding("ctrl+left", "word(-1)", "word", show=False),
    Binding("ctrl+right", "word(1)", "word", show=False),
    Binding("up", "sentence(-1)", "sentence", show=False),
    Binding("down", "sentence(1)", "sentence", show=False),
    Binding("pageup", "page(-1)", "page up", show=False),
    Binding("pagedown", "page(1)", "page down", show=False),
    Binding("home", "edge(-1)", "first token", show=False),
    Binding("end", "edge(1)", "last token", show=False),
    Binding("escape", "clear_selection", "clear selection", show=False),
    Binding(_key("mark"), "mark", "mark"),
    Binding(_key("remove"), "remove", "remove", show=False),
    Binding(_key("accept"), "accept", "accept"),
    Binding(_key("accept_all"), "accept_all", "accept all", show=False),
    Binding(_key("reject"), "reject", "reject", show=False),
    Binding("tab", "next_target", "target", priority=True),
    Binding(_key("undo"), "undo", "undo", show=False),
    Binding("ctrl+s", "submit", "submit"),
    Binding(_key("skip"), "skip", "skip", show=False),
    Binding(_key("next"), "document(1)", "next"),
    Binding(_key("previous"), "document(-1)", "prev", show=False),
    Binding(_key("guidelines"), "guidelines", "guidelines", show=False),
    Binding(_key("help"), "help", "help"),
    Binding("ctrl+q", "quit", "quit"),
]


CONFIRM_ABOVE = 20  # `A` asks first when it would accept more suggestions than this


class AnnotateApp(App[None]):
    TITLE = "curate annotate"
    CSS = """
    #body { height: 1fr; }
    #document { width: 1fr; padding: 0 1; }
    #text { max-width: 100; }  /* long lines are hard to read on a wide terminal */
    #guidelines { width: 45%; display: none; border-left: solid $accent; }
    #guidelines.shown { display: block; }
    #title { text-style: bold; padding: 0 1; }
    #stances, #legend, #status { padding: 0 1; height: auto; }
    """
    BINDINGS = [*KEYS]

    def __init__(self, project: Project, store: Store, annotator: str, clock: Clock = monotonic):
        super().__init__()
        self.session = AnnotationSession(project, store, annotator, clock)
        self.settings = project.settings
        self.colours = {label.name: label.colour for label in self.settings.entity_labels}
        self.hotkeys = {label.hotkey: label.name for label in self.settings.entity_labels}
        self.guidelines_path: Path = project.guidelines
        self.opened: Opened | None = None
        self._confirm_accept_all: AnnotationState | None = None
        self.sub_title = annotator

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="title")
        with Horizontal(id="body"):
            with VerticalScroll(id="document", can_focus=False):
                yield Static(id="text")
            yield Markdown(id="guidelines")
        yield Static(id="stances")
        yield Static(id="legend")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.session.index)

    @property
    def state(self) -> AnnotationState:
        assert self.opened is not None  # set in on_mount, before any key arrives
        return self.opened.state

    # --- drawing --------------------------------------------------------------------------

    def show(self, index: int) -> None:
        self.opened = self.session.open(index)
        self.query_one("#document", VerticalScroll).scroll_home(animate=False, immediate=True)
        restored = "restored your unsubmitted draft of this document" if self.opened.draft else ""
        if restored:
            self.notify(restored, severity="warning")
        self.refresh_view(restored)

    def refresh_view(self, message: str = "") -> None:
        opened = self.opened
        assert opened is not None
        opened.timer.touch()  # every action redraws: the time between them is labelling
        state = opened.state
        done, assigned = self.session.progress()
        self.title = f"curate annotate · {done}/{assigned} done"
        title = opened.document.title or state.text[:60].split("\n")[0] + "…"
        mark = " (submitted; editing makes a new revision)" if opened.submitted else ""
        if opened.skipped_reason:
            mark = f" (skipped: {opened.skipped_reason}; labelling it makes a new revision)"
        self.query_one("#title", Static).update(
            Text(f"{self.session.index + 1}/{assigned} {title}{mark}")
        )
        rendered = annotation_text(state, self.colours)
        self.query_one("#text", Static).update(rendered)
        self.call_after_refresh(self._follow_cursor, rendered)
        self.query_one("#stances", Static).update(self._stance_rows())
        legend = Text()
        for key, name in self.hotkeys.items():
            legend.append(f" {key} ", style=label_style(self.colours[name]))
            legend.append(f" {name}  ")
        self.query_one("#legend", Static).update(legend)
        self.query_one("#status", Static).update(Text(message or self._under_cursor()))

    def _follow_cursor(self, rendered: Text) -> None:
        """Scroll the text so the cursor's line is in view (after layout, so widths are known)."""
        pane = self.query_one("#document", VerticalScroll)
        width = self.query_one("#text", Static).content_region.width
        line = line_of(
            rendered, shown_offset(self.state, self.state.token.start), width, self.console
        )
        pane.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True)

    def _stance_rows(self) -> Text:
        state = self.state
        numbers = "  ".join(f"{i}={label}" for i, label in enumerate(state.stance_labels, 1))
        rows = Text()
        for i, target in enumerate(state.targets):
            focus = "▶" if i == state.target else " "
            chosen = state.stances.get(target)
            suggested = state.suggested_stances.get(target)
            value = chosen or (f"{suggested}? (suggested)" if suggested else "–")
            rows.append(f"{focus} {target}: ", style="bold" if focus == "▶" else "")
            rows.append(f"{value}\n", style="" if chosen else "dim")
        rows.append(f"  stance keys: {numbers}", style="dim")
        return rows

    def _under_cursor(self) -> str:
        state = self.state
        if state.selection is not None:
            start, end = state.selection
            return f"selected {state.text[start:end]!r}: a label key labels it, esc clears"
        span = state.span_at_cursor()
        index = state.suggestion_at_cursor()
        if span is not None:
            return f"{span.label}: {span.text!r}"
        if index is not None:
            suggestion = state.suggestions[index]
            s, score = suggestion.span, suggestion.score
            source = suggestion.labeller + ("" if score is None else f", score {score:.2f}")
            return f"suggested {s.label}: {s.text!r} by {source} (a accept, r reject)"
        return f"token {state.token.text!r}"

    def changed(self, message: str = "") -> None:
        assert self.opened is not None
        self.session.save_draft(self.opened)  # a crash loses at most this keystroke
        self.refresh_view(message)

    # --- keys -----------------------------------------------------------------------------

    def on_key(self, event: Any) -> None:
        if self.opened is None or isinstance(self.screen, (HelpScreen, ReasonScreen)):
            return
        state = self.state
        if event.character in self.hotkeys:
            span = state.label(self.hotkeys[event.character])
            self.changed(f"labelled {span.label}: {span.text!r}" if span else "nothing to label")
            event.stop()
        elif event.character and event.character.isdigit() and event.character != "0":
            label = state.set_stance(int(event.character))
            if label:
                self.changed(f"{state.targets[state.target]}: {label}")
            event.stop()

    def action_move(self, steps: int, extend: bool = False) -> None:
        self.state.move(steps, extend)
        self.changed()

    def action_word(self, steps: int) -> None:
        self.state.move_word(steps)
        self.changed()

    def action_sentence(self, steps: int) -> None:
        self.state.move_sentence(steps)
        self.changed()

    def action_page(self, direction: int) -> None:
        """Move the cursor about a screenful of lines (the pane follows it)."""
        pane = self.query_one("#document", VerticalScroll)
        lines = max(pane.size.height - 1, 1)
        text, start = self.state.text, self.state.token.start
        width = max(self.query_one("#text", Static).content_region.width, 20)
        # A wrapped line holds about `width` characters; newlines end lines early.
        target, budget = start, lines * width
        step = 1 if direction > 0 else -1
        while 0 <= target + step < len(text) and budget > 0:
            target += step
            budget -= width if text[target] == "\n" else 1
        self.state.move_to(target)
        self.changed()

    def action_edge(self, direction: int) -> None:
        self.state.move_to(len(self.state.text) - 1 if direction > 0 else 0)
        self.changed()

    def action_clear_selection(self) -> None:
        self.changed("selection cleared" if self.state.clear_selection() else "")

    def action_mark(self) -> None:
        self.state.mark()
        self.changed(
            "selecting: move, then press a label key" if self.state.anchor is not None else ""
        )

    def action_remove(self) -> None:
        self.changed("span removed" if self.state.remove_at_cursor() else "no span here")

    def action_accept(self) -> None:
        self.changed("accepted" if self.state.accept_at_cursor() else "no suggestion here")

    def action_accept_all(self) -> None:
        spans, stances = self.state.pending_counts()
        pending = spans + stances
        what = f"{spans} suggested spans and {stances} suggested stances"
        confirming = self._confirm_accept_all == self.state and pending > CONFIRM_ABOVE
        if pending > CONFIRM_ABOVE and not confirming:
            self._confirm_accept_all = self.state
            self.refresh_view(f"{what} pending: press A again to accept them all")
            return
        self._confirm_accept_all = None
        self.state.accept_all()
        self.changed(f"accepted {what}" if pending else "no suggestion pending")

    def action_reject(self) -> None:
        self.changed("rejected" if self.state.reject_at_cursor() else "no suggestion here")

    def action_next_target(self) -> None:
        self.state.next_target()
        self.changed()

    def action_undo(self) -> None:
        self.changed("undone" if self.state.undo() else "nothing to undo")

    def action_submit(self) -> None:
        assert self.opened is not None
        stored = self.session.submit(self.opened)
        done, assigned = self.session.progress()
        if done == assigned:
            self.notify(f"all {assigned} documents done: the queue is empty; ctrl+q quits")
        else:
            self.notify(f"submitted revision {stored.revision}")
        self.show(self.session.index + 1)

    def action_skip(self) -> None:
        def skipped(reason: str | None) -> None:
            if reason and self.opened is not None:
                self.session.submit(self.opened, skipped_reason=reason)
                self.notify(f"skipped: {reason}", markup=False)  # the reason is typed text
                self.show(self.session.index + 1)

        self.push_screen(ReasonScreen("Why skip this document?"), skipped)

    def action_document(self, steps: int) -> None:
        self.show(self.session.index + steps)

    def action_guidelines(self) -> None:
        panel = self.query_one("#guidelines", Markdown)
        if not panel.has_class("shown") and self.guidelines_path.is_file():
            panel.update(self.guidelines_path.read_text(encoding="utf-8"))
        panel.toggle_class("shown")

    def action_help(self) -> None:
        hotkeys = [(key, f"label {name}") for key, name in self.hotkeys.items()]
        self.push_screen(HelpScreen(KEYS, hotkeys + [("1-9", "stance of the focused target")]))
