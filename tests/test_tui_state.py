"""The terminal UI's state classes without Textual: cursor, selection, spans, undo, decisions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from curate.adjudicate.review import Alignment, SpanGroup, StanceRow
from curate.records import Document, Prelabel, Span
from tui.resolution import UNDECIDED, Resolution
from tui.state import ACCEPTED, PENDING, REJECTED, AnnotationState, tokenize

TEXT = "Iran's leader met US envoys. Talks in Oman ended."
TARGETS = ["Iran", "United States"]
STANCES = ["favor", "against", "neutral", "none"]


def suggestion(piece: str, label: str) -> Prelabel:
    start = TEXT.index(piece)
    return Prelabel("d", "entity", label, "gazetteer.v1+x", 0.9, start, start + len(piece), piece)


def state(*suggestions: Prelabel) -> AnnotationState:
    return AnnotationState(TEXT, TARGETS, STANCES, suggestions)


def test_tokens_and_movement_by_token_word_and_sentence() -> None:
    assert [t.text for t in tokenize(TEXT)][:5] == ["Iran", "'", "s", "leader", "met"]
    s = state()
    s.move(1)
    assert s.token.text == "'"
    s.move_word(1)
    assert s.token.text == "s"
    s.move_word(-1)
    assert s.token.text == "Iran"  # the apostrophe is passed over
    s.move_sentence(1)
    assert s.token.text == "Talks"
    s.move_sentence(-1)
    assert s.token.text == "Iran"
    s.move(-5)
    assert s.cursor == 0  # stays inside the text
    s.move(10_000)
    assert s.token.text == "."


def test_selection_by_shift_and_by_mark_then_label() -> None:
    s = state()
    s.move_word(2)  # "s", then "leader"
    s.move(1, extend=True)  # shift+right over "met"
    assert s.selection == (TEXT.index("leader"), TEXT.index("met") + 3)
    span = s.label("PERSON")
    assert span is not None and span.text == "leader met" and s.selection is None
    s.move_sentence(1)
    s.move(2)  # "Oman"
    s.mark()
    s.move(-1)  # mark mode: plain moves extend
    assert s.label("GPE") == Span(
        TEXT.index("in Oman"), TEXT.index("in Oman") + 7, "GPE", "in Oman"
    )
    assert [x.text for x in s.spans] == ["leader met", "in Oman"]


def test_label_without_selection_takes_the_token_or_relabels_the_span() -> None:
    s = state()
    s.move_word(4)  # s, leader, met, US: the apostrophe is passed over
    assert s.token.text == "US"
    s.label("GPE")
    assert s.span_at_cursor() == Span(TEXT.index("US"), TEXT.index("US") + 2, "GPE", "US")
    s.label("ORG")
    assert [(x.text, x.label) for x in s.spans] == [("US", "ORG")]
    assert s.remove_at_cursor() and s.spans == [] and not s.remove_at_cursor()


def test_suggestions_accept_reject_accept_all_and_their_use() -> None:
    s = state(suggestion("Iran", "GPE"), suggestion("US", "GPE"), suggestion("Oman", "GPE"))
    assert s.accept_at_cursor()  # cursor on Iran
    s.move_word(4)
    assert s.reject_at_cursor()  # US
    assert [x.status for x in s.suggestions] == [ACCEPTED, REJECTED, PENDING]
    s.move(-100)  # back on Iran: relabel the accepted span
    s.label("NORP")
    assert s.accept_all() == 1
    use = s.suggestion_use()
    assert [u[2] for u in use["accepted"]] == ["GPE"]  # Oman, unchanged
    assert [u[0] for u in use["changed"]] == [0]  # Iran, accepted then relabelled
    assert [u[0] for u in use["rejected"]] == [TEXT.index("US")]
    assert use["ignored"] == []


def test_stance_suggestions_are_counted_apart_from_span_suggestions() -> None:
    iran = Prelabel("d", "stance", "against", "stance-cues.v1+x", 0.6, target="Iran")
    us = Prelabel("d", "stance", "favor", "stance-cues.v1+x", 0.6, target="United States")
    s = state(suggestion("Oman", "GPE"), iran, us)
    s.set_stance(2)  # Iran: against, as suggested
    s.next_target()
    s.set_stance(2)  # United States: against, not the suggested favor
    use = s.suggestion_use()
    assert use["stances_accepted"] == [["Iran", "against"]]
    assert use["stances_changed"] == [["United States", "favor"]]
    assert "stances_ignored" not in use and use["ignored"] != []  # the span was left alone
    assert state(iran).suggestion_use()["stances_ignored"] == [["Iran", "against"]]


def test_stance_per_target_and_suggested_stances() -> None:
    stance = Prelabel("d", "stance", "against", "stance-cues.v1+x", 0.6, target="Iran")
    s = state(stance)
    assert s.set_stance(3) == "neutral" and s.stances == {"Iran": "neutral"}
    s.next_target()
    assert s.set_stance(9) is None  # no ninth label
    s.set_stance(1)
    assert s.stances == {"Iran": "neutral", "United States": "favor"}
    s.accept_all()
    assert s.stances["Iran"] == "neutral"  # a suggestion never overrides a choice


def test_undo_steps_back_and_snapshots_round_trip() -> None:
    s = state(suggestion("Oman", "GPE"))
    s.label("GPE")
    s.accept_all()
    s.set_stance(2)
    assert s.undo() and s.stances == {}
    assert s.undo() and [x.status for x in s.suggestions] == [PENDING]
    assert s.undo() and s.spans == []
    assert not s.undo()
    s.label("GPE")
    saved = s.snapshot()
    again = state(suggestion("Oman", "GPE"))
    again.restore(saved)
    assert again.spans == s.spans and again.cursor == s.cursor


def alignment() -> Alignment:
    text = "Khamenei told Washington to leave."
    khamenei = Span(0, 8, "PERSON", "Khamenei")
    told = Span(0, 13, "PERSON", "Khamenei told")
    washington = Span(14, 24, "GPE", "Washington")
    return Alignment(
        document_id="d",
        document=Document(text),
        annotators=("alice", "bob"),
        annotation_ids=(1, 2),
        groups=(
            SpanGroup({"alice": khamenei, "bob": told}, ("boundary",)),
            SpanGroup({"alice": washington, "bob": washington}, ()),
        ),
        stances=(
            StanceRow("Iran", {"alice": "favor", "bob": "against"}, ("stance",), None),
            StanceRow("United States", {"alice": "none", "bob": "none"}, (), None),
        ),
        score=0.25,
    )


def test_resolution_takes_versions_edits_and_counts_what_is_left() -> None:
    r = Resolution(alignment())
    assert r.chosen[0] is UNDECIDED and r.chosen[1].text == "Washington"  # type: ignore[attr-defined]
    assert r.stances == {"United States": "none"} and r.left() == 2
    assert r.take(2) == "bob's version: PERSON 'Khamenei told'"
    assert r.relabel("ORG") == "relabelled ORG"
    r.toggle_focus()
    assert r.take(1) == "Iran: favor (alice)"
    assert r.left() == 0
    assert [(s.text, s.label) for s in r.spans()] == [
        ("Khamenei told", "ORG"),
        ("Washington", "GPE"),
    ]
    r.toggle_focus()
    r.step(1)  # Washington's group has no conflict: focus stays on the open one
    assert r.group == 0
    r.drop()
    assert [s.text for s in r.spans()] == ["Washington"]
    assert r.take(7) is None


def test_settled_stances_take_no_focus_until_reopened() -> None:
    settled = StanceRow("Iran", {"alice": "none", "bob": "none"}, (), "none")
    open_row = StanceRow("United States", {"alice": "favor", "bob": "against"}, ("stance",), None)
    r = Resolution(
        replace(alignment(), stances=(settled, open_row)),
        {"alice": "ann-1", "bob": "ann-2"}.__getitem__,
    )
    r.toggle_focus()
    assert r.on_stances and r.row == 1  # Tab lands on the open row, never on the settled one
    r.step(1)
    assert r.row == 1
    assert r.cycle_stance(["favor", "against", "none"]) == "United States: favor (your choice)"
    assert r.reopenable() == ["Iran"] and r.stances["Iran"] == "none"
    assert r.agreed("Iran") == "Iran = none (ann-1: none, ann-2: none)"
    assert r.reopen("Iran").startswith("Iran reopened") and r.row == 0
    assert r.cycle_stance(["favor", "against", "none"]) == "Iran: favor (your choice)"
    assert r.decided_stances() == {"Iran": "favor", "United States": "favor"}


def test_a_reviewer_adds_a_span_no_annotator_gave_but_never_over_gold() -> None:
    r = Resolution(alignment())
    assert not r.changed
    leave = Span(28, 33, "ORG", "leave")
    assert r.add(leave) == "added ORG 'leave' (yours)" and r.changed
    assert "leave" in [s.text for s in r.spans()]
    over = Span(20, 27, "GPE", "gton to")
    assert r.add(over) == "'gton to' overlaps GPE 'Washington'; nothing added"
    assert over not in r.spans()
    assert r.remove_added(10) is None  # Khamenei's group is not the reviewer's to remove here
    assert r.remove_added(30) == "removed ORG 'leave'"
    assert "leave" not in [s.text for s in r.spans()]


def test_a_hand_label_over_a_suggestion_settles_it_and_escape_clears_a_selection() -> None:
    s = state(suggestion("Oman", "GPE"), suggestion("US", "GPE"))
    s.move_to(TEXT.index("Oman"))
    s.label("LOC")  # by hand, over the suggestion: no [GPE?] tag left beside [LOC]
    s.move_to(TEXT.index("US"))
    s.label("GPE")  # the very span that was suggested
    assert [x.status for x in s.suggestions] == [ACCEPTED, ACCEPTED]
    use = s.suggestion_use()
    assert [u[0] for u in use["changed"]] == [TEXT.index("Oman")]
    assert [u[0] for u in use["accepted"]] == [TEXT.index("US")]
    s.move_to(0)
    s.mark()
    s.move(2)
    assert s.selection is not None and s.clear_selection() and s.selection is None
    assert not s.clear_selection()  # nothing left to clear


def test_down_does_not_stop_on_the_quote_that_closes_a_sentence() -> None:
    text = 'He said "no." Then Zarif left. (He flew home.) Talks ended.'
    s = AnnotationState(text, TARGETS, STANCES)
    s.move_sentence(1)
    assert s.token.text == "Then"
    s.move_sentence(1)
    assert s.token.text == "("  # an opening bracket starts the next sentence
    s.move_sentence(1)
    assert s.token.text == "Talks"


@given(
    st.text(alphabet="ab \n😀", max_size=30),
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["X", "Y"])), max_size=6),
)
def test_document_text_inserts_every_tag_where_cutting_and_joining_would(
    text: str, ends: list[tuple[int, str]]
) -> None:
    """The one-pass tag insertion against the obvious one: cut the text at each tag (from the
    end backwards) and join the pieces."""
    from rich.console import Console
    from rich.style import Style
    from rich.text import Text

    from tui.render import document_text

    spans = [
        Span(0, min(end, len(text)), label, text[: min(end, len(text))]) for end, label in ends
    ]
    rendered = document_text(text, spans, {"X": "#ff0000", "Y": "#00ff00"})
    expected = Text(text)
    for s in spans:
        expected.stylize(
            Style(bgcolor={"X": "#ff0000", "Y": "#00ff00"}[s.label], color="black"), s.start, s.end
        )
    for s in sorted(spans, key=lambda s: s.end, reverse=True):
        expected = (
            expected[: s.end] + Text(f"[{s.label}]", style=Style(bold=True)) + expected[s.end :]
        )
    console = Console(width=200)
    assert rendered.plain == expected.plain
    assert list(rendered.render(console)) == list(expected.render(console))


def test_down_does_not_stop_inside_a_decimal_or_an_address() -> None:
    text = "Inflation rose 3.5% in Tehran, says example.org today. Talks ended."
    s = AnnotationState(text, TARGETS, STANCES)
    s.move_sentence(1)
    assert s.token.text == "Talks"


def test_the_reviewers_messages_name_annotators_as_the_panes_do() -> None:
    """Without --show-annotators the panes show pseudonyms; so do the messages."""
    shown = {"alice": "annotator-1a2b", "bob": "annotator-3c4d"}
    r = Resolution(alignment(), shown.__getitem__)
    assert r.take(2) == "annotator-3c4d's version: PERSON 'Khamenei told'"
    r.toggle_focus()
    assert r.take(1) == "Iran: favor (annotator-1a2b)"
