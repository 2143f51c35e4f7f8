"""The entity model's confidence in its own output, from spaCy's beam search.

The greedy parse gives what annotators are shown. A beam parse of the same model (BEAM parses
kept) gives each candidate entity the probability mass of the parses that contain it
(`EntityRecognizer.beam_parse` and `scored_ents`). A shown entity of probability p is wrong with
chance 1 - p; a candidate not shown is a missed entity with chance p. Their sum is the number of
corrections the model expects an annotator to make on the document, which the queue's
uncertain-first order ranks by (prelabel/uncertainty.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BEAM = 4  # parses kept: a wider beam costs more on every prelabel run
DENSITY = 0.0001  # parses below this share of the best are dropped


def expected_corrections(ner: Any, docs: Sequence[Any], labels: set[str]) -> list[float]:
    """Per parsed doc (greedy entities set), the corrections expected on entities whose model
    label is in `labels` (the base pipeline's other labels are never shown)."""
    docs = [doc for doc in docs]
    if not any(len(doc) for doc in docs):
        return [0.0 for _ in docs]
    beams = ner.beam_parse(docs, beam_width=BEAM, beam_density=DENSITY)
    found = []
    for doc, scores in zip(docs, ner.scored_ents(beams), strict=True):
        shown = {(e.start, e.end, e.label_) for e in doc.ents if e.label_ in labels}
        wrong = sum(1.0 - min(1.0, scores.get(key, 0.0)) for key in shown)
        missed = sum(p for key, p in scores.items() if key not in shown and key[2] in labels)
        found.append(round(wrong + missed, 4))
    return found
