"""The per-annotator figures: documents, time, agreement with peers and with gold, control
score, competence and suggestion acceptance, for the agreement report and the dataset card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.agreement.data import MISSING, AgreementData, from_store
from curate.agreement.figures import (
    AgreementReport,
    AnnotatorFigures,
    AnnotatorQuality,
    Competence,
    ControlWarning,
    EntityPair,
    Peers,
    SuggestionUse,
)
from curate.config import Settings
from curate.quality import against_gold
from curate.quality.competence import estimate, model_name
from curate.quality.timing import labelling_times
from curate.store import queries
from curate.store.annotation_table import read_annotations


def control_data(
    connection: Connection,
    settings: Settings,
    rename: Callable[[pa.Table], pa.Table] | None = None,
) -> AgreementData | None:
    """The newest annotations of control documents, as agreement arrays (None: no controls);
    rename: applied to the annotation table first (a release's pseudonyms)."""
    pairs = queries.control_pairs(connection)
    if not pairs:
        return None
    table = read_annotations(connection, sorted({d for d, _ in pairs}), newest_only=True)
    keys = pc.binary_join_element_wise(table["document_id"], table["annotator"], "\t")
    chosen = pc.is_in(keys, value_set=pa.array([f"{d}\t{a}" for d, a in sorted(pairs)]))
    table = table.filter(chosen)
    if rename is not None:
        table = rename(table)
    return from_store(connection, table, settings) if table.num_rows else None


def _weighted_mean(
    pairs: list[EntityPair], value: Callable[[EntityPair], float | None]
) -> float | None:
    """The pairs' values, weighted by the documents each pair shares."""
    total = sum(p.documents for p in pairs)
    if not total:
        return None
    return round(sum(p.documents * (value(p) or 0) for p in pairs) / total, 4)


def _peers(data: AgreementData, report: AgreementReport) -> dict[str, Peers]:
    """Each annotator's exact span F1 and token kappa with the others, and the share of
    stances a peer gave the same."""
    found = {}
    for c, coder in enumerate(data.coders):
        mine = [p for pair, p in report.entities.pairs.items() if coder in pair]
        others = [o for o in range(len(data.coders)) if o != c]
        given = (data.stances[:, :, [c]] != MISSING) & (data.stances[:, :, others] != MISSING)
        same = given & (data.stances[:, :, [c]] == data.stances[:, :, others])
        found[coder] = Peers(
            exact_f1=_weighted_mean(mine, lambda p: p.exact.f1),
            token_kappa=_weighted_mean(mine, lambda p: p.token_kappa),
            stance_agreement=round(float(same.sum() / given.sum()), 4) if given.any() else None,
        )
    return found


def _suggestions(data: AgreementData) -> dict[str, SuggestionUse]:
    if data.suggestion_use is None:
        return {}
    found = {}
    for c, coder in enumerate(data.coders):
        accepted, changed, rejected = (int(x) for x in data.suggestion_use[:, c].sum(axis=0))
        decided = accepted + changed + rejected
        found[coder] = SuggestionUse(
            accepted, changed, rejected, round(accepted / decided, 4) if decided else None
        )
    return found


def annotator_quality(
    connection: Connection,
    settings: Settings,
    data: AgreementData,
    report: AgreementReport,
    controls: AgreementData | None,
    gold: pa.Table,
    resamples: int = 1000,
    seed: int = 0,
) -> AnnotatorQuality:
    """The per-annotator section; `report` is the agreement report on `data`, `controls` the
    control documents' annotations under the same names (control_data), gold the gold rows
    (curate.domain.gold.read_gold)."""
    on_controls = (
        against_gold.scores(
            controls, against_gold.GoldArrays.build(gold, controls), resamples, seed
        )
        if controls is not None
        else {}
    )
    with_gold = against_gold.scores(
        data, against_gold.GoldArrays.build(gold, data), resamples, seed
    )
    competence = estimate(data, posteriors=False)
    peers = _peers(data, report)
    suggestions = _suggestions(data)
    timing, times = labelling_times([(data, False)] + ([(controls, True)] if controls else []))
    floor = settings.quality.min_control_score
    names = sorted({*data.coders, *(controls.coders if controls else [])})
    annotators: dict[str, AnnotatorFigures] = {}
    warnings: list[ControlWarning] = []
    for name in names:
        control = on_controls.get(name)
        if control is not None:
            value = control.score.value
            control = replace(control, passed=value is not None and value >= floor)
            if not control.passed:
                warnings.append(ControlWarning(name, value, control.documents))
        c = data.coders.index(name) if name in data.coders else None
        annotators[name] = AnnotatorFigures(
            documents=int(data.labelled[:, c].sum()) if c is not None else None,
            skipped=int(data.skipped[:, c].sum()) if c is not None else None,
            time=times.get(name),
            peers=peers.get(name),
            gold=with_gold.get(name),
            control=control,
            competence=Competence(
                competence.stance.competence.get(name), competence.entities.competence.get(name)
            ),
            suggestions=suggestions.get(name),
        )
    return AnnotatorQuality(model_name(), floor, annotators, timing, warnings)


def control_warnings(section: AnnotatorQuality | None) -> list[str]:
    """What to tell the user about annotators below `min_control_score`."""
    if section is None:
        return []
    return [
        f"{w.annotator}: control score {w.score} is below min_control_score "
        f"{section.min_control_score} on {w.documents} control documents; review their recent "
        "work with them and the guidelines"
        for w in section.below_min_control_score
    ]
