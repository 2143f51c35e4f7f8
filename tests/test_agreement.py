"""Agreement on small hand-made cases: span matching, BIO token kappa, the report on a store."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from curate.agreement.data import collect
from curate.agreement.matching import SpanArrays, count_pairs, exact_pairs, overlap_pairs
from curate.agreement.report import build_report, document_scores
from curate.agreement.tokens import TokenIndex, bio_kappa
from curate.project import Project
from curate.records import Annotation, Document, Span, StanceLabel
from curate.report import measure
from curate.store import queries

TEXT = "Ali Khamenei met Joe Biden in Tehran on Monday."


def spans(*items: tuple[int, int, int, int]) -> SpanArrays:
    return SpanArrays.build(*(list(column) for column in zip(*items, strict=True)))


def naive_overlap(a: list[tuple[int, int, int, int]], b: list[tuple[int, int, int, int]]) -> set:
    """The matching rule written the slow, obvious way."""
    candidates = sorted(
        (-(min(x[2], y[2]) - max(x[1], y[1])), x[3] != y[3], i, j)
        for i, x in enumerate(a)
        for j, y in enumerate(b)
        if x[0] == y[0] and min(x[2], y[2]) > max(x[1], y[1])
    )
    used_a, used_b, pairs = set(), set(), set()
    for _, _, i, j in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.add((i, j))
    return pairs


span_lists = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(1, 8), st.integers(0, 2)).map(
        lambda t: (t[0], t[1], t[1] + t[2], t[3])
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(span_lists, span_lists)
def test_vectorised_overlap_matching_equals_the_obvious_rule(a: list, b: list) -> None:
    ia, ib = overlap_pairs(
        spans(*a) if a else SpanArrays.empty(), spans(*b) if b else SpanArrays.empty()
    )
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == naive_overlap(a, b)


@settings(max_examples=200, deadline=None)
@given(span_lists, span_lists)
def test_exact_matching_pairs_equal_spans_one_to_one(a: list, b: list) -> None:
    ia, ib = exact_pairs(
        spans(*a) if a else SpanArrays.empty(), spans(*b) if b else SpanArrays.empty()
    )
    assert all(a[i] == b[j] for i, j in zip(ia.tolist(), ib.tolist(), strict=True))
    assert len(set(ia.tolist())) == len(ia) and len(set(ib.tolist())) == len(ib)
    assert len(ia) == sum((Counter(a) & Counter(b)).values())  # duplicates pair k-th to k-th


def test_hand_computed_exact_overlap_boundary_and_label_cases() -> None:
    # reference: PERSON 0-12, PERSON 17-26, GPE 30-36; other: PERSON 4-12 (boundary),
    # ORG 17-26 (label), GPE 30-36 (exact), LOC 40-46 (extra)
    reference = spans((0, 0, 12, 0), (0, 17, 26, 0), (0, 30, 36, 1))
    other = spans((0, 4, 12, 0), (0, 17, 26, 2), (0, 30, 36, 1), (0, 40, 46, 3))
    exact, _, _ = count_pairs(reference, other, 4, overlap=False)
    assert (exact.tp.sum(), exact.fp.sum(), exact.fn.sum()) == (1, 3, 2)  # P 1/4, R 1/3
    overlap, _, _ = count_pairs(reference, other, 4, overlap=True)
    assert (overlap.tp.sum(), overlap.fp.sum(), overlap.fn.sum()) == (2, 2, 1)  # F1 = 4/7
    assert (overlap.label_conflicts, overlap.boundary_differences) == (1, 1)
    assert overlap.fn.tolist() == [1, 0, 0, 0]  # the PERSON relabelled ORG is missed ...
    assert overlap.fp.tolist() == [0, 0, 1, 1]  # ... and the ORG and the extra LOC are extra


def test_bio_token_kappa_matches_sklearn_on_explicit_tags() -> None:
    index = TokenIndex([TEXT])
    # tokens: Ali Khamenei met Joe Biden in Tehran on Monday .
    first = spans((0, 0, 12, 0), (0, 17, 26, 0), (0, 30, 36, 1))
    second = spans((0, 4, 12, 0), (0, 17, 26, 0), (0, 30, 36, 2))
    tags_a = ["B-P", "I-P", "O", "B-P", "I-P", "O", "B-G", "O", "O", "O"]
    # "Khamenei" is the first token starting inside 4-12, so it is B.
    tags_b = ["O", "B-P", "O", "B-P", "I-P", "O", "B-L", "O", "O", "O"]
    expected = cohen_kappa_score(tags_a, tags_b)
    kappa = bio_kappa(index, index.dense_tags(first), index.dense_tags(second), np.array([True]))
    assert kappa == pytest.approx(expected)
    assert index.tokens_in(np.array([True])) == 10


def test_tokens_cover_emoji_and_non_latin_text() -> None:
    index = TokenIndex(["Iran 🇮🇷 said: «нет»", "", "ok"])
    counts = [index.tokens_in(np.array([i == k for k in range(3)])) for i in range(3)]
    # Iran, two regional-indicator symbols, said, :, «, нет, »  |  (empty)  |  ok
    assert counts == [8, 0, 1]


@pytest.mark.parametrize("chunk", [1, 5, 12, 1 << 24])
def test_token_starts_do_not_depend_on_how_texts_are_chunked(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts are classified a chunk of whole texts at a time; any chunk size gives the tokens
    one pass over all of them gives, and every text starts a token of its own."""
    texts = ["Iran 🇮🇷 said", "", "ok", "Tehran's IRGC", "x", "word", "two words"]
    whole = TokenIndex(texts)
    monkeypatch.setattr(TokenIndex, "CHUNK", chunk)
    chunked = TokenIndex(texts)
    assert chunked.starts.tolist() == whole.starts.tolist()
    assert len(whole.starts) == 1 + 2 + 1 + 0 + 1 + 4 + 1 + 1 + 2
    offsets = np.arange(int(whole.char_base[-1]) + 1)
    assert chunked.before(offsets).tolist() == whole.before(offsets).tolist()


def annotation(document: str, who: str, spans: list[Span], stances: dict[str, str]) -> Annotation:
    return Annotation(
        document_id=document,
        annotator=who,
        origin="test",
        spans=tuple(spans),
        stances=tuple(StanceLabel(t, label) for t, label in stances.items()),
    )


def span(text: str, piece: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(piece, start + 1)
    return Span(start, start + len(piece), label, piece)


@pytest.fixture
def project(project_dir):  # type: ignore[no-untyped-def]
    return Project.load(project_dir)


def store_case(project: Project, texts: list[str], annotations: list[Annotation]) -> None:
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [Document(t) for t in texts])
        for a in annotations:
            queries.add_annotation(connection, a)


def test_report_on_a_store_with_missing_annotators_and_a_skip(project: Project) -> None:
    one, two, three = (
        TEXT,
        "Washington warned Iran again.",
        "The IRGC said nothing about the US.",
    )
    d1, d2, d3 = (Document(t).id for t in (one, two, three))
    khamenei, biden = span(one, "Ali Khamenei", "PERSON"), span(one, "Joe Biden", "PERSON")
    rows = [
        annotation(d1, "alice", [khamenei, biden], {"Iran": "neutral", "United States": "neutral"}),
        annotation(d1, "bob", [khamenei], {"Iran": "neutral", "United States": "favor"}),
        annotation(d1, "carol", [khamenei, biden], {"Iran": "neutral"}),
        annotation(d2, "alice", [span(two, "Iran", "GPE")], {"Iran": "against"}),
        annotation(d2, "bob", [span(two, "Iran", "GPE")], {"Iran": "against"}),
        annotation(d3, "alice", [span(three, "IRGC", "ORG")], {"Iran": "neutral"}),
        Annotation(d3, "bob", "test", skipped_reason="not news"),
    ]
    store_case(project, [one, two, three], rows)
    with project.open_store().transaction() as connection:
        report = measure(connection, project.settings, resamples=200, seed=3)
        again = measure(connection, project.settings, resamples=200, seed=3)
        stored = queries.document_scores(connection)
    assert report == again  # seeded: same intervals on re-run
    iran, us = report.stance["Iran"], report.stance["United States"]
    assert (iran.units, iran.unpaired) == (2, 1)  # d3: only alice labelled (bob skipped)
    assert iran.percent_agreement.value == 1.0
    assert (us.units, us.unpaired) == (1, 0)
    assert us.percent_agreement.value == 0.0  # alice neutral, bob favor
    assert report.skipped["bob"] == 1
    pair = report.entities.pairs["alice", "bob"]
    # d1: alice 2 spans, bob 1 (matched); d2: both Iran. tp 2, fn 1 -> F1 = 4/5
    assert pair.documents == 2 and pair.exact.f1 == pytest.approx(0.8)
    assert report.entities.unpaired_documents == 1
    assert report.entities.unpaired_spans == 1  # alice's IRGC on d3
    matrix = report.entities.matrix
    assert matrix.coders == ["alice", "bob", "carol"]
    assert matrix.exact_f1[0][2] == 1.0  # alice and carol agree on d1
    # Per-document scores are stored; d1 (disagreement) scores below d2 (full agreement).
    assert stored[d2] == 1.0 and stored[d1] < stored[d2]
    assert stored[d3] is None  # one annotator: nothing to agree on
    assert report.lowest_agreement[0].document == d1
    # The JSON of `curate agreement --json`: pairs written "a | b".
    assert report.as_json()["entities"]["pairs"]["alice | bob"]["exact"]["f1"] == pair.exact.f1


def test_anchoring_separates_blind_from_suggested_documents(project: Project) -> None:
    from curate.records import Prelabel

    texts = ["Iran and Iraq met.", "Iran and Syria met."]
    ids = [Document(t).id for t in texts]

    def suggest(d: str, text: str, piece: str) -> Prelabel:
        s = span(text, piece, "GPE")
        return Prelabel(d, "entity", "GPE", "gazetteer.v1+x", 1.0, s.start, s.end, piece)

    suggestions = {
        d: [suggest(d, t, "Iran"), suggest(d, t, t.split()[2])]
        for d, t in zip(ids, texts, strict=True)
    }
    rows = [  # alice keeps both suggestions where she saw them, finds only one when blind
        annotation(
            ids[0], "alice", [span(texts[0], "Iran", "GPE"), span(texts[0], "Iraq", "GPE")], {}
        ),
        annotation(ids[1], "alice", [span(texts[1], "Iran", "GPE")], {}),
    ]
    data = collect(
        [Annotation(**{**a.__dict__, "id": i + 1, "revision": 1}) for i, a in enumerate(rows)],
        dict(zip(ids, texts, strict=True)),
        suggestions,
        {ids[1]},
        project.settings,
    )
    groups = build_report(data, resamples=50).anchoring["alice"]
    assert groups["suggested"].suggestions_kept_unchanged == 1.0
    assert groups["blind"].suggestions_kept_unchanged == 0.5
    assert groups["blind"].documents == groups["suggested"].documents == 1


def test_document_scores_are_nan_below_two_annotators(project: Project) -> None:
    d = Document(TEXT).id
    data = collect(
        [Annotation(d, "alice", "test", (span(TEXT, "Joe Biden", "PERSON"),), id=1, revision=1)],
        {d: TEXT},
        {},
        set(),
        project.settings,
    )
    assert math.isnan(document_scores(data)["score"][0])


def test_the_store_read_equals_the_in_memory_path_with_revisions_and_skips(
    project: Project,
) -> None:
    """load() reads the newest revisions' JSON with Arrow; collect() takes them as records; the
    release reads every revision, marked newest or not. All three must give the same arrays: a
    later revision replaces an earlier one (here a labelling by a skip, and a skip by a
    labelling)."""
    from curate.agreement.data import from_store, load
    from curate.store.annotation_table import read_annotations

    two = "Washington warned Iran again."
    d1, d2 = Document(TEXT).id, Document(two).id
    khamenei, biden = span(TEXT, "Ali Khamenei", "PERSON"), span(TEXT, "Joe Biden", "PERSON")
    rows = [
        annotation(d1, "alice", [khamenei], {"Iran": "neutral"}),
        annotation(d1, "bob", [khamenei, biden], {"Iran": "favor"}),
        annotation(d1, "alice", [khamenei, biden], {"Iran": "against"}),  # alice's revision 2
        annotation(d2, "bob", [span(two, "Iran", "GPE")], {"Iran": "against"}),
        Annotation(d2, "bob", "test", skipped_reason="not news"),  # bob's revision 2: a skip
        Annotation(d2, "carol", "test", skipped_reason="unsure"),
        annotation(d2, "carol", [span(two, "Washington", "GPE")], {}),  # carol labels after all
    ]
    store_case(project, [TEXT, two], rows)
    with project.open_store().connect() as connection:
        stored = load(connection, project.settings)
        newest = queries.newest_evidence(connection)
        every_revision = read_annotations(connection, evidence_only=True)
        released = from_store(connection, every_revision, project.settings)
    assert every_revision.num_rows == len(rows) > len(newest)
    texts = {d1: TEXT, d2: two}
    memory = collect(newest, texts, {}, set(), project.settings)
    for other in (memory, released):
        for name in ("documents", "coders", "entity_labels", "stance_labels", "targets", "texts"):
            assert getattr(stored, name) == getattr(other, name), name
        for name in ("labelled", "skipped", "stances", "span_coder"):
            assert np.array_equal(getattr(stored, name), getattr(other, name)), name
        for column in ("doc", "start", "end", "label"):
            assert np.array_equal(getattr(stored.spans, column), getattr(other.spans, column))
    coders = stored.coders
    assert stored.skipped[1, coders.index("bob")] and not stored.labelled[1, coders.index("bob")]
    assert stored.labelled[1, coders.index("carol")]
    iran = stored.targets.index("Iran")
    assert stored.stance_labels[stored.stances[iran, 0, coders.index("alice")]] == "against"
    assert len(stored.spans) == 2 + 2 + 1  # alice's newest two, bob's two, carol's one
