"""What the dataset card states about the released data, read from its Arrow tables: sizes,
annotators per document, the labels and targets with gold, and the labels this project's own
annotators used."""

from __future__ import annotations

import pyarrow.compute as pc

from curate.domain.gold import value_counts
from curate.release.rows import ReleaseRows
from curate.release.rows import targets_with_gold as gold_targets


def size_category(count: int) -> str:
    """The Hub's size bucket for a number of examples."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if count < limit:
            return name
    return "100K<n<1M" if count < 1_000_000 else "1M<n<10M"


def annotators_per_document(rows: ReleaseRows) -> dict[str, int]:
    """Document -> how many people labelled it (skips not counted)."""
    counted = rows.labelled().group_by("document_id").aggregate([("annotator", "count_distinct")])
    return dict(
        zip(
            counted["document_id"].to_pylist(),
            counted["annotator_count_distinct"].to_pylist(),
            strict=True,
        )
    )


def targets_with_gold(rows: ReleaseRows) -> list[str]:
    return gold_targets(rows.gold, rows.targets)


def labels_annotated_here(rows: ReleaseRows) -> set[str]:
    """Entity labels this project's annotators used (in the terminal or its Label Studio), so
    under its guidelines; an imported export's annotators followed their own."""
    here = rows.annotations.filter(pc.not_equal(rows.annotations["origin"], "import"))
    if here.num_rows == 0:
        return set()
    labels = pc.struct_field(pc.list_flatten(here.column("entities")), "label")
    return set(value_counts(labels))


def entity_labels_used(rows: ReleaseRows) -> set[str]:
    if rows.gold.num_rows == 0:
        return set()
    labels = pc.struct_field(pc.list_flatten(rows.gold.column("entities")), "label")
    return set(value_counts(labels))
