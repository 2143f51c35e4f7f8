"""Scraped news text -> articles: split glued articles, take headline and caption, drop clutter.

The scraper's layout (seen in seeds/): headline, blank, caption twice, a lone `TT` and sometimes
`20`, then headline and caption again, then the body. Some files carry a second article after the
first, some end with a blog footer, some have no header block at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from curate.ingest.textfile import ByteProgress, Line, read_lines
from curate.records import Document, Provenance

MARKER = "TT"
STRAY_IN_HEADER = re.compile(r"^(TT|\d{1,4})$")
FOOTER = re.compile(
    r"^(No comments:|\d+ comments?:|Post a Comment|Newer Post|Older Post|Subscribe to:.*)$"
)
SENTENCE_END = re.compile(r"[.!?,;:][\"”’'»)\]]*$")
MAX_HEADLINE = 200


def read_scraped(
    path: Path, source: str, encoding: str = "utf-8", progress: ByteProgress | None = None
) -> Iterator[Document]:
    for lines in split_articles(read_lines(path, encoding, progress)):
        document = build_article(lines, source)
        if document is not None:
            yield document


def split_articles(lines: Iterable[Line]) -> Iterator[list[Line]]:
    """Cut before each header block; memory holds one article at a time."""
    current: list[Line] = []
    for line in lines:
        if line.text == MARKER:
            start = _header_start(current)
            if start is not None:
                if any(kept.text for kept in current[:start]):
                    yield current[:start]
                current = current[start:]
        current.append(line)
    if any(kept.text for kept in current):
        yield current


def _header_start(current: list[Line]) -> int | None:
    """Index of the headline before a `TT` marker, or None when the marker is not a header's."""
    filled = [i for i, line in enumerate(current) if line.text]
    if len(filled) >= 3 and current[filled[-1]].text == current[filled[-2]].text:
        return filled[-3]  # headline, caption, caption
    if 1 <= len(filled) <= 2:
        return filled[0]  # start of file: headline (and a caption shown once)
    return None


def build_article(lines: list[Line], source: str) -> Document | None:
    filled = [i for i, line in enumerate(lines) if line.text]
    marker = next((i for i in filled if lines[i].text == MARKER), None)
    title, caption = "", None
    if marker is not None:
        title = lines[filled[0]].text
        if filled[1] != marker:
            caption = lines[filled[1]].text
        repeated = {"", title, caption}
        body_start = marker + 1
        while body_start < len(lines) and (
            lines[body_start].text in repeated or STRAY_IN_HEADER.match(lines[body_start].text)
        ):
            body_start += 1
    elif _is_headline(lines, filled):
        title, body_start = lines[filled[0]].text, filled[0] + 1
    else:
        body_start = filled[0]
    body = _drop_footer(lines[body_start:])
    while body and not body[0].text:
        body.pop(0)
    while body and not body[-1].text:
        body.pop()
    if not body:
        return None
    metadata = {"caption": caption} if caption else {}
    return Document(
        text="\n".join(line.text for line in body),
        title=title,
        metadata=metadata,
        provenance=Provenance(source, char_start=lines[filled[0]].start, char_end=body[-1].end),
    )


def _is_headline(lines: list[Line], filled: list[int]) -> bool:
    """A first line that is short, unpunctuated at its end and followed by more text."""
    first = lines[filled[0]].text
    return len(filled) > 1 and len(first) <= MAX_HEADLINE and not SENTENCE_END.search(first)


def _drop_footer(body: list[Line]) -> list[Line]:
    """Cut a blog footer (`No comments:`, `Post a Comment`) when only footer lines follow it."""
    for index, line in enumerate(body):
        if FOOTER.match(line.text) and all(
            not rest.text or FOOTER.match(rest.text) for rest in body[index:]
        ):
            return body[:index]
    return list(body)
