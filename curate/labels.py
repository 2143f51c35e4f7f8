"""Outside labels onto the project's: mapped by --label-map, matched regardless of case, or
refused with the two ways to fix it (map them, or adopt them into curate.toml)."""

from __future__ import annotations

import difflib
import re
import shlex
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from curate.errors import InputError

# CoNLL-2003's labels onto the seeds project's (LOC may be either of two).
DEFAULT_CONLL_MAP = "PER=PERSON,ORG=ORG,LOC=GPE|LOC"


def parse_label_map(text: str) -> dict[str, str]:
    """'PER=PERSON,LOC=GPE|LOC' -> {'PER': 'PERSON', 'LOC': 'GPE|LOC'}; unlisted labels drop."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        source, sep, target = item.partition("=")
        if ";" in item:
            raise InputError(
                f"--label-map item {item!r} holds ';'; separate items with commas, "
                "e.g. PER=PERSON,ORG=ORG"
            )
        if not sep or not source.strip() or not target.strip() or "=" in target:
            raise InputError(f"--label-map item {item!r} must look like PER=PERSON")
        mapping[source.strip()] = target.strip()
    return mapping


def resolve_labels(
    found: Counter[str], known: list[str], label_map: dict[str, str]
) -> tuple[dict[str, str], Counter[str]]:
    """(outside label -> project label for those renamed, labels neither known nor mapped).
    --label-map keys and project labels both match regardless of case (Person -> PERSON)."""
    by_case = {label.casefold(): label for label in known}
    map_by_case = {source.casefold(): target for source, target in label_map.items()}
    for source, target in label_map.items():
        check_map_target(source, target, known, adoptable=True)
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


def check_map_target(source: str, target: str, known: list[str], adoptable: bool) -> None:
    """A --label-map pair must land on one of the project's entity labels (adoptable: an import,
    which can add the label to curate.toml)."""
    if target not in known:
        raise InputError(
            f"--label-map maps {source!r} to {target!r}, which is not an entity label in "
            f"curate.toml ({', '.join(known)}); map it to one of those"
            + (", or add it under [[entity_labels]]" if adoptable else "")
        )


def labels_to_adopt(found: Counter[str], known: list[str], label_map: dict[str, str]) -> list[str]:
    """What --adopt-labels adds to curate.toml: --label-map targets it lacks, and outside labels
    neither known nor mapped."""
    targets = {target for target in label_map.values() if target not in known}
    _, unknown = resolve_labels(found, [*known, *targets], label_map)
    return sorted(targets | set(unknown))


def suggested_map(outside: Iterable[str], known: list[str]) -> dict[str, str] | None:
    """Each outside label's closest project label (Persons -> PERSON), or None when one of them
    has no close match: a map that leaves a label out would be refused again."""
    chosen = {}
    for label in outside:
        close = [k for k in known if _close(label.casefold(), k.casefold())]
        if not close:
            return None
        chosen[label] = max(close, key=lambda k: _similarity(label, k))
    return chosen


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def _close(a: str, b: str) -> bool:
    """Same word, one a prefix of the other (PER, PERSON), or nearly the same spelling."""
    prefix = min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a))
    return prefix or _similarity(a, b) >= 0.8


def map_option(mapping: dict[str, str]) -> str:
    """`--label-map` with `mapping`, quoted for a shell."""
    value = ",".join(f"{a}={b}" for a, b in sorted(mapping.items()))
    return "--label-map " + (f"'{value}'" if "'" not in value else shlex.quote(value))


def unknown_labels_error(path: Path, unknown: Counter[str], known: list[str]) -> InputError:
    listed = ", ".join(f"{label} ({n} spans)" for label, n in unknown.most_common())
    close = suggested_map(unknown, known)
    fixes = (
        f"map them onto curate.toml's labels by adding `{map_option(close)}` to the command, "
        "or add them to curate.toml by adding `--adopt-labels`"
        if close
        else "add them to curate.toml by adding `--adopt-labels` to the command (or map each "
        f"onto one of curate.toml's labels, {', '.join(known)}, with --label-map OUTSIDE=LABEL)"
    )
    return InputError(
        f"{path} uses labels that are not in curate.toml: {listed}; {fixes}; nothing was imported"
    )


def stance_column(target: str) -> str:
    """The gold column of a stance target in releases and frames: stance_united_states."""
    return "stance_" + re.sub(r"[^0-9a-z]+", "_", target.lower()).strip("_")
