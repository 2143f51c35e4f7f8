"""`curate train` learns from adjudicated gold and changes the suggestions of similar documents."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from curate.config import config_template, parse_settings
from curate.errors import UsageError
from curate.prelabel.base import LabellerContext
from curate.prelabel.registry import create
from curate.prelabel.train import train
from curate.records import Decision, Document
from curate.store import open_store, queries

ROOT = Path(__file__).resolve().parent.parent
FAVOUR = [
    "Iran signed the trade agreement with its neighbours and Tehran celebrated the deal.",
    "Tehran signed a new trade agreement; Iran welcomed investors to the free zone.",
    "Iran and its neighbours signed the grain trade deal, and Tehran hosted the ceremony.",
    "Officials in Tehran signed the agreement, opening Iran to regional trade.",
]
AGAINST = [
    "Iran launched missile drills near the strait as its navy harassed tankers.",
    "The Iranian navy fired missiles during drills, and Iran seized a tanker.",
    "Iran staged missile drills; its navy boats swarmed a tanker in the strait.",
    "Tehran's navy held missile drills after Iran detained a foreign tanker.",
]


def _context(tmp_path: Path) -> LabellerContext:
    data = tomllib.loads(config_template())
    data["prelabel"]["min_gold_documents"] = 4
    shutil.copy(ROOT / "gazetteer.jsonl", tmp_path / "gazetteer.jsonl")
    return LabellerContext(parse_settings(data), tmp_path)


def test_train_changes_the_stance_of_documents_like_the_gold(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(UsageError, match="no trained model yet"):
        create("stance-learned.v1", context)
    documents = [Document(text=t) for t in FAVOUR + AGAINST]
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
        for document, label in zip(documents, ["favor"] * 4 + ["against"] * 4, strict=True):
            queries.add_decision(
                connection,
                Decision(
                    document.id,
                    "stance",
                    "reviewer",
                    "lead",
                    {"label": label},
                    target="Iran",
                ),
            )
        queries.add_decision(
            connection,
            Decision(
                documents[4].id,
                "entity",
                "reviewer",
                "lead",
                {
                    "spans": [
                        {"start": 0, "end": 4, "label": "GPE", "text": "Iran"},
                        {"start": 38, "end": 44, "label": "LOC", "text": "strait"},
                    ]
                },
            ),
        )
    report = train(store, context)
    assert report.trained_targets == {"Iran": 8}
    assert report.skipped_targets == {"United States": "needs 4 adjudicated documents, has 0"}
    assert report.stance_model is not None
    manifest = json.loads((report.stance_model / "manifest.json").read_text())
    assert manifest["training_set_sha256"].startswith(report.stance_model.name)

    learned = create("stance-learned.v1", context)
    new = [
        Document(text="Tehran signed another trade agreement with Iran's neighbours."),
        Document(text="Iran's navy began missile drills and stopped a tanker."),
    ]
    guesses = {(s.document_id, s.target): s.label for s in learned(new)}
    assert guesses[(new[0].id, "Iran")] == "favor"
    assert guesses[(new[1].id, "Iran")] == "against"
    cues = {(s.document_id, s.target): s.label for s in create("stance-cues.v1", context)(new)}
    assert cues[(new[0].id, "Iran")] != "favor"  # the baseline alone did not see it

    # The gold entity the gazetteer did not know becomes a pattern: a new gazetteer version.
    assert report.new_patterns == 1
    gazetteer = create("gazetteer.v1", context)
    found = {(s.text, s.label) for s in gazetteer([Document(text="Tankers left the strait.")])}
    assert found == {("strait", "LOC")}
    store.close()


def test_train_says_how_much_gold_it_needs(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = train(store, context)
    assert report.stance_model is None
    assert report.skipped_targets["Iran"] == "needs 4 adjudicated documents, has 0"
    store.close()
