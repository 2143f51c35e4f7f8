"""Shared by the query modules: the clock, inserted ids, and the append-only refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
)
from sqlalchemy.exc import DBAPIError

from curate.errors import AppendOnlyError


def now() -> datetime:
    return datetime.now(UTC)


def inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None  # single-row INSERT always has one
    return int(key[0])


def refuse_change(error: DBAPIError) -> AppendOnlyError:
    """Turn a trigger's refusal into curate's error."""
    return AppendOnlyError(
        f"human labels are append-only ({error.orig}); store a new revision instead"
    )
