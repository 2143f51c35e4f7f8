"""Time per annotation: Label Studio's lead_time (pulled with each annotation) and the terminal
annotator's active time (pauses over `[quality] pause_limit_seconds` left out). Medians, since a
task left open over lunch makes a mean meaningless; per annotator, per document length, and with
pre-labels shown against without (blind and control documents), which says what they save."""

from __future__ import annotations

from typing import Any

import numpy as np

from curate.agreement.data import MISSING, AgreementData

LENGTHS = [(0, 1_000), (1_000, 3_000), (3_000, 10_000), (10_000, None)]


def _length_name(low: int, high: int | None) -> str:
    return f"{low:,}+ characters" if high is None else f"{low:,}-{high - 1:,} characters"


def _summary(seconds: np.ndarray, characters: np.ndarray) -> dict[str, Any]:
    if len(seconds) == 0:
        return {
            "annotations": 0,
            "median_seconds": None,
            "median_seconds_per_1000_characters": None,
        }
    per_thousand = seconds / np.maximum(characters, 1) * 1000
    return {
        "annotations": len(seconds),
        "median_seconds": round(float(np.median(seconds)), 1),
        "median_seconds_per_1000_characters": round(float(np.median(per_thousand)), 1),
    }


def labelling_times(sources: list[tuple[AgreementData, bool]]) -> dict[str, Any]:
    """sources: (data, plain) where plain says nothing was shown on any of its documents
    (control documents); otherwise a document's suggestions were shown unless it is blind."""
    rows: dict[str, list[np.ndarray]] = {"coder": [], "seconds": [], "characters": [], "shown": []}
    for data, plain in sources:
        if data.lead_time is None:
            continue
        lengths = np.array([len(t) for t in data.texts], np.int64)
        offered = np.bincount(data.suggestions.doc, minlength=len(data.documents)) > 0
        offered |= (data.suggested_stances != MISSING).any(axis=0)
        shown = offered & ~data.blind & (not plain)
        document, coder = np.nonzero(np.isfinite(data.lead_time))
        rows["coder"].append(np.asarray(data.coders, object)[coder])
        rows["seconds"].append(data.lead_time[document, coder])
        rows["characters"].append(lengths[document])
        rows["shown"].append(shown[document])
    if not rows["seconds"]:
        return {"annotations_timed": 0}
    coders, seconds, characters, shown = (np.concatenate(rows[k]) for k in rows)
    found: dict[str, Any] = {"annotations_timed": len(seconds)}
    found["per_annotator"] = {
        name: _summary(seconds[coders == name], characters[coders == name])
        for name in sorted(set(coders.tolist()))
    }
    found["by_length"] = {
        _length_name(low, high): _summary(seconds[inside], characters[inside])
        for low, high in LENGTHS
        if (inside := (characters >= low) & (characters < (high or np.inf))).any()
    }
    found["with_prelabels"] = _summary(seconds[shown], characters[shown])
    found["without_prelabels"] = _summary(seconds[~shown], characters[~shown])
    with_, without = (
        found[k]["median_seconds_per_1000_characters"]
        for k in ("with_prelabels", "without_prelabels")
    )
    # Share of labelling time pre-labels save, per 1,000 characters (None without both sides).
    found["saving"] = round(1 - with_ / without, 3) if with_ is not None and without else None
    return found
