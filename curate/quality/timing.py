"""Time per annotation: Label Studio's lead_time (pulled with each annotation) and the terminal
annotator's active time (pauses over `[quality] pause_limit_seconds` left out). Medians, since a
task left open over lunch makes a mean meaningless; per annotator, per document length, and with
pre-labels shown against without (blind and control documents), which says what they save."""

from __future__ import annotations

import numpy as np

from curate.agreement.data import MISSING, AgreementData
from curate.agreement.figures import TimeSummary, Timing

LENGTHS = [(0, 1_000), (1_000, 3_000), (3_000, 10_000), (10_000, None)]


def _length_name(low: int, high: int | None) -> str:
    return f"{low:,}+ characters" if high is None else f"{low:,}-{high - 1:,} characters"


def _summary(seconds: np.ndarray, characters: np.ndarray) -> TimeSummary:
    if len(seconds) == 0:
        return TimeSummary(0, None, None)
    per_thousand = seconds / np.maximum(characters, 1) * 1000
    return TimeSummary(
        len(seconds),
        round(float(np.median(seconds)), 1),
        round(float(np.median(per_thousand)), 1),
    )


def labelling_times(
    sources: list[tuple[AgreementData, bool]],
) -> tuple[Timing, dict[str, TimeSummary]]:
    """The project's times and each annotator's. sources: (data, plain) where plain says
    nothing was shown on any of its documents (control documents); otherwise a document's
    suggestions were shown unless it is blind."""
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
        return Timing(0), {}
    coders, seconds, characters, shown = (np.concatenate(rows[k]) for k in rows)
    per_annotator = {
        name: _summary(seconds[coders == name], characters[coders == name])
        for name in sorted(set(coders.tolist()))
    }
    with_, without = (
        _summary(seconds[shown], characters[shown]),
        _summary(seconds[~shown], characters[~shown]),
    )
    rate_with, rate_without = (
        with_.median_seconds_per_1000_characters,
        without.median_seconds_per_1000_characters,
    )
    timing = Timing(
        annotations_timed=len(seconds),
        by_length={
            _length_name(low, high): _summary(seconds[inside], characters[inside])
            for low, high in LENGTHS
            if (inside := (characters >= low) & (characters < (high or np.inf))).any()
        },
        with_prelabels=with_,
        without_prelabels=without,
        saving=(
            round(1 - rate_with / rate_without, 3)
            if rate_with is not None and rate_without
            else None
        ),
    )
    return timing, per_annotator
