"""The review screen's span line and stance rows, as Rich Text from a Resolution."""

from __future__ import annotations

from rich.text import Text

from curate.records import Span
from tui.render import label_style
from tui.resolution import UNDECIDED, Resolution


def group_panel(
    resolution: Resolution, drawn: tuple[int, int] | None, colours: dict[str, str]
) -> Text:
    """The span line: the open span in focus, each pane's version of it and the choice; or
    the span being drawn; or why there is no span to decide."""
    if drawn is not None:
        text = resolution.alignment.document.text[drawn[0] : drawn[1]]
        return Text(f"drawing {text!r}: a label key adds it, esc stops", style="bold")
    if not resolution.groups:
        agreed = len(resolution.alignment.agreed_spans)
        if agreed:
            return Text(
                f"spans settled: the annotators agreed on all {agreed}; only stances are open"
            )
        return Text("no spans from any annotator")
    group = resolution.groups[resolution.group]
    kinds = ", ".join(group.conflicts) or "agreed"
    focus = "" if resolution.on_stances else "▶ "
    panel = Text(f"{focus}span {resolution.group + 1}/{len(resolution.groups)} [{kinds}]: ")
    for number, who in enumerate(resolution.annotators, 1):
        version = group.versions.get(who)
        text = f"{version.label} {version.text!r}" if version else "nothing"
        panel.append(f" {number} " if number == 1 else f" · {number} ")
        style = label_style(colours.get(version.label, "#aaaaaa")) if version else ""
        panel.append(text, style=style)
    if resolution.added:
        yours = ", ".join(f"{s.label} {s.text!r}" for s in resolution.added)
        panel = Text(f"yours: {yours}\n") + panel
    chosen = resolution.chosen[resolution.group]
    if chosen is UNDECIDED:
        panel.append("  → undecided", style="bold red")
    elif isinstance(chosen, Span):
        panel.append(f"  → {chosen.label} {chosen.text!r}", style="bold")
    else:
        panel.append("  → no span", style="bold")
    return panel


def stance_rows(resolution: Resolution) -> Text:
    """A row per stance target: each pane's stance (by pane number), conflicts, the choice."""
    reopen = " · ctrl+o reopens a settled one" if resolution.reopenable() else ""
    rows = Text(
        f"stances · tab: the open ones · ctrl+t sets one{reopen}\n"
        if resolution.alignment.stances
        else ""
    )
    for i, row in enumerate(resolution.alignment.stances):
        focus = "▶" if resolution.on_stances and i == resolution.row else " "
        # Numbers name the panes (their titles carry the names): a row fits 100 columns.
        versions = " · ".join(
            f"{n} {row.versions.get(who) or '–'}" for n, who in enumerate(resolution.annotators, 1)
        )
        kind = f" [{', '.join(row.conflicts)}]" if row.conflicts else ""
        chosen = resolution.stances.get(row.target) or "undecided"
        if resolution.settled(row.target) and row.decided is not None:
            chosen += " (settled)"
        elif resolution.settled(row.target):
            chosen = f"{resolution.stances.get(row.target) or 'no stance'} (agreed)"
        weighted = f"  ({row.weighted})" if row.weighted else ""
        rows.append(f"{focus} {row.target}{kind}: {versions}{weighted}  → {chosen}\n")
    return rows
