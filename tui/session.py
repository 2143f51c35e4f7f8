"""An annotator's session over the store: assigned documents paged one at a time, drafts saved
after every change, submissions stored as append-only annotations (origin `tui`)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any

from curate.domain.assign import assign
from curate.errors import UsageError
from curate.prelabel import trust
from curate.prelabel.uncertainty import queue_order
from curate.project import Project
from curate.records import Annotation, Document, StanceLabel
from curate.store import Store, queries
from curate.suggestions import shown
from tui.state import AnnotationState

ORIGIN = "tui"
Clock = Callable[[], float]  # seconds; tests pass one they move by hand


class Drafts:
    """Work in progress under .curate/drafts/<annotator>/: one JSON file a document plus the
    position, each written atomically so a crash leaves the previous version whole."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _write(self, name: str, value: Any) -> None:
        path = self.folder / name
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(value), encoding="utf-8")
        os.replace(scratch, path)

    def save(self, document_id: str, snapshot: dict[str, Any]) -> None:
        self._write(f"{document_id}.json", snapshot)

    def load(self, document_id: str) -> dict[str, Any] | None:
        path = self.folder / f"{document_id}.json"
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError):
            return None  # no draft, or one cut short: start from the store

    def discard(self, document_id: str) -> None:
        (self.folder / f"{document_id}.json").unlink(missing_ok=True)

    def position(self) -> str | None:
        found = self.load("position")
        return str(found["document"]) if found else None

    def set_position(self, document_id: str) -> None:
        self._write("position.json", {"document": document_id})


class ActiveTime:
    """Seconds of active labelling on one document: the gaps between the annotator's actions,
    leaving out any gap longer than the pause limit (they were away, not labelling)."""

    def __init__(self, pause_limit: float, clock: Clock):
        self.pause_limit, self.clock = pause_limit, clock
        self.seconds = 0.0
        self.last = clock()

    def touch(self) -> None:
        now = self.clock()
        if now - self.last <= self.pause_limit:
            self.seconds += now - self.last
        self.last = now

    def total(self) -> float:
        self.touch()
        return self.seconds


@dataclass
class Opened:
    document_id: str
    document: Document
    state: AnnotationState
    submitted: bool  # this annotator already stored a revision of it
    timer: ActiveTime = field(repr=False)
    skipped_reason: str | None = None  # their newest revision skipped it, saying why
    draft: bool = False  # opened from a draft not submitted yet (said so on screen)


class AnnotationSession:
    def __init__(self, project: Project, store: Store, annotator: str, clock: Clock = monotonic):
        settings = project.settings
        if annotator not in {a.name for a in settings.annotators}:
            names = ", ".join(a.name for a in settings.annotators) or "none"
            raise UsageError(
                f"{annotator!r} is not an annotator in curate.toml (listed: {names}); "
                "use --as NAME or add them under [[annotators]]"
            )
        self.project, self.store, self.annotator = project, store, annotator
        self.clock = clock
        self.guideline_version = project.guideline_version()
        self.drafts = Drafts(project.root / ".curate" / "drafts" / annotator)
        # What `curate train` measured as doing more harm than good is not shown.
        self.left_out = trust.in_use(project.labeller_context().models_dir).left_out
        with store.connect() as connection:
            self.assigned: list[str] = queries.assignments_of(connection, annotator)
        controls = settings.quality.control_fraction
        if not self.assigned or controls:
            # Nothing pushed yet (or controls to top up): assign as `curate push` would.
            everyone = [a.name for a in settings.annotators]
            assign(store, everyone, settings.assignment.overlap, control_fraction=controls)
            with store.connect() as connection:
                self.assigned = queries.assignments_of(connection, annotator)
        if not self.assigned:
            with store.connect() as connection:
                stored = len(queries.document_ids(connection))
            if not stored:
                raise UsageError("no documents to annotate; run `curate ingest` first")
            overlap = settings.assignment.overlap
            raise UsageError(
                f"{annotator} has no documents assigned: each of the {stored} stored documents "
                f"already has its {overlap} annotators ([assignment] overlap); raise the overlap "
                f"in curate.toml to give {annotator} a share, or ingest new documents"
            )
        with store.transaction() as connection:  # the queue's reasons are stored
            self.assigned = queue_order(connection, settings, project.root, self.assigned)
        with store.connect() as connection:
            self.done = queries.count_annotated(connection, annotator)
        resume = self.drafts.position() or ""
        self.index = self.assigned.index(resume) if resume in self.assigned else 0

    def progress(self) -> tuple[int, int]:
        """(documents submitted, documents assigned); counted once, then kept up to date."""
        return self.done, len(self.assigned)

    def open(self, index: int) -> Opened:
        """Load one document (never the whole list): draft first, else the last submission,
        else the suggestions."""
        self.index = max(0, min(len(self.assigned) - 1, index))
        document_id = self.assigned[self.index]
        settings = self.project.settings
        with self.store.connect() as connection:
            document = queries.get_document(connection, document_id)
            # Blind and control documents are labelled without suggestions.
            plain = document_id in queries.without_prelabels(
                connection, self.annotator, [document_id]
            )
            suggestions = [] if plain else queries.prelabels_for(connection, document_id)
            newest = queries.newest_of_annotator(connection, self.annotator, [document_id])
            last = newest.get(document_id)
        assert document is not None  # assignments reference stored documents
        state = AnnotationState(
            document.text,
            settings.target_names(),
            settings.stance.labels,
            shown(suggestions, settings.prelabel.labellers, self.left_out),
        )
        draft = self.drafts.load(document_id)
        if draft is not None:
            state.restore(draft)
        elif last is not None:
            state.restore(
                {
                    "cursor": 0,
                    "spans": [[s.start, s.end, s.label] for s in last.spans],
                    "stances": {s.target: s.label for s in last.stances},
                    "statuses": (last.suggestion_use or {}).get("statuses", []),
                }
            )
        self.drafts.set_position(document_id)
        skipped = last.skipped_reason if last is not None else None
        return Opened(
            document_id,
            document,
            state,
            last is not None,
            ActiveTime(settings.quality.pause_limit_seconds, self.clock),
            skipped,
            draft=draft is not None,
        )

    def save_draft(self, opened: Opened) -> None:
        self.drafts.save(opened.document_id, opened.state.snapshot())

    def submit(self, opened: Opened, skipped_reason: str | None = None) -> Annotation:
        """Store a new revision (append-only) and drop the draft."""
        state = opened.state
        use = state.suggestion_use()
        annotation = Annotation(
            document_id=opened.document_id,
            annotator=self.annotator,
            origin=ORIGIN,
            spans=() if skipped_reason else tuple(state.spans),
            stances=()
            if skipped_reason
            else tuple(StanceLabel(t, label) for t, label in state.stances.items()),
            skipped_reason=skipped_reason,
            lead_time_seconds=round(opened.timer.total(), 3),
            from_prelabel=bool(use["accepted"] or use["changed"]),
            prelabel_changed=bool(use["changed"] or use["rejected"]),
            suggestion_use=use | {"statuses": [s.status for s in state.suggestions]},
            guideline_version=self.guideline_version,
        )
        with self.store.transaction() as connection:
            stored = queries.add_annotation(connection, annotation)
        self.drafts.discard(opened.document_id)
        if not opened.submitted:
            opened.submitted = True
            self.done += 1
        return stored
