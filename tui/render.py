"""Document text as Rich Text: spans coloured by label with their name after them, suggestions
underlined and dimmed, the cursor reversed. Names are written out, so colour is never the only
carrier of meaning."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from curate.records import Span
from tui.state import PENDING, AnnotationState, Suggestion

CURSOR = Style(reverse=True, bold=True)
SELECTION = Style(bgcolor="grey35", underline=True)
SUGGESTION = Style(underline=True, dim=True)


def label_style(colour: str) -> Style:
    return Style(bgcolor=colour, color="black")


def document_text(
    text: str,
    spans: Sequence[Span],
    colours: Mapping[str, str],
    suggestions: Sequence[Suggestion] = (),
    cursor: tuple[int, int] | None = None,
    selection: tuple[int, int] | None = None,
    marked: Sequence[tuple[int, int, Style]] = (),
    pad_to: Mapping[int, int] | None = None,
) -> Text:
    """Rich Text for `text`, label tags inserted after spans (and pending suggestions); with
    `pad_to` (position -> width, from `aligned_widths`) the tags at each position are padded
    to that width."""
    rendered = Text(text)
    for suggestion in suggestions:
        if suggestion.status == PENDING:
            rendered.stylize(SUGGESTION, suggestion.span.start, suggestion.span.end)
    for span in spans:
        rendered.stylize(label_style(colours.get(span.label, "#aaaaaa")), span.start, span.end)
    for start, end, style in marked:
        rendered.stylize(style, start, end)
    if selection is not None:
        rendered.stylize(SELECTION, *selection)
    if cursor is not None:
        rendered.stylize(CURSOR, *cursor)
    tags = [(s.end, f"[{s.label}]", Style(bold=True)) for s in spans]
    tags += [
        (s.span.end, f"[{s.span.label}?]", Style(dim=True, italic=True))
        for s in suggestions
        if s.status == PENDING
    ]
    return _with_tags(rendered, tags, pad_to or {})


# Fills a tag out to the width another pane's tags take there: not a space, so every pane
# breaks its lines at the same words.
PAD = "·"


def aligned_widths(panes: Sequence[Sequence[Span]]) -> dict[int, int]:
    """For panes shown side by side: at each position where any pane has a tag, the width of
    the widest there. Padded to it, every pane has the same number of characters before each
    text offset, so the panes wrap alike and their lines stay side by side."""
    widths: dict[int, int] = {}
    for spans in panes:
        here: dict[int, int] = {}
        for span in spans:
            here[span.end] = here.get(span.end, 0) + len(span.label) + 2
        for position, width in here.items():
            widths[position] = max(widths.get(position, 0), width)
    return widths


def _with_tags(
    rendered: Text, tags: list[tuple[int, str, Style]], pad_to: Mapping[int, int]
) -> Text:
    """`rendered` with each tag inserted before the character at its position (several at one
    position: the last listed first), padded to `pad_to`'s width there. One pass: cutting and
    joining per tag grew with tags x spans, tens of milliseconds a repaint on a 50-span
    document."""
    at: dict[int, list[tuple[str, Style]]] = {position: [] for position in pad_to}
    for position, tag, style in tags:
        at.setdefault(position, []).insert(0, (tag, style))
    positions = sorted(at)
    pieces = rendered.divide(positions)
    out = Text()
    for n, piece in enumerate(pieces):
        out.append_text(piece)
        if n == len(positions):
            break
        for tag, style in at[positions[n]]:
            out.append(tag, style=style)
        used = sum(len(tag) for tag, _ in at[positions[n]])
        out.append(PAD * (pad_to.get(positions[n], 0) - used), style=Style(dim=True))
    return out


def annotation_text(state: AnnotationState, colours: Mapping[str, str]) -> Text:
    token = state.token
    return document_text(
        state.text,
        state.spans,
        colours,
        state.suggestions,
        cursor=(token.start, token.end) if token.text else None,
        selection=state.selection,
    )


def shown_offset(state: AnnotationState, position: int) -> int:
    """Where text offset `position` lands in annotation_text."""
    pending = [su.span for su in state.suggestions if su.status == PENDING]
    return tagged_offset(position, state.spans, pending)


def tagged_offset(position: int, spans: Sequence[Span], pending: Sequence[Span] = ()) -> int:
    """Where text offset `position` lands in document_text: the tags inserted at or before it
    ([LABEL] after a span, [LABEL?] after a pending suggestion) push it right."""
    pushed = sum(len(s.label) + 2 for s in spans if s.end <= position)
    return position + pushed + sum(len(s.label) + 3 for s in pending if s.end <= position)


def aligned_offset(position: int, pad_to: Mapping[int, int]) -> int:
    """Where text offset `position` lands in a document_text padded to `pad_to`."""
    return position + sum(width for at, width in pad_to.items() if at <= position)


def show(widget: Static, text: Text) -> None:
    """Put `text` in `widget`: nothing when it is what is shown, and a new layout only when its
    height can change (same characters, or the same number of wrapped lines). A move restyles
    the document, it never reflows it: skipping the layout halves the repaint."""
    old = widget.content
    if isinstance(old, Text) and old == text:
        return
    width = widget.content_region.width
    same_height = (
        isinstance(old, Text)
        and width > 0
        and (
            old.plain == text.plain
            or len(old.wrap(widget.app.console, width)) == len(text.wrap(widget.app.console, width))
        )
    )
    widget.update(text, layout=not same_height)


def line_of(rendered: Text, offset: int, width: int, console: Console) -> int:
    """The screen line (0-based) that character `offset` of `rendered` is drawn on when the
    text is wrapped to `width` columns, as Rich wraps it in a Static."""
    starts = line_starts(rendered.plain, max(width, 1), console)
    return max(bisect.bisect_right(starts, offset) - 1, 0)


@functools.lru_cache(maxsize=32)
def line_starts(plain: str, width: int, console: Console) -> tuple[int, ...]:
    """Where each wrapped line starts. Wrapping depends on the characters, not their styles,
    so moving the cursor reuses this (the text only changes when a span does)."""
    starts, start = [], 0
    for hard in Text(plain).split("\n", allow_blank=True):
        consumed = start
        for piece in hard.wrap(console, width) if hard.plain else [hard]:
            starts.append(consumed)
            consumed += len(piece.plain)
        start += len(hard.plain) + 1  # the newline
    return tuple(starts)
