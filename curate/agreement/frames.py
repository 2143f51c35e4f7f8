"""Agreement figures as pandas frames: one row per document, stance target, entity label
(exact and overlap matching) or annotator pair, from the report (curate.agreement.report)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
import pyarrow as pa

from curate.agreement.data import AgreementData
from curate.agreement.figures import AgreementReport
from curate.agreement.report import document_scores
from curate.frames import STRING, TEXT, to_frame

# frame -> column -> dtype (docs/api.md lists them).
COLUMNS: dict[str, dict[str, str]] = {
    "document": {
        "document_id": TEXT,
        "annotators": "int64",
        "score": "Float64",
        "entity_f1": "Float64",
        "stance_agreement": "Float64",
    },
    "target": {
        "target": TEXT,
        "units": "int64",
        "unpaired": "int64",
        **{
            f"{metric}{part}": "Float64"
            for metric in ("alpha", "fleiss_kappa", "percent_agreement")
            for part in ("", "_low", "_high")
        },
    },
    "label": {
        "label": TEXT,
        "match": "category",
        "tp": "int64",
        "fp": "int64",
        "fn": "int64",
        "precision": "Float64",
        "recall": "Float64",
        "f1": "Float64",
    },
    "pair": {
        "annotator_a": TEXT,
        "annotator_b": TEXT,
        "scope": TEXT,
        "documents": "int64",
        "exact_f1": "Float64",
        "overlap_f1": "Float64",
        "label_conflicts": "Int64",
        "boundary_differences": "Int64",
        "token_kappa": "Float64",
        "cohen_kappa": "Float64",
    },
}


def document_frame(data: AgreementData) -> pd.DataFrame:
    """Per document: its annotators and scores (the review queue's order)."""
    scores = document_scores(data)
    table = pa.table(
        {
            "document_id": pa.array(data.documents, STRING),
            "annotators": pa.array(data.labelled.sum(axis=1), pa.int64()),
            **{name: pa.array(scores[name], from_pandas=True) for name in scores},
        }
    )
    return to_frame(table, COLUMNS["document"])


def report_frame(by: str, report: AgreementReport) -> pd.DataFrame:
    """The report's figures per stance target, entity label or annotator pair (by "target",
    "label" or "pair")."""
    rows = {"target": _target_rows, "label": _label_rows, "pair": _pair_rows}[by](report)
    kinds = {TEXT: STRING, "int64": pa.int64(), "Int64": pa.int64(), "Float64": pa.float64()}
    schema = pa.schema([(name, kinds.get(dtype, STRING)) for name, dtype in COLUMNS[by].items()])
    return to_frame(pa.Table.from_pylist(rows, schema=schema), COLUMNS[by])


def _target_rows(report: AgreementReport) -> list[dict[str, Any]]:
    rows = []
    for target, figures in report.stance.items():
        row: dict[str, Any] = {"target": target}
        row |= {"units": figures.units, "unpaired": figures.unpaired}
        for metric, estimate in figures.estimates.items():
            row |= {
                metric: estimate.value,
                f"{metric}_low": estimate.low,
                f"{metric}_high": estimate.high,
            }
        rows.append(row)
    return rows


def _label_rows(report: AgreementReport) -> list[dict[str, Any]]:
    return [
        {"label": label, "match": match, **asdict(figures)}
        for match, labels in report.entities.by_label.items()
        for label, figures in labels.items()
    ]


def _pair_rows(report: AgreementReport) -> list[dict[str, Any]]:
    rows = []
    for (a, b), p in report.entities.pairs.items():
        rows.append(
            {
                "annotator_a": a,
                "annotator_b": b,
                "scope": "entities",
                "documents": p.documents,
                "exact_f1": p.exact.f1,
                "overlap_f1": p.overlap.f1,
                "label_conflicts": p.label_conflicts,
                "boundary_differences": p.boundary_differences,
                "token_kappa": p.token_kappa,
            }
        )
    for target, figures in report.stance.items():
        for (a, b), kappa in figures.cohen_kappa.items():
            rows.append(
                {
                    "annotator_a": a,
                    "annotator_b": b,
                    "scope": target,
                    "documents": kappa.units,
                    "cohen_kappa": kappa.value,
                }
            )
    return rows
