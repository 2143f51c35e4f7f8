"""The reviewer's side of the store, without Textual (as tui/session.py is the annotator's):
the queue, each document's alignment, storing a decision, and drafts of choices not stored."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from curate.adjudicate.auto import require_known_labels
from curate.adjudicate.review import Alignment, align, decide, review_queue
from curate.errors import CurateError
from curate.project import Project
from curate.store import Store, queries
from tui.resolution import Resolution
from tui.session import Drafts


class ReviewSession:
    def __init__(self, project: Project, store: Store, reviewer: str):
        self.project, self.store, self.reviewer = project, store, reviewer
        self.settings = project.settings
        # Choices not stored yet survive a crash or a refused store: restored with a notice.
        self.drafts = Drafts(project.root / ".curate" / "review-drafts" / reviewer)
        self.skipped: set[str] = set()  # documents passed over with ] in this session
        self.unstored: set[str] = set()  # documents whose decision the store refused
        with store.connect() as connection:
            queued = [entry.document_id for entry in review_queue(connection)]
            found = queries.newest_evidence(connection, queued) if queued else []
        require_known_labels(found, self.settings, f"review --as {reviewer}")

    def next(self) -> tuple[Alignment | None, int]:
        """The first queued document not skipped, aligned (None when there is none), and how
        many are queued."""
        with self.store.connect() as connection:
            queue = [e for e in review_queue(connection) if e.document_id not in self.skipped]
            alignment = align(connection, self.settings, queue[0].document_id) if queue else None
        return alignment, len(queue)

    def decide(self, resolution: Resolution) -> None:
        """Store the decision. Its choices are a draft until the store takes it; a refusal
        (CurateError, DBAPIError) is raised with the draft kept."""
        document_id = resolution.alignment.document_id
        self.drafts.save(document_id, resolution.snapshot())
        try:
            with self.store.transaction() as connection:
                decide(
                    connection,
                    self.settings,
                    document_id,
                    self.reviewer,
                    resolution.spans(),
                    resolution.decided_stances(),
                    note=resolution.note,
                    guideline_version=self.project.guideline_version(),
                )
        except (CurateError, DBAPIError):
            self.unstored.add(document_id)
            raise
        self.unstored.discard(document_id)
        self.drafts.discard(document_id)
