"""`curate train` as processes: one at a time per project, a model of older gold never becomes
current, and a killed training's scratch folder is removed by the next one."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_train import weapon_story

from curate.domain.splits import splits_of
from curate.project import Project
from curate.records import Decision, Document
from curate.store import queries

CURATE = [sys.executable, "-m", "curate.cli"]


def _gold(project_dir: Path, numbers: range | list[int]) -> list[str]:
    """Stories as settled entity gold (PERSON and GPE only: the project's labels)."""
    stories = [weapon_story(n) for n in numbers]
    documents = [Document(text=text) for text, _ in stories]
    with Project.load(project_dir).open_store().transaction() as connection:
        queries.insert_documents(connection, documents)
        for document, (_, spans) in zip(documents, stories, strict=True):
            kept = [queries.span_record(s) for s in spans if s.label != "WEAPON"]
            queries.add_decision(
                connection, Decision(document.id, "entity", "reviewer", "lead", {"spans": kept})
            )
    return [d.id for d in documents]


def _small_training(project_dir: Path, steps: int = 300) -> None:
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    values = {"min_entity_documents": 4, "max_steps": steps, "patience": steps}
    for key, value in (values | {"eval_frequency": min(50, steps)}).items():
        text = re.sub(rf"(?m)^{key} = \d+$", f"{key} = {value}", text, count=1)
    config.write_text(text, "utf-8")


def _start(project_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CURATE, "--project", str(project_dir), "train"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _scratch(project_dir: Path) -> list[Path]:
    return list((project_dir / ".curate" / "models" / "ner").glob(".training-*"))


def _wait_for_scratch(project_dir: Path, process: subprocess.Popen[str]) -> None:
    """Until the training has read its gold and is working in its scratch folder."""
    deadline = time.monotonic() + 120
    while not _scratch(project_dir):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _current(project_dir: Path) -> dict[str, object] | None:
    ner = project_dir / ".curate" / "models" / "ner"
    name = (ner / "CURRENT").read_text("utf-8").strip()
    return json.loads((ner / name / "manifest.json").read_text("utf-8")) if name else None


def test_a_second_training_is_refused_and_a_model_of_older_gold_never_becomes_current(
    project_dir: Path,
) -> None:
    # Two runs of up to 250 steps (from the pipeline's NER, then a fresh one): the first
    # training lasts while the second starts.
    _small_training(project_dir, steps=250)
    _gold(project_dir, range(20))
    splits = Project.load(project_dir).settings.release.splits
    first = _start(project_dir)
    _wait_for_scratch(project_dir, first)
    # Gold grows while the first training runs: two documents outside the test split.
    ids = {Document(text=weapon_story(n)[0]).id: n for n in range(100, 140)}
    split = dict(zip(ids, splits_of(list(ids), splits), strict=True))
    added = _gold(project_dir, [n for i, n in ids.items() if split[i] != "test"][:2])
    second = subprocess.run(
        [*CURATE, "--project", str(project_dir), "train"], capture_output=True, text=True
    )
    assert second.returncode == 2, second.stdout + second.stderr
    message = " ".join(second.stderr.split())
    assert f"another `curate train` is running (pid {first.pid})" in message
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    assert "the gold changed while training" in " ".join(output.split())
    assert _current(project_dir) is None  # the stale model was kept, not made current
    _small_training(project_dir, steps=30)
    third = subprocess.run(
        [*CURATE, "--project", str(project_dir), "train"], capture_output=True, text=True
    )
    assert third.returncode == 0, third.stdout + third.stderr
    current = _current(project_dir)
    assert current is not None
    trained = set(current["train_documents"]) | set(current["dev_documents"])  # type: ignore[call-overload]
    assert set(added) <= trained


def test_a_killed_trainings_scratch_folder_is_removed_by_the_next_training(
    project_dir: Path,
) -> None:
    _small_training(project_dir)
    _gold(project_dir, range(20))
    killed = _start(project_dir)
    _wait_for_scratch(project_dir, killed)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert len(_scratch(project_dir)) == 1  # left behind by the dead run
    _small_training(project_dir, steps=30)  # the next training need not be long
    again = subprocess.run(
        [*CURATE, "--project", str(project_dir), "train"], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "removed 1 scratch folder(s) of killed trainings" in again.stdout
    assert _scratch(project_dir) == [] and _current(project_dir) is not None
