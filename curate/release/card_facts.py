"""What a dataset card is written from (About, CardInputs) and what its sections read: one
Facts object holding those, the released rows, and the figures several sections state (computed
once per card from the rows' Arrow tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc

from curate.agreement.figures import AgreementReport
from curate.domain.gold import value_counts
from curate.release.compare import GoldDiff
from curate.release.rows import ReleaseRows, targets_with_gold


@dataclass(frozen=True)
class About:
    """What curate.toml says of the dataset; the card claims nothing more about the texts."""

    name: str
    version: str
    licence: str
    description: str = ""  # [project] description: what the texts are ("" when not said)
    language: str | None = None  # [project] language


@dataclass(frozen=True)
class CardInputs:
    """Everything a card is written from, besides the released rows."""

    about: About
    guidelines: str  # guidelines.md as written
    guideline_version: str | None
    fingerprint: str  # write.data_fingerprint of the data files
    # The agreement report, annotator figures and the released documents' figures included.
    agreement: AgreementReport | None = None
    changes: GoldDiff | None = None  # against the previous release
    previous: str | None = None  # its version
    notes: str | None = None  # the --notes paragraph
    splits: dict[str, int] = field(default_factory=dict)  # every split -> gold documents
    process: dict[str, Any] = field(default_factory=dict)  # the adjudication rules
    data_files: tuple[str, ...] = ()  # the parquet files, relative to the release folder
    split_of: dict[str, str] = field(default_factory=dict)  # released document -> its split


@dataclass(frozen=True)
class Facts:
    """Everything a card section reads: the inputs, the rows, and figures computed once."""

    inputs: CardInputs
    rows: ReleaseRows
    overlap: dict[str, int]  # document -> annotators who labelled it
    stanced: list[str]  # targets with gold
    used: set[str]  # entity labels with a gold span
    here: set[str]  # labels this project's annotators used

    @property
    def about(self) -> About:
        return self.inputs.about

    @classmethod
    def of(cls, inputs: CardInputs, rows: ReleaseRows) -> Facts:
        return cls(
            inputs,
            rows,
            annotators_per_document(rows),
            targets_with_gold(rows.gold, rows.targets),
            entity_labels_used(rows),
            labels_annotated_here(rows),
        )


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
