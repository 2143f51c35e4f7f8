"""The card's account of how documents were chosen for labelling: the queue order each released
document was served by (stored by push and the terminal, prelabel/uncertainty.py), per split,
and whether the test split is still a random sample of the corpus."""

from __future__ import annotations

from collections import Counter

from curate.domain.splits import HELD_OUT, TEST
from curate.release.card_facts import Facts
from curate.report.card_sections import table
from curate.store.queries import Selection
from curate.store.queries.selections import UNCERTAIN


def _orders(chosen: list[Selection]) -> str:
    """The orders used, in words."""
    said = []
    for order, share, ranked_by in sorted(
        {(s.queue_order, s.random_share, s.ranked_by) for s in chosen}
    ):
        if order == UNCERTAIN:
            model = f" (ranked with {ranked_by})" if ranked_by else ""
            said.append(
                f"uncertain-first{model}, {share:.0%} of the places drawn at random, the "
                "held-out splits (test, validation) served first in a random order"
            )
        else:
            said.append("in id order (a hash of the text: no model chose them)")
    return "; ".join(dict.fromkeys(said))


def selection_section(facts: Facts) -> list[str]:
    selections, split_of = facts.rows.selections, facts.inputs.split_of
    lines = ["", "## How documents were chosen for labelling", ""]
    released = {d: s for d, s in selections.items() if d in split_of}
    if not released:
        return lines + [
            "No queue order is recorded for the released documents (imported, or labelled "
            "before curate recorded one)."
        ]
    lines.append(f"Annotators were served documents {_orders(list(released.values()))}.")
    counts = Counter((split_of[d], s.reason) for d, s in released.items())
    splits = sorted({split for split, _ in counts}, key=lambda s: (s in HELD_OUT, s))
    reasons = sorted({reason for _, reason in counts})
    rows = [[split, *(counts[(split, r)] for r in reasons)] for split in splits]
    lines += ["", table(["split", *(f"served {r}" for r in reasons)], rows), ""]
    test = [d for d in split_of if split_of[d] == TEST]
    # Chosen for the model's uncertainty: such a sample leans towards what it found hard.
    leaning = [d for d in test if d in released and released[d].reason == UNCERTAIN]
    unknown = [d for d in test if d not in released]
    if not test:
        return lines + ["No test split is released."]
    if leaning:
        return lines + [
            f"{len(leaning)} of {len(test)} test documents were served uncertain-first: the "
            "test split leans towards documents the model found hard, so scores on it "
            "understate a model's accuracy on the corpus."
        ]
    note = f" ({len(unknown)} with no recorded order)" if unknown else ""
    return lines + [
        f"The test split is a random sample of the corpus: its documents are placed by a hash "
        f"of their id, and none of its {len(test)} documents{note} was chosen by a model's "
        "uncertainty."
    ]
