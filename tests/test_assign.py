"""Assignment: overlap annotators per document, balanced, deterministic, incremental."""

from __future__ import annotations

from collections import Counter

import pytest

from curate.domain.assign import assign, is_blind, plan, plan_controls
from curate.errors import UsageError
from curate.records import Document
from curate.store import Store, queries

PEOPLE = ["alice", "bob", "carol"]


def test_each_document_gets_overlap_distinct_annotators_balanced() -> None:
    ids = [f"doc{n:03d}" for n in range(30)]
    rows = plan(ids, PEOPLE, 2, {})
    per_document = Counter(d for d, _, _ in rows)
    assert set(per_document.values()) == {2}
    assert all(len({a for d2, a, _ in rows if d2 == d}) == 2 for d in ids)
    assert Counter(a for _, a, _ in rows) == {"alice": 20, "bob": 20, "carol": 20}


def test_the_same_inputs_give_the_same_assignment_and_old_ones_stay() -> None:
    ids = [f"doc{n}" for n in range(10)]
    first = plan(ids, PEOPLE, 2, {})
    assert plan(list(reversed(ids)), PEOPLE, 2, {}) == first
    existing: dict[str, set[str]] = {}
    for d, a, _ in first:
        existing.setdefault(d, set()).add(a)
    more = plan(ids + ["doc10", "doc11"], PEOPLE, 2, existing)
    assert {d for d, _, _ in more} == {"doc10", "doc11"}


def test_blind_share_is_deterministic_and_roughly_the_fraction() -> None:
    ids = [f"doc{n}" for n in range(2000)]
    blind = [d for d in ids if is_blind(d, 0.25)]
    assert 400 < len(blind) < 600
    assert blind == [d for d in ids if is_blind(d, 0.25)]
    assert not any(is_blind(d, 0.0) for d in ids)


def test_overlap_larger_than_the_team_is_refused() -> None:
    with pytest.raises(UsageError, match="overlap 4 needs at least 4 annotators"):
        plan(["d"], PEOPLE, 4, {})


def test_assign_writes_rows_once(store: Store) -> None:
    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(text=f"text {n}") for n in range(8)])
    first = assign(store, PEOPLE, 2, blind_fraction=0.5)
    again = assign(store, PEOPLE, 2, blind_fraction=0.5)
    assert (first.new, again.new) == (16, 0)
    assert sum(first.per_annotator.values()) == 16
    with store.connect() as connection:
        assert queries.stage_counts(connection)["assigned"] == 8
        blind = queries.blind_documents(connection)
    assert blind == {d for d in queries_ids(store) if is_blind(d, 0.5)}


def queries_ids(store: Store) -> list[str]:
    with store.connect() as connection:
        return queries.document_ids(connection)


def test_controls_are_the_fraction_of_each_queue_and_never_seen_before() -> None:
    settled = [f"g{n}" for n in range(20)]
    regular = Counter({"alice": 8, "bob": 12, "carol": 0})
    taken = {("g0", "alice"), ("g1", "alice"), ("g2", "bob")}
    rows = plan_controls(settled, PEOPLE, 0.2, regular, Counter(), taken)
    got = Counter(who for _, who, _ in rows)
    # 20% of the queue: 8 regular -> 2 controls (2 of 10), 12 -> 3 (3 of 15), none -> none.
    assert got == Counter({"alice": 2, "bob": 3})
    assert not {(d, who) for d, who, _ in rows} & taken
    assert all(blind is False for *_, blind in rows)
    assert rows == plan_controls(settled, PEOPLE, 0.2, regular, Counter(), taken)
    # Controls already given count: nothing more for alice, one more for bob.
    more = plan_controls(settled, PEOPLE, 0.2, regular, Counter({"alice": 2, "bob": 2}), taken)
    assert Counter(who for _, who, _ in more) == Counter({"bob": 1})


def test_assign_adds_controls_once_gold_exists(store: Store) -> None:
    from curate.records import Decision

    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(text=f"text {n}") for n in range(12)])
    assert assign(store, PEOPLE, 1, control_fraction=0.25).controls == 0  # no gold yet
    with store.transaction() as connection:
        for document_id in queries.document_ids(connection)[:6]:
            queries.add_decision(
                connection,
                Decision(document_id, "entity", "imported", "test", {"spans": []}),
            )
    report = assign(store, PEOPLE, 1, control_fraction=0.25)
    assert report.new == report.controls > 0
    assert assign(store, PEOPLE, 1, control_fraction=0.25).new == 0
    with store.connect() as connection:
        controls = queries.control_pairs(connection)
        regular = {
            (d, who) for d, people in queries.assignment_map(connection).items() for who in people
        } - controls
    assert not controls & regular  # nobody gets a document they already have as a control
