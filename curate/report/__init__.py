"""What the reports say: the agreement report with the per-annotator figures (measure), and
its terminal tables, HTML page and annotator rows, shared with the dataset card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection

from curate.agreement import describe, store_scores
from curate.agreement.data import load
from curate.agreement.figures import AgreementReport
from curate.config import Settings
from curate.domain.gold import read_gold
from curate.quality.annotators import annotator_quality, control_data


def measure(
    connection: Connection,
    settings: Settings,
    resamples: int = 1000,
    seed: int = 0,
    document_ids: Sequence[str] | None = None,
) -> AgreementReport:
    """The full report for the store (or some documents), with the per-annotator figures;
    stores per-document scores too."""
    data = load(connection, settings, document_ids)
    store_scores(connection, data)
    report = describe(connection, data, resamples, seed)
    controls = control_data(connection, settings)
    gold = read_gold(connection, settings).table
    quality = annotator_quality(connection, settings, data, report, controls, gold, resamples, seed)
    return replace(report, annotator_quality=quality)
