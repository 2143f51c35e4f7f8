"""The dataset card (README.md): YAML that `datasets` reads (configs, features, split sizes),
then its sections in order (card_about.py, card_process.py, card_selection.py), each written
from one Facts object (card_facts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from curate.release import card_about, card_process
from curate.release.card_facts import (
    About,
    CardInputs,
    Facts,
    entity_labels_used,
    size_category,
)
from curate.release.card_selection import selection_section
from curate.release.rows import ReleaseRows, targets_with_gold

__all__ = ["About", "CardInputs", "body", "yaml_header"]

SECTIONS: list[Callable[[Facts], list[str]]] = [
    card_about.summary,
    card_about.labels_section,
    card_about.convention_and_configs,
    card_process.splits_section,
    card_process.distributions,
    card_process.example,
    card_process.process_section,
    selection_section,
    card_process.agreement_section,
    card_about.changes_section,
    card_about.loading_section,
    card_about.limitations_section,
    card_about.licence_and_citation,
]


def yaml_header(
    about: About,
    rows: ReleaseRows,
    configs: dict[str, dict[str, tuple[str, int, int]]],
    features: dict[str, Any],
    downloads: dict[str, int],
) -> str:
    """configs: config -> split -> (file, rows, bytes of its Arrow data); downloads: file ->
    its size on disk (what `download_size` adds up). Task tags only for what was released."""
    documents = sum(count for _, count, _ in configs.get("gold", {}).values())
    tasks, tags = [], []
    if entity_labels_used(rows):
        tasks.append("token-classification")
        tags.append("named-entity-recognition")
    if targets_with_gold(rows.gold, rows.targets):
        tasks.append("text-classification")
        tags.append("stance-detection")
    header: dict[str, Any] = {
        "pretty_name": about.name,
        "version": about.version,
        "license": about.licence,
        **({"language": [about.language]} if about.language else {}),
        "size_categories": [size_category(documents)],
        **({"task_categories": tasks} if tasks else {}),
        "tags": [*tags, "curate"],
        "configs": [
            {
                "config_name": config,
                **({"default": True} if config == "gold" else {}),
                "data_files": [
                    {"split": split, "path": file} for split, (file, _, _) in splits.items()
                ],
            }
            for config, splits in configs.items()
        ],
        "dataset_info": [
            {
                "config_name": config,
                "features": features[config]._to_yaml_list(),
                "splits": [
                    {"name": split, "num_bytes": size, "num_examples": count}
                    for split, (_, count, size) in splits.items()
                ],
                "download_size": sum(downloads.get(file, 0) for file, _, _ in splits.values()),
                "dataset_size": sum(size for _, _, size in splits.values()),
            }
            for config, splits in configs.items()
        ],
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n"


def body(inputs: CardInputs, rows: ReleaseRows) -> str:
    """The card's Markdown after its YAML header."""
    facts = Facts.of(inputs, rows)
    return "\n".join(line for section in SECTIONS for line in section(facts))
