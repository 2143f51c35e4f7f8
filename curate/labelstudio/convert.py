"""Label Studio annotations -> curate annotations, with every span checked against the text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from curate.errors import SpanError
from curate.labelstudio.schema import LSAnnotation, Result
from curate.offsets import repair_span
from curate.records import Annotation, Span, StanceLabel

STANCE_PREFIX = "stance_"


def stance_control(target: str) -> str:
    """The name of a target's Choices control in the label config."""
    return STANCE_PREFIX + "".join(c if c.isalnum() else "_" for c in target.lower())


@dataclass
class ConversionReport:
    spans_checked: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)  # one message per span kept out
    ignored_results: Counter[str] = field(default_factory=Counter)  # result types not read


def spans_from(
    results: list[Result], text: str, where: str, report: ConversionReport
) -> tuple[Span, ...]:
    spans = []
    for result in results:
        if result.type != "labels":
            continue
        value = result.value
        report.spans_checked += 1
        try:
            start, end = int(value["start"]), int(value["end"])
            labels = value.get("labels") or []
            if not labels:
                raise SpanError(f"{where}: span {start}-{end} has no label")
            fixed = repair_span(text, start, end, value.get("text"), where)
        except SpanError as error:
            report.rejected.append(str(error))
            continue
        except (KeyError, TypeError, ValueError):
            report.rejected.append(f"{where}: a labels result without start/end: {value!r}")
            continue
        if fixed.repair:
            report.repairs[fixed.repair] += 1
        spans.append(Span(fixed.start, fixed.end, str(labels[0]), fixed.text))
    return tuple(sorted(spans, key=lambda s: (s.start, s.end, s.label)))


def stances_from(results: list[Result], targets: dict[str, str]) -> tuple[StanceLabel, ...]:
    """targets: control name -> target name."""
    stances = []
    for result in results:
        if result.type == "choices" and result.from_name in targets:
            choices = result.value.get("choices") or []
            if choices:
                stances.append(StanceLabel(targets[result.from_name], str(choices[0])))
    return tuple(stances)


def convert(
    annotation: LSAnnotation,
    document_id: str,
    text: str,
    annotator: str,
    origin: str,
    targets: dict[str, str],
    report: ConversionReport,
    guideline_version: str | None = None,
    predictions: dict[int, list[Result]] | None = None,
) -> Annotation:
    """predictions: the task's predictions by id, to tell whether a pre-label was changed."""
    where = f"annotation {annotation.id}"
    for result in annotation.result:
        if result.type not in ("labels", "choices") or (
            result.type == "choices" and result.from_name not in targets
        ):
            report.ignored_results[result.type] += 1
    spans = spans_from(annotation.result, text, where, report)
    stances = stances_from(annotation.result, targets)
    # Label Studio sets parent_prediction when the annotator started from a prediction.
    from_prediction = annotation.parent_prediction is not None
    changed = False
    predicted = (predictions or {}).get(annotation.parent_prediction or -1)
    if predicted is not None:
        before = ConversionReport()
        changed = (
            spans_from(predicted, text, where, before),
            stances_from(predicted, targets),
        ) != (spans, stances)
    return Annotation(
        document_id=document_id,
        annotator=annotator,
        origin=origin,
        spans=spans,
        stances=stances,
        skipped_reason="cancelled in Label Studio" if annotation.was_cancelled else None,
        lead_time_seconds=annotation.lead_time,
        from_prelabel=from_prediction,
        prelabel_changed=changed,
        guideline_version=guideline_version,
        external_id=str(annotation.id),
    )
