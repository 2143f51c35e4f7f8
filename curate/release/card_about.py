"""The dataset card's sections about the data as a whole: what it is and how it was decided,
the labels, the span convention and configs, the changes, how to load it, its limitations,
licence and citation. Each is a function of the card's Facts."""

from __future__ import annotations

import re
from collections import Counter

import pyarrow.compute as pc

from curate.release.card_facts import About, Facts
from curate.release.card_process import who_labelled
from curate.release.rows import stance_column
from curate.release.write import fingerprint_command
from curate.report.card_sections import table
from curate.store.current import REVIEWER, REVIEWER_OVERRIDE


def summary(facts: Facts) -> list[str]:
    """The title, what the texts are and how their labels were decided, the checksum."""
    inputs, about = facts.inputs, facts.about
    parts = [
        f"# {about.name} {about.version}",
        "",
        f"{_what(about, facts.used, facts.stanced)} {who_labelled(facts.overlap)} "
        f"{_how_decided(facts.rows.methods)}Made with curate.",
        "",
        f"Data sha256: `{inputs.fingerprint}`, the sha256 of what `sha256sum` prints for the "
        "data files; recount it in this folder with "
        f"`{fingerprint_command(list(inputs.data_files))}`. Every file's own sha256 is in "
        f"`checksums.sha256`. Guidelines version: {inputs.guideline_version or 'not recorded'}.",
    ]
    return parts + (["", inputs.notes] if inputs.notes else [])


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


def labels_section(facts: Facts) -> list[str]:
    """Entity labels gold uses (defined where this project's annotators worked under the
    guidelines), then stance labels and columns only when some target has gold."""
    rows, stanced, used, here = facts.rows, facts.stanced, facts.used, facts.here
    definitions = label_definitions(facts.inputs.guidelines)

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


def convention_and_configs(facts: Facts) -> list[str]:
    rows = facts.rows
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


def changes_section(facts: Facts) -> list[str]:
    changes, previous = facts.inputs.changes, facts.inputs.previous
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


def loading_section(_facts: Facts) -> list[str]:
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


def limitations_section(facts: Facts) -> list[str]:
    about, rows, stanced = facts.about, facts.rows, facts.stanced
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


def licence_and_citation(facts: Facts) -> list[str]:
    about, used, stanced = facts.about, facts.used, facts.stanced
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
