"""`curate evaluate` and `curate train` as Rich tables and lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from curate.agreement.stance import StanceScores
from curate.prelabel.curve import CurvePoint
from curate.prelabel.evaluate import Evaluation
from curate.prelabel.ner_model import BASE, NerReport
from curate.prelabel.train import TrainReport


def print_evaluation(console: Console, result: Evaluation) -> None:
    console.print(f"{result.system}: {result.documents} gold documents", highlight=False)
    if result.unmatched_gold == result.documents:
        console.print(
            "[bold]warning:[/] no gold document's text matches a prediction's text (texts are "
            "matched exactly), so every score is 0; check that the predictions were made on "
            "the same texts",
            highlight=False,
        )
    elif result.unmatched_gold:
        console.print(
            f"[bold]warning:[/] {result.unmatched_gold} of {result.documents} gold documents "
            "have no prediction with the same text; they count as missed",
            highlight=False,
        )
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
    if result.left_out:
        console.print(
            "left out of what annotators are shown (they did more harm than good on the dev "
            f"gold at the last `curate train`): {described(result.left_out)}",
            highlight=False,
        )


def described(left_out: list[tuple[str, str, str]]) -> str:
    return ", ".join(
        f"{name} {label}" if kind == "entity" else f"{name} stance on {label}"
        for name, kind, label in left_out
    )


def stance_table(stance: dict[str, StanceScores], title: str = "stance") -> Table:
    table = Table(
        "target",
        "F1avg",
        "baseline F1avg",
        "precision",
        "coverage",
        "baseline accuracy",
        "documents",
        title=f"{title} (F1avg: mean F1 of favor and against, an abstention a miss; precision: "
        "share of suggestions that were right; coverage: share of documents given one; "
        "baseline: every document given the commonest gold label)",
    )
    for target, s in stance.items():
        table.add_row(
            target,
            f"{s.f1_avg:.3f}",
            f"{s.baseline_f1_avg:.3f} ({s.baseline_label})",
            f"{s.accuracy:.3f}" if s.predicted else "–",
            f"{s.coverage:.2f}",
            f"{s.baseline_accuracy:.3f}",
            str(s.documents),
        )
    return table


def print_training(console: Console, report: TrainReport) -> None:
    if report.scratch_removed:
        console.print(
            f"removed {report.scratch_removed} scratch folder(s) of killed trainings",
            highlight=False,
        )
    _print_ner(console, report.ner)
    refused = ", ".join(f"{n} {why}" for why, n in report.refused_patterns.most_common())
    console.print(
        f"spacy-ner.v2: {report.new_patterns} names learned from gold"
        + (f" in {report.patterns}" if report.patterns else "")
        + (f"; not learned: {refused}" if refused else ""),
        highlight=False,
    )
    if report.unhelpful_labels:
        console.print(
            "names left out, not more often right than wrong on the dev documents: "
            + ", ".join(report.unhelpful_labels),
            highlight=False,
        )
    _print_stance(console, report)
    if report.trust is not None:
        trust = report.trust
        if trust.merged_f1 is not None:
            before, after = trust.merged_f1
            console.print(
                f"suggestions shown, exact F1 on the dev documents: {before:.3f} with every "
                f"labeller's labels, {after:.3f} as shown",
                highlight=False,
            )
        console.print(
            "left out of what annotators are shown: "
            + (described(trust.left_out) if trust.left_out else "nothing"),
            highlight=False,
        )
    if report.gold_changed:
        console.print(
            "[bold]the gold changed while training[/]: these models were kept but not made "
            "current (prelabel keeps the models it used before); run `curate train` again to "
            "train on the gold as it is now",
            highlight=False,
        )


def _print_ner(console: Console, ner: NerReport) -> None:
    if ner.skipped:
        console.print(f"spacy-ner.v2: entity model not trained: {ner.skipped}", highlight=False)
        return
    done = "already trained on this gold, kept" if ner.reused else "trained"
    how = "fine-tuning its NER" if ner.start == BASE else "a new NER on its tok2vec"
    start = (
        f"{how} ({ner.chosen_by}); its NER knows the labels of {ner.known_share:.0%} of "
        f"the training spans; exact F1 on dev {ner.dev_f1:.3f}"
    )
    console.print(
        f"spacy-ner.v2: entity model {ner.version} {done} (from {ner.base}, {start}; "
        f"{ner.train_documents} train, {ner.dev_documents} dev documents; "
        f"{ner.held_out} test documents held out) in {ner.folder}",
        highlight=False,
    )
    if ner.unaligned or ner.overlapping:
        console.print(
            f"{ner.unaligned} gold spans widened to whole tokens, {ner.overlapping} "
            "overlapping spans left out of training",
            highlight=False,
        )
    table = Table("label", "P", "R", "F1", title="entity model on the dev documents")
    for label, scores in sorted(ner.scores.items(), key=lambda item: item[0] == "overall"):
        table.add_row(label, *(f"{scores.get(k, 0.0):.3f}" for k in ("p", "r", "f")))
    console.print(table)


def _print_stance(console: Console, report: TrainReport) -> None:
    for target, count in report.trained_targets.items():
        chosen = report.stance_thresholds.get(target)
        if chosen is None or chosen.threshold > 1:
            how = (
                "never right often enough on held-out folds to reach precision "
                f"{report.stance_min_precision}: it stays quiet"
            )
        else:
            how = (
                f"suggests when its probability is at least {chosen.threshold:.2f} (held-out "
                f"folds: precision {chosen.precision:.2f}, coverage {chosen.coverage:.2f})"
            )
        console.print(
            f"stance-learned.v1: trained {target!r} on {count} documents; {how}", highlight=False
        )
    for target, why in report.skipped_targets.items():
        console.print(f"stance-learned.v1: {target!r} not trained: {why}", highlight=False)
    if report.stance_scores:
        console.print(stance_table(report.stance_scores, "stance-learned.v1 on dev documents"))
    if report.stance_model:
        console.print(f"stance model: {report.stance_model}", highlight=False)


def curve_table(points: list[CurvePoint]) -> Table:
    """One row per share of the training gold: entity F1 per label, stance F1avg per target."""
    labels = sorted({label for p in points for label in p.entity_scores if label != "overall"})
    targets = sorted({target for p in points for target in p.stance_documents})
    table = Table(
        "training gold",
        "entity documents",
        "entity F1 (all)",
        *(f"{label} F1" for label in labels),
        *(f"stance F1avg {target}" for target in targets),
        title="learning curve on the dev documents (the same at every share)",
    )
    for p in points:
        overall = p.entity_scores.get("overall")
        table.add_row(
            f"{p.share:.0%}",
            str(p.entity_documents),
            f"{overall['f']:.3f}" if overall else (p.entity_skipped and "not trained") or "–",
            *(
                f"{p.entity_scores[label]['f']:.3f}" if label in p.entity_scores else "–"
                for label in labels
            ),
            *(
                f"{p.stance_f1_avg[t]:.3f} (baseline {p.stance_baseline[t]:.3f})"
                if t in p.stance_f1_avg
                else "–"
                for t in targets
            ),
        )
    return table


def training_summary(report: TrainReport) -> dict[str, object]:
    """`curate train --json`: what was trained, how it scores on dev, what is left out."""
    ner = report.ner
    return {
        "entities": {
            "version": ner.version,
            "skipped": ner.skipped,
            "reused": ner.reused,
            "base": ner.base,
            "start": ner.start,
            "chosen_by": ner.chosen_by,
            "dev_f1": ner.dev_f1,
            "known_share": round(ner.known_share, 4),
            "scores": ner.scores,
        },
        "stance": {
            target: {
                "documents": report.trained_targets[target],
                "threshold": report.stance_thresholds[target].threshold,
                "dev": report.stance_scores[target].as_dict()
                if target in report.stance_scores
                else None,
            }
            for target in report.trained_targets
        },
        "stance_skipped": report.skipped_targets,
        "left_out": [list(item) for item in report.trust.left_out] if report.trust else [],
        "gold_changed": report.gold_changed,
    }
