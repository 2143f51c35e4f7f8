"""Each annotator against gold: exact span F1 and stance accuracy on the documents they labelled
that have gold, with percentile bootstrap intervals over those documents (in at most 200
groups, as for αu). Used for control
documents (gold they never helped make) and for all their other documents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.agreement.data import MISSING, AgreementData
from curate.agreement.figures import Estimate, GoldScores
from curate.agreement.matching import SpanArrays, exact_pairs
from curate.agreement.unitized import resampling_groups
from curate.labels import stance_column


@dataclass(frozen=True)
class GoldArrays:
    """Gold laid over an AgreementData's documents and labels."""

    has_gold: np.ndarray  # documents
    spans: SpanArrays
    stances: np.ndarray  # targets x documents: label index, or MISSING

    @classmethod
    def build(cls, table: pa.Table, data: AgreementData) -> GoldArrays:
        """table: gold rows as curate.domain.gold reads them (id, entities, stance columns)."""
        at = pc.index_in(table["id"], value_set=pa.array(data.documents, pa.string()))
        keep = pc.is_valid(at)
        table, where = table.filter(keep), pc.drop_null(at).to_numpy().astype(np.int64)
        has_gold = np.zeros(len(data.documents), bool)
        has_gold[where] = True
        entities = table["entities"].combine_chunks()
        parents = pc.list_parent_indices(entities).to_numpy()
        values = entities.flatten()
        labels = {label: i for i, label in enumerate(data.entity_labels)}
        label = np.array([labels.get(x, -1) for x in values.field("label").to_pylist()], np.int64)
        spans = SpanArrays(
            where[parents],
            values.field("start").to_numpy(),
            values.field("end").to_numpy(),
            label,
        )
        stances = np.full((len(data.targets), len(data.documents)), MISSING, np.int64)
        for t, target in enumerate(data.targets):
            column = stance_column(target)
            if column not in table.column_names:
                continue
            codes = table[column].to_numpy()  # index into curate.toml's stance labels
            known = codes >= 0
            # AgreementData lists curate.toml's labels first, in order: the indices agree.
            stances[t, where[known]] = codes[known]
        return cls(has_gold, spans, stances)


def _estimate(values: np.ndarray) -> Estimate:
    """The observed value (first) and the 95% percentile interval of the resamples (rest)."""
    value, resampled = values[0], values[1:]
    resampled = resampled[np.isfinite(resampled)]
    if not np.isfinite(value) or len(resampled) == 0:
        return Estimate(None if not np.isfinite(value) else round(float(value), 4))
    low, high = np.percentile(resampled, [2.5, 97.5])
    return Estimate(round(float(value), 4), round(float(low), 4), round(float(high), 4))


def scores(
    data: AgreementData, gold: GoldArrays, resamples: int = 1000, seed: int = 0
) -> dict[str, GoldScores]:
    """Per annotator with gold documents: documents, entity F1 and stance accuracy, each with
    a 95% interval, and their mean as the score."""
    found = {}
    generator = np.random.default_rng(seed)
    for c, coder in enumerate(data.coders):
        documents = np.flatnonzero(data.labelled[:, c] & gold.has_gold)
        if len(documents) == 0:
            continue
        chosen = np.zeros(len(data.documents), bool)
        chosen[documents] = True
        mine = data.coder_spans(c, chosen)
        truth = gold.spans.take(chosen[gold.spans.doc])
        matched, _ = exact_pairs(mine, truth)
        count = len(data.documents)
        group = resampling_groups(len(documents))  # documents resampled in groups
        groups = int(group.max()) + 1

        def per_group(values: np.ndarray, group: np.ndarray = group) -> np.ndarray:
            return np.bincount(group, weights=values)  # every group holds a document

        tp = per_group(np.bincount(mine.doc[matched], minlength=count)[documents])
        given = per_group(np.bincount(mine.doc, minlength=count)[documents])
        true = per_group(np.bincount(truth.doc, minlength=count)[documents])
        settled = gold.stances[:, documents] != MISSING
        hits = settled & (data.stances[:, documents, c] == gold.stances[:, documents])
        right, asked = per_group(hits.sum(0)), per_group(settled.sum(0))
        weights = np.vstack(
            [
                np.ones(groups),
                generator.multinomial(groups, np.full(groups, 1 / groups), resamples),
            ]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = 2 * (weights @ tp) / (weights @ given + weights @ true)
            f1 = np.where((weights @ given + weights @ true) == 0, 1.0, f1)  # nothing, both
            accuracy = (weights @ right) / (weights @ asked)
        parts = [x for x in (f1, accuracy) if np.isfinite(x[0])]
        score = np.mean(parts, axis=0)
        found[coder] = GoldScores(
            len(documents), _estimate(f1), _estimate(accuracy), _estimate(score)
        )
    return found
