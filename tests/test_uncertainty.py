"""Uncertain first: the queue order from the labellers' disagreement and scores, used by the
terminal annotator (under Pilot) and by `push` (a real Label Studio), and recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.config import load_settings
from curate.ingest import ingest
from curate.labelstudio.client import connect
from curate.labelstudio.push import push
from curate.prelabel import prelabel
from curate.prelabel.uncertainty import document_uncertainty, queue_order, uncertain_first
from curate.project import Project
from curate.records import Prelabel
from curate.store import queries
from tui.annotate import AnnotateApp

ROOT = Path(__file__).resolve().parent.parent


def test_most_uncertain_first_with_a_seeded_random_share() -> None:
    scores = {f"d{n:02}": n / 20 for n in range(20)}
    alone = uncertain_first(scores, 0.0, 0)
    assert [d for d, _ in alone] == sorted(scores, key=lambda d: -scores[d])
    assert {reason for _, reason in alone} == {"uncertain"}
    placed = uncertain_first(scores, 0.25, 7)
    mixed = [d for d, _ in placed]
    assert sorted(mixed) == sorted(scores) and placed == uncertain_first(scores, 0.25, 7)
    assert placed != uncertain_first(scores, 0.25, 8)
    ranked = [d for n, d in enumerate(mixed) if (n + 1) % 4]  # places not given to the draw
    assert ranked == sorted(ranked, key=lambda d: -scores[d])
    assert [reason for _, reason in placed[3::4]] == ["random"] * 5
    assert mixed[0] == "d19"


def test_disagreeing_labellers_make_a_document_uncertain() -> None:
    settings = load_settings(ROOT)

    def entity(labeller: str, start: int, label: str, score: float = 0.9) -> Prelabel:
        return Prelabel("d", "entity", label, labeller, score, start, start + 4, "Iran")

    def stance(score: float) -> Prelabel:
        return Prelabel("d", "stance", "favor", "stance-cues.v2+x", score, target="Iran")

    agree = [entity("gazetteer.v1+x", 0, "GPE"), entity("spacy-ner.v2+x", 0, "GPE"), stance(0.9)]
    split = [entity("gazetteer.v1+x", 0, "GPE"), entity("spacy-ner.v2+x", 0, "ORG"), stance(0.9)]
    assert document_uncertainty(split, settings) > document_uncertainty(agree, settings)
    unsure = [entity("spacy-ner.v2+x", 0, "GPE", 0.2), stance(0.3)]
    sure = [entity("spacy-ner.v2+x", 0, "GPE", 0.9), stance(0.9)]
    assert document_uncertainty(unsure, settings) > document_uncertainty(sure, settings)


def _uncertain_project(project_dir: Path) -> Project:
    config = project_dir / "curate.toml"
    config.write_text(config.read_text().replace('order = "id"', 'order = "uncertain"'))
    project = Project.load(project_dir)
    assert project.settings.assignment.order == "uncertain"
    store = project.open_store()
    ingest(store, [project_dir / "seeds"], base_dir=project_dir)
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "spacy-ner.v1", "stance-cues.v1"])
    store.close()
    return project


def test_the_order_is_recorded_once_with_what_made_it(project_dir: Path) -> None:
    project = _uncertain_project(project_dir)
    with project.open_store().connect() as connection:
        ids = queries.document_ids(connection)
        order = queue_order(connection, project.settings, project.root, ids)
        again = queue_order(connection, project.settings, project.root, ids)
    assert order == again and sorted(order) == ids and order != ids
    [recorded] = (project.root / ".curate" / "queue-orders").glob("*.json")
    saved = json.loads(recorded.read_text())
    assert saved["order"] == order and saved["seed"] == 0 and saved["random_share"] == 0.1
    assert saved["labellers"] and set(saved["scores"]) == set(ids)
    # The held-out splits first (drawn), then the rest most uncertain first (8 documents: no
    # place drawn at random among them).
    first = [d for d in order if saved["reasons"][d] == "random"]
    assert order[: len(first)] == first
    ranked = [saved["scores"][d] for d in order[len(first) :]]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) > 1


@pytest.mark.anyio
async def test_the_annotator_opens_the_most_uncertain_document_first(project_dir: Path) -> None:
    project = _uncertain_project(project_dir)
    store = project.open_store()
    app = AnnotateApp(project, store, "alice")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assigned = app.session.assigned
        with store.connect() as connection:
            scores = {
                d: document_uncertainty(queries.prelabels_for(connection, d), project.settings)
                for d in assigned
            }
        assert app.opened is not None and app.opened.document_id == assigned[0]
        with store.connect() as connection:
            reasons = queries.newest_selections(connection, assigned)
        rest = [scores[d] for d in assigned if reasons[d].reason == "uncertain"]
        assert rest == sorted(rest, reverse=True) and len(rest) > 1
    store.close()


def test_push_sends_tasks_in_the_uncertain_order(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    project = _uncertain_project(project_dir)
    store = project.open_store()
    with connect(url, token) as client:
        report = push(store, project, client, url)
        with store.connect() as connection:
            for annotator, project_id in report.projects.items():
                tasks = sorted(
                    client.tasks.list(project=project_id, fields="all"), key=lambda t: t.id
                )
                expected = queue_order(
                    connection,
                    project.settings,
                    project.root,
                    queries.assignments_of(connection, annotator),
                )
                assert [t.data["doc_id"] for t in tasks] == expected
    store.close()
