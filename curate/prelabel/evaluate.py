"""Score suggestions or an annotator against gold: the store's adjudicated (and imported) gold,
or a gold file.

By default what is scored is what annotators are shown: the configured labellers' suggestions
merged (stored ones for store gold; run on the file's texts for a gold file). A gold file is
scored in its own labels: predictions are mapped back through --label-map, so the rows are the
file's labels (PER, ORG, LOC), and gold spans the map leaves out are counted, not hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from curate.agreement.spans import SpanComparison, compare_exact, compare_overlap
from curate.agreement.stance import StanceScores, score_stance
from curate.errors import InputError, UsageError
from curate.ingest.gold import (
    JSONL_SUFFIXES,
    GoldDocument,
    map_labels,
    read_gold_file,
)
from curate.labels import (
    DEFAULT_CONLL_MAP,
    check_map_target,
    map_option,
    parse_label_map,
    suggested_map,
)
from curate.prelabel import trust
from curate.prelabel.base import LabellerContext
from curate.prelabel.registry import check_names, create
from curate.records import Prelabel, Span
from curate.store import Store, queries
from curate.suggestions import LeftOut, merge_entities, merge_stances


@dataclass
class Evaluation:
    system: str
    documents: int
    exact: SpanComparison
    overlap: SpanComparison
    stance: dict[str, StanceScores] = field(default_factory=dict)
    dropped_gold: Counter[str] = field(default_factory=Counter)  # gold label -> spans unscored
    ignored_predictions: Counter[str] = field(default_factory=Counter)  # label gold lacks
    unmatched_gold: int = 0  # gold documents whose text no prediction has (scored as missed)
    # What the shown merge leaves out (labeller, kind, label or target): `curate train` found it
    # did more harm than good on the dev gold (trust.py).
    left_out: list[tuple[str, str, str]] = field(default_factory=list)

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
            "dropped_gold_spans": dict(self.dropped_gold),
            "ignored_predicted_spans": dict(self.ignored_predictions),
            "left_out": [list(item) for item in self.left_out],
        }


@dataclass(frozen=True)
class Prediction:
    spans: tuple[Span, ...]
    stances: dict[str, str]


def score(
    system: str,
    gold: dict[str, GoldDocument],
    predicted: dict[str, Prediction],
    back: dict[str, str] | None = None,
) -> Evaluation:
    """back: project label -> gold label; predictions whose label it lacks are not scored."""
    gold_keys = [(d, s.start, s.end, s.label) for d, g in gold.items() for s in g.spans]
    predicted_keys, ignored = [], Counter[str]()
    for d, p in predicted.items():
        for s in p.spans if d in gold else ():
            label = s.label if back is None else back.get(s.label)
            if label is None:
                ignored[s.label] += 1
            else:
                predicted_keys.append((d, s.start, s.end, label))
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
        ignored_predictions=ignored,
    )


def _from_prelabels(
    suggestions: Iterable[Prelabel], order: Sequence[str], left_out: LeftOut = frozenset()
) -> Prediction:
    suggestions = list(suggestions)
    spans = tuple(
        Span(p.start, p.end, p.label, p.text)  # type: ignore[arg-type]
        for p in merge_entities(suggestions, order, left_out)
    )
    stances = {p.target: p.label for p in merge_stances(suggestions, order, left_out) if p.target}
    return Prediction(spans, stances)


def map_back(label_map: dict[str, str], project_labels: Sequence[str]) -> dict[str, str]:
    """Project label -> the gold label mapped onto it ('LOC=GPE|LOC' maps GPE and LOC back to
    LOC). A map onto a label the project lacks, or two gold labels onto one, is refused."""
    back: dict[str, str] = {}
    for source, target in label_map.items():
        for label in target.split("|"):
            check_map_target(source, label, list(project_labels), adoptable=False)
            if back.setdefault(label, source) != source:
                raise InputError(
                    f"--label-map maps both {back[label]!r} and {source!r} to {label!r}; "
                    "scores are per gold label, so give each project label one gold label"
                )
    return back


def evaluate_file(
    context: LabellerContext,
    gold_path: Path,
    label_map: str | None = None,
    labeller: str | None = None,
    predictions_path: Path | None = None,
) -> Evaluation:
    """Score a labeller (run on the file's texts), the merged suggestions of the configured
    labellers (the default), or a JSONL of predictions against a gold file."""
    documents = read_gold_file(gold_path)
    jsonl = gold_path.suffix.lower() in JSONL_SUFFIXES
    if label_map is None and jsonl:
        mapping = {s.label: s.label for g in documents for s in g.spans}
    else:
        mapping = parse_label_map(DEFAULT_CONLL_MAP if label_map is None else label_map)
    # JSONL gold with no map is in the project's labels already: every prediction is scored.
    back: dict[str, str] | None = None
    if not (label_map is None and jsonl):
        back = map_back(mapping, context.settings.entity_label_names())
    kept, dropped = map_labels(documents, {label: label for label in mapping})
    if dropped and not any(g.spans for g in kept):
        raise _nothing_kept(gold_path, dropped, context.settings.entity_label_names())
    gold = {g.document.id: g for g in kept}
    if predictions_path is not None:
        predicted = {
            g.document.id: Prediction(g.spans, g.stances) for g in read_gold_file(predictions_path)
        }
        system = str(predictions_path)
        if back is not None and predictions_path.suffix.lower() not in JSONL_SUFFIXES:
            back = {label: label for label in mapping}  # CoNLL predictions use the gold's tags
    else:
        names = [labeller] if labeller else list(context.settings.prelabel.labellers)
        check_names(names)
        runners = [create(name, context) for name in names]
        texts = [g.document for g in gold.values()]
        suggestions: dict[str, list[Prelabel]] = {d: [] for d in gold}
        for runner in runners:
            for s in runner(texts):
                suggestions[s.document_id].append(s)
        out = frozenset() if labeller else trust.in_use(context.models_dir).left_out
        predicted = {d: _from_prelabels(s, names, out) for d, s in suggestions.items()}
        system = ", ".join(r.version for r in runners)
        if not labeller:
            system = f"suggestions annotators are shown ({system}), run on the file's texts"
    result = score(system, gold, predicted, back)
    if predictions_path is None and not labeller:
        result.left_out = sorted(out)
    result.dropped_gold = dropped
    result.unmatched_gold = sum(d not in predicted for d in gold)
    return result


def _nothing_kept(gold_path: Path, dropped: Counter[str], known: list[str]) -> InputError:
    listed = ", ".join(f"{label} ({n})" for label, n in dropped.most_common())
    close = suggested_map(dropped, known)
    fix = (
        f"`{map_option(close)}`"
        if close
        else f"--label-map GOLD=LABEL with LABEL one of {', '.join(known)}"
    )
    return InputError(
        f"--label-map keeps none of {gold_path}'s gold spans (it has {listed}); map those "
        f"labels with {fix}"
    )


def evaluate_store(
    store: Store,
    context: LabellerContext,
    labeller: str | None = None,
    annotator: str | None = None,
) -> Evaluation:
    """Score the stored suggestions annotators are shown (default), one labeller's stored
    suggestions, or an annotator's labels, against the store's gold."""
    order = list(context.settings.prelabel.labellers)
    if labeller is not None:
        check_names([labeller])
    with store.connect() as connection:
        entities, stances = queries.gold_entities(connection), queries.gold_stances(connection)
        ids = sorted(entities.keys() | stances.keys())
        if not ids:
            raise UsageError(
                "the store has no gold yet; run `curate adjudicate --auto` or "
                "`curate import-gold FILE`"
            )
        documents = queries.documents_by_ids(connection, ids)
        gold = {
            d: GoldDocument(documents[d], tuple(entities.get(d, [])), stances.get(d, {}))
            for d in ids
        }
        if annotator is not None:
            latest = queries.newest_of_annotator(connection, annotator)
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
            return score(annotator, gold, predicted)
        names = [labeller] if labeller else order
        stored = queries.prelabels_for_many(connection, ids)
    # Annotators are shown every stored labeller's newest suggestions, merged in config order.
    chosen = {
        d: [p for p in stored.get(d, []) if not labeller or p.family == labeller] for d in ids
    }
    out = frozenset() if labeller else trust.in_use(context.models_dir).left_out
    predicted = {d: _from_prelabels(s, names, out) for d, s in chosen.items()}
    versions = sorted({p.labeller for s in chosen.values() for p in s})
    if labeller is not None:
        system = ", ".join(versions) or f"{labeller} (no stored suggestions on gold documents)"
    else:
        system = f"suggestions annotators are shown ({', '.join(versions) or 'none stored'})"
    result = score(system, gold, predicted)
    result.left_out = sorted(out)
    return result
