"""`curate evaluate` and `curate train` as Rich tables and lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from curate.agreement.stance import StanceScores
from curate.prelabel.evaluate import Evaluation


def print_evaluation(console: Console, result: Evaluation) -> None:
    console.print(f"{result.system}: {result.documents} gold documents", highlight=False)
    for mode, comparison in (("exact", result.exact), ("overlap", result.overlap)):
        table = Table("gold label", "P", "R", "F1", "tp", "fp", "fn", title=f"entities ({mode})")
        for label, scores in comparison.table().items():
            table.add_row(
                label,
                f"{scores.precision:.3f}",
                f"{scores.recall:.3f}",
                f"{scores.f1:.3f}",
                str(scores.tp),
                str(scores.fp),
                str(scores.fn),
            )
        console.print(table)
    if result.dropped_gold:
        listed = ", ".join(f"{n} {label}" for label, n in result.dropped_gold.most_common())
        console.print(f"gold spans the label map leaves out (not scored): {listed}")
    if result.ignored_predictions:
        listed = ", ".join(f"{n} {label}" for label, n in result.ignored_predictions.most_common())
        console.print(f"predicted spans with labels the gold lacks (not scored): {listed}")
    if result.stance:
        console.print(stance_table(result.stance))


def stance_table(stance: dict[str, StanceScores], title: str = "stance") -> Table:
    table = Table(
        "target",
        "F1avg",
        "baseline F1avg",
        "accuracy",
        "baseline accuracy",
        "coverage",
        "documents",
        title=f"{title} (F1avg: mean F1 of favor and against; baseline: every document "
        "given the commonest gold label)",
    )
    for target, s in stance.items():
        table.add_row(
            target,
            f"{s.f1_avg:.3f}",
            f"{s.baseline_f1_avg:.3f} ({s.baseline_label})",
            f"{s.accuracy:.3f}",
            f"{s.baseline_accuracy:.3f}",
            f"{s.coverage:.2f}",
            str(s.documents),
        )
    return table
