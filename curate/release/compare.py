"""Label-level differences between two releases' gold: documents added and removed, spans added,
removed and relabelled, stance labels changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from curate.store.current import REVIEWER_OVERRIDE


@dataclass
class GoldDiff:
    added_documents: list[str] = field(default_factory=list)
    removed_documents: list[str] = field(default_factory=list)
    added_spans: list[tuple[str, int, int, str]] = field(default_factory=list)
    removed_spans: list[tuple[str, int, int, str]] = field(default_factory=list)
    relabelled_spans: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    stance_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Of the changes above, those a reviewer made over what annotators agreed: (document, what).
    overrides: list[tuple[str, str]] = field(default_factory=list)
    # The gold config's columns: a release without stance gold has no stance columns.
    added_columns: list[str] = field(default_factory=list)
    removed_columns: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}

    def lines(self) -> list[str]:
        out = [f"document added: {d}" for d in self.added_documents]
        out += [f"document removed: {d}" for d in self.removed_documents]
        out += [f"{d} span {s}-{e} added: {label}" for d, s, e, label in self.added_spans]
        out += [f"{d} span {s}-{e} removed: {label}" for d, s, e, label in self.removed_spans]
        out += [f"{d} span {s}-{e}: {a} -> {b}" for d, s, e, a, b in self.relabelled_spans]
        out += [f"{d} stance {t}: {a} -> {b}" for d, t, a, b in self.stance_changes]
        out += [f"{d} {what}: a reviewer override" for d, what in self.overrides]
        out += [f"gold column added: {c}" for c in self.added_columns]
        out += [f"gold column removed: {c}" for c in self.removed_columns]
        return out


def released_gold(folder: Path) -> dict[str, dict[str, Any]]:
    """document id -> {"spans": {(start, end): label}, "stance": {target: label}, "methods":
    {(start, end) or target: how it was decided}}."""
    files = sorted((folder / "gold").glob("*.parquet"))
    gold: dict[str, dict[str, Any]] = {}
    for path in files:
        data = pq.read_table(path)
        meta = data.schema.metadata or {}
        info = json.loads(meta.get(b"huggingface", b"{}")).get("info", {})
        columns = info.get("features", {})
        labels = columns.get("entities", {}).get("feature", {}).get("label", {}).get("names", [])
        stance_columns = {
            name: spec["names"]
            for name, spec in columns.items()
            if isinstance(spec, dict) and spec.get("_type") == "ClassLabel"
        }
        for row in data.to_pylist():
            methods = {(s["start"], s["end"]): s.get("method") for s in row["entities"]}
            methods |= {
                name.removeprefix("stance_"): row.get(f"{name}_method") for name in stance_columns
            }
            gold[row["id"]] = {
                "methods": methods,
                "spans": {(s["start"], s["end"]): labels[s["label"]] for s in row["entities"]},
                "stance": {
                    name.removeprefix("stance_"): names[row[name]] if row[name] >= 0 else "–"
                    for name, names in stance_columns.items()
                },
            }
    return gold


def diff_gold(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> GoldDiff:
    result = GoldDiff(
        added_documents=sorted(new.keys() - old.keys()),
        removed_documents=sorted(old.keys() - new.keys()),
    )
    for document_id in sorted(old.keys() & new.keys()):
        before, after = old[document_id]["spans"], new[document_id]["spans"]
        for where in sorted(after.keys() - before.keys()):
            result.added_spans.append((document_id, *where, after[where]))
        for where in sorted(before.keys() - after.keys()):
            result.removed_spans.append((document_id, *where, before[where]))
        for where in sorted(before.keys() & after.keys()):
            if before[where] != after[where]:
                result.relabelled_spans.append((document_id, *where, before[where], after[where]))
        old_stance, new_stance = old[document_id]["stance"], new[document_id]["stance"]
        for target in sorted(old_stance.keys() | new_stance.keys()):
            a, b = old_stance.get(target, "–"), new_stance.get(target, "–")
            if a != b:
                result.stance_changes.append((document_id, target, a, b))
        _overrides(result, document_id, new[document_id].get("methods", {}))
    return result


def _overrides(result: GoldDiff, document_id: str, methods: dict[Any, str | None]) -> None:
    """Add the document's changes whose new label is a reviewer's override."""
    changed: list[Any] = [(s, e) for d, s, e, _ in result.added_spans if d == document_id]
    changed += [(s, e) for d, s, e, _, _ in result.relabelled_spans if d == document_id]
    changed += [t for d, t, _, _ in result.stance_changes if d == document_id]
    for where in changed:
        if methods.get(where) == REVIEWER_OVERRIDE:
            what = f"stance {where}" if isinstance(where, str) else f"span {where[0]}-{where[1]}"
            result.overrides.append((document_id, what))


def diff_releases(old: Path, new: Path) -> GoldDiff:
    """Label-level differences between two release folders, and their gold columns."""
    result = diff_gold(released_gold(old), released_gold(new))
    before, after = gold_columns(old), gold_columns(new)
    result.added_columns = [c for c in after if c not in before]
    result.removed_columns = [c for c in before if c not in after]
    return result


def gold_columns(folder: Path) -> list[str]:
    files = sorted((folder / "gold").glob("*.parquet"))
    return pq.read_schema(files[0]).names if files else []
