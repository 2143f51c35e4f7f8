"""Label Studio annotations -> curate annotations, with every span checked against the text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from curate.config import Settings
from curate.errors import SpanError
from curate.labelstudio.schema import LSAnnotation, Prediction, Result
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
    # Things taken in but not exactly as written: counted and reported, never silent.
    warnings: Counter[str] = field(default_factory=Counter)


def spans_from(
    results: list[Result],
    text: str,
    where: str,
    report: ConversionReport,
    trim: bool = False,
    label_map: Mapping[str, str] | None = None,
) -> tuple[Span, ...]:
    """trim: take leading and trailing whitespace off each span (counted as a repair; the raw
    offsets stay on the span). label_map: outside label -> project label."""
    spans = []
    for result in results:
        if result.type != "labels":
            continue
        value = result.value
        report.spans_checked += 1
        try:
            start, end = _offset(value["start"], where), _offset(value["end"], where)
            if not (isinstance(value["start"], int) and isinstance(value["end"], int)):
                report.warnings["spans with offsets written as non-integers (e.g. 12.0)"] += 1
            labels = value.get("labels") or []
            if not labels:
                raise SpanError(f"{where}: span {start}-{end} has no label")
            if not isinstance(labels, list) or not all(
                isinstance(label, str) and label for label in labels
            ):
                raise SpanError(
                    f"{where} result {result.id}: labels must be a list of label names, "
                    f'e.g. ["PERSON"], not {labels!r}'
                )
            if len(labels) > 1:
                report.warnings["spans with more than one label (the first kept)"] += 1
            fixed = repair_span(text, start, end, value.get("text"), where)
        except SpanError as error:
            report.rejected.append(str(error))
            continue
        except (KeyError, TypeError, ValueError):
            report.rejected.append(f"{where}: a labels result without start/end: {value!r}")
            continue
        if fixed.repair:
            report.repairs[fixed.repair] += 1
        label = labels[0] if label_map is None else label_map.get(labels[0], labels[0])
        span = Span(fixed.start, fixed.end, label, fixed.text)
        if trim:
            trimmed = trim_span(span)
            if trimmed is None:
                report.rejected.append(
                    f"{where}: span {fixed.start}-{fixed.end} covers only whitespace"
                )
                continue
            if trimmed is not span:
                report.repairs[TRIMMED] += 1
            span = trimmed
        spans.append(span)
    return tuple(sorted(spans, key=lambda s: (s.start, s.end, s.label)))


TRIMMED = "edge whitespace trimmed"


def trim_span(span: Span) -> Span | None:
    """The span without leading and trailing whitespace (the same object when it has none;
    None when nothing is left). The offsets it had are kept as `raw`."""
    lead = len(span.text) - len(span.text.lstrip())
    kept = span.text.strip()
    if not kept:
        return None
    if kept == span.text:
        return span
    start = span.start + lead
    return Span(start, start + len(kept), span.label, kept, raw=(span.start, span.end))


def _offset(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(value)
    number = float(value)
    if not number.is_integer():
        raise SpanError(f"{where}: offset {value!r} is not a whole number")
    return int(number)


def stances_from(
    results: list[Result],
    targets: dict[str, str],
    report: ConversionReport | None = None,
    labels: list[str] | None = None,
) -> tuple[StanceLabel, ...]:
    """targets: control name -> target name. A stance outside `labels` is kept as the annotator
    gave it (nothing is lost) and counted; adjudication never makes it gold."""
    stances = []
    for result in results:
        if result.type == "choices" and result.from_name in targets:
            choices = result.value.get("choices") or []
            if choices:
                stances.append(StanceLabel(targets[result.from_name], str(choices[0])))
                if report is not None and len(choices) > 1:
                    report.warnings["stances with more than one choice (the first kept)"] += 1
                if report is not None and labels is not None and str(choices[0]) not in labels:
                    report.warnings[f"stance {choices[0]!r} is not in curate.toml"] += 1
    return tuple(stances)


FROM_PREDICTION = frozenset({"prediction", "prediction-changed"})


@dataclass(frozen=True)
class Rules:
    """How every annotation of one pull or import is read."""

    origin: str  # "labelstudio" (a pull) or "import"
    targets: dict[str, str]  # control name -> stance target
    stance_labels: list[str]
    trim: bool = False  # as in spans_from
    label_map: Mapping[str, str] | None = None  # as in spans_from
    guideline_version: str | None = None

    @classmethod
    def of(
        cls,
        origin: str,
        settings: Settings,
        label_map: Mapping[str, str] | None = None,
        guideline_version: str | None = None,
    ) -> Rules:
        """The rules curate.toml sets: its stance targets and labels, and span trimming."""
        return cls(
            origin,
            {stance_control(t): t for t in settings.target_names()},
            list(settings.stance.labels),
            trim=settings.adjudication.trim_span_whitespace,
            label_map=label_map,
            guideline_version=guideline_version,
        )


@dataclass(frozen=True)
class Labelled:
    """One Label Studio annotation and where it belongs: predicted is the prediction the
    annotator was shown (to tell which suggestions they kept); task_id names the task in
    messages."""

    annotation: LSAnnotation
    document_id: str
    text: str
    annotator: str
    task_id: int | None = None
    predicted: Prediction | None = None


def convert(item: Labelled, rules: Rules, report: ConversionReport) -> Annotation:
    """The annotation as curate stores it, every span checked against the text."""
    annotation, text, predicted = item.annotation, item.text, item.predicted
    targets, trim, label_map = rules.targets, rules.trim, rules.label_map
    task_id = item.task_id
    where = f"annotation {annotation.id}"
    if task_id is not None:
        where = f"task {task_id} {where}"
    for result in annotation.result:
        if result.type not in ("labels", "choices") or (
            result.type == "choices" and result.from_name not in targets
        ):
            report.ignored_results[result.type] += 1
    spans = spans_from(annotation.result, text, where, report, trim, label_map)
    stances = stances_from(annotation.result, targets, report, rules.stance_labels)
    # Label Studio 1.23 leaves parent_prediction empty when an annotator starts from a
    # prediction, but marks each result it copied: origin "prediction", or "prediction-changed"
    # once edited.
    origins = {result.origin for result in annotation.result}
    from_prediction = annotation.parent_prediction is not None or bool(origins & FROM_PREDICTION)
    use = None
    changed = "prediction-changed" in origins
    if predicted is not None and from_prediction:
        use = suggestion_use(annotation.result, predicted)
        changed = changed or (
            spans_from(predicted.result, text, where, ConversionReport(), trim, label_map),
            stances_from(predicted.result, targets),
        ) != (spans, stances)
    return Annotation(
        document_id=item.document_id,
        annotator=item.annotator,
        origin=rules.origin,
        spans=spans,
        stances=stances,
        skipped_reason="cancelled in Label Studio" if annotation.was_cancelled else None,
        lead_time_seconds=annotation.lead_time,
        from_prelabel=from_prediction,
        prelabel_changed=changed,
        suggestion_use=use,
        guideline_version=rules.guideline_version,
        external_id=str(annotation.id),
    )


def suggestion_use(results: list[Result], predicted: Prediction) -> dict[str, Any]:
    """Each suggested span kept as it was (accepted), edited (changed) or deleted (rejected), and
    each suggested stance (stances_accepted, _changed, _rejected): the record the terminal
    annotator keeps. Label Studio shows every suggestion pre-filled, so
    none is left alone."""
    final = {key: r.origin for r in results if r.type == "labels" and (key := _key(r))}
    edited = [key for key, origin in final.items() if origin == "prediction-changed"]
    labeller = predicted.model_version or "prediction"
    use: dict[str, list[list[Any]]] = {"accepted": [], "changed": [], "rejected": [], "ignored": []}
    for result in predicted.result:
        key = _key(result)
        if result.type != "labels" or key is None:
            continue
        start, end, label = key
        if key in final:
            kind = "accepted"
        elif any(s < end and start < e for s, e, _ in edited):
            kind = "changed"
        else:
            kind = "rejected"
        use[kind].append([start, end, label, labeller])
    chosen = {r.from_name: r.value.get("choices") for r in results if r.type == "choices"}
    for result in predicted.result:
        if result.type != "choices" or not result.value.get("choices"):
            continue
        given = chosen.get(result.from_name)
        kind = (
            "rejected"
            if not given
            else ("accepted" if given == result.value["choices"] else "changed")
        )
        use.setdefault(f"stances_{kind}", []).append([result.from_name, result.value["choices"][0]])
    return use


def _key(result: Result) -> tuple[int, int, str] | None:
    value = result.value
    labels = value.get("labels") or []
    if (
        not labels
        or not isinstance(value.get("start"), int)
        or not isinstance(value.get("end"), int)
    ):
        return None
    return int(value["start"]), int(value["end"]), str(labels[0])
