"""Texts longer than a spaCy pipeline's max_length, parsed in pieces (spaCy refuses them whole,
E088): every labeller built on a pipeline goes through here, so none crashes on a long document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Entity = tuple[int, int, str, str]  # start, end, label, text: offsets into the whole text
Parsed = tuple[int, int, Any]  # number of the text, offset of the piece, spaCy Doc


def split_long(text: str, limit: int) -> list[tuple[int, str]]:
    """(offset, piece) covering `text` in order, each piece at most `limit` characters, cut
    after the last paragraph break, line break or sentence end that fits (else hard)."""
    pieces, offset = [], 0
    while len(text) - offset > limit:
        window = text[offset : offset + limit]
        # The first kind of break found in the window's second half, else a hard cut.
        found = (window.rfind(mark) + len(mark) for mark in ("\n\n", "\n", ". "))
        cut = next((at for at in found if at > limit // 2), limit)
        pieces.append((offset, text[offset : offset + cut]))
        offset += cut
    pieces.append((offset, text[offset:]))
    return pieces


def parsed_pieces(nlp: Any, texts: Iterable[str], batch_size: int = 64) -> Iterator[Parsed]:
    """(number of the text, offset of the piece in it, parsed piece), texts longer than
    nlp.max_length cut at paragraph, line or sentence ends."""
    texts = list(texts)
    pieces = [
        (number, offset, piece)
        for number, text in enumerate(texts)
        for offset, piece in split_long(text, nlp.max_length)
    ]
    parsed = nlp.pipe((piece for _, _, piece in pieces), batch_size=batch_size)
    for (number, offset, _), doc in zip(pieces, parsed, strict=True):
        yield number, offset, doc


def entities_of(doc: Any, offset: int) -> list[Entity]:
    return [(offset + e.start_char, offset + e.end_char, e.label_, e.text) for e in doc.ents]


def entities_in_pieces(nlp: Any, texts: Iterable[str], batch_size: int = 64) -> list[list[Entity]]:
    """The pipeline's entities per text, with offsets into the whole text (parsed_pieces)."""
    texts = list(texts)
    found: list[list[Entity]] = [[] for _ in texts]
    for number, offset, doc in parsed_pieces(nlp, texts, batch_size):
        found[number].extend(entities_of(doc, offset))
    return found
