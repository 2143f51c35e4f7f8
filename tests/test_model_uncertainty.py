"""Uncertain-first from the entity model itself (a model trained here for real by spaCy's loop):
the corrections it expects rank the queue, the held-out splits are served first at random, and
each document's reason is stored."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from test_train import ROOT, _store_gold, weapon_story

from curate.config import config_template, parse_settings
from curate.domain.splits import document_splits
from curate.prelabel import prelabel
from curate.prelabel.base import LabellerContext
from curate.prelabel.train import train
from curate.prelabel.uncertainty import HELD_OUT, RANDOM, UNCERTAIN, queue, rank, remember
from curate.records import Document
from curate.store import Store, open_store, queries

SURE = weapon_story(40)[0]  # the stories it was trained on, with names it saw
UNSURE = "Berg Houston Remington said the Colt Seattle was Johnson Ruger."


def _context(tmp_path: Path, splits: dict[str, float]) -> LabellerContext:
    data: dict[str, Any] = tomllib.loads(config_template())
    data["entity_labels"].append({"name": "WEAPON", "hotkey": "w", "colour": "#000000"})
    # A short training: the model stays unsure of what it has not seen.
    data["train"] = {"min_entity_documents": 4, "max_steps": 30, "eval_frequency": 10}
    data["assignment"] |= {"order": "uncertain", "random_share": 0.0}
    data["release"]["splits"] = splits
    shutil.copy(ROOT / "gazetteer.jsonl", tmp_path / "gazetteer.jsonl")
    return LabellerContext(parse_settings(data), tmp_path)


def _trained(tmp_path: Path, splits: dict[str, float]) -> tuple[Store, LabellerContext]:
    context = _context(tmp_path, splits)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _store_gold(store, [weapon_story(n) for n in range(24)])
    assert train(store, context).ner.folder is not None
    return store, context


def test_a_document_the_model_is_unsure_of_is_ranked_first(tmp_path: Path) -> None:
    store, context = _trained(tmp_path, {"train": 1.0})
    sure, unsure = Document(text=SURE), Document(text=UNSURE)
    with store.transaction() as connection:
        queries.insert_documents(connection, [sure, unsure])
    prelabel(store, context, ["spacy-ner.v2"])
    with store.connect() as connection:
        expected = queries.expected_corrections(connection, [sure.id, unsure.id])
        found = rank(connection, context.settings, [sure.id, unsure.id])
    assert expected[unsure.id] > expected[sure.id] + 0.1, expected
    assert found.order == [unsure.id, sure.id]
    assert found.uncertainty[unsure.id] > found.uncertainty[sure.id]
    assert found.reasons == {unsure.id: UNCERTAIN, sure.id: UNCERTAIN}
    assert found.score(unsure.id) < found.score(sure.id)  # Label Studio serves lowest first
    # Only a trained model says how unsure it is: the pipeline before training says nothing.
    prelabel(store, context, ["spacy-ner.v1"])
    with store.connect() as connection:
        assert set(queries.expected_corrections(connection, [sure.id])) == {sure.id}
    store.close()


def test_the_held_out_splits_come_first_at_random_and_reasons_are_stored(tmp_path: Path) -> None:
    context = _context(tmp_path, {"train": 0.6, "validation": 0.2, "test": 0.2})
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    documents = [Document(text=weapon_story(n)[0]) for n in range(40)]
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
    prelabel(store, context, ["gazetteer.v1"])
    ids = [d.id for d in documents]
    with store.transaction() as connection:
        found = queue(connection, context.settings, tmp_path, ids)
        splits = document_splits(connection, ids, context.settings.release.splits)
    held_out = [d for d in ids if splits[d] in HELD_OUT]
    assert 0 < len(held_out) < len(ids)
    assert set(found.order[: len(held_out)]) == set(held_out)
    assert found.order[: len(held_out)] != sorted(held_out)  # drawn, not by id
    with store.connect() as connection:
        stored = queries.newest_selections(connection)
    assert {d for d in ids if splits[d] == "test"} <= {
        d for d, s in stored.items() if s.reason == RANDOM
    }
    assert {s.reason for d, s in stored.items() if d not in held_out} == {UNCERTAIN}
    assert {(s.queue_order, s.random_share) for s in stored.values()} == {("uncertain", 0.0)}
    # The same reasons again add no rows; a document served for another reason adds one.
    with store.transaction() as connection:
        assert remember(connection, found, context.settings) == 0
        moved = replace(found, reasons=found.reasons | {ids[0]: "id"})
        assert remember(connection, moved, context.settings) == 1
        assert queries.newest_selections(connection, [ids[0]])[ids[0]].reason == "id"
    store.close()
