"""`curate train` learns from gold for real (spaCy's own training loop on small data made here),
and the suggestions change: a new labeller version, a label the installed pipeline never had."""

from __future__ import annotations

import json
import shutil
import stat
import tomllib
from pathlib import Path

import pytest

from curate.config import config_template, parse_settings
from curate.errors import UsageError
from curate.prelabel import prelabel
from curate.prelabel.base import LabellerContext
from curate.prelabel.evaluate import evaluate_store
from curate.prelabel.learned_names import refusal
from curate.prelabel.registry import create
from curate.prelabel.train import train
from curate.records import Decision, Document, Span
from curate.store import Store, open_store, queries

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
NAMES = ["John Smith", "Maria Lopez", "David Brown", "Sarah Johnson", "Michael Chen", "Anna Berg"]
CITIES = ["Chicago", "Dallas", "Boston", "Denver", "Houston", "Seattle"]
WEAPONS = ["Glock pistol", "Remington shotgun", "Colt revolver", "Ruger rifle", "Beretta pistol"]


def _context(tmp_path: Path, **train: int | str) -> LabellerContext:
    data = tomllib.loads(config_template())
    data["prelabel"]["min_gold_documents"] = 4
    data["entity_labels"].append({"name": "WEAPON", "hotkey": "w", "colour": "#000000"})
    data["train"] = {"min_entity_documents": 4, "max_steps": 150, "patience": 100}
    data["train"] |= {"eval_frequency": 25} | train
    shutil.copy(ROOT / "gazetteer.jsonl", tmp_path / "gazetteer.jsonl")
    return LabellerContext(parse_settings(data), tmp_path)


def weapon_story(n: int) -> tuple[str, list[Span]]:
    """A short report with a person, a city and a weapon, offsets known."""
    name, city = NAMES[n % len(NAMES)], CITIES[(n // 2) % len(CITIES)]
    weapon = WEAPONS[n % len(WEAPONS)]
    parts = [
        ("Officer ", None),
        (name, "PERSON"),
        (" of the ", None),
        (city, "GPE"),
        (f" police was shot with a {n + 2}-year-old ", None),
        (weapon, "WEAPON"),
        (f" on patrol {n}.", None),
    ]
    text, spans = "", []
    for piece, label in parts:
        if label:
            spans.append(Span(len(text), len(text) + len(piece), label, piece))
        text += piece
    return text, spans


def _store_gold(store: Store, stories: list[tuple[str, list[Span]]]) -> list[Document]:
    documents = [Document(text=text) for text, _ in stories]
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
        for document, (_, spans) in zip(documents, stories, strict=True):
            payload = {"spans": [queries.span_record(s) for s in spans]}
            queries.add_decision(
                connection, Decision(document.id, "entity", "reviewer", "lead", payload)
            )
    return documents


def test_train_prelabel_round_trip_learns_a_custom_label(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _store_gold(store, [weapon_story(n) for n in range(24)])
    before = prelabel(store, context, ["spacy-ner.v2"]).labellers[0]
    with store.connect() as connection:
        first = queries.prelabels_for_many(connection, queries.document_ids(connection))
    assert before.labeller.startswith("spacy-ner.v2+en_core_web_sm")
    assert not any(p.label == "WEAPON" for found in first.values() for p in found)
    scored_before = evaluate_store(store, context, "spacy-ner.v2")

    steps: list[int] = []
    report = train(store, context, lambda step, score: steps.append(step))
    ner = report.ner
    assert ner.skipped is None and ner.folder is not None and not ner.reused
    assert ner.base.startswith("en_core_web_sm")
    assert ner.train_documents + ner.dev_documents + ner.held_out == 24
    assert steps and steps == sorted(steps) and max(steps) <= 2 * 150  # from its NER, fresh
    manifest = json.loads((ner.folder / "manifest.json").read_text())
    assert manifest["version"] == ner.folder.name and manifest["base_pipeline"] == ner.base
    assert "WEAPON" in manifest["scores"] and (ner.folder / "model" / "meta.json").is_file()
    # The models hold names learned from the texts: only their owner can open the folder.
    assert stat.S_IMODE(context.models_dir.stat().st_mode) == 0o700

    after = prelabel(store, context, ["spacy-ner.v2"]).labellers[0]
    assert after.labeller != before.labeller and f"ner-{ner.folder.name}" in after.labeller
    assert after.documents == 24  # an older model's suggestions are replaced everywhere
    with store.connect() as connection:
        second = queries.prelabels_for_many(connection, queries.document_ids(connection))
    weapons = [p for found in second.values() for p in found if p.label == "WEAPON"]
    assert len(weapons) >= 12 and all(p.labeller == after.labeller for p in weapons)

    # Per label, what annotators are shown got no worse on the gold, and WEAPON got found.
    scored_after = evaluate_store(store, context, "spacy-ner.v2")
    for label, scores in scored_before.exact.table().items():
        assert scored_after.exact.table()[label].f1 >= scores.f1, label
    assert scored_after.exact.table()["WEAPON"].f1 > 0.5

    # The same gold trains the same version once.
    again = train(store, context)
    assert again.ner.reused and again.ner.version == ner.version
    assert (again.ner.dev_f1, again.ner.label_map) == (ner.dev_f1, ner.label_map)
    assert prelabel(store, context, ["spacy-ner.v2"]).labellers[0].documents == 0

    # A model trained before the race between starts was dropped recorded dev F1 per start.
    path = ner.folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(manifest | {"dev_f1": {ner.start: 0.5}}), encoding="utf-8")
    assert train(store, context).ner.dev_f1 == 0.5
    store.close()


def test_test_documents_are_never_trained_on(tmp_path: Path) -> None:
    context = _context(tmp_path, max_steps=10, eval_frequency=5)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    documents = _store_gold(store, [weapon_story(n) for n in range(12)])
    report = train(store, context)
    assert report.ner.folder is not None
    manifest = json.loads((report.ner.folder / "manifest.json").read_text())
    trained = set(manifest["train_documents"]) | set(manifest["dev_documents"])
    from curate.domain.splits import splits_of

    splits = dict(
        zip(
            [d.id for d in documents],
            splits_of([d.id for d in documents], context.settings.release.splits),
            strict=True,
        )
    )
    assert trained == {d for d, split in splits.items() if split != "test"}
    store.close()


def test_name_guards_refuse_what_would_hurt() -> None:
    stop = {"an", "the", "of"}
    assert refusal("3", stop) == "no letters (numbers, dates)"
    assert refusal("12/05", stop) == "no letters (numbers, dates)"
    assert refusal("An", stop) == "stop words"
    assert refusal("Xi", stop) == "shorter than 3 characters"
    assert refusal("EU", stop) is None
    assert refusal("Glock", stop) is None


def test_learned_names_need_count_one_label_and_precision(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    stories = []
    for n in range(30):
        text = f"An officer with a Glock met deputy Kowalski {n}. The deputy and the deputy left."
        spans = [Span(0, 2, "PERSON", "An"), Span(18, 23, "WEAPON", "Glock")]
        if n % 3 == 0:
            spans.append(Span(28, 34, "PERSON", "deputy"))  # 1 of its 3 uses
        if n % 3 == 1:
            spans.append(Span(35, 43, "PERSON", "Kowalski"))  # labelled, then not: 1 of 3
        stories.append((text, spans))
    _store_gold(store, stories)
    report = train(store, context)
    assert report.candidates == ["Glock"]
    assert report.refused_patterns == {"stop words": 1, "labelled in under 50% of its uses": 2}
    store.close()


def test_names_are_kept_only_where_dev_shows_them_right(tmp_path: Path) -> None:
    from curate.prelabel.learned_names import helpful_on_dev
    from curate.prelabel.ner_model import GoldText

    context = _context(tmp_path)
    text = "A pump shotgun was found on Tuesday near the pump shotgun store."
    gold = (Span(2, 14, "WEAPON", "pump shotgun"), Span(45, 57, "WEAPON", "pump shotgun"))
    assert all(text[s.start : s.end] == s.text for s in gold)
    learned = [("pump shotgun", "WEAPON"), ("Tuesday", "NORP"), ("Zastava", "ORG")]
    kept, dropped = helpful_on_dev(context, learned, [GoldText("d1", text, gold)], None)
    # NORP only adds an error; ORG's name is never written in dev: no evidence, not shown.
    assert kept == [("pump shotgun", "WEAPON")] and dropped == ["NORP", "ORG"]


def test_a_learned_name_fills_gaps_and_never_overrides_the_model(tmp_path: Path) -> None:
    from curate.prelabel.base import mark_current
    from curate.prelabel.learning_ner import PATTERNS

    context = _context(tmp_path)
    folder = context.models_dir / PATTERNS / "abc"
    folder.mkdir(parents=True)
    names = [{"name": "John Smith", "label": "WEAPON"}, {"name": "pump shotgun", "label": "WEAPON"}]
    (folder / "patterns.jsonl").write_text("\n".join(json.dumps(n) for n in names) + "\n")
    (folder / "manifest.json").write_text(json.dumps({"created": "2026-01-01T00:00:00"}))
    mark_current(folder.parent, folder)
    labeller = create("spacy-ner.v2", context)
    assert labeller.version.endswith("+patterns-abc")
    document = Document(text="John Smith bought a pump shotgun in Chicago.")
    found = {(s.text, s.label, s.score) for s in labeller([document])}
    assert ("John Smith", "PERSON", 0.5) in found  # the model's, not the name's WEAPON
    assert ("pump shotgun", "WEAPON", 0.4) in found  # a gap the model left
    assert not any(text == "John Smith" and label == "WEAPON" for text, label, _ in found)
    mark_current(folder.parent, None)
    assert "patterns" not in create("spacy-ner.v2", context).version


def stance_texts(count: int, seed: int) -> list[tuple[str, str]]:
    """Varied texts about Iran, favor (trade, deals) or against (drills, seizures)."""
    import random

    rng = random.Random(seed)
    who = ["Tehran", "Iran", "Officials in Tehran", "Iran's government", "The Iranian side"]
    favor = ["signed a trade agreement with", "welcomed investors from", "hosted a deal with"]
    against = ["held missile drills near", "seized a tanker from", "threatened the navy of"]
    whom = ["its neighbours", "Oman", "Qatar", "Iraq", "Turkey", "Armenia", "the region"]
    found = []
    for n in range(count):
        label = "favor" if n % 2 == 0 else "against"
        verb = rng.choice(favor if label == "favor" else against)
        found.append((f"{rng.choice(who)} {verb} {rng.choice(whom)} (report {n}).", label))
    return found


def _store_stance_gold(store: Store, labelled: list[tuple[str, str]]) -> None:
    """Each text a document with a reviewer's stance on Iran."""
    documents = [Document(text=text) for text, _ in labelled]
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
        for document, (_, label) in zip(documents, labelled, strict=True):
            queries.add_decision(
                connection,
                Decision(document.id, "stance", "reviewer", "lead", {"label": label}, (), "Iran"),
            )


def test_stance_model_reports_f1avg_beside_the_baseline(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert create("stance-learned.v1", context).version == "stance-learned.v1+untrained"
    _store_stance_gold(store, stance_texts(40, seed=0))
    report = train(store, context)
    assert set(report.trained_targets) == {"Iran"}
    assert report.skipped_targets["United States"].startswith("needs 4 gold documents")
    scores = report.stance_scores["Iran"]
    assert scores.baseline_label in ("favor", "against")
    assert 0 <= scores.baseline_f1_avg <= 0.5 and 0 <= scores.f1_avg <= 1
    chosen = report.stance_thresholds["Iran"]
    assert chosen.precision >= 0.8 and 0 < chosen.threshold < 1
    learned = create("stance-learned.v1", context)
    assert learned.version != "stance-learned.v1+untrained"
    fresh = stance_texts(10, seed=1)
    new = [Document(text=text) for text, _ in fresh]
    truth = {document.id: label for document, (_, label) in zip(new, fresh, strict=True)}
    guesses = {s.document_id: s.label for s in learned(new) if s.target == "Iran"}
    assert guesses and all(truth[d] == label for d, label in guesses.items())
    # A text about something else entirely gets nothing.
    assert learned([Document(text="The bakery sold bread and cakes all morning.")]) == []
    store.close()


def test_train_says_how_much_gold_it_needs(tmp_path: Path) -> None:
    context = _context(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = train(store, context)
    assert report.stance_model is None and report.ner.folder is None
    assert report.ner.skipped is not None and "needs 4 gold documents" in report.ner.skipped
    assert report.skipped_targets["Iran"].startswith("needs 4 gold documents")
    store.close()


def test_a_label_the_base_pipeline_knew_is_kept_when_its_labels_overlap(
    tmp_path: Path,
) -> None:
    """PERSON is half the training spans (WEAPON, new, the other half): training fine-tunes the
    installed pipeline's own NER, and on reports it never saw, with names it never saw, PERSON
    is found at least as well as the untouched pipeline finds it; WEAPON is learned too."""
    from curate.agreement.spans import compare_exact

    context = _context(tmp_path, max_steps=100)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    stories = [weapon_story(n) for n in range(24)]
    _store_gold(store, [(text, [s for s in spans if s.label != "GPE"]) for text, spans in stories])
    report = train(store, context)
    assert report.ner.known_share == 0.5 and report.ner.folder is not None
    assert report.ner.start == "base-ner" and report.ner.chosen_by.startswith("auto")
    manifest = json.loads((report.ner.folder / "manifest.json").read_text())
    assert manifest["start"] == "base-ner" and manifest["chosen_by"] == report.ner.chosen_by
    assert manifest["dev_f1"] == report.ner.dev_f1 > 0
    assert manifest["label_map"]["PERSON"] == "PERSON"

    others = ["Robert Taylor", "Linda Garcia", "James Wilson", "Karen Moore", "Thomas Clark"]
    held_back, gold = [], []
    for n, name in enumerate(others * 2):
        text = f"Deputy {name} stopped a car near the highway on night {n} and called for help."
        document = Document(text=text)
        held_back.append(document)
        start = text.index(name)
        gold.append((document.id, start, start + len(name), "PERSON"))

    def person_f1(labeller: str) -> float:
        found = create(labeller, context)(held_back)
        shown = [(p.document_id, p.start, p.end, p.label) for p in found if p.label == "PERSON"]
        return compare_exact(gold, shown).table()["PERSON"].f1

    assert person_f1("spacy-ner.v2") >= person_f1("spacy-ner.v1") > 0.5
    weapons = create("spacy-ner.v2", context)([Document(text=weapon_story(30)[0])])
    assert any(p.label == "WEAPON" for p in weapons)
    store.close()


def test_labels_the_base_pipeline_mostly_lacks_start_a_fresh_ner(tmp_path: Path) -> None:
    context = _context(tmp_path, max_steps=30)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    stories = [weapon_story(n) for n in range(12)]
    _store_gold(
        store, [(text, [s for s in spans if s.label == "WEAPON"]) for text, spans in stories]
    )
    report = train(store, context)
    assert report.ner.start == "fresh-ner" and report.ner.known_share == 0.0
    assert report.ner.chosen_by == "auto: the pipeline knows none of its labels"
    # A team can ask for the pipeline's NER anyway: another model, its start recorded.
    forced = train(store, _context(tmp_path, max_steps=30, start="base-ner"))
    assert forced.ner.start == "base-ner" and forced.ner.chosen_by == "[train] start"
    assert forced.ner.folder is not None and forced.ner.version != report.ner.version
    manifest = json.loads((forced.ner.folder / "manifest.json").read_text())
    assert manifest["start"] == "base-ner" and set(manifest["label_map"].values()) >= {"WEAPON"}
    store.close()


def test_a_start_from_a_pipeline_that_is_not_installed_is_refused() -> None:
    from curate.prelabel.ner_model import choose_start

    assert choose_start("auto", None, 0.5) == ("fresh-ner", "no installed pipeline to start from")
    with pytest.raises(UsageError, match="needs an installed spaCy pipeline"):
        choose_start("base-ner", None, 0.5)


def test_the_learning_curve_has_four_points_on_one_dev_set(project_dir: Path) -> None:
    """`curate train --curve --json`: 25/50/75/100% of the training gold, the same dev
    documents, entity F1 per label and stance F1avg at each; the models in use are untouched."""
    from typer.testing import CliRunner

    from curate.cli import app
    from curate.project import Project

    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    for old, new in (
        ("min_entity_documents = 10", "min_entity_documents = 4"),
        ("max_steps = 2000", "max_steps = 30"),
        ("eval_frequency = 100", "eval_frequency = 10"),
        ("min_gold_documents = 20", "min_gold_documents = 4"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    event = 'name = "EVENT"\nhotkey = "e"\ncolour = "#8c564b"\n'
    assert event in text
    weapon = '\n[[entity_labels]]\nname = "WEAPON"\nhotkey = "w"\ncolour = "#000000"\n'
    config.write_text(text.replace(event, event + weapon))
    project = Project.load(project_dir)
    store = project.open_store()
    _store_gold(store, [weapon_story(n) for n in range(24)])
    _store_stance_gold(store, stance_texts(40, seed=0))
    store.close()
    result = CliRunner().invoke(app, ["--project", str(project_dir), "train", "--curve", "--json"])
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout[result.stdout.index("[") :])
    assert [p["share"] for p in points] == [0.25, 0.5, 0.75, 1.0]
    sizes = [p["entity_documents"] for p in points]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert all("WEAPON" in p["entity_scores"] for p in points if not p["entity_skipped"])
    assert "Iran" in points[-1]["stance_f1_avg"]
    assert not (project_dir / ".curate" / "models" / "ner").exists()  # nothing kept
