"""Pre-labelling: run labellers over documents they have not seen and store their suggestions
apart from human annotations, each checked against the text first."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from curate.config import Settings
from curate.errors import CurateError, UsageError
from curate.locks import one_run_at_a_time
from curate.offsets import check_span
from curate.prelabel.base import Labeller, LabellerContext
from curate.prelabel.registry import check_names, create
from curate.prelabel.workers import Labelled, in_process, in_workers
from curate.records import EXPECTED_CORRECTIONS, Document, Prelabel
from curate.store import Store, queries


@dataclass
class LabellerReport:
    labeller: str
    documents: int = 0
    suggestions: int = 0
    already_done: int = 0
    error: str | None = None


@dataclass
class PrelabelReport:
    labellers: list[LabellerReport] = field(default_factory=list)

    @property
    def failed(self) -> list[LabellerReport]:
        return [r for r in self.labellers if r.error]


def check_suggestions(
    suggestions: Sequence[Prelabel],
    documents: Sequence[Document],
    settings: Settings,
    labeller: str,
) -> None:
    """Refuse the whole batch if any suggestion does not fit its document or the project."""
    texts = {d.id: d.text for d in documents}
    labels, targets = set(settings.entity_label_names()), set(settings.target_names())
    stances = set(settings.stance.labels)
    for s in suggestions:
        where = f"{labeller} on {s.document_id}"
        if s.document_id not in texts:
            raise UsageError(f"{where}: suggestion for a document it was not given")
        if s.kind == "entity":
            if s.label not in labels or s.start is None or s.end is None or s.text is None:
                raise UsageError(f"{where}: entity suggestion {s.label!r} is incomplete or unknown")
            check_span(texts[s.document_id], s.start, s.end, s.text, where)
        elif s.kind != "stance" or s.target not in targets or s.label not in stances:
            raise UsageError(f"{where}: stance suggestion {s.target!r}={s.label!r} is unknown")


def run_labeller(
    store: Store,
    labeller: Labeller,
    settings: Settings,
    progress: Callable[[int], None] | None = None,
    labelled: Iterator[Labelled] | None = None,
) -> LabellerReport:
    """Label every document this labeller version has not seen; one transaction a batch.
    labelled: the batches (pending_batches) as labelled elsewhere (worker processes, a Ray
    cluster); by default the labeller runs here."""
    report = LabellerReport(labeller.version)
    if labelled is None:
        labelled = in_process(labeller, pending_batches(store, labeller.version, settings))
    for batch, found in labelled:
        expected = {s.document_id: s.score for s in found if s.kind == EXPECTED_CORRECTIONS}
        suggestions = [s for s in found if s.kind != EXPECTED_CORRECTIONS]
        check_suggestions(suggestions, batch, settings, labeller.name)
        counts = {d.id: 0 for d in batch}
        for s in suggestions:
            counts[s.document_id] += 1
        with store.transaction() as connection:
            queries.insert_prelabels(connection, suggestions)
            queries.record_prelabel_runs(connection, labeller.version, counts, expected)
        report.documents += len(batch)
        report.suggestions += len(suggestions)
        if progress is not None:
            progress(len(batch))
    return report


def pending_batches(store: Store, version: str, settings: Settings) -> Iterator[list[Document]]:
    """The documents this labeller version has not seen, a batch at a time, by id."""
    after, size = "", settings.prelabel.batch_size * 4
    while True:
        with store.connect() as connection:
            batch = queries.documents_not_run(connection, version, after, size)
        if not batch:
            return
        yield batch
        after = max(d.id for d in batch)


def _bind(
    progress: Callable[[str, int, int], None] | None, version: str, pending: int
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda count: progress(version, count, pending)


def prelabel(
    store: Store,
    context: LabellerContext,
    names: Sequence[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = 1,
    engine: str = "local",
    address: str = "auto",
) -> PrelabelReport:
    """Run the named labellers (default: curate.toml's list): here with `workers` processes,
    or with engine "ray" on the Ray cluster at `address` (`workers` actors; None: one per CPU
    of the cluster).

    progress(labeller version, documents just labelled, documents it has to label).
    """
    names = list(names or context.settings.prelabel.labellers)
    check_names(names)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: give 1 or more worker processes")
    if engine not in ("local", "ray"):
        raise UsageError(f"--engine {engine!r}: choose local or ray")
    # Two runs would label the same documents and collide on insert: the second is refused.
    with one_run_at_a_time(context.root, "prelabel", "run this again to label what is left"):
        return _prelabel(store, context, names, progress, workers, engine, address)


def _prelabel(
    store: Store,
    context: LabellerContext,
    names: list[str],
    progress: Callable[[str, int, int], None] | None,
    workers: int | None,
    engine: str,
    address: str,
) -> PrelabelReport:
    report = PrelabelReport()
    with store.connect() as connection:
        total = int(queries.stage_counts(connection)["documents"])
    for name in names:
        labeller = create(name, context)
        with store.connect() as connection:
            pending = queries.count_documents_not_run(connection, labeller.version)
        if progress is not None:
            progress(labeller.version, 0, pending)
        advance = _bind(progress, labeller.version, pending)
        batches = pending_batches(store, labeller.version, context.settings)
        labelled = None
        if engine == "ray" and pending:
            from curate.prelabel.ray_engine import in_ray  # Ray is an optional extra

            labelled = in_ray(name, context, batches, address, workers)
        elif (workers or 1) > 1 and pending > context.settings.prelabel.batch_size * 4:
            labelled = in_workers(name, context, workers or 1, batches)
        try:
            result = run_labeller(store, labeller, context.settings, advance, labelled)
        except CurateError as error:
            result = LabellerReport(
                labeller.version, error=f"{error}; nothing from that batch was stored"
            )
        result.already_done = total - pending
        report.labellers.append(result)
    return report
