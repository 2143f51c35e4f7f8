"""Read a text file as lines with code-point offsets, in bounded memory, with clear errors."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from curate.errors import InputError

CHUNK_BYTES = 1 << 20
ByteProgress = Callable[[int], None]


@dataclass(frozen=True)
class Line:
    """One line without its terminator; start/end are code-point offsets in the decoded file."""

    text: str
    start: int
    end: int
    number: int  # 1-based


def check_readable(path: Path, encoding: str | None) -> None:
    """Refuse a missing, empty or (for UTF-8 text) binary file before anything is parsed."""
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty; nothing to ingest")
    if encoding is None or _codec_name(encoding) != "utf-8":
        return
    with path.open("rb") as handle:
        head = handle.read(8192)
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"{path} looks binary (NUL byte at offset {nul}); curate reads UTF-8 "
            "text, JSONL, CSV and Parquet; for UTF-16 text pass --encoding utf-16"
        )


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252") from None


def decoded_chunks(path: Path, encoding: str, progress: ByteProgress | None) -> Iterator[str]:
    """Decode chunk by chunk; a bad byte is reported with its offset in the file."""
    name = _codec_name(encoding)
    # utf-8-sig accepts a file with or without a BOM and drops the BOM.
    decoder = codecs.getincrementaldecoder("utf-8-sig" if name == "utf-8" else name)()
    consumed = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                offset = consumed - pending + error.start
                bad = error.object[error.start : error.start + 1]
                raise InputError(
                    f"{path} is not valid {encoding} (byte 0x{bad.hex()} at offset {offset}); "
                    "re-save it as UTF-8 or pass --encoding latin-1 (or the file's real encoding)"
                ) from None
            consumed += len(chunk)
            if progress is not None and chunk:
                progress(len(chunk))
            if text:
                yield text
            if not chunk:
                return


def read_lines(path: Path, encoding: str, progress: ByteProgress | None = None) -> Iterator[Line]:
    """Lines split on \\n, \\r\\n or \\r, trailing whitespace dropped, offsets kept."""
    check_readable(path, encoding)
    pending, pending_start, number = "", 0, 0
    for chunk in decoded_chunks(path, encoding, progress):
        buffer = pending + chunk
        breaks = _Breaks(buffer)
        position = 0
        while True:
            cut = breaks.next(position)
            # A \r at the very end may be half of \r\n: wait for the next chunk.
            if cut < 0 or (buffer[cut] == "\r" and cut == len(buffer) - 1):
                break
            number += 1
            text = buffer[position:cut].rstrip()
            yield Line(text, pending_start, pending_start + len(text), number)
            width = 2 if buffer.startswith("\r\n", cut) else 1
            pending_start += cut - position + width
            position = cut + width
        pending = buffer[position:]
    if pending:
        text = pending.rstrip()
        yield Line(text, pending_start, pending_start + len(text), number + 1)


class _Breaks:
    """Next line break at or after a position; remembers each search so a chunk is scanned once."""

    def __init__(self, text: str):
        self.text = text
        self.newline = self.carriage = -2  # -2: not searched yet

    def next(self, start: int) -> int:
        if self.newline != -1 and self.newline < start:
            self.newline = self.text.find("\n", start)
        if self.carriage != -1 and self.carriage < start:
            self.carriage = self.text.find("\r", start)
        found = [at for at in (self.newline, self.carriage) if at >= 0]
        return min(found) if found else -1
