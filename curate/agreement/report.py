"""The agreement report: stance per target, entities per label and per pair, anchoring on
pre-labels, and a score per document, as the typed records of curate.agreement.figures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from curate.agreement import patterns
from curate.agreement.data import MISSING, AgreementData
from curate.agreement.figures import (
    AgreementReport,
    Anchoring,
    Bootstrap,
    DocumentScore,
    Entities,
    EntityOverall,
    EntityPair,
    Estimate,
    Matrix,
    Pair,
    PairKappa,
    SpanScores,
    StanceTarget,
    UnitizedAlpha,
)
from curate.agreement.matching import PairCounts, SpanArrays, count_pairs, exact_pairs
from curate.agreement.metrics import alpha_of_codes, cohen_of_codes, fleiss_of_codes
from curate.agreement.spans import Scores, comparison_from
from curate.agreement.tokens import TokenIndex, bio_kappa
from curate.agreement.unitized import unitized_alpha


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _estimate(value: float, interval: tuple[float, float]) -> Estimate:
    return Estimate(_number(value), _number(interval[0]), _number(interval[1]))


def _pairs(data: AgreementData) -> list[tuple[int, int]]:
    return list(combinations(range(len(data.coders)), 2))


def _pair(data: AgreementData, a: int, b: int) -> Pair:
    return data.coders[a], data.coders[b]


def stance_section(data: AgreementData, resamples: int, seed: int) -> dict[str, StanceTarget]:
    section: dict[str, StanceTarget] = {}
    for t, target in enumerate(data.targets):
        codes = data.stances[t]
        raters = (codes >= 0).sum(axis=1)
        table = patterns.Patterns.from_codes(codes, len(data.stance_labels))

        def interval(
            statistic: patterns.Statistic, table: patterns.Patterns = table
        ) -> tuple[float, float]:
            return patterns.interval(table, statistic, resamples, seed)

        section[target] = StanceTarget(
            units=int((raters >= 2).sum()),
            unpaired=int((raters == 1).sum()),  # labelled by one annotator only: reported
            alpha=_estimate(alpha_of_codes(codes), interval(patterns.alpha)),
            fleiss_kappa=_estimate(
                fleiss_of_codes(codes, len(data.stance_labels)), interval(patterns.fleiss)
            ),
            percent_agreement=_estimate(
                patterns.observed(table, patterns.percent) if table.units else float("nan"),
                interval(patterns.percent),
            ),
            cohen_kappa={
                _pair(data, a, b): PairKappa(
                    _number(cohen_of_codes(codes[:, a], codes[:, b])),
                    int(((codes[:, a] >= 0) & (codes[:, b] >= 0)).sum()),
                )
                for a, b in _pairs(data)
            },
            labels={label: int((codes == i).sum()) for i, label in enumerate(data.stance_labels)},
        )
    return section


@dataclass(frozen=True)
class PairSpans:
    """Two annotators' spans on the documents both labelled, with their exact matches (computed
    once, used by the entity tables and the per-document scores)."""

    a: int
    b: int
    shared: np.ndarray
    first: SpanArrays
    second: SpanArrays
    exact: PairCounts
    matched_documents: np.ndarray  # document index of each exact match


def pair_spans(data: AgreementData) -> list[PairSpans]:
    found = []
    for a, b in _pairs(data):
        shared = data.labelled[:, a] & data.labelled[:, b]
        first, second = data.coder_spans(a, shared), data.coder_spans(b, shared)
        exact, ia, _ = count_pairs(first, second, len(data.entity_labels), overlap=False)
        found.append(PairSpans(a, b, shared, first, second, exact, first.doc[ia]))
    return found


def token_kappas(data: AgreementData) -> dict[tuple[int, int], float]:
    """BIO token kappa per annotator pair (tags built once per annotator)."""
    tokens = TokenIndex(data.texts)
    tags = [
        tokens.dense_tags(data.coder_spans(c, data.labelled[:, c])) for c in range(len(data.coders))
    ]
    return {
        (a, b): bio_kappa(tokens, tags[a], tags[b], data.labelled[:, a] & data.labelled[:, b])
        for a, b in _pairs(data)
    }


def entity_section(
    data: AgreementData,
    pairs: list[PairSpans],
    kappas: dict[tuple[int, int], float],
    unitized: UnitizedAlpha,
) -> Entities:
    labels = len(data.entity_labels)
    totals = {"exact": _zeros(labels), "overlap": _zeros(labels)}
    conflicts = {"label_conflicts": 0, "boundary_differences": 0}
    results: dict[Pair, EntityPair] = {}
    compared: list[tuple[int, int, EntityPair]] = []
    for pair in pairs:
        a, b, shared, first, second = pair.a, pair.b, pair.shared, pair.first, pair.second
        if not shared.any():
            continue
        overlap, _, _ = count_pairs(first, second, labels, overlap=True)
        for mode, counts in (("exact", pair.exact), ("overlap", overlap)):
            for name in ("tp", "fp", "fn"):
                totals[mode][name] += getattr(counts, name)
        conflicts["label_conflicts"] += overlap.label_conflicts
        conflicts["boundary_differences"] += overlap.boundary_differences
        result = EntityPair(
            documents=int(shared.sum()),
            exact=_scores(comparison_from(pair.exact, data.entity_labels).overall),
            overlap=_scores(comparison_from(overlap, data.entity_labels).overall),
            label_conflicts=overlap.label_conflicts,
            boundary_differences=overlap.boundary_differences,
            token_kappa=_number(kappas[(a, b)]),
        )
        results[_pair(data, a, b)] = result
        compared.append((a, b, result))

    def summed(mode: str, i: int | None = None) -> SpanScores:
        part = (lambda n: totals[mode][n].sum()) if i is None else (lambda n: totals[mode][n][i])
        return _scores(Scores(*(int(part(n)) for n in ("tp", "fp", "fn"))))

    by_label = {
        mode: {label: summed(mode, i) for i, label in enumerate(data.entity_labels)}
        for mode in totals
    }
    alone = data.labelled.sum(axis=1) == 1
    return Entities(
        overall=EntityOverall(summed("exact"), summed("overlap"), **conflicts),
        # Labels nobody used are left out.
        by_label={
            mode: {k: v for k, v in scores.items() if v.used} for mode, scores in by_label.items()
        },
        pairs=results,
        matrix=_matrix(data.coders, compared),
        # Spans on documents only one annotator labelled: compared with nobody, so reported.
        unpaired_spans=int(alone[data.spans.doc].sum()),
        unpaired_documents=int(alone.sum()),
        unitized_alpha=unitized,
    )


def _matrix(coders: list[str], compared: list[tuple[int, int, EntityPair]]) -> Matrix:
    """Exact F1 and token κ of every pair of coders (1 with themselves, None: not compared)."""
    exact_f1, token_kappa = np.full((2, len(coders), len(coders)), np.nan)
    for a, b, result in compared:
        for x, y in ((a, b), (b, a)):
            exact_f1[x, y] = result.exact.f1
            token_kappa[x, y] = result.token_kappa or np.nan
    np.fill_diagonal(exact_f1, 1.0)
    np.fill_diagonal(token_kappa, 1.0)
    return Matrix(
        list(coders),
        [[_number(v) for v in row] for row in exact_f1],
        [[_number(v) for v in row] for row in token_kappa],
    )


def _zeros(labels: int) -> dict[str, np.ndarray]:
    return {name: np.zeros(labels, np.int64) for name in ("tp", "fp", "fn")}


def _scores(scores: Scores) -> SpanScores:
    return SpanScores(
        scores.tp,
        scores.fp,
        scores.fn,
        round(scores.precision, 4),
        round(scores.recall, 4),
        round(scores.f1, 4),
    )


def anchoring_section(data: AgreementData) -> dict[str, dict[str, Anchoring]]:
    """Each annotator against the suggestions, on suggested and on blind documents apart."""
    section: dict[str, dict[str, Anchoring]] = {}
    for c, coder in enumerate(data.coders):
        labelled = data.labelled[:, c]
        mine = data.coder_spans(c, labelled)
        offered = data.suggestions.take(labelled[data.suggestions.doc])
        matched, _ = exact_pairs(mine, offered)  # one pass; split by blind below
        groups: dict[str, Anchoring] = {}
        for name, blind in (("suggested", False), ("blind", True)):
            documents = labelled & (data.blind == blind)
            if not documents.any():
                continue
            same = int((data.blind[mine.doc[matched]] == blind).sum())
            shown = int((data.blind[offered.doc] == blind).sum())
            found = int((data.blind[mine.doc] == blind).sum())
            stance_given = data.stances[:, documents, c]
            stance_offered = data.suggested_stances[:, documents]
            both = (stance_given != MISSING) & (stance_offered != MISSING)
            groups[name] = Anchoring(
                documents=int(documents.sum()),
                suggested_spans=shown,
                suggested_stances=int((stance_offered != MISSING).any(axis=0).sum()),
                # On blind documents nothing was shown: this is how often the annotator
                # arrived at the suggestion unaided, the baseline for anchoring.
                suggestions_kept_unchanged=_number(same / shown if shown else np.nan),
                span_f1_with_suggestions=_number(2 * same / (shown + found) if shown else np.nan),
                stance_agreement_with_suggestions=_number(
                    (stance_given[both] == stance_offered[both]).mean() if both.any() else np.nan
                ),
                started_from_suggestions=int(data.started_from_suggestions[documents, c].sum()),
            )
        section[coder] = groups
    return section


def document_scores(
    data: AgreementData, pairs: list[PairSpans] | None = None
) -> dict[str, np.ndarray]:
    """Per document: mean exact span F1 over annotator pairs, share of agreeing stance pairs, and
    their mean (the score the review queue sorts by); NaN below two annotators."""
    count = len(data.documents)
    f1_sum, f1_pairs = np.zeros(count), np.zeros(count)
    agree, compared = np.zeros(count), np.zeros(count)
    for pair in pair_spans(data) if pairs is None else pairs:
        a, b, shared, first, second = pair.a, pair.b, pair.shared, pair.first, pair.second
        matched = np.bincount(pair.matched_documents, minlength=count)
        spans = np.bincount(first.doc, minlength=count) + np.bincount(second.doc, minlength=count)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(spans > 0, 2 * matched / spans, 1.0)  # both found nothing: agreement
        f1_sum += np.where(shared, f1, 0)
        f1_pairs += shared
        given = (data.stances[:, :, a] != MISSING) & (data.stances[:, :, b] != MISSING)
        same = given & (data.stances[:, :, a] == data.stances[:, :, b])
        agree += same.sum(axis=0)
        compared += given.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        entity = np.where(f1_pairs > 0, f1_sum / f1_pairs, np.nan)
        stance = np.where(compared > 0, agree / compared, np.nan)
    # The mean of whichever parts exist.
    score = np.where(
        np.isnan(entity), stance, np.where(np.isnan(stance), entity, (entity + stance) / 2)
    )
    return {"score": score, "entity_f1": entity, "stance_agreement": stance}


def build_report(data: AgreementData, resamples: int = 1000, seed: int = 0) -> AgreementReport:
    if data.coders:
        data.coder_spans(0)  # split the spans by annotator once, before the threads share them
    # Token kappa reads every character and anchoring is independent of the pairs: both run
    # beside the pairwise work (numpy releases the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        kappas = pool.submit(token_kappas, data)
        anchoring = pool.submit(anchoring_section, data)
        unitized = pool.submit(unitized_alpha, data, resamples, seed)
        pairs = pair_spans(data)
        scores = document_scores(data, pairs)
        stance = stance_section(data, resamples, seed)
        entities = entity_section(data, pairs, kappas.result(), unitized.result())
    order = np.argsort(np.nan_to_num(scores["score"], nan=np.inf), kind="stable")
    return AgreementReport(
        documents=len(data.documents),
        compared=int((data.labelled.sum(axis=1) >= 2).sum()),
        annotators=list(data.coders),
        labelled={c: int(data.labelled[:, i].sum()) for i, c in enumerate(data.coders)},
        skipped={c: int(data.skipped[:, i].sum()) for i, c in enumerate(data.coders)},
        blind_documents=int(data.blind.sum()),
        bootstrap=Bootstrap(resamples, seed),
        stance=stance,
        entities=entities,
        anchoring=anchoring.result(),
        lowest_agreement=[
            DocumentScore(
                document=data.documents[i],
                score=_number(scores["score"][i]),
                entity_f1=_number(scores["entity_f1"][i]),
                stance_agreement=_number(scores["stance_agreement"][i]),
            )
            for i in order[:10]
            if not np.isnan(scores["score"][i])
        ],
    )
