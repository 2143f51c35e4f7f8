"""Assignment: overlap annotators per document, balanced, deterministic, incremental."""

from __future__ import annotations

from collections import Counter

import pytest

from curate.assign import assign, is_blind, plan
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
