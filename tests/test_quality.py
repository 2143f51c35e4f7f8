"""Annotator quality on a simulation with a known truth (tests/simulation.py): five annotators
with set error rates, one a spammer."""

from __future__ import annotations

from pathlib import Path

import pytest
from simulation import fill, fill_some, gold_and_controls, project_toml, scores, truth

from curate.adjudicate.auto import auto_adjudicate
from curate.adjudicate.review import align, review_queue
from curate.agreement.data import load
from curate.project import Project
from curate.quality.annotators import control_warnings
from curate.quality.competence import estimate
from curate.report import measure
from curate.store import Store, queries
from curate.store.current import current_decisions

KNOWN = truth(200)


@pytest.fixture
def simulated(tmp_path: Path, store: Store) -> tuple[Path, Store]:
    fill(store, KNOWN)
    return tmp_path, store


def adjudicate(root: Path, store: Store, policy: str, **rules: object) -> Project:
    project_toml(root, majority=0.51, stance_policy=policy, entity_policy=policy, **rules)
    project = Project.load(root)
    with store.transaction() as connection:
        auto_adjudicate(connection, project.settings, "1")
    return project


def test_weighted_recovers_the_truth_better_than_majority(simulated: tuple[Path, Store]) -> None:
    root, store = simulated
    adjudicate(root, store, "majority")
    majority_f1, majority_stance = scores(store, KNOWN)
    project = adjudicate(root, store, "weighted", min_posterior=0.5)
    weighted_f1, weighted_stance = scores(store, KNOWN)
    assert weighted_stance > majority_stance and weighted_f1 > majority_f1
    assert weighted_stance > 0.9 and weighted_f1 > 0.85

    with store.connect() as connection:
        competence = estimate(load(connection, project.settings))
        decisions = current_decisions(connection)
    for fit in (competence.stance, competence.entities):
        assert min(fit.competence, key=fit.competence.__getitem__) == "spam"
        assert fit.competence["ann"] > fit.competence["dan"]  # 10% against 35% errors
    # Each weighted decision carries its posterior, and what majority would have said.
    stance = [d for d in decisions.values() if d.kind == "stance" and d.method == "weighted"]
    assert stance and all(
        d.payload["posterior"][d.payload["label"]] >= 0.5 and "majority" in d.payload
        for d in stance
    )
    spans = [s for d in decisions.values() if d.kind == "entity" for s in d.payload["spans"]]
    assert any(s["method"] == "weighted" and s["posterior"] >= 0.5 for s in spans)


def test_close_weighted_calls_go_to_review_beside_majority(simulated: tuple[Path, Store]) -> None:
    root, store = simulated
    adjudicate(root, store, "weighted", min_posterior=0.99)
    with store.connect() as connection:
        queue = review_queue(connection)
        decisions = current_decisions(connection)
    opened = [d for d in decisions.values() if d.kind == "stance" and d.method == "open"]
    assert opened and all(d.payload["label"] is None and d.payload["posterior"] for d in opened)
    shown = [item for entry in queue for item in entry.open_items if item.startswith("stance")]
    assert shown and all("weighted" in item and "majority" in item for item in shown)
    # The reviewer's alignment carries the same two calls for the stance row.
    project = Project.load(root)
    with store.connect() as connection:
        rows = align(connection, project.settings, opened[0].document_id).stances
    assert any(r.weighted.startswith("weighted ") and "majority" in r.weighted for r in rows)


def test_the_spammer_fails_the_control_check(tmp_path: Path, store: Store) -> None:
    """160 documents labelled by all five, 40 gold documents from outside given to each as
    controls: the control scores rank the annotators by their error rates, with intervals,
    and the spammer falls below min_control_score."""
    fill_some(store, KNOWN, 160)
    gold_and_controls(store, KNOWN, 40)
    project_toml(tmp_path, majority=0.51, stance_policy="weighted", entity_policy="weighted")
    project = Project.load(tmp_path)
    with store.transaction() as connection:
        auto_adjudicate(connection, project.settings, "1")
        report = measure(connection, project.settings, resamples=200)
    quality = report.annotator_quality
    assert quality is not None
    people = quality.annotators
    control = {name: people[name].control for name in people}
    assert all(c is not None and c.documents == 40 for c in control.values())
    score = {name: c.score for name, c in control.items() if c is not None}
    value = {name: s.value for name, s in score.items()}
    assert min(value, key=value.__getitem__) == "spam" and not control["spam"].passed
    assert control["ann"].passed and value["ann"] > value["dan"] > value["spam"]
    assert all(s.low <= s.value <= s.high for s in score.values())
    assert "spam" in {w.annotator for w in quality.below_min_control_score}
    said = control_warnings(quality)
    assert any(
        line.startswith("spam: control score") and "min_control_score 0.7" in line for line in said
    )
    competence = {name: people[name].competence.stance for name in people}
    assert min(competence, key=competence.__getitem__) == "spam"
    peers = {name: people[name].peers.stance_agreement for name in people}
    assert min(peers, key=peers.__getitem__) == "spam" and 0 < peers["spam"] < peers["ann"] < 1
    # Controls never became evidence: no decision rests on a control annotation.
    with store.connect() as connection:
        decisions = current_decisions(connection)
        control_ids = {
            a.id
            for a in queries.all_annotations(connection)
            if (a.document_id, a.annotator) in queries.control_pairs(connection)
        }
    assert control_ids and not any(set(d.based_on) & control_ids for d in decisions.values())
    # Their gold is still the imported gold.
    assert {
        d.method
        for (doc, _, _), d in decisions.items()
        if doc in {x.id for x in KNOWN.documents[-40:]}
    } == {"imported"}


def test_without_crowd_kit_competence_is_left_out_and_weighted_refused(
    simulated: tuple[Path, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """crowd-kit is the optional extra curate[quality]: hidden here, the report says how to get
    it and drops the competence columns, and a weighted policy is refused before any write."""
    import sys

    from curate.errors import UsageError
    from curate.report.annotator_table import annotator_table

    monkeypatch.setitem(sys.modules, "crowdkit", None)  # what import finds when not installed
    root, store = simulated
    project = adjudicate(root, store, "majority")
    with store.connect() as connection:
        report = measure(connection, project.settings, resamples=20)
    quality = report.annotator_quality
    assert quality is not None
    assert "pip install 'curate[quality]'" in quality.competence_model
    headers, rows = annotator_table(quality)
    assert rows and not any(header.startswith("competence") for header in headers)
    with store.connect() as connection:
        before = len(current_decisions(connection))
    with pytest.raises(UsageError, match=r"pip install 'curate\[quality\]'"):
        adjudicate(root, store, "weighted", min_posterior=0.5)
    with store.connect() as connection:
        assert len(current_decisions(connection)) == before
