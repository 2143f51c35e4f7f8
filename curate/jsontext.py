"""JSON from outside (ingested files, exports, the gazetteer): every way it can be unreadable
becomes one line naming where, never a traceback."""

from __future__ import annotations

import json
from typing import Any

from curate.errors import InputError


def parse(text: str | bytes, where: str, error: type[Exception] = InputError) -> Any:
    """The JSON value in text. Refused, naming `where`: text that is not JSON, nesting too deep
    for Python (tens of thousands of brackets), and strings holding half a character (a lone
    surrogate escape such as \\ud800, which no file can store)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as problem:
        at = f"column {problem.colno}"
        if problem.lineno > 1:
            at = f"line {problem.lineno} {at}"
        raise error(f"{where} is not valid JSON ({problem.msg} at {at}); fix it") from None
    except RecursionError:
        raise error(
            f"{where} nests JSON lists or objects too deeply for curate to read; flatten it"
        ) from None
    lone = _lone_surrogate(value)
    if lone is not None:
        raise error(
            f"{where} holds {lone!r}, half of a character (a lone surrogate escape \\u"
            f"{ord(lone[-1]):04x}); fix the text where it was made, then try again"
        )
    return value


def _lone_surrogate(value: Any) -> str | None:
    """The start of the first string holding a lone surrogate, if any (a loop, not recursion:
    the value can be deep)."""
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as problem:
                    return item[max(0, problem.start - 20) : problem.start + 1]
        elif isinstance(item, dict):
            waiting.extend(item.keys())
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)
    return None
