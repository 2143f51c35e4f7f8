"""Span checks and repairs: the document's text[start:end] is the truth."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curate.errors import SpanError
from curate.offsets import check_span, repair_span, utf16_to_code_points

TEXT = "😀 Khamenei met\r\nQaani.\tIRGC 👩‍👩‍👧 Tehran"


@pytest.mark.parametrize(
    ("start", "end", "hint", "expected"),
    [
        (2, 10, "Khamenei", (2, 10, "Khamenei", None)),
        (2, 10, " Khamenei ", (2, 10, "Khamenei", "whitespace")),
        (11, 21, "met\\nQaani", (11, 21, "met\r\nQaani", "escaped line break")),
        (11, 21, "met\\r\\nQaani", (11, 21, "met\r\nQaani", "escaped line break")),
        (3, 11, "Khamenei", (2, 10, "Khamenei", "utf-16 offsets")),
        (2, 10, None, (2, 10, "Khamenei", None)),
    ],
)
def test_repairs(start: int, end: int, hint: str | None, expected: tuple[object, ...]) -> None:
    fixed = repair_span(TEXT, start, end, hint, "t")
    assert (fixed.start, fixed.end, fixed.text, fixed.repair) == expected


@pytest.mark.parametrize(
    ("start", "end", "hint"),
    [(2, 10, "Soleimani"), (40, 90, "Tehran"), (1, 9, "Khamenei")],
)
def test_what_cannot_be_repaired_is_refused(start: int, end: int, hint: str) -> None:
    with pytest.raises(SpanError, match="kept out of the store"):
        repair_span(TEXT, start, end, hint, "t")


def test_a_reversed_span_is_called_reversed_not_outside_the_text() -> None:
    for refuse in (
        lambda: repair_span(TEXT, 5, 3, "x", "t"),
        lambda: check_span(TEXT, 5, 3, "x", "t"),
    ):
        with pytest.raises(SpanError, match=r"span 5-3 is reversed .*write it as 3-5"):
            refuse()


def test_check_span_names_the_fix() -> None:
    with pytest.raises(SpanError, match=r"code points, not UTF-16 units"):
        check_span(TEXT, 3, 11, "Khamenei", "t")
    with pytest.raises(SpanError, match="outside the text"):
        check_span(TEXT, 0, 999, "x", "t")


@given(st.text(min_size=1, max_size=40), st.data())
def test_utf16_offsets_convert_back_to_the_same_slice(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    units = text.encode("utf-16-le")
    unit_start = len(text[:start].encode("utf-16-le")) // 2
    unit_end = len(text[:end].encode("utf-16-le")) // 2
    assert units  # non-empty text
    assert utf16_to_code_points(text, unit_start) == start
    assert utf16_to_code_points(text, unit_end) == end
