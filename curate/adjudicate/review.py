"""The review queue: open items, lowest agreement first; the annotators' versions aligned with
typed conflicts; and the reviewer's decision, stored with their name and note."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from curate.config import Settings
from curate.errors import InputError
from curate.offsets import check_span
from curate.records import Annotation, Decision, Document, Span
from curate.store import queries
from curate.store.current import (
    HUMAN,
    REVIEWER,
    REVIEWER_OVERRIDE,
    current_decisions,
    is_open,
)

# Conflict types, in the order a reviewer is shown them.
LABEL, BOUNDARY, MISSING, STANCE = "label", "boundary", "missing", "stance"


@dataclass(frozen=True)
class QueueEntry:
    document_id: str
    score: float | None  # per-document agreement; None when not measured yet
    open_items: tuple[str, ...]  # "entities (3 open)", "stance:Iran", ...


def review_queue(connection: Connection) -> list[QueueEntry]:
    """Documents with an open item, lowest agreement first (unmeasured last, then by id)."""
    decided = queries.decided_documents(connection)
    newest = current_decisions(connection, sorted(decided))
    open_items: dict[str, list[str]] = {}
    for (document_id, kind, target), decision in sorted(newest.items(), key=str):
        if is_open(decision):
            spans = len(decision.payload.get("open", []))
            name = f"entities ({spans} open)" if kind == "entity" else f"stance:{target}"
            call = weighted_call(decision)
            open_items.setdefault(document_id, []).append(f"{name} ({call})" if call else name)
    scores = queries.document_scores(connection)
    entries = [QueueEntry(d, scores.get(d), tuple(items)) for d, items in open_items.items()]
    return sorted(
        entries,
        key=lambda e: (e.score is None, e.score if e.score is not None else 0, e.document_id),
    )


def weighted_call(decision: Decision) -> str:
    """A weighted policy's call on a stance beside what majority says ("" without one)."""
    posterior = decision.payload.get("posterior")
    if not posterior:
        return ""
    best = max(posterior, key=posterior.get)
    majority = decision.payload.get("majority") or "none"
    return f"weighted {best} {posterior[best]:.2f}, majority {majority}"


def next_document(connection: Connection) -> QueueEntry | None:
    queue = review_queue(connection)
    return queue[0] if queue else None


@dataclass(frozen=True)
class SpanGroup:
    """Overlapping spans from different annotators: each one's version (None if they had none)."""

    versions: Mapping[str, Span | None]
    conflicts: tuple[str, ...]  # empty when everyone marked the same span

    @property
    def start(self) -> int:
        return min(s.start for s in self.versions.values() if s is not None)


@dataclass(frozen=True)
class StanceRow:
    target: str
    versions: Mapping[str, str | None]
    conflicts: tuple[str, ...]
    decided: str | None  # the current gold label, if any
    weighted: str = ""  # a weighted policy's call beside majority's, when it left it open


@dataclass(frozen=True)
class Alignment:
    document_id: str
    document: Document
    annotators: tuple[str, ...]
    annotation_ids: tuple[int, ...]
    groups: tuple[SpanGroup, ...]
    stances: tuple[StanceRow, ...]
    score: float | None
    # Gold spans a rule settled, outside the groups shown: kept as they are, with their method.
    agreed_spans: tuple[Span, ...] = field(default=())


def align(connection: Connection, settings: Settings, document_id: str) -> Alignment:
    document = queries.get_document(connection, document_id)
    if document is None:
        raise InputError(f"no document {document_id}; `curate adjudicate` lists the queue")
    found = [
        a for a in queries.newest_evidence(connection, [document_id]) if a.skipped_reason is None
    ]
    annotators = tuple(a.annotator for a in found)
    newest = current_decisions(connection, [document_id])
    entity = newest.get((document_id, "entity", None))
    groups = group_spans(found)
    if entity is not None:
        # A rule already settled part (or all) of the spans: show the reviewer only the rest.
        undecided = {_key(s) for s in entity.payload.get("open", [])}
        groups = [g for g in groups if any(_key(v) in undecided for v in g.versions.values())]
    in_review = {_key(v) for g in groups for v in g.versions.values() if v is not None}
    agreed = tuple(
        Span(s["start"], s["end"], s["label"], s["text"])
        for s in (entity.payload.get("spans", []) if entity else [])
        if _key(s) not in in_review
    )
    stances = []
    for target in settings.target_names():
        versions = {
            a.annotator: next((s.label for s in a.stances if s.target == target), None)
            for a in found
        }
        given = {label for label in versions.values() if label is not None}
        conflicts = (
            (STANCE,)
            if len(given) > 1
            else ((MISSING,) if None in versions.values() and given else ())
        )
        decision = newest.get((document_id, "stance", target))
        label = decision.payload.get("label") if decision else None
        call = weighted_call(decision) if decision else ""
        stances.append(StanceRow(target, versions, conflicts, label, call))
    return Alignment(
        document_id=document_id,
        document=document,
        annotators=annotators,
        annotation_ids=tuple(sorted(a.id for a in found if a.id is not None)),
        groups=tuple(groups),
        stances=tuple(stances),
        score=queries.document_scores(connection, document_id).get(document_id),
        agreed_spans=agreed,
    )


def _key(span: Span | Mapping[str, Any] | None) -> tuple[int, int, str] | None:
    if span is None:
        return None
    if isinstance(span, Span):
        return span.start, span.end, span.label
    return span["start"], span["end"], span["label"]


def group_spans(found: Sequence[Annotation]) -> list[SpanGroup]:
    """Cluster spans that overlap across annotators (transitively), then type each cluster."""
    spans = sorted(
        ((s, a.annotator) for a in found for s in set(a.spans)),
        key=lambda x: (x[0].start, x[0].end),
    )
    clusters: list[list[tuple[Span, str]]] = []
    reach = -1
    for span, annotator in spans:
        if clusters and span.start < reach:
            clusters[-1].append((span, annotator))
            reach = max(reach, span.end)
        else:
            clusters.append([(span, annotator)])
            reach = span.end
    groups = []
    for cluster in clusters:
        for versions in _split_by_annotator(cluster, [a.annotator for a in found]):
            present = [s for s in versions.values() if s is not None]
            conflicts = []
            if len({s.label for s in present}) > 1:
                conflicts.append(LABEL)
            if len({(s.start, s.end) for s in present}) > 1:
                conflicts.append(BOUNDARY)
            if len(present) < len(versions):
                conflicts.append(MISSING)
            groups.append(SpanGroup(versions, tuple(conflicts)))
    return groups


def _split_by_annotator(
    cluster: list[tuple[Span, str]], annotators: list[str]
) -> list[dict[str, Span | None]]:
    """One row per k-th span of each annotator in the cluster (most clusters hold one each)."""
    per: dict[str, list[Span]] = {a: [] for a in annotators}
    for span, annotator in cluster:
        per[annotator].append(span)
    rows = max(len(spans) for spans in per.values())
    return [
        {a: (spans[k] if k < len(spans) else None) for a, spans in per.items()} for k in range(rows)
    ]


def decide(
    connection: Connection,
    settings: Settings,
    document_id: str,
    reviewer: str,
    spans: Sequence[Span],
    stances: Mapping[str, str],
    note: str | None = None,
    guideline_version: str | None = None,
) -> list[int]:
    """Record a reviewer's resolution of a document: its whole gold span list and the stance of
    each given target. Spans are checked against the text; labels against curate.toml.

    Only what changes is recorded: a stance that already holds this label is left alone, and a
    gold span a rule had settled keeps its method; everything else is the reviewer's. Changing
    what a rule settled (the annotators agreed) is recorded as REVIEWER_OVERRIDE, with the
    decision it replaces."""
    _check_resolution(connection, settings, document_id, spans, stances)
    based_on = tuple(
        sorted(a.id for a in queries.newest_evidence(connection, [document_id]) if a.id)
    )
    current = current_decisions(connection, [document_id])
    items = _entity_items(current.get((document_id, "entity", None)), spans)
    for name, label in stances.items():
        items += _stance_items(current.get((document_id, "stance", name)), name, label)
    ids = []
    for kind, target, method, content in items:
        decision = Decision(
            document_id=document_id,
            kind=kind,
            target=target,
            method=method,
            decided_by=reviewer,
            payload=content,
            based_on=based_on,
            note=note,
            guideline_version=guideline_version,
        )
        ids.append(queries.add_decision(connection, decision))
    return ids


# What a resolution records: (kind, target, method, payload) per decision.
_Item = tuple[str, str | None, str, dict[str, Any]]


def _check_resolution(
    connection: Connection,
    settings: Settings,
    document_id: str,
    spans: Sequence[Span],
    stances: Mapping[str, str],
) -> None:
    document = queries.get_document(connection, document_id)
    if document is None:
        raise InputError(f"no document {document_id}; `curate adjudicate` lists the queue")
    known = set(settings.entity_label_names())
    for span in spans:
        check_span(document.text, span.start, span.end, span.text, f"document {document_id}")
        if span.label not in known:
            raise InputError(
                f"label {span.label!r} is not in curate.toml; use one of {sorted(known)}"
            )
    for name, label in stances.items():
        if name not in settings.target_names():
            raise InputError(f"stance target {name!r} is not in curate.toml")
        if label not in settings.stance.labels:
            raise InputError(f"stance {label!r} is not one of {settings.stance.labels}")


def _entity_items(entity: Decision | None, spans: Sequence[Span]) -> list[_Item]:
    """The gold span list, unless it is what is settled already; a span a rule settled keeps
    its method, and dropping or changing one is an override that names what it replaces."""
    settled: dict[tuple[int, int, str] | None, str] = {}
    if entity is not None:
        settled = {_key(s): s.get("method", entity.method) for s in entity.payload["spans"]}
    ruled = {k: m for k, m in settled.items() if m not in HUMAN}
    chosen = {_key(s) for s in spans}
    gone = sorted(k for k in ruled if k is not None and k not in chosen)
    if entity is not None and not is_open(entity) and set(settled) == chosen:
        return []
    replaced = [
        {"start": a, "end": b, "label": label, "method": ruled[(a, b, label)]}
        for a, b, label in gone
    ]

    def method_of(span: Span) -> str:
        if _key(span) in settled:
            return settled[_key(span)]
        overlaps = any(a < span.end and span.start < b for a, b, _ in gone)
        return REVIEWER_OVERRIDE if overlaps else REVIEWER

    payload = [
        {"start": s.start, "end": s.end, "label": s.label, "text": s.text, "method": method_of(s)}
        for s in sorted(set(spans), key=lambda s: (s.start, s.end, s.label))
    ]
    content: dict[str, Any] = {"spans": payload}
    if replaced:
        content["replaces"] = replaced
    return [("entity", None, REVIEWER_OVERRIDE if replaced else REVIEWER, content)]


def _stance_items(held: Decision | None, target: str, label: str) -> list[_Item]:
    """The stance, unless it already holds; changing what a rule settled is an override."""
    if held is None or is_open(held):
        return [("stance", target, REVIEWER, {"label": label})]
    if held.payload.get("label") == label:
        return []
    if held.method in HUMAN:
        return [("stance", target, REVIEWER, {"label": label})]
    was = {"method": held.method, "label": held.payload.get("label")}
    return [("stance", target, REVIEWER_OVERRIDE, {"label": label, "replaces": was})]
