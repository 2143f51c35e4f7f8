"""The dataset card (README.md): YAML that `datasets` reads (configs, features, split sizes),
then what the data is, the labels, the span convention, agreement, the changelog, how to load."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc
import yaml

from curate.agreement.figures import AgreementReport
from curate.domain.gold import value_counts
from curate.release.card_facts import (
    annotators_per_document,
    entity_labels_used,
    labels_annotated_here,
    size_category,
    targets_with_gold,
)
from curate.release.card_selection import selection_section
from curate.release.compare import GoldDiff
from curate.release.rows import ReleaseRows, stance_column
from curate.release.write import fingerprint_command
from curate.report.card_sections import agreement_tables, annotators_section, table
from curate.store.current import REVIEWER, REVIEWER_OVERRIDE


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


@dataclass(frozen=True)
class About:
    """What curate.toml says of the dataset; the card claims nothing more about the texts."""

    name: str
    version: str
    licence: str
    description: str = ""  # [project] description: what the texts are ("" when not said)
    language: str | None = None  # [project] language


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
    if targets_with_gold(rows):
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
    """What the sections say about the rows, computed once per card."""

    overlap: dict[str, int]  # document -> annotators who labelled it
    stanced: list[str]  # targets with gold
    used: set[str]  # entity labels with a gold span
    here: set[str]  # labels this project's annotators used

    @classmethod
    def of(cls, rows: ReleaseRows) -> Facts:
        return cls(
            annotators_per_document(rows),
            targets_with_gold(rows),
            entity_labels_used(rows),
            labels_annotated_here(rows),
        )


def body(inputs: CardInputs, rows: ReleaseRows) -> str:
    """The card's Markdown after its YAML header, one function per section."""
    facts = Facts.of(rows)
    parts = _summary(inputs, rows, facts)
    parts += _labels_section(rows, inputs.guidelines, facts.stanced, facts.used, facts.here)
    parts += _convention_and_configs(rows)
    parts += _splits_section(inputs.splits)
    parts += _distributions(rows)
    parts += _example(rows)
    parts += _process_section(
        rows, facts.overlap, inputs.process, inputs.guideline_version, facts.stanced, facts.here
    )
    parts += selection_section(rows.selections, inputs.split_of)
    parts += _agreement_section(inputs, rows)
    parts += _changes_section(inputs.changes, inputs.previous)
    parts += _loading_section()
    parts += _limitations_section(inputs.about, rows, facts.stanced)
    parts += _licence_and_citation(inputs.about, facts.used, facts.stanced)
    return "\n".join(parts)


def _summary(inputs: CardInputs, rows: ReleaseRows, facts: Facts) -> list[str]:
    about = inputs.about
    parts = [
        f"# {about.name} {about.version}",
        "",
        f"{_what(about, facts.used, facts.stanced)} {_who_labelled(facts.overlap)} "
        f"{_how_decided(rows.methods)}Made with curate.",
        "",
        f"Data sha256: `{inputs.fingerprint}`, the sha256 of what `sha256sum` prints for the "
        "data files; recount it in this folder with "
        f"`{fingerprint_command(list(inputs.data_files))}`. Every file's own sha256 is in "
        f"`checksums.sha256`. Guidelines version: {inputs.guideline_version or 'not recorded'}.",
    ]
    return parts + (["", inputs.notes] if inputs.notes else [])


def _convention_and_configs(rows: ReleaseRows) -> list[str]:
    parts = [
        "",
        "## Span convention",
        "",
        "Offsets are 0-based Unicode code points, end exclusive: `text[start:end] == span['text']` "
        "holds for every span (checked before release). `method` says how each label was "
        f"decided: {', '.join(f'`{m}`' for m in sorted(rows.methods)) or 'no label was'}.",
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
    return parts


def _agreement_section(inputs: CardInputs, rows: ReleaseRows) -> list[str]:
    parts = ["", "## Agreement and adjudication", ""]
    decided = [[method, n] for method, n in rows.methods.items()]
    parts.append(table(["decided by", "labels"], decided) if decided else "No labels decided.")
    parts += _left_out(rows)
    if inputs.agreement:
        parts += ["", agreement_tables(inputs.agreement)]
        parts += annotators_section(inputs.agreement)
    return parts


def _what(about: About, used: set[str], stanced: list[str]) -> str:
    """The card's first sentences: what curate.toml says the texts are, then what is labelled."""
    labelled = []
    if used:
        labelled.append("named entities")
    if stanced:
        labelled.append(f"the stance each text takes towards {', '.join(stanced)}")
    what = " and ".join(labelled) or "no gold label yet"
    description = about.description.strip()
    if description:
        return f"{description} Each text is labelled with {what}."
    return f"Texts labelled with {what}."


def _labels_section(
    rows: ReleaseRows, guidelines: str, stanced: list[str], used: set[str], here: set[str]
) -> list[str]:
    """Entity labels gold uses (defined where this project's annotators worked under the
    guidelines), then stance labels and columns only when some target has gold."""
    definitions = label_definitions(guidelines)

    def defined(label: str) -> str:
        if label not in here:
            return "labelled elsewhere (imported), under that project's guidelines"
        return definitions.get(label) or "no definition given"

    parts = ["", "## Labels", "", "Entity labels in gold, with their ClassLabel index:", ""]
    parts.append(
        table(
            ["index", "label", "definition"],
            [
                [i, label, defined(label)]
                for i, label in enumerate(rows.entity_labels)
                if label in used
            ],
        )
        if used
        else "No gold entity spans."
    )
    unused = [label for label in rows.entity_labels if label not in used]
    if unused:
        parts += [
            "",
            f"Also in the label set (so the indexes stay stable) but with no gold span: "
            f"{', '.join(unused)}.",
        ]
    if not stanced:
        return parts  # no stance columns were released
    parts += ["", "Stance labels (one column per target, -1 where there is no gold stance):", ""]
    parts.append(
        table(
            ["index", "label", "definition"],
            [
                [i, label, definitions.get(label) or "no definition given"]
                for i, label in enumerate(rows.stance_labels)
            ],
        )
    )
    silent = [t for t in rows.targets if t not in stanced]
    if silent:
        columns = ", ".join(f"`{stance_column(t)}`" for t in silent)
        verb = "is" if len(silent) == 1 else "are"
        parts += ["", f"No gold stance for {', '.join(silent)}: {columns} {verb} -1 on every row."]
    columns = ", ".join(f"`{stance_column(t)}` ({t})" for t in rows.targets)
    parts += [
        "",
        f"Stance columns: {columns}; each has a `_method` column saying how it was decided.",
    ]
    return parts


def _changes_section(changes: GoldDiff | None, previous: str | None) -> list[str]:
    parts = ["", "## Changes", ""]
    if changes is None:
        return [*parts, "First release."]
    counts = changes.counts()
    parts += [f"Since {previous}:", ""]
    parts.append(table(["change", "count"], [[k.replace("_", " "), v] for k, v in counts.items()]))
    listed = changes.lines()
    if listed:
        parts += ["", *[f"- {line}" for line in listed[:50]]]
        if len(listed) > 50:
            parts.append(f"- … and {len(listed) - 50} more (`curate diff`)")
    return parts


def _loading_section() -> list[str]:
    return [
        "",
        "## How to load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'gold = load_dataset("path/to/this/folder")  # or the Hub repo id',
        'annotations = load_dataset("path/to/this/folder", "annotations")',
        "```",
    ]


def _limitations_section(about: About, rows: ReleaseRows, stanced: list[str]) -> list[str]:
    said = []
    if about.language:
        said.append(f"- Texts in one language ({about.language}) only.")
    if stanced:
        said.append(
            "- The stance targets are fixed by the project; other targets a text mentions are "
            "not labelled."
        )
    said.append(
        "- Gold comes from a few annotators per document: labels decided by majority carry the "
        "view of that majority, and agreement figures rest on the documents listed above."
    )
    if rows.annotations.num_rows and pc.any(rows.annotations["from_prelabel"]).as_py():
        said.append(
            "- Pre-labels were shown to annotators (except on blind documents), which can "
            "anchor them; the `annotations` config records how often suggestions were kept."
        )
    said.append(
        "- Documents still in dispute are left out (see above), so hard cases are "
        "under-represented."
    )
    return ["", "## Limitations", "", *said]


def _licence_and_citation(about: About, used: set[str], stanced: list[str]) -> list[str]:
    labelled = " and ".join((["named entities"] if used else []) + (["stance"] if stanced else []))
    key = f"{re.sub(r'[^0-9A-Za-z]+', '_', about.name)}_{about.version.replace('.', '_')}"
    return [
        "",
        "## Licence",
        "",
        f"The labels are released under {about.licence}. The texts belong to their authors or "
        "publishers; they are included for research use, so check each source's terms before "
        "redistributing the texts themselves.",
        "",
        "## Citation",
        "",
        "```bibtex",
        f"@misc{{{key},",
        f"  title  = {{{{{about.name}}}: {labelled or 'labelled texts'}, "
        f"version {about.version}}},",
        "  note   = {Annotated and adjudicated with curate},",
        f"  version = {{{about.version}}},",
        "}",
        "```",
        "",
    ]


def _how_decided(methods: Counter[str] | dict[str, int]) -> str:
    """The card's first paragraph on where gold came from, counted from the released labels'
    methods: accepted by a rule, decided by a reviewer, a reviewer's override, imported."""
    by_hand = {REVIEWER, REVIEWER_OVERRIDE, "imported"}
    automatic = sum(n for method, n in methods.items() if method not in by_hand)
    said = []
    if automatic:
        said.append(f"{automatic} labels were accepted automatically where annotators agreed")
    if methods.get(REVIEWER):
        said.append(f"{methods[REVIEWER]} were decided by a reviewer where they did not")
    if methods.get(REVIEWER_OVERRIDE):
        said.append(
            f"{methods[REVIEWER_OVERRIDE]} were set by a reviewer over what annotators had "
            f"agreed (method `{REVIEWER_OVERRIDE}`)"
        )
    text = "; ".join(said) + ". " if said else ""
    if "imported" in methods:
        text += (
            f"{methods['imported']} labels are gold imported from files made elsewhere (method "
            "`imported`; no annotator of this project labelled them). "
        )
    return text[0].upper() + text[1:] if text else ""


def _splits_section(splits: dict[str, int]) -> list[str]:
    if not splits:
        return []
    rows = [[split, count] for split, count in splits.items()]
    empty = [split for split, count in splits.items() if count == 0]
    note = (
        [
            "",
            f"Empty split{'s' if len(empty) > 1 else ''}: {', '.join(empty)} (no released "
            "document fell in it; it has no file).",
        ]
        if empty
        else []
    )
    return ["", "## Splits", "", table(["split", "documents"], rows), *note]


def _distributions(rows: ReleaseRows) -> list[str]:
    gold = rows.gold
    if gold.num_rows == 0:
        return []
    labels = value_counts(pc.struct_field(pc.list_flatten(gold.column("entities")), "label"))
    parts = ["", "## Label distribution", "", "Gold entity spans per label:", ""]
    parts.append(table(["label", "spans"], [[k, v] for k, v in sorted(labels.items())]))
    for target in targets_with_gold(rows):
        counted = Counter(
            {
                rows.stance_labels[i] if i >= 0 else "no gold stance": n
                for i, n in value_counts(gold.column(stance_column(target))).items()
            }
        )
        parts += ["", f"Stance towards {target}:", ""]
        parts.append(table(["label", "documents"], [[k, v] for k, v in sorted(counted.items())]))
    return parts


def _example(rows: ReleaseRows) -> list[str]:
    if rows.gold.num_rows == 0:
        return []
    first = rows.gold.slice(0, 1).to_pylist()[0]
    if len(first["text"]) > 300:
        first["text"] = first["text"][:300] + "…"
    first["entities"] = first["entities"][:3]
    shown = json.dumps(first, ensure_ascii=False, indent=2, default=str)
    return ["", "## Example instance", "", "The first gold row (text and spans cut short):"] + [
        "",
        "```json",
        shown,
        "```",
    ]


def _who_labelled(overlap: dict[str, int]) -> str:
    if not overlap:
        return "No annotations are included."
    counts = Counter(overlap.values())
    spread = ", ".join(
        f"{k} annotator{'s' if k > 1 else ''} on {n} document{'s' if n > 1 else ''}"
        for k, n in sorted(counts.items())
    )
    return f"Annotators per document: {spread}."


def _process_section(
    rows: ReleaseRows,
    overlap: dict[str, int],
    process: dict[str, Any],
    guideline_version: str | None,
    stanced: list[str],
    here: set[str],
) -> list[str]:
    annotations = rows.labelled()

    def total(column: str) -> int:
        return int(pc.sum(annotations[column]).as_py() or 0)

    annotators = pc.count_distinct(annotations["annotator"]).as_py()
    started = total("from_prelabel")
    kept = total("suggestions_accepted")
    shown = kept + total("suggestions_changed") + total("suggestions_rejected")
    stances_kept = total("stance_suggestions_accepted")
    stances_shown = stances_kept + total("stance_suggestions_changed")
    stances_shown += total("stance_suggestions_rejected")
    use = [f"{kept} of {shown} span suggestions"] if shown else []
    use += [f"{stances_kept} of {stances_shown} stance suggestions"] if stances_shown else []
    if started:
        prelabels = (
            f"- Pre-labels: {started} of {annotations.num_rows} annotations started from machine "
            "suggestions" + (f"; {' and '.join(use)} were kept as they were." if use else ".")
        )
    else:
        prelabels = (
            f"- Pre-labels: none shown; none of the {annotations.num_rows} annotations started "
            "from machine suggestions."
        )
    tie = process.get("tie_breaker", "review")
    lines = [
        "",
        "## Annotation process",
        "",
        f"- {annotators} annotators labelled {len(overlap)} documents "
        f"({annotations.num_rows} annotation revisions). {_who_labelled(overlap)}",
        prelabels,
        f"- Adjudication: spans under the `{process.get('entity_policy', '?')}` policy"
        + (f", stance by a {process.get('majority', '?')} majority" if stanced else "")
        + f"; {_ties(rows, tie)}; the rest by a reviewer.",
        f"- Guidelines version {guideline_version or 'not recorded'}"
        + (" (label definitions above)." if here else "."),
    ]
    return lines + _selection(rows, overlap, tie)


def _ties(rows: ReleaseRows, tie: str) -> str:
    """What settled even splits (2-2), from the released labels' methods."""
    if tie == "review":
        return "even splits (for example 2-2) went to a reviewer"
    settled = rows.methods.get(f"tie-{tie}", 0)
    return (
        f"even splits (for example 2-2) settled by `{tie}` where it could apply ({settled} "
        "released labels), otherwise by a reviewer"
    )


def _selection(rows: ReleaseRows, overlap: dict[str, int], tie: str) -> list[str]:
    """How the released documents were chosen among the annotated ones, by annotator count."""
    if not overlap:
        return []
    released = set(rows.gold.column("id").to_pylist()) if rows.gold.num_rows else set()
    table_rows = []
    rates = {}
    for count in sorted(set(overlap.values())):
        documents = [d for d, k in overlap.items() if k == count]
        out = sum(d in released for d in documents)
        rates[count] = out / len(documents)
        table_rows.append([count, len(documents), out, f"{100 * rates[count]:.0f}%"])
    lines = [
        "",
        "## How the released documents were selected",
        "",
        f"{len(released & set(overlap))} of {len(overlap)} annotated documents are released: "
        "those whose every item was decided (by a rule or a reviewer).",
        "",
        table(["annotators", "annotated documents", "released", "share"], table_rows),
    ]
    even = [k for k in rates if k % 2 == 0 and k > 2]
    if tie == "review" and even and min(rates[k] for k in even) < max(rates.values()):
        lines += [
            "",
            "Documents with an even number of annotators were released less often: an even "
            "split (for example 2-2) goes to a reviewer and stays out until one decides. The "
            "released subset leans towards documents annotators agreed on.",
        ]
    return lines


def _left_out(rows: ReleaseRows) -> list[str]:
    reasons = [
        (rows.unresolved, "still have an open conflict (left out with --allow-unresolved)"),
        (rows.not_adjudicated, "were annotated but not adjudicated yet (too few annotators)"),
    ]
    parts = []
    for documents, why in reasons:
        if documents:
            listed = ", ".join(documents[:20]) + (" …" if len(documents) > 20 else "")
            parts += ["", f"Left out: {len(documents)} documents {why}: {listed}."]
    return parts
