"""A reviewer's resolution of one document, without Textual: for each aligned span group and
each stance target, which version becomes gold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from curate.adjudicate.review import Alignment
from curate.records import Span

UNDECIDED = object()  # a conflict nobody has resolved yet (None means "no span here")


class Resolution:
    def __init__(self, alignment: Alignment, shown_as: Callable[[str], str] = str):
        """shown_as: how messages name an annotator (the reports' pseudonym unless the reviewer
        asked for real names)."""
        self.alignment = alignment
        self.shown_as = shown_as
        self.annotators = list(alignment.annotators)
        self.groups = list(alignment.groups)
        self.chosen: list[object] = []
        for group in self.groups:
            versions = [v for v in group.versions.values() if v is not None]
            self.chosen.append(versions[0] if not group.conflicts else UNDECIDED)
        self.stances: dict[str, str | None] = {}
        for row in alignment.stances:
            given = {v for v in row.versions.values() if v is not None}
            if row.decided is not None:
                self.stances[row.target] = row.decided
            elif len(given) == 1 and not row.conflicts:
                self.stances[row.target] = given.pop()
        self.group = self.first_open() or 0
        # Stance rows a rule settled (the annotators agreed) that the reviewer reopened, after
        # confirming: only open or reopened rows take focus, so no stray key changes the rest.
        self.reopened: set[str] = set()
        focusable = self.focusable_rows()
        self.row = focusable[0] if focusable else 0
        self.on_stances = False
        self.note: str | None = None
        self.added: list[Span] = []  # spans the reviewer drew that no annotator gave
        self.changed = False  # the reviewer chose something not stored yet

    # --- where the reviewer is ------------------------------------------------------------

    def open_groups(self) -> list[int]:
        return [i for i, chosen in enumerate(self.chosen) if chosen is UNDECIDED]

    def open_stances(self) -> list[str]:
        return [
            row.target
            for row in self.alignment.stances
            if row.conflicts and row.target not in self.stances
        ]

    def first_open(self) -> int | None:
        found = self.open_groups()
        return found[0] if found else None

    def settled(self, target: str) -> bool:
        """A stance row whose gold a rule holds (the annotators agreed), not reopened."""
        row = next(r for r in self.alignment.stances if r.target == target)
        return (row.decided is not None or not row.conflicts) and target not in self.reopened

    def focusable_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.alignment.stances) if not self.settled(r.target)]

    def focusable_groups(self) -> list[int]:
        return [i for i, g in enumerate(self.groups) if g.conflicts]

    def step(self, steps: int) -> None:
        """Move between open items only: a settled one is reached by reopening it."""
        rows = self.focusable_rows() if self.on_stances else self.focusable_groups()
        at = self.row if self.on_stances else self.group
        if not rows:
            return
        place = rows.index(at) if at in rows else 0
        chosen = rows[(place + steps) % len(rows)]
        if self.on_stances:
            self.row = chosen
        else:
            self.group = chosen

    def toggle_focus(self) -> None:
        rows = self.focusable_rows()
        self.on_stances = not self.on_stances and bool(rows)
        if self.on_stances and self.row not in rows:
            self.row = rows[0]

    def reopenable(self) -> list[str]:
        """Settled stance targets, in order, the one after the focused row first."""
        targets = [r.target for r in self.alignment.stances if self.settled(r.target)]
        after = [t for t in targets if self._index(t) > self.row] if self.on_stances else []
        return after + [t for t in targets if t not in after]

    def agreed(self, target: str) -> str:
        """What the annotators (or the rule) settled for target, in words."""
        row = self.alignment.stances[self._index(target)]
        given = [f"{self.shown_as(w)}: {v or 'no stance'}" for w, v in row.versions.items()]
        return f"{target} = {row.decided or 'no stance'} ({', '.join(given)})"

    def reopen(self, target: str) -> str:
        self.reopened.add(target)
        self.on_stances, self.row = True, self._index(target)
        return f"{target} reopened: what you choose replaces what the annotators agreed"

    def _index(self, target: str) -> int:
        return [r.target for r in self.alignment.stances].index(target)

    # --- choosing -------------------------------------------------------------------------

    def take(self, number: int) -> str | None:
        """Take annotator `number`'s (1-based) version of the focused group or stance."""
        if not 1 <= number <= len(self.annotators):
            return None
        who = self.annotators[number - 1]
        if self.on_stances:
            row = self.alignment.stances[self.row]
            if self.settled(row.target):
                return None
            label = row.versions.get(who)
            if label is None:
                return None
            self.stances[row.target] = label
            self.changed = True
            return f"{row.target}: {label} ({self.shown_as(who)})"
        if not self.groups:
            return None
        span = self.groups[self.group].versions.get(who)
        self.chosen[self.group] = span
        self.changed = True
        name = self.shown_as(who)
        return f"{name}'s version: " + (f"{span.label} {span.text!r}" if span else "no span")

    def drop(self) -> None:
        if self.groups and not self.on_stances:
            self.chosen[self.group] = None
            self.changed = True

    def relabel(self, label: str) -> str | None:
        """Edit: give the chosen span of the focused group another label."""
        if self.on_stances or not self.groups:
            return None
        chosen = self.chosen[self.group]
        if not isinstance(chosen, Span):
            return None
        self.chosen[self.group] = replace(chosen, label=label)
        self.changed = True
        return f"relabelled {label}"

    def cycle_stance(self, labels: list[str]) -> str | None:
        """Any stance for the focused target, whether or not an annotator chose it."""
        if not self.on_stances or not self.alignment.stances:
            return None
        row = self.alignment.stances[self.row]
        if self.settled(row.target):
            return None
        current = self.stances.get(row.target)
        following = (
            labels[(labels.index(current) + 1) % len(labels)] if current in labels else labels[0]
        )
        self.stances[row.target] = following
        self.changed = True
        return f"{row.target}: {following} (your choice)"

    def add(self, span: Span) -> str:
        """A span no annotator gave. Gold spans never overlap: refused over one."""
        for other in self.spans():
            if other.start < span.end and span.start < other.end:
                return f"{span.text!r} overlaps {other.label} {other.text!r}; nothing added"
        self.added.append(span)
        self.changed = True
        return f"added {span.label} {span.text!r} (yours)"

    def remove_added(self, position: int) -> str | None:
        """Take back a drawn span that covers text offset `position`."""
        for span in self.added:
            if span.start <= position < span.end:
                self.added.remove(span)
                self.changed = True
                return f"removed {span.label} {span.text!r}"
        return None

    def next_open(self) -> bool:
        """Focus the next undecided item: span groups after this one, then undecided stances,
        then span groups from the top. False when nothing is left."""
        groups = self.open_groups()
        later = [i for i in groups if not self.on_stances and i > self.group]
        if later:
            self.group = later[0]
            return True
        targets = [row.target for row in self.alignment.stances]
        waiting = [targets.index(t) for t in self.open_stances()]
        if waiting:
            ahead = [i for i in waiting if not self.on_stances or i > self.row]
            self.on_stances, self.row = True, (ahead or waiting)[0]
            return True
        if groups:
            self.on_stances, self.group = False, groups[0]
            return True
        return False

    def spans(self) -> list[Span]:
        """The document's gold: spans a rule settled plus the reviewer's choices."""
        chosen = [c for c in self.chosen if isinstance(c, Span)]
        every = {*self.alignment.agreed_spans, *chosen, *self.added}
        return sorted(every, key=lambda s: (s.start, s.end))

    def decided_stances(self) -> dict[str, str]:
        return {t: label for t, label in self.stances.items() if label is not None}

    def left(self) -> int:
        return len(self.open_groups()) + len(self.open_stances())

    # --- drafts ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The reviewer's choices, as JSON: saved when a decision cannot be stored."""

        def choice(chosen: object) -> Any:
            if chosen is UNDECIDED:
                return "undecided"
            return _span_list(chosen) if isinstance(chosen, Span) else None

        return {
            "annotation_ids": list(self.alignment.annotation_ids),
            "chosen": [choice(c) for c in self.chosen],
            "stances": self.stances,
            "note": self.note,
            "added": [_span_list(s) for s in self.added],
        }

    def restore(self, draft: dict[str, Any]) -> bool:
        """Take a draft's choices back; False (nothing taken) when the annotations it was made
        on have changed since."""
        if draft.get("annotation_ids") != list(self.alignment.annotation_ids) or len(
            draft.get("chosen", [])
        ) != len(self.chosen):
            return False
        text = self.alignment.document.text
        self.chosen = [
            UNDECIDED if c == "undecided" else (_span_of(c, text) if c else None)
            for c in draft["chosen"]
        ]
        self.stances = dict(draft.get("stances", {}))
        self.note = draft.get("note")
        self.added = [_span_of(s, text) for s in draft.get("added", [])]
        self.group = self.first_open() or 0
        self.changed = True
        return True


def _span_list(span: Span) -> list[Any]:
    return [span.start, span.end, span.label]


def _span_of(item: list[Any], text: str) -> Span:
    start, end, label = item
    return Span(start, end, label, text[start:end])
