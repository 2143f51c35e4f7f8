"""Agreement: span matching, chance-corrected metrics with intervals, anchoring, document scores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sqlalchemy import Connection

from curate.agreement.data import AgreementData
from curate.agreement.figures import AgreementReport
from curate.agreement.report import build_report, document_scores
from curate.store import queries


def store_scores(connection: Connection, data: AgreementData) -> int:
    """Save each document's agreement score (the review queue sorts by it)."""
    scores = document_scores(data)
    annotators = data.labelled.sum(axis=1)

    def value(name: str, i: int) -> float | None:
        number = scores[name][i]
        return None if np.isnan(number) else float(number)

    rows = [
        (
            d,
            value("score", i),
            value("entity_f1", i),
            value("stance_agreement", i),
            int(annotators[i]),
        )
        for i, d in enumerate(data.documents)
    ]
    queries.store_document_scores(connection, rows)
    return len(rows)


def describe(
    connection: Connection, data: AgreementData, resamples: int = 1000, seed: int = 0
) -> AgreementReport:
    """The report on `data`, its least agreed documents named by title."""
    report = build_report(data, resamples, seed)
    lowest = []
    for row in report.lowest_agreement:
        # Reviewers recognise a document by its title, and want to know what is disputed.
        document = queries.get_document(connection, row.document)
        disputed = [
            name
            for name, value in (("spans", row.entity_f1), ("stance", row.stance_agreement))
            if value is not None and value < 1
        ]
        lowest.append(
            replace(
                row,
                title=(document.title or document.text[:60]) if document else "",
                disagreement=" and ".join(disputed) or "none",
            )
        )
    return replace(report, lowest_agreement=lowest)
