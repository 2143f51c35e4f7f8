"""The agreement report as typed records. `as_json` gives what `curate agreement --json` prints:
an annotator pair written "a | b", a missing figure as null."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

Pair = tuple[str, str]  # two annotators, in the report's order
Rename = Callable[[str], str]


def pair_label(pair: Pair) -> str:
    """How a pair is written in tables and JSON keys: "alice | bob"."""
    return " | ".join(pair)


# A field left out of the JSON while it is None (sections a report may not have).
OPTIONAL = {"optional": True}


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% bootstrap interval (None where there is none)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def degenerate(self) -> bool:
        """An interval with an end on the estimate (e.g. α -0.200 [-0.500, -0.200])."""
        ends = (self.value, self.low, self.high)
        return None not in ends and self.value in (self.low, self.high)


@dataclass(frozen=True)
class PairKappa:
    value: float | None
    units: int  # documents both gave a stance for


@dataclass(frozen=True)
class StanceTarget:
    units: int  # documents with two stances or more
    unpaired: int  # documents with one stance only: compared with nobody
    alpha: Estimate
    fleiss_kappa: Estimate
    percent_agreement: Estimate
    cohen_kappa: dict[Pair, PairKappa]
    labels: dict[str, int]  # how often each stance was given

    @property
    def given(self) -> bool:
        """Some annotator gave a stance on this target."""
        return bool(self.units or self.unpaired)

    @property
    def estimates(self) -> dict[str, Estimate]:
        """The figures with intervals, by field name, in the report's order."""
        return {
            "alpha": self.alpha,
            "fleiss_kappa": self.fleiss_kappa,
            "percent_agreement": self.percent_agreement,
        }


@dataclass(frozen=True)
class SpanScores:
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @property
    def used(self) -> bool:
        return bool(self.tp or self.fp or self.fn)


@dataclass(frozen=True)
class EntityPair:
    documents: int  # both annotators labelled them
    exact: SpanScores
    overlap: SpanScores
    label_conflicts: int
    boundary_differences: int
    token_kappa: float | None


@dataclass(frozen=True)
class EntityOverall:
    exact: SpanScores
    overlap: SpanScores
    label_conflicts: int
    boundary_differences: int


@dataclass(frozen=True)
class Matrix:
    """Exact span F1 and token κ for every annotator pair, a square in `coders` order."""

    coders: list[str]
    exact_f1: list[list[float | None]]
    token_kappa: list[list[float | None]]


@dataclass(frozen=True)
class UnitizedAlpha:
    resampled_groups: int  # groups of documents the bootstrap draws
    overall: Estimate | None = field(metadata=OPTIONAL)  # None when no label was compared
    by_label: dict[str, Estimate]
    pairs: dict[Pair, float | None]


@dataclass(frozen=True)
class Entities:
    overall: EntityOverall
    by_label: dict[str, dict[str, SpanScores]]  # "exact" | "overlap" -> label -> scores
    pairs: dict[Pair, EntityPair]
    matrix: Matrix
    unpaired_spans: int  # on documents one annotator labelled: compared with nobody
    unpaired_documents: int
    unitized_alpha: UnitizedAlpha


@dataclass(frozen=True)
class Anchoring:
    """One annotator against the suggestions, on suggested or on blind documents."""

    documents: int
    suggested_spans: int
    suggested_stances: int
    suggestions_kept_unchanged: float | None
    span_f1_with_suggestions: float | None
    stance_agreement_with_suggestions: float | None
    started_from_suggestions: int

    @property
    def shown(self) -> bool:
        return bool(self.suggested_spans or self.suggested_stances)


@dataclass(frozen=True)
class DocumentScore:
    document: str
    score: float | None
    entity_f1: float | None
    stance_agreement: float | None
    title: str = ""  # for a reviewer to recognise it
    disagreement: str = ""  # "spans", "stance", "spans and stance" or "none"


@dataclass(frozen=True)
class Bootstrap:
    resamples: int
    seed: int
    level: float = 0.95


@dataclass(frozen=True)
class TimeSummary:
    annotations: int
    median_seconds: float | None
    median_seconds_per_1000_characters: float | None


@dataclass(frozen=True)
class Timing:
    """Time per annotation over the whole project (curate.quality.timing)."""

    annotations_timed: int
    by_length: dict[str, TimeSummary] | None = field(default=None, metadata=OPTIONAL)
    with_prelabels: TimeSummary | None = field(default=None, metadata=OPTIONAL)
    without_prelabels: TimeSummary | None = field(default=None, metadata=OPTIONAL)
    # Share of time per 1,000 characters pre-labels save (None without both sides).
    saving: float | None = None


@dataclass(frozen=True)
class Peers:
    exact_f1: float | None
    token_kappa: float | None
    stance_agreement: float | None


@dataclass(frozen=True)
class GoldScores:
    """An annotator against gold: on settled documents, or on control documents."""

    documents: int
    entity_f1: Estimate
    stance_accuracy: Estimate
    score: Estimate  # the mean of the two that exist
    passed: bool | None = field(default=None, metadata=OPTIONAL)  # controls: score >= the bar


@dataclass(frozen=True)
class Competence:
    stance: float | None
    entities: float | None


@dataclass(frozen=True)
class SuggestionUse:
    accepted: int
    changed: int
    rejected: int
    acceptance: float | None


@dataclass(frozen=True)
class AnnotatorFigures:
    # None for an annotator seen on control documents only.
    documents: int | None = field(metadata=OPTIONAL)
    skipped: int | None = field(metadata=OPTIONAL)
    time: TimeSummary | None
    peers: Peers | None
    gold: GoldScores | None
    control: GoldScores | None
    competence: Competence
    suggestions: SuggestionUse | None


@dataclass(frozen=True)
class ControlWarning:
    annotator: str
    score: float | None
    documents: int


@dataclass(frozen=True)
class AnnotatorQuality:
    competence_model: str
    min_control_score: float
    annotators: dict[str, AnnotatorFigures]
    time: Timing
    below_min_control_score: list[ControlWarning]

    def renamed(self, rename: Rename) -> AnnotatorQuality:
        return replace(
            self,
            annotators={rename(n): v for n, v in self.annotators.items()},
            below_min_control_score=[
                replace(w, annotator=rename(w.annotator)) for w in self.below_min_control_score
            ],
        )


@dataclass(frozen=True)
class AgreementReport:
    documents: int
    # Documents two or more annotators labelled: the ones the agreement figures compare.
    compared: int
    annotators: list[str]
    labelled: dict[str, int]
    skipped: dict[str, int]
    blind_documents: int
    bootstrap: Bootstrap
    stance: dict[str, StanceTarget]
    entities: Entities
    anchoring: dict[str, dict[str, Anchoring]]  # annotator -> "suggested" | "blind" -> figures
    lowest_agreement: list[DocumentScore]
    # The per-annotator section (curate.quality.annotators), when measured.
    annotator_quality: AnnotatorQuality | None = field(default=None, metadata=OPTIONAL)
    # The same report on the released documents only (a release's card).
    released: AgreementReport | None = field(default=None, metadata=OPTIONAL)

    @property
    def stance_targets(self) -> list[str]:
        """Targets some annotator gave a stance for; the others have no figures to show."""
        return [target for target, figures in self.stance.items() if figures.given]

    def as_json(self) -> dict[str, Any]:
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain

    def renamed(self, rename: Rename) -> AgreementReport:
        """The report with every annotator name passed through `rename` (pseudonyms)."""

        def pairs(by_pair: dict[Pair, Any]) -> dict[Pair, Any]:
            return {(rename(a), rename(b)): value for (a, b), value in by_pair.items()}

        unitized, matrix = self.entities.unitized_alpha, self.entities.matrix
        entities = replace(
            self.entities,
            pairs=pairs(self.entities.pairs),
            unitized_alpha=replace(unitized, pairs=pairs(unitized.pairs)),
            matrix=replace(matrix, coders=[rename(n) for n in matrix.coders]),
        )
        return replace(
            self,
            annotators=[rename(n) for n in self.annotators],
            labelled={rename(n): v for n, v in self.labelled.items()},
            skipped={rename(n): v for n, v in self.skipped.items()},
            stance={
                target: replace(figures, cohen_kappa=pairs(figures.cohen_kappa))
                for target, figures in self.stance.items()
            },
            entities=entities,
            anchoring={rename(n): v for n, v in self.anchoring.items()},
            annotator_quality=(
                self.annotator_quality.renamed(rename) if self.annotator_quality else None
            ),
            released=self.released.renamed(rename) if self.released else None,
        )


def _plain(value: Any) -> Any:
    """JSON-ready: records as objects in field order, pair keys as "a | b"."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if not (f.metadata.get("optional") and getattr(value, f.name) is None)
        }
    if isinstance(value, dict):
        return {
            (pair_label(key) if isinstance(key, tuple) else key): _plain(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
