"""The dataset card (README.md): YAML that `datasets` reads (configs, features, split sizes),
then what the data is, the labels, the span convention, agreement, the changelog, how to load."""

from __future__ import annotations

import re
from typing import Any

import yaml

from curate.release.compare import GoldDiff
from curate.release.rows import ReleaseRows, stance_column


def label_definitions(guidelines: str) -> dict[str, str]:
    """'- **NAME** — definition' items of guidelines.md (continuation lines joined)."""
    found: dict[str, str] = {}
    current = None
    for line in guidelines.splitlines():
        item = re.match(r"^- \*\*([^*]+)\*\* — (.*)$", line)
        if item:
            current = item.group(1)
            found[current] = item.group(2).strip()
        elif current and line.startswith("  ") and line.strip():
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def yaml_header(
    name: str,
    version: str,
    licence: str,
    configs: dict[str, dict[str, tuple[str, int, int]]],
    features: dict[str, Any],
) -> str:
    """configs: config -> split -> (file, rows, bytes)."""
    header: dict[str, Any] = {
        "pretty_name": name,
        "version": version,
        "license": licence,
        "language": ["en"],
        "task_categories": ["token-classification", "text-classification"],
        "tags": ["named-entity-recognition", "stance-detection", "curate"],
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
                "download_size": sum(size for _, _, size in splits.values()),
                "dataset_size": sum(size for _, _, size in splits.values()),
            }
            for config, splits in configs.items()
        ],
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value).replace("|", "\\|")


def body(
    name: str,
    version: str,
    rows: ReleaseRows,
    guidelines: str,
    guideline_version: str | None,
    agreement: dict[str, Any] | None,
    changes: GoldDiff | None,
    previous: str | None,
    notes: str | None,
    fingerprint: str,
    licence: str,
) -> str:
    definitions = label_definitions(guidelines)
    parts = [
        f"# {name} {version}",
        "",
        "News articles labelled with named entities and with the stance each article takes "
        f"towards {', '.join(rows.targets)}. Each document was labelled by several annotators; "
        "where they agreed the label was accepted automatically, otherwise a reviewer decided. "
        "Made with curate.",
        "",
        f"Data sha256: `{fingerprint}` (over the parquet files). Guidelines version: "
        f"{guideline_version or 'not recorded'}.",
    ]
    if notes:
        parts += ["", notes]
    parts += ["", "## Labels", "", "Entity labels, in ClassLabel index order:", ""]
    parts.append(
        _table(
            ["index", "label", "definition"],
            [[i, label, definitions.get(label, "")] for i, label in enumerate(rows.entity_labels)],
        )
    )
    parts += ["", "Stance labels (one column per target, -1 where there is no gold stance):", ""]
    parts.append(
        _table(
            ["index", "label", "definition"],
            [[i, label, definitions.get(label, "")] for i, label in enumerate(rows.stance_labels)],
        )
    )
    columns = ", ".join(f"`{stance_column(t)}` ({t})" for t in rows.targets)
    parts += [
        "",
        f"Stance columns: {columns}; each has a `_method` column saying how it was decided.",
        "",
        "## Span convention",
        "",
        "Offsets are 0-based Unicode code points, end exclusive: `text[start:end] == span['text']` "
        "holds for every span (checked before release). `method` says how each label was "
        "decided: `unanimous`, `majority` or `reviewer`.",
        "",
        "## Configs",
        "",
        "- `gold` (default): one row per adjudicated document.",
        "- `annotations`: one row per annotation revision, annotators pseudonymized (a stable "
        "salted hash) unless the release was made with real names; `origin`, lead time and how "
        "many suggestions were accepted, changed or rejected.",
    ]
    if rows.prelabels:
        parts.append("- `prelabels`: the machine suggestions annotators were shown.")
    parts += ["", "## Agreement and adjudication", ""]
    decided = [[method, n] for method, n in rows.methods.items()]
    parts.append(_table(["decided by", "labels"], decided) if decided else "No labels decided.")
    if rows.unresolved:
        parts += [
            "",
            f"{len(rows.unresolved)} documents with unresolved conflicts are left out of this "
            "release (made with --allow-unresolved).",
        ]
    if agreement:
        parts += ["", _agreement_tables(agreement)]
    parts += ["", "## Changes", ""]
    if changes is None:
        parts.append("First release.")
    else:
        counts = changes.counts()
        parts.append(f"Since {previous}:")
        parts.append("")
        parts.append(
            _table(["change", "count"], [[k.replace("_", " "), v] for k, v in counts.items()])
        )
        listed = changes.lines()
        if listed:
            parts += ["", *[f"- {line}" for line in listed[:50]]]
            if len(listed) > 50:
                parts.append(f"- … and {len(listed) - 50} more (`curate diff`)")
    parts += [
        "",
        "## How to load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'gold = load_dataset("path/to/this/folder")  # or the Hub repo id',
        'annotations = load_dataset("path/to/this/folder", "annotations")',
        "```",
        "",
        "## Licence",
        "",
        f"The labels are released under {licence}. The article texts belong to their publishers; "
        "they are included for research use, so check each source's terms before redistributing "
        "the texts themselves.",
        "",
    ]
    return "\n".join(parts)


def _agreement_tables(report: dict[str, Any]) -> str:
    stance = [
        [
            target,
            s["units"],
            s["alpha"]["value"],
            _interval(s["alpha"]),
            s["fleiss_kappa"]["value"],
            s["percent_agreement"]["value"],
        ]
        for target, s in report["stance"].items()
    ]
    pairs = [
        [pair, p["documents"], p["exact"]["f1"], p["overlap"]["f1"], p["token_kappa"]]
        for pair, p in report["entities"]["pairs"].items()
    ]
    return "\n".join(
        [
            f"Inter-annotator agreement over {report['documents']} annotated documents "
            "(95% bootstrap intervals over documents):",
            "",
            _table(
                ["target", "documents", "Krippendorff α", "95% CI", "Fleiss κ", "% agree"], stance
            ),
            "",
            _table(
                ["annotator pair", "documents", "exact span F1", "overlap span F1", "token κ"],
                pairs,
            ),
        ]
    )


def _interval(estimate: dict[str, float | None]) -> str:
    if estimate["low"] is None or estimate["high"] is None:
        return "–"
    return f"[{estimate['low']:.3f}, {estimate['high']:.3f}]"
