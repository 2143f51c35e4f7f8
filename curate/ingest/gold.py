"""External gold for evaluation: CoNLL-2003 style files (IOB1 or IOB2) and JSONL spans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import InputError
from curate.ingest.textfile import read_lines
from curate.offsets import check_span
from curate.records import Document, Span

DEFAULT_CONLL_MAP = "PER=PERSON,ORG=ORG,LOC=GPE|LOC"


@dataclass(frozen=True)
class GoldDocument:
    document: Document
    # A label may hold alternatives ("GPE|LOC"): either counts as right (see resolve_alternatives).
    spans: tuple[Span, ...] = ()
    stances: dict[str, str] = field(default_factory=dict)


def parse_label_map(text: str) -> dict[str, str]:
    """'PER=PERSON,LOC=GPE|LOC' -> {'PER': 'PERSON', 'LOC': 'GPE|LOC'}; unlisted labels drop."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        source, sep, target = item.partition("=")
        if ";" in item:
            raise InputError(
                f"--label-map item {item!r} holds ';'; separate items with commas, "
                "e.g. PER=PERSON,ORG=ORG"
            )
        if not sep or not source.strip() or not target.strip() or "=" in target:
            raise InputError(f"--label-map item {item!r} must look like PER=PERSON")
        mapping[source.strip()] = target.strip()
    return mapping


def read_conll(path: Path, label_map: dict[str, str]) -> Iterator[GoldDocument]:
    """Token per line, tag in the last column; blank line ends a sentence; -DOCSTART- a document.

    IOB1 and IOB2 both decode: an entity starts at B-X, or at I-X unless the previous tag is X.
    """
    tokens: list[str] = []
    tags: list[str] = []
    sentences: list[tuple[list[str], list[str]]] = []
    for line in read_lines(path, "utf-8"):
        columns = line.text.split()
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
                yield _conll_document(sentences, label_map)
                sentences = []
            continue
        tag = columns[-1]
        if len(columns) < 2 or not (tag == "O" or tag[:2] in ("B-", "I-")):
            raise InputError(
                f"{path} line {line.number}: expected 'TOKEN ... TAG' with TAG O, B-X or I-X; "
                f"got {line.text!r}"
            )
        tokens.append(columns[0])
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    if sentences:
        yield _conll_document(sentences, label_map)


def _conll_document(
    sentences: list[tuple[list[str], list[str]]], label_map: dict[str, str]
) -> GoldDocument:
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
                spans.append(_mapped(current, "".join(text_parts), label_map))
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
            spans.append(_mapped(current, "".join(text_parts), label_map))
    text = "".join(text_parts)
    kept = tuple(s for s in spans if s.label)
    return GoldDocument(Document(text=text), kept)


def _mapped(current: list[Any], text: str, label_map: dict[str, str]) -> Span:
    start, end, kind = current
    return Span(start, end, label_map.get(kind, ""), text[start:end])


def read_gold_jsonl(path: Path) -> Iterator[GoldDocument]:
    """{"text": ..., "spans": [{"start", "end", "label"}], "stance": {"Iran": "favor"}} a line."""
    for line in read_lines(path, "utf-8"):
        if not line.text.strip():
            continue
        where = f"{path} line {line.number}"
        try:
            record = json.loads(line.text)
            text = record["text"]
            spans = []
            for item in record.get("spans", []):
                start, end, label = int(item["start"]), int(item["end"]), str(item["label"])
                check_span(text, start, end, item.get("text", text[start:end]), where)
                spans.append(Span(start, end, label, text[start:end]))
            stances = {str(k): str(v) for k, v in record.get("stance", {}).items()}
        except json.JSONDecodeError as error:
            raise InputError(f"{where} is not valid JSON ({error.msg}); fix that line") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InputError(
                f'{where}: expected {{"text": ..., "spans": [{{"start", "end", '
                f'"label"}}]}} ({error!r})'
            ) from None
        yield GoldDocument(Document(text=text), tuple(spans), stances)
