"""Score a labeller or an annotator against gold: the store's adjudicated labels or a gold file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from curate.agreement.spans import SpanComparison, SpanKey, compare_exact, compare_overlap
from curate.agreement.stance import StanceScores, score_stance
from curate.errors import UsageError
from curate.ingest.gold import GoldDocument, read_conll, read_gold_jsonl
from curate.prelabel.base import LabellerContext
from curate.prelabel.merge import merge_entities
from curate.prelabel.registry import create
from curate.records import Prelabel, Span
from curate.store import Store, queries


@dataclass
class Evaluation:
    system: str
    documents: int
    exact: SpanComparison
    overlap: SpanComparison
    stance: dict[str, StanceScores] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "documents": self.documents,
            "entities": {
                mode: {
                    "labels": {k: v.as_dict() for k, v in comparison.table().items()},
                    "label_conflicts": comparison.label_conflicts,
                    "boundary_differences": comparison.boundary_differences,
                }
                for mode, comparison in (("exact", self.exact), ("overlap", self.overlap))
            },
            "stance": {target: s.as_dict() for target, s in self.stance.items()},
        }


@dataclass(frozen=True)
class Prediction:
    spans: tuple[Span, ...]
    stances: dict[str, str]


def resolve_alternatives(gold: list[SpanKey], predicted: Sequence[SpanKey]) -> list[SpanKey]:
    """A gold label "GPE|LOC" takes the label of an overlapping prediction that is one of them,
    else its first alternative."""
    resolved = []
    for document_id, start, end, label in gold:
        options = label.split("|")
        chosen = next(
            (
                p[3]
                for p in predicted
                if p[0] == document_id and p[1] < end and start < p[2] and p[3] in options
            ),
            options[0],
        )
        resolved.append((document_id, start, end, chosen))
    return resolved


def score(
    system: str,
    gold: dict[str, GoldDocument],
    predicted: dict[str, Prediction],
    restrict_labels: set[str] | None = None,
) -> Evaluation:
    gold_keys = [(d, s.start, s.end, s.label) for d, g in gold.items() for s in g.spans]
    predicted_keys = [
        (d, s.start, s.end, s.label)
        for d, p in predicted.items()
        if d in gold
        for s in p.spans
        if restrict_labels is None or s.label in restrict_labels
    ]
    gold_keys = resolve_alternatives(gold_keys, predicted_keys)
    targets = sorted({t for g in gold.values() for t in g.stances})
    stance = {
        target: score_stance(
            {d: g.stances[target] for d, g in gold.items() if target in g.stances},
            {d: p.stances[target] for d, p in predicted.items() if target in p.stances},
        )
        for target in targets
    }
    return Evaluation(
        system,
        len(gold),
        compare_exact(gold_keys, predicted_keys),
        compare_overlap(gold_keys, predicted_keys),
        stance,
    )


def _from_prelabels(suggestions: Iterable[Prelabel], order: Sequence[str]) -> Prediction:
    suggestions = list(suggestions)
    spans = tuple(
        Span(p.start, p.end, p.label, p.text)  # type: ignore[arg-type]
        for p in merge_entities(suggestions, order)
    )
    stances = {p.target: p.label for p in suggestions if p.kind == "stance" and p.target}
    return Prediction(spans, stances)


def read_gold_file(path: Path, label_map: dict[str, str]) -> dict[str, GoldDocument]:
    if not path.exists():
        raise UsageError(f"{path} does not exist; check the path")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        documents = read_gold_jsonl(path)
    elif path.suffix.lower() in (".conll", ".txt", ".iob", ".bio", ".tsv"):
        documents = read_conll(path, label_map)
    else:
        raise UsageError(f"{path}: gold must be CoNLL (.conll, .txt, .iob) or JSONL (.jsonl)")
    return {g.document.id: g for g in documents}


def evaluate_file(
    context: LabellerContext,
    gold_path: Path,
    label_map: dict[str, str],
    labeller: str | None = None,
    predictions_path: Path | None = None,
) -> Evaluation:
    """Run a labeller on a gold file's texts (or read predictions from JSONL) and score it."""
    gold = read_gold_file(gold_path, label_map)
    if predictions_path is not None:
        predicted = {
            d: Prediction(g.spans, g.stances)
            for d, g in read_gold_file(predictions_path, label_map).items()
        }
        system = str(predictions_path)
    elif labeller is not None:
        runner = create(labeller, context)
        suggestions = runner([g.document for g in gold.values()])
        by_document: dict[str, list[Prelabel]] = {d: [] for d in gold}
        for s in suggestions:
            by_document[s.document_id].append(s)
        predicted = {d: _from_prelabels(s, [labeller]) for d, s in by_document.items()}
        system = runner.version
    else:
        raise UsageError("say what to evaluate: --labeller NAME or --predictions FILE")
    gold_labels = {part for g in gold.values() for s in g.spans for part in s.label.split("|")}
    # Only labels the gold can express are scored: a CoNLL file has no NORP or EVENT.
    restrict = gold_labels if gold_path.suffix.lower() not in (".jsonl", ".ndjson") else None
    return score(system, gold, predicted, restrict)


def evaluate_store(
    store: Store,
    context: LabellerContext,
    labeller: str | None = None,
    annotator: str | None = None,
) -> Evaluation:
    """Score a labeller's stored suggestions, or an annotator's labels, against adjudicated gold."""
    with store.connect() as connection:
        entities, stances = queries.gold_entities(connection), queries.gold_stances(connection)
        ids = sorted(entities.keys() | stances.keys())
        if not ids:
            raise UsageError("the store has no adjudicated gold yet; run `curate adjudicate`")
        gold = {}
        for d in ids:
            document = queries.get_document(connection, d)
            assert document is not None
            gold[d] = GoldDocument(document, tuple(entities.get(d, [])), stances.get(d, {}))
        if annotator is not None:
            latest = queries.latest_annotations(connection, annotator)
            predicted = {
                d: Prediction(a.spans, {s.target: s.label for s in a.stances})
                for d, a in latest.items()
            }
            # Score only what the annotator was given (their assignments, or, for imported
            # work with no assignments, what they labelled): unseen documents are not misses.
            given = set(queries.assignments_of(connection, annotator)) or set(latest)
            gold = {d: g for d, g in gold.items() if d in given}
            if not gold:
                raise UsageError(
                    f"no adjudicated document was given to {annotator}; check the name, or "
                    "adjudicate their documents first"
                )
            system = annotator
        elif labeller is not None:
            predicted = {
                d: _from_prelabels(
                    (
                        p
                        for p in queries.prelabels_for(connection, d)
                        if p.labeller.split("+")[0] == labeller
                    ),
                    [labeller],
                )
                for d in ids
            }
            system = labeller
        else:
            raise UsageError("say what to evaluate: --labeller NAME or --annotator NAME")
    return score(system, gold, predicted)
