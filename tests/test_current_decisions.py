"""One definition of where adjudication stands: every reader agrees on a store with superseded
and open decisions, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from curate.adjudicate.review import review_queue
from curate.config import load_settings
from curate.records import Decision, Document
from curate.release.rows import collect_rows
from curate.store import Store, queries
from curate.store.current import OPEN, current_decisions, is_open

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Khamenei spoke.", "Zarif flew.", "Iran warned.", "Tehran waited."]


def _spans(text: str) -> dict[str, object]:
    word = text.split()[0]
    return {"spans": [{"start": 0, "end": len(word), "label": "PERSON", "text": word}]}


def test_every_reader_agrees_on_the_current_decisions(store: Store) -> None:
    d1, d2, d3, d4 = (Document(text=t) for t in TEXTS)
    history = [
        Decision(d1.id, "entity", "majority", "auto", {"spans": []}),
        Decision(d1.id, "entity", "reviewer", "rita", _spans(d1.text)),  # supersedes
        Decision(d2.id, "entity", OPEN, "auto", {"spans": [], "open": [[0, 5, "PERSON"]]}),
        Decision(d2.id, "stance", "majority", "auto", {"label": "favor"}, (), "Iran"),
        Decision(d3.id, "stance", OPEN, "auto", {"label": None}, (), "Iran"),
        Decision(d3.id, "stance", "reviewer", "rita", {"label": "against"}, (), "Iran"),
        Decision(d4.id, "entity", "reviewer", "rita", _spans(d4.text)),
        Decision(d4.id, "entity", OPEN, "rita", {"spans": [], "open": [[0, 6, "GPE"]]}),
    ]
    with store.transaction() as connection:
        queries.insert_documents(connection, [d1, d2, d3, d4])
        for decision in history:
            queries.add_decision(connection, decision)
    settings = load_settings(ROOT)
    with store.connect() as connection:
        current = current_decisions(connection)
        some = current_decisions(connection, [d1.id, d4.id])
        entities, stances = queries.gold_entities(connection), queries.gold_stances(connection)
        counts = queries.stage_counts(connection)
        queue = {entry.document_id for entry in review_queue(connection)}
        rows = collect_rows(connection, settings, None)
    assert len(current) == 5 and set(some) == {(d1.id, "entity", None), (d4.id, "entity", None)}
    assert current[(d1.id, "entity", None)].method == "reviewer"
    assert current[(d3.id, "stance", "Iran")].payload == {"label": "against"}
    waiting = {key[0] for key, decision in current.items() if is_open(decision)}
    assert waiting == {d2.id, d4.id} == queue
    assert [s.text for s in entities[d1.id]] == ["Khamenei"] and set(entities) == {d1.id}
    assert stances == {d2.id: {"Iran": "favor"}, d3.id: {"Iran": "against"}}
    assert (counts["adjudicated"], counts["waiting for review"]) == (2, 2)
    # A release row needs settled entity gold (d3 has stance gold only: not a row, not unresolved).
    assert set(rows.gold["id"].to_pylist()) == {d1.id}
    assert set(rows.unresolved) == {d2.id, d4.id}
