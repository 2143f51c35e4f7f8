"""What the annotator is doing to one document, without Textual: cursor, selection, spans,
suggestions, stance, undo. The app only draws this state and maps keys to its methods."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from curate.records import Prelabel, Span

TOKEN = re.compile(r"\w+|[^\w\s]")
SENTENCE_END = frozenset(".!?")
CLOSERS = frozenset("\"'”’»)]")
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


@dataclass(frozen=True)
class Suggestion:
    span: Span
    labeller: str
    status: str = PENDING
    score: float | None = None


def _overlaps(a: Span, start: int, end: int) -> bool:
    return a.start < end and start < a.end


class TokenSelection:
    """A cursor on a text's tokens and an optional anchor: the tokens from one to the other are
    selected. The annotator labels with it, and the reviewer draws a span no annotator gave."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.cursor = 0
        self.anchor: int | None = None

    def move(self, steps: int, extend: bool = False) -> None:
        """By token; with extend, the selection grows from where it started."""
        self._select(extend)
        self.cursor = max(0, min(len(self.tokens) - 1, self.cursor + steps))

    def move_to(self, position: int) -> None:
        """To the token at (or the last one before) character `position`."""
        self._select(False)
        starts = [token.start for token in self.tokens]
        self.cursor = max(0, bisect.bisect_right(starts, position) - 1)

    def _select(self, extend: bool) -> None:
        if extend and self.anchor is None:
            self.anchor = self.cursor
        elif not extend and self.anchor is not None and not self._marking:
            self.anchor = None

    _marking = False

    def mark(self) -> None:
        """Start (or drop) a selection at the cursor; moving then extends it."""
        if self.anchor is None:
            self.anchor, self._marking = self.cursor, True
        else:
            self.anchor, self._marking = None, False

    @property
    def selection(self) -> tuple[int, int] | None:
        """Character range of the selected tokens (cursor and anchor included)."""
        if self.anchor is None:
            return None
        first, last = sorted((self.anchor, self.cursor))
        return self.tokens[first].start, self.tokens[last].end

    @property
    def token(self) -> Token:
        return self.tokens[self.cursor]

    @property
    def covered(self) -> tuple[int, int]:
        """Character range of the selection, or of the token at the cursor when none."""
        return self.selection or (self.token.start, self.token.end)


class AnnotationState(TokenSelection):
    """One document being labelled. Spans never overlap: a new span replaces what it covers."""

    def __init__(
        self,
        text: str,
        targets: Sequence[str],
        stance_labels: Sequence[str],
        suggestions: Sequence[Prelabel] = (),
    ):
        super().__init__(tokenize(text) or [Token(0, 0, "")])
        self.text = text
        self.targets = list(targets)
        self.stance_labels = list(stance_labels)
        self.spans: list[Span] = []
        self.stances: dict[str, str] = {}
        self.target = 0
        self.suggestions = [
            Suggestion(
                Span(p.start, p.end, p.label, text[p.start : p.end]), p.labeller, score=p.score
            )
            for p in suggestions
            if p.kind == "entity" and p.start is not None and p.end is not None
        ]
        self.suggested_stances: dict[str, str] = {
            p.target: p.label
            for p in suggestions
            if p.kind == "stance" and p.target is not None and p.target in targets
        }
        self._undo: list[dict[str, Any]] = []

    # --- moving ---------------------------------------------------------------------------

    def move_word(self, steps: int, extend: bool = False) -> None:
        """By word: punctuation tokens are passed over."""
        self._select(extend)
        step = 1 if steps > 0 else -1
        for _ in range(abs(steps)):
            position = self.cursor + step
            while 0 <= position < len(self.tokens) and not self.tokens[position].is_word:
                position += step
            if 0 <= position < len(self.tokens):
                self.cursor = position

    def move_sentence(self, steps: int) -> None:
        """To the first token of the next (or this / previous) sentence."""
        self.anchor = None
        starts = [0] + [
            self._past_closers(i + 1)
            for i, token in enumerate(self.tokens[:-1])
            if token.text in SENTENCE_END and not self._inside_word(token)
        ]
        if steps > 0:
            later = [s for s in starts if s > self.cursor]
            self.cursor = later[0] if later else self.cursor
        else:
            earlier = [s for s in starts if s < self.cursor]
            self.cursor = earlier[-1] if earlier else 0

    def _inside_word(self, token: Token) -> bool:
        """'.' in 3.5 or example.org is no sentence end: a letter or digit follows at once."""
        following = self.text[token.end : token.end + 1]
        return following.isalnum()

    def _past_closers(self, position: int) -> int:
        """A sentence starts after the quote marks and brackets that close the one before."""
        while position < len(self.tokens) - 1 and self.tokens[position].text in CLOSERS:
            position += 1
        return position

    # --- spans ----------------------------------------------------------------------------

    def span_at_cursor(self) -> Span | None:
        token = self.token
        return next((s for s in self.spans if _overlaps(s, token.start, token.end)), None)

    def suggestion_at_cursor(self) -> int | None:
        token = self.token
        return next(
            (
                i
                for i, s in enumerate(self.suggestions)
                if s.status == PENDING and _overlaps(s.span, token.start, token.end)
            ),
            None,
        )

    def label(self, label: str) -> Span | None:
        """Label the selection; with none, relabel the span under the cursor or label the
        token. Whatever the new span covers is replaced."""
        if self.selection is not None:
            start, end = self.selection
        elif (current := self.span_at_cursor()) is not None:
            start, end = current.start, current.end
        elif self.token.text:
            start, end = self.token.start, self.token.end
        else:
            return None
        self._remember()
        span = Span(start, end, label, self.text[start:end])
        self._place(span)
        # A hand-made span settles the suggestions it covers: taken as they were when it is the
        # same span, else counted as changed (suggestion_use tells the two apart).
        self.suggestions = [
            replace(s, status=ACCEPTED)
            if s.status == PENDING and _overlaps(s.span, start, end)
            else s
            for s in self.suggestions
        ]
        self.anchor, self._marking = None, False
        return span

    def clear_selection(self) -> bool:
        had = self.anchor is not None
        self.anchor, self._marking = None, False
        return had

    def _place(self, span: Span) -> None:
        self.spans = sorted(
            [s for s in self.spans if not _overlaps(s, span.start, span.end)] + [span],
            key=lambda s: (s.start, s.end),
        )

    def remove_at_cursor(self) -> bool:
        span = self.span_at_cursor()
        if span is None:
            return False
        self._remember()
        self.spans.remove(span)
        return True

    def accept_at_cursor(self) -> bool:
        index = self.suggestion_at_cursor()
        if index is None:
            return False
        self._remember()
        self._accept(index)
        return True

    def _accept(self, index: int) -> None:
        suggestion = self.suggestions[index]
        self._place(suggestion.span)
        self.suggestions[index] = replace(suggestion, status=ACCEPTED)

    def pending_counts(self) -> tuple[int, int]:
        """(suggested spans pending, suggested stances not set yet): what `accept_all` takes."""
        spans = sum(s.status == PENDING for s in self.suggestions)
        stances = sum(t is not None and t not in self.stances for t in self.suggested_stances)
        return spans, stances

    def accept_all(self) -> int:
        """Accept every pending suggestion, and suggested stances not set yet (pending_counts
        says how many of each)."""
        pending = [i for i, s in enumerate(self.suggestions) if s.status == PENDING]
        stances = {
            target: label
            for target, label in self.suggested_stances.items()
            if target is not None and target not in self.stances
        }
        if not pending and not stances:
            return 0
        self._remember()
        for index in pending:
            self._accept(index)
        self.stances.update(stances)
        return len(pending) + len(stances)

    def reject_at_cursor(self) -> bool:
        index = self.suggestion_at_cursor()
        if index is None:
            return False
        self._remember()
        self.suggestions[index] = replace(self.suggestions[index], status=REJECTED)
        return True

    # --- stance ---------------------------------------------------------------------------

    def next_target(self) -> None:
        self.target = (self.target + 1) % max(len(self.targets), 1)  # 0 targets: no stance

    def set_stance(self, number: int) -> str | None:
        """Set the focused target's stance to the label with this 1-based number."""
        if not self.targets or not 1 <= number <= len(self.stance_labels):
            return None
        self._remember()
        label = self.stance_labels[number - 1]
        self.stances[self.targets[self.target]] = label
        return label

    # --- undo and drafts ------------------------------------------------------------------

    def _remember(self) -> None:
        self._undo.append(self.snapshot())

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.restore(self._undo.pop(), keep_undo=True)
        return True

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to resume: saved as a draft after every change."""
        return {
            "cursor": self.cursor,
            "target": self.target,
            "spans": [[s.start, s.end, s.label] for s in self.spans],
            "stances": dict(self.stances),
            "statuses": [s.status for s in self.suggestions],
            # The suggestions it opened with: a retrained labeller never changes them under
            # the annotator's cursor; a document not opened yet shows the newest.
            "suggestions": [
                [s.span.start, s.span.end, s.span.label, s.labeller, s.score]
                for s in self.suggestions
            ],
            "suggested_stances": dict(self.suggested_stances),
        }

    def restore(self, saved: dict[str, Any], keep_undo: bool = False) -> None:
        self.cursor = min(int(saved["cursor"]), len(self.tokens) - 1)
        self.target = int(saved.get("target", 0)) % max(len(self.targets), 1)
        self.spans = [Span(s, e, label, self.text[s:e]) for s, e, label in saved["spans"]]
        self.stances = dict(saved["stances"])
        if "suggestions" in saved:
            self.suggestions = [
                Suggestion(Span(a, b, label, self.text[a:b]), labeller, score=score)
                for a, b, label, labeller, score in saved["suggestions"]
            ]
            self.suggested_stances = dict(saved.get("suggested_stances", {}))
        statuses = saved.get("statuses", [])
        if len(statuses) == len(self.suggestions):
            self.suggestions = [
                replace(s, status=status)
                for s, status in zip(self.suggestions, statuses, strict=True)
            ]
        self.anchor, self._marking = None, False
        if not keep_undo:
            self._undo.clear()

    def suggestion_use(self) -> dict[str, list[list[Any]]]:
        """Which suggestions were kept as they were, changed, rejected or left alone: spans
        under accepted, changed, ..., suggested stances under stances_accepted, ...changed
        (another stance set) and ...ignored (none set)."""
        final = {(s.start, s.end, s.label) for s in self.spans}
        use: dict[str, list[list[Any]]] = {
            "accepted": [],
            "changed": [],
            "rejected": [],
            "ignored": [],
        }
        for suggestion in self.suggestions:
            span = suggestion.span
            key = (span.start, span.end, span.label)
            if suggestion.status == ACCEPTED:
                kind = "accepted" if key in final else "changed"
            elif suggestion.status == REJECTED:
                kind = "rejected"
            else:
                kind = "ignored"
            use[kind].append([span.start, span.end, span.label, suggestion.labeller])
        for target, label in sorted((t, v) for t, v in self.suggested_stances.items() if t):
            chosen = self.stances.get(target)
            kind = "ignored" if chosen is None else ("accepted" if chosen == label else "changed")
            use[f"stances_{kind}"] = [*use.get(f"stances_{kind}", []), [target, label]]
        return use
