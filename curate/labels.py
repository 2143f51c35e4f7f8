"""Outside labels onto the project's: mapped by --label-map, matched regardless of case, or
refused with the two ways to fix it (map them, or adopt them into curate.toml)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from curate.errors import InputError


def resolve_labels(
    found: Counter[str], known: list[str], label_map: dict[str, str]
) -> tuple[dict[str, str], Counter[str]]:
    """(outside label -> project label for those renamed, labels neither known nor mapped).
    --label-map keys and project labels both match regardless of case (Person -> PERSON)."""
    by_case = {label.casefold(): label for label in known}
    map_by_case = {source.casefold(): target for source, target in label_map.items()}
    for source, target in label_map.items():
        if target not in known:
            raise InputError(
                f"--label-map maps {source!r} to {target!r}, which is not an entity label in "
                f"curate.toml ({', '.join(known)}); map it to one of those, or add it under "
                "[[entity_labels]]"
            )
    mapping: dict[str, str] = {}
    unknown: Counter[str] = Counter()
    for label, count in found.items():
        mapped = label_map.get(label) or map_by_case.get(label.casefold())
        if mapped is None and label not in known:
            mapped = by_case.get(label.casefold())
        if mapped is not None and mapped != label:
            mapping[label] = mapped
        elif mapped is None and label not in known:
            unknown[label] = count
    return mapping, unknown


def unknown_labels_error(path: Path, unknown: Counter[str]) -> InputError:
    listed = ", ".join(f"{label} ({n} spans)" for label, n in unknown.most_common())
    example = ",".join(f"{label}={label.upper()}" for label in list(unknown)[:2])
    return InputError(
        f"{path} uses labels that are not in curate.toml: {listed}. Map them to your labels "
        f"with --label-map '{example}', or add them to curate.toml with --adopt-labels; "
        "nothing was imported"
    )


def stance_column(target: str) -> str:
    """The gold column of a stance target in releases and frames: stance_united_states."""
    return "stance_" + re.sub(r"[^0-9a-z]+", "_", target.lower()).strip("_")
