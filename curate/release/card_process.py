"""The dataset card's sections about the rows and how they were made: splits, label
distributions, an example, the annotation process and selection, agreement and adjudication.
Each is a function of the card's Facts."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.compute as pc

from curate.domain.gold import value_counts
from curate.release.card_facts import Facts
from curate.release.rows import ReleaseRows, stance_column
from curate.report.card_sections import agreement_tables, annotators_section, table


def splits_section(facts: Facts) -> list[str]:
    splits = facts.inputs.splits
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


def distributions(facts: Facts) -> list[str]:
    rows, gold = facts.rows, facts.rows.gold
    if gold.num_rows == 0:
        return []
    labels = value_counts(pc.struct_field(pc.list_flatten(gold.column("entities")), "label"))
    parts = ["", "## Label distribution", "", "Gold entity spans per label:", ""]
    parts.append(table(["label", "spans"], [[k, v] for k, v in sorted(labels.items())]))
    for target in facts.stanced:
        counted = Counter(
            {
                rows.stance_labels[i] if i >= 0 else "no gold stance": n
                for i, n in value_counts(gold.column(stance_column(target))).items()
            }
        )
        parts += ["", f"Stance towards {target}:", ""]
        parts.append(table(["label", "documents"], [[k, v] for k, v in sorted(counted.items())]))
    return parts


def example(facts: Facts) -> list[str]:
    rows = facts.rows
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


def who_labelled(overlap: dict[str, int]) -> str:
    if not overlap:
        return "No annotations are included."
    counts = Counter(overlap.values())
    spread = ", ".join(
        f"{k} annotator{'s' if k > 1 else ''} on {n} document{'s' if n > 1 else ''}"
        for k, n in sorted(counts.items())
    )
    return f"Annotators per document: {spread}."


def process_section(facts: Facts) -> list[str]:
    """Who labelled what, how pre-labels were used, the adjudication rules; then how the
    released documents were selected."""
    rows, overlap, process = facts.rows, facts.overlap, facts.inputs.process
    guideline_version, stanced, here = facts.inputs.guideline_version, facts.stanced, facts.here
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
        f"({annotations.num_rows} annotation revisions). {who_labelled(overlap)}",
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


def agreement_section(facts: Facts) -> list[str]:
    inputs, rows = facts.inputs, facts.rows
    parts = ["", "## Agreement and adjudication", ""]
    decided = [[method, n] for method, n in rows.methods.items()]
    parts.append(table(["decided by", "labels"], decided) if decided else "No labels decided.")
    parts += _left_out(rows)
    if inputs.agreement:
        parts += ["", agreement_tables(inputs.agreement)]
        parts += annotators_section(inputs.agreement)
    return parts


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
