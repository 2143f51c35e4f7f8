"""What annotators are shown earns its place on the dev gold (prelabel/trust.py): real spaCy
training, the real gazetteer labeller, and the shown merge in evaluate and the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from test_train import _context, _store_gold, weapon_story

from curate.prelabel import trust
from curate.prelabel.evaluate import evaluate_store
from curate.prelabel.train import train
from curate.records import Prelabel
from curate.store import open_store
from curate.suggestions import merge_entities, merge_stances, shown


def test_a_labellers_label_that_only_adds_errors_on_dev_is_left_out(tmp_path: Path) -> None:
    """The gazetteer names the cities GPE, which this project's gold never labels (its
    reports are about people and weapons): the gazetteer's GPE is left out of what is shown,
    its PERSON (right every time) stays."""
    context = _context(tmp_path, max_steps=60)
    names = {"John Smith", "Maria Lopez", "David Brown", "Sarah Johnson", "Michael Chen"}
    cities = {"Chicago", "Dallas", "Boston", "Denver", "Houston", "Seattle"}
    (tmp_path / "gazetteer.jsonl").write_text(
        "".join(
            json.dumps({"name": name, "label": label, "aliases": []}) + "\n"
            for group, label in ((names, "PERSON"), (cities, "GPE"))
            for name in sorted(group)
        )
    )
    prelabels = context.settings.prelabel.model_copy(
        update={"labellers": ["gazetteer.v1", "spacy-ner.v2"]}
    )
    context = type(context)(context.settings.model_copy(update={"prelabel": prelabels}), tmp_path)
    stories = [weapon_story(n) for n in range(24)]
    without_cities = [(text, [s for s in spans if s.label != "GPE"]) for text, spans in stories]
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _store_gold(store, without_cities)
    assert trust.in_use(context.models_dir).left_out == frozenset()  # before any training
    report = train(store, context)
    assert report.trust is not None
    assert ("gazetteer.v1", "entity", "GPE") in report.trust.left_out
    assert ("gazetteer.v1", "entity", "PERSON") not in report.trust.left_out
    before, after = report.trust.merged_f1 or (0, 0)
    assert after > before
    assert report.trust.entity_scores["gazetteer.v1"]["GPE"]["precision"] == 0.0
    assert report.trust.entity_scores["gazetteer.v1"]["PERSON"]["precision"] == 1.0
    in_use = trust.in_use(context.models_dir)
    assert in_use.left_out == frozenset(report.trust.left_out) and in_use.version

    # evaluate scores what is shown: no GPE from anyone, and says what was left out.
    from curate.prelabel import prelabel

    prelabel(store, context)
    shown_now = evaluate_store(store, context)
    assert ("gazetteer.v1", "entity", "GPE") in shown_now.left_out
    assert "GPE" not in {label for label, s in shown_now.exact.table().items() if s.tp + s.fp > 0}
    store.close()


def suggestion(labeller: str, label: str, start: int, kind: str = "entity") -> Prelabel:
    if kind == "stance":
        return Prelabel("d", "stance", label, labeller, 0.9, target="Iran")
    return Prelabel("d", "entity", label, labeller, 0.9, start, start + 4, "name")


def test_the_shown_merge_leaves_out_exactly_what_trust_names() -> None:
    found = [
        suggestion("gazetteer.v1+abc", "GPE", 0),
        suggestion("spacy-ner.v2+def", "ORG", 2),  # overlaps the GPE: wins once it is gone
        suggestion("gazetteer.v1+abc", "PERSON", 10),
        suggestion("stance-cues.v2+x", "favor", 0, "stance"),
        suggestion("stance-learned.v1+y", "against", 0, "stance"),
    ]
    order = ["gazetteer.v1", "spacy-ner.v2", "stance-cues.v2", "stance-learned.v1"]
    everything = shown(found, order)
    assert [(p.label, p.start) for p in merge_entities(found, order)] == [
        ("GPE", 0),
        ("PERSON", 10),
    ]
    assert [p.label for p in merge_stances(found, order)] == ["favor"]
    left_out = frozenset({("gazetteer.v1", "entity", "GPE"), ("stance-cues.v2", "stance", "Iran")})
    trusted = shown(found, order, left_out)
    assert len(trusted) == len(everything)
    assert [(p.label, p.start) for p in merge_entities(found, order, left_out)] == [
        ("ORG", 2),
        ("PERSON", 10),
    ]
    assert [p.label for p in merge_stances(found, order, left_out)] == ["against"]


def test_a_stance_labeller_under_the_precision_bar_is_left_out() -> None:
    gold = {f"d{n}": {"Iran": "favor" if n % 2 else "against"} for n in range(12)}
    found = [  # cues: right 3 times in 6; learned: right 5 times in 5; few: 1 wrong of 1
        *(
            Prelabel(f"d{n}", "stance", "favor", "stance-cues.v2+x", target="Iran")
            for n in range(6)
        ),
        *(
            Prelabel(f"d{n}", "stance", gold[f"d{n}"]["Iran"], "stance-learned.v1+y", target="Iran")
            for n in range(5)
        ),
        Prelabel("d0", "stance", "favor", "other.v1", target="Iran"),
    ]
    measured = trust.Trust()
    trust._stances(measured, found, gold, bar=0.8)
    assert measured.left_out == [("stance-cues.v2", "stance", "Iran")]
    assert measured.stance_scores["stance-cues.v2"]["Iran"] == {"precision": 0.5, "suggested": 6}
    assert measured.stance_scores["other.v1"]["Iran"]["suggested"] == 1  # too few to judge
