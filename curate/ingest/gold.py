"""Outside gold (for `import-gold` and `evaluate --gold`): CoNLL-2003 style files (IOB1 or IOB2)
and JSONL spans, read with their own labels; `map_labels` then renames or drops them."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from curate import jsontext
from curate.errors import InputError, SpanError
from curate.ingest.clean import clean_with_offsets
from curate.ingest.textfile import read_lines
from curate.offsets import check_span, check_unquoted_span
from curate.records import Document, Span


@dataclass(frozen=True)
class GoldDocument:
    document: Document
    # A label may hold alternatives ("GPE|LOC"): either counts as right (see resolve_alternatives).
    spans: tuple[Span, ...] = ()
    stances: dict[str, str] = field(default_factory=dict)
    normalised: bool = False  # the text was cleaned as `ingest` cleans it (spans moved along)


def map_labels(
    documents: Iterable[GoldDocument], label_map: dict[str, str]
) -> tuple[list[GoldDocument], Counter[str]]:
    """Rename span labels by the map; spans whose label it does not list are dropped and
    counted by label, so a caller can say what the map left out."""
    mapped, dropped = [], Counter[str]()
    for gold in documents:
        kept = []
        for span in gold.spans:
            if span.label in label_map:
                kept.append(replace(span, label=label_map[span.label]))
            else:
                dropped[span.label] += 1
        mapped.append(replace(gold, spans=tuple(kept)))
    return mapped, dropped


def read_conll(path: Path) -> Iterator[GoldDocument]:
    """Token per line, tag in the last column; blank line ends a sentence; -DOCSTART- a document.

    IOB1 and IOB2 both decode: an entity starts at B-X, or at I-X unless the previous tag is X.
    A document (up to -DOCSTART-) that starts an entity with B-X after O is IOB2, and then an
    I-X after O in it is a broken entity: it is refused with its line rather than guessed at.
    """
    tokens: list[str] = []
    tags: list[str] = []
    sentences: list[tuple[list[str], list[str]]] = []
    iob2_at: int | None = None  # a line where B-X follows O or starts a sentence
    loose_i: tuple[int, str] | None = None  # the first line where I-X follows O or starts one
    for line in read_lines(path, "utf-8"):
        # The format's separators only: a no-break space inside a token ("10\u00a0000") stays.
        columns = [c for c in re.split(r"[ \t]+", line.text.strip("\r\n")) if c]
        if not columns:
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if columns[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            if sentences:
                yield _conll_document(sentences)
                sentences = []
            iob2_at = loose_i = None  # each document has its own scheme
            continue
        tag = columns[-1]
        if len(columns) < 2 or not (tag == "O" or tag[:2] in ("B-", "I-")):
            raise InputError(
                f"{path} line {line.number}: expected 'TOKEN ... TAG' with TAG O, B-X or I-X; "
                f"got {line.text!r}"
            )
        after_o = not tags or tags[-1] == "O"
        if after_o and tag.startswith("B-") and iob2_at is None:
            iob2_at = line.number
        if after_o and tag.startswith("I-") and loose_i is None:
            loose_i = (line.number, tag)
        if iob2_at is not None and loose_i is not None:
            number, loose = loose_i
            raise InputError(
                f"{path} line {number}: {loose} follows O, but this document is IOB2 (line "
                f"{iob2_at} starts an entity with B-); an entity starts with B-: make it "
                f"B-{loose[2:]}, or fix the tag before it"
            )
        tokens.append(columns[0])
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    if sentences:
        yield _conll_document(sentences)


def _conll_document(sentences: list[tuple[list[str], list[str]]]) -> GoldDocument:
    """Tokens joined by spaces, sentences by newlines; spans in code points of that text."""
    text_parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for number, (tokens, tags) in enumerate(sentences):
        if number:
            text_parts.append("\n")
            offset += 1
        current: list[Any] | None = None  # [start, end, label]
        previous = "O"
        for index, (token, tag) in enumerate(zip(tokens, tags, strict=True)):
            if index:
                text_parts.append(" ")
                offset += 1
            start, end = offset, offset + len(token)
            kind = tag[2:]
            begins = tag.startswith("B-") or (tag.startswith("I-") and previous[2:] != kind)
            if current is not None and (tag == "O" or begins):
                spans.append(_span(current, "".join(text_parts)))
                current = None
            if tag != "O":
                if current is None:
                    current = [start, end, kind]
                else:
                    current[1] = end
            text_parts.append(token)
            offset = end
            previous = tag
        if current is not None:
            spans.append(_span(current, "".join(text_parts)))
    return GoldDocument(Document(text="".join(text_parts)), tuple(spans))


def _span(current: list[Any], text: str) -> Span:
    start, end, kind = current
    return Span(start, end, kind, text[start:end])


EXPECTED = (
    'expected {"text": "...", "spans": [{"start": 0, "end": 4, "label": "...", "text": "..."}], '
    '"stances": {"target": "label"}}'
)


def read_gold_jsonl(path: Path) -> Iterator[GoldDocument]:
    """{"text": ..., "spans": [{"start", "end", "label"}], "stances": {"Iran": "favor"}} a line
    ("stance" is read as "stances" too)."""
    for line in read_lines(path, "utf-8"):
        if not line.text.strip():
            continue
        where = f"{path} line {line.number}"
        record = jsontext.parse(line.text, where)
        try:
            if not isinstance(record, dict):
                raise ValueError(f"the line is a JSON {type(record).__name__}, not an object")
            yield _gold_record(record, where)
        except KeyError as error:
            raise InputError(f"{where}: {error} is missing; {EXPECTED}") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise InputError(f"{where}: {error}; {EXPECTED}") from None


def _gold_record(record: Any, where: str) -> GoldDocument:
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    found = record.get("spans", [])
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ValueError("'spans' must be a list of objects")
    spans = []
    for item in found:
        start, end, label = item["start"], item["end"], item["label"]
        for key, value in (("start", start), ("end", end)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError(
                    f"{where}: a span's {key!r} is {json.dumps(value)}; offsets are whole "
                    'numbers (JSON integers such as 8, not 8.9, "8" or true)'
                )
        if not isinstance(label, str) or not label:
            raise ValueError("a span's 'label' must be a non-empty string")
        try:
            if "text" in item:
                check_span(text, start, end, item["text"], where)
            else:
                check_unquoted_span(text, start, end, where)
        except SpanError as error:  # a span in a file is bad input: exit 2, like the rest
            raise InputError(str(error)) from None
        spans.append(Span(start, end, label, text[start:end]))
    stances = record.get("stances", record.get("stance", {}))
    if not isinstance(stances, dict):
        raise ValueError("'stances' must be an object: target -> label")
    # Cleaned as `ingest` cleans, so the same article is one document however it came in.
    cleaned, positions = clean_with_offsets(text)
    moved = [
        Span(
            positions[s.start],
            positions[s.end],
            s.label,
            cleaned[positions[s.start] : positions[s.end]],
        )
        for s in spans
    ]
    return GoldDocument(
        Document(text=cleaned),
        _one_label_per_span(moved, where),
        {str(k): str(v) for k, v in stances.items()},
        normalised=cleaned != text,
    )


def _one_label_per_span(spans: list[Span], where: str) -> tuple[Span, ...]:
    """Gold gives a span one label: the same span twice with one label counts once; with two
    labels it is a contradiction to fix in the file."""
    labels: dict[tuple[int, int], Span] = {}
    for span in spans:
        if span.end <= span.start:
            continue  # nothing but whitespace the cleaning removed
        earlier = labels.setdefault((span.start, span.end), span)
        if earlier.label != span.label:
            raise InputError(
                f"{where}: the span {span.start}-{span.end} {span.text!r} is labelled both "
                f"{earlier.label} and {span.label}; gold gives a span one label: keep one "
                "(or write alternatives as one label, e.g. GPE|LOC)"
            )
    return tuple(labels.values())


CONLL_SUFFIXES = (".conll", ".txt", ".iob", ".bio", ".tsv")
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def read_gold_file(path: Path) -> list[GoldDocument]:
    """A gold file by its suffix, with its own labels; an empty one is refused."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; check the path")
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        documents = list(read_gold_jsonl(path))
    elif suffix in CONLL_SUFFIXES:
        documents = list(read_conll(path))
    else:
        raise InputError(
            f"{path}: gold must be CoNLL ({', '.join(CONLL_SUFFIXES)}) or JSONL "
            f"({', '.join(JSONL_SUFFIXES)}); rename the file to say which"
        )
    if not documents:
        raise InputError(f"{path} holds no documents; is it the right file?")
    return documents
