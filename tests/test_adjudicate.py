"""Auto-adjudication rules, the review queue's order and typed conflicts, reviewer decisions."""

from __future__ import annotations

import pytest

from curate.adjudicate.auto import AUTO, auto_adjudicate
from curate.adjudicate.review import align, decide, next_document, review_queue
from curate.adjudicate.spans import merge_spans
from curate.config import AdjudicationSettings
from curate.errors import InputError, SpanError, UsageError
from curate.project import Project
from curate.records import Annotation, Document, Prelabel, Span, StanceLabel
from curate.store import queries
from curate.store.schema import prelabel_runs as prelabel_run_rows
from curate.store.schema import prelabels as prelabel_rows
from tui.resolution import Resolution

AGREE = "Iran and the United States met in Oman."
SPLIT = "Khamenei told Washington to leave Iraq."
MAJOR = "Tehran hosted talks with Russia."


def span(text: str, piece: str, label: str) -> Span:
    start = text.index(piece)
    return Span(start, start + len(piece), label, piece)


def labelled(text: str, who: str, entities: list[tuple[str, str]], **stance: str) -> Annotation:
    return Annotation(
        document_id=Document(text).id,
        annotator=who,
        origin="test",
        spans=tuple(span(text, piece, label) for piece, label in entities),
        stances=tuple(StanceLabel(t.replace("_", " "), label) for t, label in stance.items()),
    )


@pytest.fixture
def project(project_dir):  # type: ignore[no-untyped-def]
    project = Project.load(project_dir)
    rows = [
        # AGREE: everyone the same -> unanimous everywhere.
        labelled(AGREE, "alice", [("Iran", "GPE"), ("Oman", "GPE")], Iran="neutral"),
        labelled(AGREE, "bob", [("Iran", "GPE"), ("Oman", "GPE")], Iran="neutral"),
        # SPLIT: label, boundary and missing conflicts, stance split 1-1.
        labelled(SPLIT, "alice", [("Khamenei", "PERSON"), ("Washington", "GPE")], Iran="favor"),
        labelled(
            SPLIT,
            "bob",
            [("Khamenei told", "PERSON"), ("Washington", "ORG"), ("Iraq", "GPE")],
            Iran="against",
        ),
        # MAJOR: 2 of 3 on stance and on Russia.
        labelled(MAJOR, "alice", [("Tehran", "GPE"), ("Russia", "GPE")], Iran="favor"),
        labelled(MAJOR, "bob", [("Tehran", "GPE"), ("Russia", "GPE")], Iran="favor"),
        labelled(MAJOR, "carol", [("Tehran", "GPE")], Iran="neutral"),
    ]
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [Document(t) for t in (AGREE, SPLIT, MAJOR)])
        for row in rows:
            queries.add_annotation(connection, row)
    return project


def run_auto(project: Project):  # type: ignore[no-untyped-def]
    with project.open_store().transaction() as connection:
        return auto_adjudicate(connection, project.settings, "0.1")


def test_rules_settle_agreement_and_open_the_rest(project: Project) -> None:
    report = run_auto(project)
    assert report.documents == 3 and report.recomputed == 3
    with project.open_store().connect() as connection:
        stances = queries.gold_stances(connection)
        entities = queries.gold_entities(connection)
        decisions = queries.decisions_for(connection, [Document(MAJOR).id])
    assert stances[Document(AGREE).id] == {"Iran": "neutral"}
    assert stances[Document(MAJOR).id] == {"Iran": "favor"}  # 2 of 3 >= 0.66
    assert Document(SPLIT).id not in stances  # 1-1: open
    assert [s.text for s in entities[Document(AGREE).id]] == ["Iran", "Oman"]
    assert [s.text for s in entities[Document(MAJOR).id]] == ["Tehran", "Russia"]
    assert Document(SPLIT).id not in entities
    stance = next(d for d in decisions if d.kind == "stance")
    assert (stance.method, stance.decided_by, stance.guideline_version) == ("majority", AUTO, "0.1")
    assert stance.note == "2 of 3 chose favor (favor 2, neutral 1)"
    assert len(stance.based_on) == 3  # the three annotation revisions it rests on
    entity = next(d for d in decisions if d.kind == "entity")
    methods = {s["text"]: s["method"] for s in entity.payload["spans"]}
    assert methods == {"Tehran": "unanimous", "Russia": "majority"}


def test_rerun_recomputes_only_documents_with_new_revisions(project: Project) -> None:
    run_auto(project)
    assert run_auto(project).recomputed == 0
    with project.open_store().transaction() as connection:
        queries.add_annotation(
            connection, labelled(SPLIT, "alice", [("Khamenei", "PERSON")], Iran="against")
        )
    report = run_auto(project)
    assert report.recomputed == 1
    with project.open_store().connect() as connection:
        assert queries.gold_stances(connection)[Document(SPLIT).id] == {"Iran": "against"}


def test_queue_lowest_agreement_first_with_typed_conflicts(project: Project) -> None:
    with project.open_store().transaction() as connection:
        # bob changes his mind on AGREE: it now has a stance split and a missing span.
        queries.add_annotation(connection, labelled(AGREE, "bob", [("Iran", "GPE")], Iran="favor"))
    run_auto(project)
    with project.open_store().connect() as connection:
        queue = review_queue(connection)
        scores = queries.document_scores(connection)
        first = next_document(connection)
        alignment = align(connection, project.settings, Document(SPLIT).id)
    assert [e.document_id for e in queue] == [Document(SPLIT).id, Document(AGREE).id]
    assert scores[Document(SPLIT).id] < scores[Document(AGREE).id]
    assert first is not None and first.document_id == Document(SPLIT).id
    assert queue[1].open_items == ("entities (1 open)", "stance:Iran")  # Oman, 1 of 2
    conflicts = {
        next(s.text for s in g.versions.values() if s is not None): g.conflicts
        for g in alignment.groups
    }
    assert conflicts == {
        "Khamenei": ("boundary",),
        "Washington": ("label",),
        "Iraq": ("missing",),
    }
    iran = next(row for row in alignment.stances if row.target == "Iran")
    assert iran.conflicts == ("stance",) and dict(iran.versions) == {
        "alice": "favor",
        "bob": "against",
    }


def test_reviewer_decision_survives_a_later_auto_run(project: Project) -> None:
    run_auto(project)
    document = Document(SPLIT).id
    chosen = [span(SPLIT, "Khamenei", "PERSON"), span(SPLIT, "Washington", "GPE")]
    with project.open_store().transaction() as connection:
        decide(
            connection,
            project.settings,
            document,
            "rita",
            chosen,
            {"Iran": "against"},
            note="Khamenei's demand frames Iran's stance",
            guideline_version="0.1",
        )
    # New annotations arrive and would make the rules decide otherwise.
    with project.open_store().transaction() as connection:
        for who in ("alice", "bob"):
            queries.add_annotation(
                connection, labelled(SPLIT, who, [("Iraq", "GPE")], Iran="favor")
            )
    report = run_auto(project)
    assert report.kept_human == 2  # the entity item and the Iran stance
    with project.open_store().connect() as connection:
        assert queries.gold_stances(connection)[document] == {"Iran": "against"}
        assert [s.text for s in queries.gold_entities(connection)[document]] == [
            "Khamenei",
            "Washington",
        ]
        decisions = [
            d for d in queries.decisions_for(connection, [document]) if d.method == "reviewer"
        ]
        assert {d.decided_by for d in decisions} == {"rita"}
        assert decisions[0].note == "Khamenei's demand frames Iran's stance"
        assert document not in {e.document_id for e in review_queue(connection)}


def test_decide_refuses_spans_that_do_not_match_the_text(project: Project) -> None:
    document = Document(SPLIT).id
    with project.open_store().transaction() as connection:
        with pytest.raises(SpanError, match="Khamenei"):
            decide(
                connection,
                project.settings,
                document,
                "rita",
                [Span(0, 5, "PERSON", "Khamenei")],
                {},
            )
        with pytest.raises(InputError, match="not in curate.toml"):
            decide(
                connection, project.settings, document, "rita", [span(SPLIT, "Iraq", "CITY")], {}
            )
        with pytest.raises(InputError, match="stance 'maybe'"):
            decide(connection, project.settings, document, "rita", [], {"Iran": "maybe"})
        assert queries.decisions_for(connection, [document]) == []


def test_rules_queue_and_scores_on_sqlite_and_postgresql(project_dir, store) -> None:  # type: ignore[no-untyped-def]
    """The same adjudication on both back ends (the queries use joins and JSON payloads)."""
    from curate.report import measure

    settings = Project.load(project_dir).settings
    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(t) for t in (AGREE, SPLIT)])
        for row in (
            labelled(AGREE, "alice", [("Iran", "GPE")], Iran="neutral"),
            labelled(AGREE, "bob", [("Iran", "GPE")], Iran="neutral"),
            labelled(SPLIT, "alice", [("Iraq", "GPE")], Iran="favor"),
            labelled(SPLIT, "bob", [("Iraq", "LOC")], Iran="against"),
        ):
            queries.add_annotation(connection, row)
        report = auto_adjudicate(connection, settings, "0.1")
        agreement = measure(connection, settings, resamples=50)
    assert report.recomputed == 2 and report.opened == 2  # SPLIT: entity and stance
    with store.connect() as connection:
        assert queries.gold_stances(connection) == {Document(AGREE).id: {"Iran": "neutral"}}
        assert [e.document_id for e in review_queue(connection)] == [Document(SPLIT).id]
    assert agreement.entities.overall.label_conflicts == 1


# --- span-level merge policies ---------------------------------------------------------------

LONG = "Officer John Smith met Sergeant Ann Lee at the Dallas Police Department."


def merged(policy: str, versions: dict[str, list[tuple[str, str]]], **rules: object):  # type: ignore[no-untyped-def]
    settings = AdjudicationSettings(entity_policy=policy, **rules)  # type: ignore[arg-type]
    found = [labelled(LONG, who, spans) for who, spans in versions.items()]
    merge = merge_spans(found, settings)
    as_text = lambda spans: sorted((s["text"], s["label"]) for s in spans)  # noqa: E731
    return as_text(merge.gold), as_text(merge.open), as_text(merge.rejected)


THREE = {
    "alice": [("John Smith", "PERSON"), ("Ann Lee", "PERSON"), ("Dallas", "GPE")],
    "bob": [("John Smith", "PERSON"), ("Ann Lee", "PERSON")],
    "carol": [("Officer John Smith", "PERSON"), ("Ann Lee", "ORG")],
}


def test_majority_policy_keeps_two_of_three_and_rejects_single_votes() -> None:
    gold, open_, rejected = merged("majority", THREE)
    assert gold == [("Ann Lee", "PERSON"), ("John Smith", "PERSON")]
    assert open_ == []
    assert rejected == [("Ann Lee", "ORG"), ("Dallas", "GPE"), ("Officer John Smith", "PERSON")]


def test_strict_policy_sends_any_leftover_span_to_review() -> None:
    gold, open_, rejected = merged("strict", THREE)
    assert gold == [("Ann Lee", "PERSON"), ("John Smith", "PERSON")]
    assert open_ == [("Ann Lee", "ORG"), ("Dallas", "GPE"), ("Officer John Smith", "PERSON")]
    assert rejected == []


def test_threshold_policy_counts_annotators_not_shares() -> None:
    four = THREE | {"dan": [("Dallas", "GPE")]}
    # Dallas: 2 of 4 annotators. threshold 2 makes it gold; majority (0.66) calls it a tie.
    assert ("Dallas", "GPE") in merged("threshold", four, entity_min_annotators=2)[0]
    assert ("Dallas", "GPE") in merged("majority", four)[1]
    assert ("Dallas", "GPE") in merged("threshold", four, entity_min_annotators=3)[1]
    # Below the floor a span is rejected, at or above it a reviewer sees it.
    assert ("Dallas", "GPE") in merged(
        "threshold", four, entity_min_annotators=3, entity_review_floor=0.75
    )[2]


def test_characters_settle_a_boundary_dispute_only_without_a_tie() -> None:
    # Everyone marked Dallas, no two alike: the characters of "Dallas Police" reach 2 of 3.
    versions = {
        "alice": [("Dallas Police Department", "ORG")],
        "bob": [("Dallas Police", "ORG")],
        "carol": [("Dallas", "ORG")],
    }
    gold, open_, rejected = merged("majority", versions)
    assert gold == [("Dallas Police", "ORG")] and open_ == []
    assert rejected == [("Dallas", "ORG"), ("Dallas Police Department", "ORG")]
    # Two annotators who disagree on the boundary are a tie: a reviewer decides.
    tie = {"alice": [("Dallas Police", "ORG")], "bob": [("Dallas", "ORG")]}
    assert merged("majority", tie)[1] == [("Dallas", "ORG"), ("Dallas Police", "ORG")]
    # Three labels for one name: nobody wins, but everyone saw a name there.
    labels = {
        "alice": [("Dallas", "GPE")],
        "bob": [("Dallas", "ORG")],
        "carol": [("Dallas", "LOC")],
    }
    assert len(merged("majority", labels)[1]) == 3


def test_overlapping_gold_spans_that_nobody_marked_together_compete() -> None:
    versions = {
        "alice": [("John Smith", "PERSON")],
        "bob": [("John Smith", "PERSON")],
        "carol": [("Officer John", "PERSON")],
        "dan": [("Officer John", "PERSON")],
    }
    gold, open_, _ = merged("threshold", versions, entity_min_annotators=2)
    assert gold == [] and open_ == [("John Smith", "PERSON"), ("Officer John", "PERSON")]


def test_review_shows_only_open_spans_and_keeps_the_rules_methods(project_dir) -> None:  # type: ignore[no-untyped-def]
    project = Project.load(project_dir)
    document = Document(LONG).id
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [Document(LONG)])
        for who, spans in THREE.items():
            queries.add_annotation(connection, labelled(LONG, who, spans, Iran="neutral"))
        queries.add_annotation(
            connection, labelled(LONG, "dan", [("John Smith", "PERSON"), ("Dallas", "GPE")])
        )
        auto_adjudicate(connection, project.settings, "1.0")
        queue = review_queue(connection)
        alignment = align(connection, project.settings, document)
    # 4 annotators: John Smith 3 (gold), Ann Lee PERSON 2 of 4 (tie), Dallas 2 (tie).
    assert queue[0].open_items == ("entities (3 open)",)
    shown = {v.text for g in alignment.groups for v in g.versions.values() if v is not None}
    assert shown == {"Ann Lee", "Dallas"}
    assert [s.text for s in alignment.agreed_spans] == ["John Smith"]
    resolution = Resolution(alignment)
    for _ in alignment.groups:
        resolution.take(1)  # alice's version of each open group
        resolution.step(1)
    with project.open_store().transaction() as connection:
        decide(
            connection, project.settings, document, "rita", resolution.spans(), {"Iran": "neutral"}
        )
        decisions = queries.decisions_for(connection, [document])
        gold = queries.gold_entities(connection)[document]
    entity = decisions[-1]
    assert entity.kind == "entity" and entity.method == "reviewer"
    methods = {s["text"]: s["method"] for s in entity.payload["spans"]}
    assert methods == {"John Smith": "majority", "Ann Lee": "reviewer", "Dallas": "reviewer"}
    # Iran was unanimous already: the reviewer's matching choice adds no decision.
    assert [d.kind for d in decisions if d.method == "reviewer"] == ["entity"]
    assert [s.text for s in gold] == ["John Smith", "Ann Lee", "Dallas"]


def test_changing_the_policy_is_applied_on_the_next_run(project: Project) -> None:
    run_auto(project)
    with project.open_store().connect() as connection:
        assert Document(MAJOR).id in queries.gold_entities(connection)  # Russia: 2 of 3
    stricter = project.settings.model_copy(
        update={
            "adjudication": AdjudicationSettings(entity_policy="threshold", entity_min_annotators=3)
        }
    )
    with project.open_store().transaction() as connection:
        report = auto_adjudicate(connection, stricter, "0.1")
    # Three annotators per span: AGREE (two annotators) and MAJOR (Russia 2 of 3) reopen.
    assert report.decided == {"open": 3}
    with project.open_store().connect() as connection:
        assert queries.gold_entities(connection) == {}


TIE = "Khamenei met Putin in Tehran."


def four_way_split(project_dir, tie_breaker: str, senior: str = "[]") -> Project:  # type: ignore[no-untyped-def]
    """Four annotators, 2-2 on Putin (marked or not) and on Iran's stance; Tehran unanimous."""
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    text = text.replace('tie_breaker = "review"', f'tie_breaker = "{tie_breaker}"')
    text = text.replace("senior = []", f"senior = {senior}")
    text = text.replace("overlap = 2", "overlap = 1")
    text += '\n[[annotators]]\nname = "dave"\nemail = "dave@example.org"\n'
    config.write_text(text, "utf-8")
    project = Project.load(project_dir)
    both = [("Tehran", "GPE"), ("Putin", "PERSON")]
    rows = [
        labelled(TIE, "alice", both, Iran="favor"),
        labelled(TIE, "bob", both, Iran="favor"),
        labelled(TIE, "carol", [("Tehran", "GPE")], Iran="against"),
        labelled(TIE, "dave", [("Tehran", "GPE")], Iran="against"),
    ]
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [Document(TIE)])
        for row in rows:
            queries.add_annotation(connection, row)
        queries.insert_prelabels(
            connection,
            [
                Prelabel(Document(TIE).id, "entity", "PERSON", "test.v1", 0.9, 13, 18, "Putin"),
                Prelabel(Document(TIE).id, "stance", "against", "test.v1", 0.8, target="Iran"),
            ],
        )
        queries.record_prelabel_runs(connection, "test.v1", {Document(TIE).id: 2})
    return project


@pytest.mark.parametrize(
    ("tie_breaker", "senior", "spans", "stance", "method"),
    [
        ("review", "[]", None, None, None),  # both items wait for a reviewer
        ("senior", '["bob", "carol"]', ["Putin", "Tehran"], "favor", "tie-senior"),
        ("senior", '["carol"]', ["Tehran"], "against", "tie-senior"),
        ("prelabel", "[]", ["Putin", "Tehran"], "against", "tie-prelabel"),
    ],
)
def test_an_even_split_goes_to_the_tie_breaker(  # type: ignore[no-untyped-def]
    project_dir, tie_breaker: str, senior: str, spans, stance, method
) -> None:
    project = four_way_split(project_dir, tie_breaker, senior)
    run_auto(project)
    with project.open_store().connect() as connection:
        gold = queries.gold_entities(connection).get(Document(TIE).id)
        stances = queries.gold_stances(connection).get(Document(TIE).id, {})
        queue = [e.document_id for e in review_queue(connection)]
        decisions = queries.decisions_for(connection, [Document(TIE).id])
    if spans is None:
        assert gold is None and stances == {} and queue == [Document(TIE).id]
        return
    assert [s.text for s in gold or []] == spans and stances == {"Iran": stance}
    assert queue == []
    stance_decision = next(d for d in decisions if d.kind == "stance")
    assert stance_decision.method == method
    assert "even split (favor 2, against 2)" in (stance_decision.note or "")
    entity = next(d for d in decisions if d.kind == "entity")
    putin = [s for s in entity.payload["spans"] + entity.payload.get("rejected", [])]
    # Putin was settled by the tie rule whichever side won (gold or rejected), and so was the item.
    assert {s["text"]: s.get("method") for s in putin if s["text"] == "Putin"} == {"Putin": method}
    assert entity.method == method


def test_the_prelabel_rule_without_a_prelabel_sends_the_tie_to_review(project_dir) -> None:  # type: ignore[no-untyped-def]
    """No pre-label on either side: the rule cannot apply, so nothing is silently rejected."""
    project = four_way_split(project_dir, "prelabel")
    with project.open_store().transaction() as connection:
        connection.execute(prelabel_rows.delete())
        connection.execute(prelabel_run_rows.delete())
    report = run_auto(project)
    assert report.ties_to_review == 2  # Putin (marked or not) and Iran's stance
    with project.open_store().connect() as connection:
        decisions = queries.decisions_for(connection, [Document(TIE).id])
        assert [e.document_id for e in review_queue(connection)] == [Document(TIE).id]
    entity = next(d for d in decisions if d.kind == "entity")
    assert entity.method == "open"
    assert [s["text"] for s in entity.payload["open"]] == ["Putin"]
    assert [s["text"] for s in entity.payload["spans"]] == ["Tehran"]
    assert "rejected" not in entity.payload


def test_the_senior_rule_without_a_senior_present_is_counted(project_dir) -> None:  # type: ignore[no-untyped-def]
    project = four_way_split(project_dir, "senior", '["erin"]')
    text = (project_dir / "curate.toml").read_text("utf-8")
    text += '\n[[annotators]]\nname = "erin"\nemail = "erin@example.org"\n'
    (project_dir / "curate.toml").write_text(text, "utf-8")
    with project.open_store().transaction() as connection:
        other = Document("Erin's own document.")
        queries.insert_documents(connection, [other])
        queries.add_annotation(connection, labelled(other.text, "erin", []))
    report = run_auto(Project.load(project_dir))
    assert report.ties_to_review == 2


@pytest.mark.parametrize("named", ["pseudonym", "email", "curate.toml name"])
def test_seniors_are_named_as_the_reports_show_them(project_dir, named: str) -> None:  # type: ignore[no-untyped-def]
    from curate.domain.pseudonyms import namer

    shown_as = namer(project_dir, real_names=False)
    given = {"pseudonym": shown_as("carol"), "email": "Carol@example.org"}.get(named, "carol")
    project = four_way_split(project_dir, "senior", f'["{given}"]')
    with project.open_store().transaction() as connection:
        report = auto_adjudicate(connection, project.settings, "0.1", shown_as)
    assert report.ties_to_review == 0
    with project.open_store().connect() as connection:
        assert queries.gold_stances(connection)[Document(TIE).id] == {"Iran": "against"}


def test_an_unknown_senior_is_refused_with_the_annotators_as_reports_name_them(  # type: ignore[no-untyped-def]
    project_dir,
) -> None:
    from curate.domain.pseudonyms import namer

    shown_as = namer(project_dir, real_names=False)
    project = four_way_split(project_dir, "senior", '["nobody"]')
    with pytest.raises(UsageError) as refused, project.open_store().transaction() as connection:
        auto_adjudicate(connection, project.settings, "0.1", shown_as)
    message = str(refused.value)
    assert "senior names annotators this project does not have: nobody" in message
    for name in ("alice", "bob", "carol", "dave"):
        assert shown_as(name) in message and f"{name}@" not in message
    with project.open_store().connect() as connection:
        assert queries.decisions_for(connection, [Document(TIE).id]) == []  # nothing decided


def test_the_senior_rule_needs_names() -> None:
    from curate.config import parse_settings
    from curate.errors import ConfigError

    with pytest.raises(ConfigError, match='tie_breaker is "senior" but adjudication.senior'):
        parse_settings(
            {
                "project": {"name": "x"},
                "entity_labels": [{"name": "PERSON", "hotkey": "p", "colour": "#000000"}],
                "stance": {"targets": [{"name": "Iran"}]},
                "release": {"name": "x"},
                "prelabel": {"label_map": {"PERSON": "PERSON"}},
                "adjudication": {"tie_breaker": "senior"},
            }
        )
