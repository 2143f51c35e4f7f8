"""A scrolling document pane that draws only the lines on screen (Textual's line API).

A Static draws the whole document on every change; this pane wraps the text once (again only
when its characters or the width change) and then cuts each visible line out of the styled text
when it is drawn. A move that restyles a span costs the same on a 5,000-word document as on a
short one (bench/review.py).

A reviewer judges span boundaries, so the pane shows every character: lines break after a
space, a word is cut only when it is longer than the line, and the scrollbar has a gutter of its
own so that it never narrows the text it was wrapped for."""

from __future__ import annotations

import bisect

from rich.cells import cell_len
from rich.text import Text
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class DocumentView(ScrollView, can_focus=False):
    DEFAULT_CSS = "DocumentView { height: 1fr; scrollbar-gutter: stable; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = Text()
        self._starts: tuple[int, ...] = (0,)
        self._lines: list[Text] | None = None  # the text cut at _starts, cut when first drawn
        self._width = 0

    def show(self, text: Text) -> None:
        """Show `text`; only a change of characters wraps it again."""
        if text == self.text:
            return
        reflow = text.plain != self.text.plain
        self.text, self._lines = text, None
        if reflow:
            self._wrap()
        self.refresh()

    def line_of(self, offset: int) -> int:
        """The wrapped line (0-based) character `offset` of the text is drawn on."""
        return max(bisect.bisect_right(self._starts, offset) - 1, 0)

    def follow(self, offset: int) -> None:
        """Scroll so the line holding `offset` is in view."""
        self.scroll_to_region(Region(0, self.line_of(offset), 1, 1), animate=False, immediate=True)

    def on_resize(self, _event: Resize) -> None:
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return  # not laid out yet: wrapped on the first resize
        self._width = width
        self._starts = wrap_exactly(self.text.plain, width)
        self._lines = None
        self.virtual_size = Size(width, len(self._starts))

    def line_text(self, index: int) -> Text:
        """Wrapped line `index` as drawn (its line break left out)."""
        if self._lines is None:  # one cut for all lines: Text.divide is linear in the spans
            self._lines = list(self.text.divide(self._starts[1:]))
        line = self._lines[index].copy()
        return line[:-1] if line.plain.endswith("\n") else line

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def render_line(self, y: int) -> Strip:
        width, style = self.scrollable_content_region.width, self.rich_style
        index = self.scroll_offset.y + y
        if index >= len(self._starts) or not self.text.plain:
            return Strip.blank(width, style)
        line = self.line_text(index)
        line.stylize_before(style)
        segments = list(line.render(self.app.console, end=""))
        return Strip(segments, cell_len(line.plain)).crop_extend(0, width, style)


def wrap_exactly(plain: str, width: int) -> tuple[int, ...]:
    """Where each line starts when `plain` is wrapped to `width` cells keeping every character:
    a wrapped line starts at a word, never at a space. A line ends after its last space that
    fits (the word that does not fit starts the next line), mid-word only when one word fills
    the line; only a run of spaces wider than the line starts a line with spaces."""
    starts = [0]
    start = 0
    while start < len(plain):
        cells, end, word_start = 0, start, None
        while end < len(plain) and plain[end] != "\n":
            cells += cell_len(plain[end])
            if cells > width and end > start:
                break
            if end > start and plain[end - 1].isspace() and not plain[end].isspace():
                word_start = end
            end += 1
        if end >= len(plain):
            break
        if plain[end] == "\n":
            start = end + 1
        elif plain[end - 1].isspace() and not plain[end].isspace():
            start = end  # full just before a word
        elif word_start is not None:
            start = word_start  # the last word that does not fit in full starts the next line
        elif plain[end].isspace() and end - 1 > start and not plain[end - 1].isspace():
            start = end - 1  # one word fills the line: its last letter goes on, not the space
        else:
            start = end  # one word wider than the line, or a run of spaces
        starts.append(start)
    return tuple(starts)
