"""`curate loop`: one turn of the learning loop, every step safe to re-run.

pull -> adjudicate --auto -> train, when the gold grew by `[train] retrain_after` documents
since the entity model in use (or there is none) -> prelabel every document the labellers in
use (the CURRENT models) have not seen -> push (new tasks, and every open task whose prediction
differs from what the store now shows).

Each step decides from the store, not from what an earlier step of the same turn did, and is
one of curate's own commands: killing the loop anywhere (or racing it with `train`, `prelabel`
or `ingest`) leaves what they leave, and the next turn converges. A failing step stops the
turn; its error says which step it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.adjudicate.auto import adjudicate_project
from curate.errors import CurateError
from curate.labelstudio.pull import pull
from curate.labelstudio.push import push
from curate.locks import one_run_at_a_time
from curate.prelabel import prelabel
from curate.prelabel.base import current_artefact
from curate.prelabel.ner_model import FOLDER as NER
from curate.prelabel.ner_model import TEST
from curate.prelabel.train import gold_state, train
from curate.project import Project
from curate.store import Store

STEPS = ("pull", "adjudicate", "train", "prelabel", "push")


@dataclass
class Step:
    name: str
    did: str  # what it did, in a few words ("skipped: ..." when it did not run)


@dataclass
class CycleReport:
    steps: list[Step] = field(default_factory=list)


class StepFailed(CurateError):
    """A step of the loop refused or failed: the message and exit code are the step's own."""

    def __init__(self, step: str, error: CurateError):
        super().__init__(f"curate loop stopped at {step}: {error}")
        self.exit_code = error.exit_code
        self.step, self.error = step, error


def gold_for_training(store: Store, project: Project) -> set[str]:
    """Gold documents outside the test split (what training may learn from)."""
    _, _, splits = gold_state(store, project.settings.release.splits)
    return {d for d, split in splits.items() if split != TEST}


def trained_on(models: Path) -> set[str] | None:
    """The documents the entity model in use learned from (train and dev), None without one."""
    folder = current_artefact(models / NER)
    if folder is None:
        return None
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return set(manifest["train_documents"]) | set(manifest["dev_documents"])


def run_cycle(
    store: Store,
    project: Project,
    client: Any,
    url: str,
    on_step: Callable[[str, str], object] | None = None,
) -> CycleReport:
    """on_step(step, what it did) after each step that finished."""
    report = CycleReport()
    turn = _Turn(store, project, client, url)
    with one_run_at_a_time(project.root, "loop", "run `curate loop` again if still needed"):
        works = (turn.pulled, turn.adjudicated, turn.trained, turn.relabelled, turn.pushed)
        for name, work in zip(STEPS, works, strict=True):
            try:
                did = work()
            except CurateError as error:
                raise StepFailed(name, error) from None
            report.steps.append(Step(name, did))
            if on_step is not None:
                on_step(name, did)
    return report


@dataclass(frozen=True)
class _Turn:
    """The steps of one turn of the loop; each returns what it did, in a line."""

    store: Store
    project: Project
    client: Any
    url: str

    def pulled(self) -> str:
        got = pull(self.store, self.project, self.client, self.url)
        return f"{got.new_annotations} new annotation revisions from {got.tasks_read} tasks"

    def adjudicated(self) -> str:
        with self.store.transaction() as connection:
            got = adjudicate_project(connection, self.project)
        return f"{sum(got.decided.values())} items decided"

    def trained(self) -> str:
        context = self.project.labeller_context()
        gold = gold_for_training(self.store, self.project)
        known = trained_on(context.models_dir)
        grown = len(gold - known) if known is not None else len(gold)
        needed = self.project.settings.train.retrain_after
        if known is not None and grown < needed:
            return (
                f"skipped: {grown} new gold documents since the model in use; "
                f"{needed - grown} more to retrain ([train] retrain_after = {needed})"
            )
        got = train(self.store, context)
        if got.ner.skipped:
            return f"entity model not trained: {got.ner.skipped}"
        learned = got.ner.train_documents + got.ner.dev_documents
        return (
            f"entity model {got.ner.version} (trained on {learned} gold documents: "
            f"{got.ner.train_documents} train, {got.ner.dev_documents} dev)"
        )

    def relabelled(self) -> str:
        # Every turn: prelabel only labels what the labellers in use have not seen, so a model
        # made CURRENT by a killed turn, a race or new documents are caught up here.
        got = prelabel(self.store, self.project.labeller_context())
        return f"{sum(r.documents for r in got.labellers)} document runs"

    def pushed(self) -> str:
        got = push(self.store, self.project, self.client, self.url)
        return (
            f"{sum(got.new_tasks.values())} new tasks, "
            f"{sum(got.refreshed.values())} open tasks refreshed"
        )
