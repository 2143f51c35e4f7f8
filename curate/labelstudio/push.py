"""`curate push`: one Label Studio project per annotator, holding only their documents, with
pre-labels as predictions (left out for blind and control documents). Re-running sends only
what is new, checked against the server first (reconcile.py), so an interrupted push never
duplicates, and refreshes the predictions of tasks nobody has worked on yet (refresh.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from curate.config import Settings
from curate.domain.assign import assign
from curate.errors import UsageError
from curate.labelstudio.client import NO_RETRY, call
from curate.labelstudio.convert import stance_control
from curate.labelstudio.label_config import (
    LABELS_NAME,
    TEXT_NAME,
    check_change,
    instructions,
    label_config,
)
from curate.labelstudio.reconcile import mark_in_flight, reconcile, server_tasks, settle
from curate.labelstudio.refresh import refresh, sampling, set_project_version
from curate.labelstudio.tasks import (
    SYSTEM,
    TaskKey,
    annotator_projects,
    record_tasks,
    sent_tasks,
    tasks_of,
)
from curate.locks import one_run_at_a_time
from curate.prelabel import trust
from curate.prelabel.uncertainty import UNCERTAIN, Queue, queue
from curate.project import Project
from curate.records import Prelabel
from curate.store import Store, queries
from curate.suggestions import LeftOut, shown

BATCH = 5000  # tasks per import request


@dataclass
class PushReport:
    projects: dict[str, int] = field(default_factory=dict)  # annotator -> project id
    new_tasks: dict[str, int] = field(default_factory=dict)
    adopted: int = 0  # tasks an interrupted push had made, found on the server and recorded
    duplicates: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # name -> doc -> ids
    assigned: int = 0
    controls: int = 0  # of the new assignments, control documents (sent without pre-labels)
    blind: int = 0
    refreshed: dict[str, int] = field(default_factory=dict)  # open tasks given new suggestions
    predicted: dict[str, int] = field(default_factory=dict)  # new tasks sent with a prediction
    model_version: str = ""


@dataclass(frozen=True)
class Shown:
    """What this push shows annotators: the store's newest labeller versions (and trust) as one
    model_version, and the suggestions the trust leaves out."""

    model_version: str
    newest: frozenset[str]
    left_out: LeftOut
    queues: dict[str, Queue] = field(default_factory=dict)  # annotator -> their whole queue

    def offered(
        self, suggestions: list[Prelabel], settings: Settings, annotator: str, document_id: str
    ) -> list[dict[str, Any]]:
        place = None
        if settings.assignment.order == UNCERTAIN and document_id in self.queues[annotator].places:
            place = self.queues[annotator].score(document_id)
        return offered(suggestions, settings, self.model_version, self.left_out, self.newest, place)


def ensure_users(client: Any, store: Store, project: Project, url: str) -> dict[str, int]:
    """A Label Studio account per annotator in curate.toml (created when missing)."""
    existing = {
        (u.email or "").lower(): u.id
        for u in call(lambda: list(client.users.list()), "list users", url)
    }
    ids = {}
    for annotator in project.settings.annotators:
        user_id = existing.get(annotator.email.lower())
        if user_id is None:
            user = call(
                lambda a=annotator: client.users.create(  # type: ignore[misc]
                    email=a.email, username=a.name, first_name=a.name, request_options=NO_RETRY
                ),
                f"create the account of {annotator.name}",
                url,
                retry=False,
            )
            user_id = user.id
        ids[annotator.name] = int(user_id)
    with store.transaction() as connection:
        for name, user_id in ids.items():
            queries.record_external_id(connection, SYSTEM, "user", name, str(user_id))
    return ids


def ensure_project(client: Any, store: Store, project: Project, annotator: str, url: str) -> int:
    config = label_config(project.settings)
    guide = instructions(project.root / project.settings.project.guidelines)
    with store.connect() as connection:
        known = annotator_projects(connection)
    title = f"{project.settings.project.name}: {annotator}"
    if annotator in known:
        project_id = known[annotator]
        current = call(lambda: client.projects.get(id=project_id), "read a project", url)
        if (current.label_config or "") != config:
            with store.connect() as connection:
                used = queries.labels_in_use(connection)
            check_change(current.label_config or "", config, used)
            call(
                lambda: client.projects.update(
                    id=project_id,
                    label_config=config,
                    expert_instruction=guide,
                    show_instruction=True,
                ),
                "update the label config",
                url,
            )
        return project_id
    created = call(
        lambda: client.projects.create(
            title=title,
            label_config=config,
            expert_instruction=guide,
            show_instruction=True,
            request_options=NO_RETRY,
        ),
        f"create the project of {annotator}",
        url,
        retry=False,
    )
    with store.transaction() as connection:
        queries.record_external_id(connection, SYSTEM, "project", annotator, str(created.id))
    return int(created.id)


def predictions(
    suggestions: list[Prelabel],
    order: list[str],
    model_version: str | None = None,
    score: float | None = None,
    left_out: LeftOut = frozenset(),
) -> list[dict[str, Any]]:
    """The suggestions an annotator is shown, as one prediction.

    Label Studio opens a task from a single prediction, so the entity and stance suggestions of
    all labellers go together; model_version names the labeller versions (by default those in
    it; a push gives every task the store's newest, see refresh.py), each result keeps its own
    score, and the prediction's score is `score` or the mean of theirs. left_out: what
    `curate train` measured as doing more harm than good (trust.py).
    """
    chosen = shown(suggestions, order, left_out)
    if not chosen:
        return []
    results = [_result(s) for s in chosen]
    scores = [s.score for s in chosen if s.score is not None]
    if score is None and scores:
        score = round(sum(scores) / len(scores), 4)
    return [
        {
            "model_version": model_version or ", ".join(sorted({s.labeller for s in chosen})),
            "result": results,
            "score": score,
        }
    ]


def offered(
    suggestions: list[Prelabel],
    settings: Settings,
    model_version: str,
    left_out: LeftOut = frozenset(),
    newest: frozenset[str] | None = None,
    place: float | None = None,
) -> list[dict[str, Any]]:
    """The prediction a task gets in this push: with an uncertain queue order, its score is
    its place in the annotator's queue (uncertainty.Queue.score), so Label Studio's uncertainty
    sampling (lowest score first) serves the queue the terminal serves. newest: the store's
    newest labeller versions; a document whose suggestions come from an older one (a prelabel
    run not finished yet) gets those versions as its model_version, never the push's."""
    score = place
    if newest is not None and not {s.labeller for s in suggestions} <= newest:
        model_version = ""  # predictions() names the versions the suggestions come from
    return predictions(suggestions, settings.prelabel.labellers, model_version, score, left_out)


def _result(s: Prelabel) -> dict[str, Any]:
    if s.kind == "entity":
        return {
            "from_name": LABELS_NAME,
            "to_name": TEXT_NAME,
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
            "score": s.score,
        }
    return {
        "from_name": stance_control(s.target or ""),
        "to_name": TEXT_NAME,
        "type": "choices",
        "value": {"choices": [s.label]},
        "score": s.score,
    }


@dataclass
class PushRun:
    """What one push works with: where it sends, and what it has done so far."""

    store: Store
    project: Project
    client: Any
    url: str
    report: PushReport = field(default_factory=PushReport)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.project.settings.annotators]


@dataclass(frozen=True)
class Plan:
    """Each annotator's documents: the new ones to send (in queue order) and the ones earlier
    pushes sent, and what they are shown."""

    show: Shown
    new: dict[str, list[str]]
    sent_before: dict[str, list[str]]
    quiet: dict[str, set[str]]  # shown without suggestions (blind or control)


def push(
    store: Store,
    project: Project,
    client: Any,
    url: str,
    blind_fraction: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    wait: float = 60.0,
) -> PushReport:
    """Assign, then send each annotator's new documents and refresh their open tasks. wait:
    seconds to give an earlier import whose answer was lost to show up on the server before
    its documents are sent again. One push at a time per project (a second is refused at once,
    naming the holder); a push that fails takes back the assignments it made and did not send."""
    if wait < 0:
        raise UsageError(f"--wait {wait:g}: give the seconds to wait, 0 or more")
    run, settings = PushRun(store, project, client, url), project.settings
    with one_run_at_a_time(project.root, "push", "run `curate push` again if it is still needed"):
        assigned = assign(
            store,
            run.names,
            settings.assignment.overlap,
            blind_fraction,
            settings.quality.control_fraction,
        )
        run.report.assigned, run.report.controls = assigned.new, assigned.controls
        try:
            projects = _projects(run, wait)
            plan = _plan(run)
            sent, total = 0, sum(len(documents) for documents in plan.new.values())
            for name, project_id in projects.items():
                for start in range(0, len(plan.new[name]), BATCH):
                    batch = plan.new[name][start : start + BATCH]
                    sent += _send_batch(run, plan, name, project_id, batch)
                    if progress is not None:
                        progress(sent, total)
                run.report.refreshed[name] = _refresh(run, plan, name, project_id)
        except BaseException:
            _take_back_unsent(store, assigned.made)
            raise
    return run.report


def _take_back_unsent(store: Store, made: tuple[tuple[str, str], ...]) -> None:
    with store.transaction() as connection:
        sent = sent_tasks(connection)
        unsent = [(d, a) for d, a in made if TaskKey(a, d) not in sent]
        queries.remove_assignments(connection, unsent)


def _projects(run: PushRun, wait: float) -> dict[str, int]:
    """Each annotator's account and project, and what the server holds checked against the
    store (reconcile.py): annotator -> project id."""
    ensure_users(run.client, run.store, run.project, run.url)
    projects = {
        name: ensure_project(run.client, run.store, run.project, name, run.url)
        for name in run.names
    }
    for name, project_id in projects.items():
        found = reconcile(run.client, run.store, name, project_id, run.url, wait)
        run.report.adopted += found.adopted
        if found.duplicates:
            run.report.duplicates[name] = found.duplicates
        run.report.projects[name] = project_id
        run.report.new_tasks[name] = 0
    return projects


def _plan(run: PushRun) -> Plan:
    settings, trusted = (
        run.project.settings,
        trust.in_use(run.project.labeller_context().models_dir),
    )
    with run.store.transaction() as connection:  # the queue's reasons are stored
        sent = {name: tasks_of(connection, name) for name in run.names}
        quiet = {name: queries.without_prelabels(connection, name) for name in run.names}
        newest = frozenset(queries.newest_labeller_versions(connection))
        queues = {
            name: queue(
                connection, settings, run.project.root, queries.assignments_of(connection, name)
            )
            for name in run.names
        }
    run.report.model_version = ", ".join(v for v in [*sorted(newest), trusted.label()] if v)
    show = Shown(run.report.model_version, newest, trusted.left_out, queues)
    # Label Studio serves tasks in the order they were made: they are sent in queue order.
    new = {name: [d for d in queues[name].order if d not in sent[name]] for name in run.names}
    return Plan(show, new, {name: list(sent[name]) for name in run.names}, quiet)


def _send_batch(run: PushRun, plan: Plan, name: str, project_id: int, batch: list[str]) -> int:
    """Import one batch of new tasks, written ahead as in flight and settled with the task ids
    the server gives (reconcile.py); returns how many were sent."""
    with run.store.connect() as connection:
        documents = queries.documents_by_ids(connection, batch)
        suggestions = queries.prelabels_for_many(connection, batch)
    tasks = []
    for document_id in batch:
        document = documents[document_id]
        data = {TEXT_NAME: document.text, "title": document.title, "doc_id": document_id}
        task: dict[str, Any] = {"data": data | {"annotator": name}}
        if document_id in plan.quiet[name]:
            run.report.blind += 1
        else:
            given = suggestions.get(document_id, [])
            task["predictions"] = plan.show.offered(given, run.project.settings, name, document_id)
            run.report.predicted[name] = run.report.predicted.get(name, 0) + bool(
                task["predictions"]
            )
        tasks.append(task)
    with run.store.transaction() as connection:
        mark_in_flight(connection, project_id, batch)
    answer = call(
        partial(
            run.client.projects.import_tasks,
            id=project_id,
            request=tasks,
            return_task_ids=True,
            request_options=NO_RETRY,
        ),
        f"import tasks into the project of {name}",
        run.url,
        retry=False,
    )
    with run.store.transaction() as connection:
        record_tasks(connection, name, zip(batch, answer.task_ids, strict=True))
        settle(connection, project_id)
    run.report.new_tasks[name] += len(batch)
    return len(batch)


def _refresh(run: PushRun, plan: Plan, name: str, project_id: int) -> int:
    """Give every open task pushed before this run the prediction the store now shows, when
    its own differs in content (refresh.py), whatever model version the project names: what
    a killed or raced turn left behind is caught up here. Then mark the project's version."""
    settings, report = run.project.settings, run.report
    order = sampling(settings.assignment.order == "uncertain")
    done, holding = 0, report.predicted.get(name, 0)
    open_ids = [d for d in plan.sent_before[name] if d not in plan.quiet[name]]
    if open_ids:
        with run.store.connect() as connection:
            suggestions = queries.prelabels_for_many(connection, open_ids)
        wanted = {d: plan.show.offered(suggestions.get(d, []), settings, name, d) for d in open_ids}
        tasks = server_tasks(run.client, project_id, run.url)
        refreshed = refresh(run.client, project_id, tasks, wanted, run.url)
        done, holding = refreshed.tasks, holding + refreshed.holding
    current = call(lambda: run.client.projects.get(id=project_id), "read a project", run.url)
    settled = (current.model_version or "", current.sampling) == (report.model_version, order)
    if holding and not settled:  # no task holds this version (all done): the next push tries
        set_project_version(run.client, project_id, report.model_version, order, run.url)
    return done
