"""`curate import-ls`: a Label Studio JSON export made elsewhere -> documents and annotations."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Connection

from curate import jsontext
from curate.agreement.figures import AgreementReport
from curate.config import Settings
from curate.errors import InputError
from curate.ingest.clean import clean_with_offsets
from curate.labels import resolve_labels, unknown_labels_error
from curate.labelstudio.convert import ConversionReport, Labelled, Rules, convert
from curate.labelstudio.schema import LSAnnotation, Task
from curate.labelstudio.tasks import SYSTEM
from curate.project import Project, take_labels
from curate.records import Annotation, Document, Provenance
from curate.report import measure
from curate.store import Store, open_store, queries

SYNC_KIND = "import-annotation"
_MISSING = object()


@dataclass
class ImportReport:
    tasks: int = 0
    new_documents: int = 0
    known_documents: int = 0
    repeated_texts: list[str] = field(default_factory=list)
    new_annotations: int = 0
    known_annotations: int = 0
    changed_annotations: int = 0  # edited since an earlier import: stored as new revisions
    cancelled: int = 0
    conversion: ConversionReport = field(default_factory=ConversionReport)
    # Outside label -> project label, for labels that were renamed (--label-map, or case).
    mapped: dict[str, str] = field(default_factory=dict)
    adopted: list[str] = field(default_factory=list)  # labels written into curate.toml
    removed: list[str] = field(default_factory=list)  # unused template labels taken out
    stances: int = 0  # stance labels read for curate.toml's targets
    # Texts whose line endings, trailing spaces or blank edge lines were cleaned as `ingest`
    # cleans them (their spans moved with them).
    normalised_texts: int = 0


def read_tasks(path: Path) -> list[Task]:
    if path.is_dir():
        raise InputError(
            f"{path} is a folder; pass the JSON file Label Studio exported (Export > JSON)"
        )
    if not path.is_file():
        raise InputError(f"{path} does not exist; pass the JSON file Label Studio exported")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; export it again as JSON") from None
    raw = jsontext.parse(content, str(path))
    if not isinstance(raw, list):
        raise InputError(f"{path} holds a JSON {type(raw).__name__}, not Label Studio's task list")
    if not raw:
        raise InputError(
            f"{path} holds no tasks (an empty list); export the project again with its tasks "
            "(Export > JSON)"
        )
    tasks = []
    for index, item in enumerate(raw):
        try:
            tasks.append(Task.model_validate(item))
        except ValidationError as error:
            first = error.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            raise InputError(
                f"{path} task {index} is not a Label Studio task ({key}: {first['msg']})"
            ) from None
    return tasks


def annotator_name(
    annotation: LSAnnotation, by_email: dict[str, str], report: ImportReport | None = None
) -> str:
    """Configured annotators keep their curate name; others are keyed by email, else by id.
    An annotation with neither is kept under a name of its own, and counted."""
    if annotation.email:
        return by_email.get(annotation.email.lower(), annotation.email)
    if annotation.user_id is None:
        if report is not None:
            report.conversion.warnings["annotations with no annotator id (kept apart)"] += 1
        return f"labelstudio-unknown-{annotation.id}"
    return f"labelstudio-user-{annotation.user_id}"


def _refuse_misshapen_labels(path: Path, tasks: list[Task]) -> None:
    """A labels result whose labels are not a list of names ("PERSON", [null]) is a broken
    export: refused whole, never guessed at (a string would be read letter by letter)."""
    for task in tasks:
        for annotation in task.annotations:
            for result in annotation.result:
                labels = result.value.get("labels") if result.type == "labels" else []
                if labels is None or (
                    isinstance(labels, list) and all(isinstance(x, str) and x for x in labels)
                ):
                    continue
                raise InputError(
                    f"{path} task {task.id} annotation {annotation.id} result {result.id}: labels "
                    f'must be a list of label names, e.g. ["PERSON"], not {labels!r}; fix the '
                    "export (nothing was imported)"
                )


def labels_in(tasks: list[Task]) -> Counter[str]:
    """The span labels an export uses (the first label of each labels result), counted."""
    found: Counter[str] = Counter()
    for task in tasks:
        for annotation in task.annotations:
            for result in annotation.result:
                labels = result.value.get("labels") if result.type == "labels" else None
                if isinstance(labels, list) and labels and isinstance(labels[0], str):
                    found[labels[0]] += 1
    return found


def import_into_project(
    project: Project,
    store: Store,
    path: Path,
    text_field: str = "text",
    label_map: dict[str, str] | None = None,
    adopt: bool = False,
) -> ImportReport:
    """`curate import-ls`: every label is mapped, known, or (adopt) written into curate.toml
    before anything is stored; otherwise the import stops with the fix."""
    tasks = read_tasks(path)
    with store.connect() as connection:
        fresh = queries.nothing_labelled(connection)
    taken = take_labels(project, labels_in(tasks), label_map, adopt, path, fresh)
    report = import_export(
        store, path, taken.settings, text_field, label_map=label_map, tasks=tasks
    )
    report.adopted, report.removed = taken.adopted, taken.removed
    return report


def import_export(
    store: Store,
    path: Path,
    settings: Settings,
    text_field: str = "text",
    label_map: dict[str, str] | None = None,
    keep_unknown_labels: bool = False,
    tasks: list[Task] | None = None,
) -> ImportReport:
    """Import every task and annotation in one transaction, keyed on (Label Studio project,
    task, annotation id): re-importing adds nothing, and an annotation edited since is stored as
    a new revision of its annotator's work.
    A label neither in curate.toml nor mapped stops the import, unless keep_unknown_labels
    (a throwaway store, e.g. measuring an export's agreement)."""
    tasks = read_tasks(path) if tasks is None else tasks
    _refuse_misshapen_labels(path, tasks)
    report = ImportReport(tasks=len(tasks))
    report.mapped, unknown = resolve_labels(
        labels_in(tasks), settings.entity_label_names(), label_map or {}
    )
    if unknown and not keep_unknown_labels:
        raise unknown_labels_error(path, unknown, settings.entity_label_names())
    by_email = {a.email.lower(): a.name for a in settings.annotators}
    rules = Rules.of("import", settings, label_map=report.mapped)
    first_task_of: dict[str, int] = {}
    with store.transaction() as connection:
        seen = queries.external_ids(connection, SYSTEM, SYNC_KIND)
        for index, task in enumerate(tasks):
            raw = _task_text(path, task, text_field)
            # One article, one document: the text is cleaned as `ingest` cleans it, and the
            # spans move with it.
            text, positions = clean_with_offsets(raw)
            report.normalised_texts += text != raw
            metadata = {"labelstudio_task": task.id} | {
                k: v for k, v in task.data.items() if k != text_field
            }
            document = Document(
                text=text,
                metadata=metadata,
                provenance=Provenance(str(path), row=index + 1),
            )
            _store_document(connection, document, task.id, first_task_of, report)
            for ls_annotation in task.annotations:
                who = annotator_name(ls_annotation, by_email, report)
                annotation = convert(
                    Labelled(ls_annotation, document.id, raw, who, task.id),
                    rules,
                    report.conversion,
                )
                annotation = _onto_cleaned(annotation, text, positions)
                report.stances += len(annotation.stances)
                project_id = ls_annotation.project or task.project
                if _store_annotation(connection, annotation, project_id, task.id, seen, report):
                    report.cancelled += ls_annotation.was_cancelled
    return report


def _task_text(path: Path, task: Task, text_field: str) -> str:
    """The task's text to label, or an error saying what is missing and how to fix it."""
    raw = task.data.get(text_field, _MISSING)
    if raw is _MISSING:
        raise InputError(
            f"{path} task {task.id} has no field data.{text_field}; pass --text-field "
            f"with the field that holds the text (fields here: "
            f"{', '.join(sorted(task.data)) or 'none'})"
        )
    if not isinstance(raw, str) or not raw.strip():
        shown_as = "null" if raw is None else repr(raw)[:40]
        raise InputError(
            f"{path} task {task.id} has no text to label (data.{text_field} is "
            f"{shown_as}); remove the task from the export, or fill in its text in Label "
            "Studio and export again (nothing was imported)"
        )
    return raw


def _store_document(
    connection: Connection,
    document: Document,
    task_id: int,
    first_task_of: dict[str, int],
    report: ImportReport,
) -> None:
    """Store the task's document unless the store (or an earlier task) holds its text."""
    if document.id in first_task_of:
        report.repeated_texts.append(
            f"task {task_id} has the same text as task {first_task_of[document.id]}; "
            "stored as one document"
        )
        return
    first_task_of[document.id] = task_id
    if queries.existing_document_ids(connection, [document.id]):
        report.known_documents += 1
    else:
        queries.insert_documents(connection, [document])
        queries.insert_sources(connection, [document])
        report.new_documents += 1


def _store_annotation(
    connection: Connection,
    annotation: Annotation,
    project_id: int | None,
    task_id: int,
    seen: dict[str, str],
    report: ImportReport,
) -> bool:
    """Store an annotation not imported before, or changed since (a new revision); False when
    it is already stored as it is."""
    key = f"{project_id}:{task_id}:{annotation.external_id}"
    legacy = f"{project_id}:{annotation.external_id}"  # curate before 0.2 kept no task
    known = key in seen or seen.get(legacy) == annotation.document_id
    if known and not _changed(connection, annotation):
        report.known_annotations += 1
        return False
    queries.add_annotation(connection, annotation)  # a change: a new revision
    if known:
        report.changed_annotations += 1
    else:
        queries.record_external_id(connection, SYSTEM, SYNC_KIND, annotation.document_id, key)
        seen[key] = annotation.document_id
        report.new_annotations += 1
    return True


def _onto_cleaned(annotation: Annotation, text: str, positions: list[int]) -> Annotation:
    """The annotation's spans (checked on the raw text) moved onto the cleaned text; a span of
    nothing but whitespace the cleaning removed is left out."""
    spans = []
    for span in annotation.spans:
        start, end = positions[span.start], positions[span.end]
        if end > start:
            spans.append(replace(span, start=start, end=end, text=text[start:end]))
    return replace(annotation, spans=tuple(spans))


def _changed(connection: Connection, annotation: Annotation) -> bool:
    """Does the annotation differ from the newest revision stored from the same Label Studio
    annotation (an edit made there after an earlier import)?"""
    stored = [
        a
        for a in queries.annotation_history(
            connection, annotation.document_id, annotation.annotator
        )
        if a.external_id == annotation.external_id
    ]
    if not stored:
        return True
    return _content(stored[-1]) != _content(annotation)


def _content(annotation: Annotation) -> tuple[object, ...]:
    return (
        sorted((s.start, s.end, s.label) for s in annotation.spans),
        sorted((s.target, s.label) for s in annotation.stances),
        annotation.skipped_reason,
    )


def measure_export(
    path: Path, settings: Settings, resamples: int = 1000, seed: int = 0
) -> AgreementReport:
    """The agreement report on a Label Studio export, read into a throwaway store so the
    project's own store is untouched (labels curate.toml lacks are kept)."""
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{Path(scratch) / 'export.db'}")
        try:
            import_export(store, path, settings, keep_unknown_labels=True)
            with store.transaction() as connection:
                return measure(connection, settings, resamples, seed)
        finally:
            store.close()
