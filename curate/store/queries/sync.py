"""External ids (Label Studio projects, tasks, annotations) and markers, so syncs are idempotent."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Connection,
    insert,
    select,
)

from curate.store.queries.base import now
from curate.store.schema import (
    sync_state,
)


def record_external_id(
    connection: Connection,
    system: str,
    kind: str,
    local_id: str,
    external_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    existing = connection.scalar(
        select(sync_state.c.id).where(
            sync_state.c.system == system,
            sync_state.c.kind == kind,
            sync_state.c.external_id == external_id,
        )
    )
    if existing is None:
        connection.execute(
            insert(sync_state).values(
                system=system,
                kind=kind,
                local_id=local_id,
                external_id=external_id,
                data=data or {},
                updated_at=now(),
            )
        )


def set_marker(connection: Connection, system: str, name: str, value: str) -> None:
    """Append a progress marker (e.g. when a project was last pulled); the newest one counts.
    The value lives in `data`, of any length; the external id only has to be unique."""
    connection.execute(
        insert(sync_state).values(
            system=system,
            kind="marker",
            local_id=name,
            external_id=f"{name}@{uuid.uuid4().hex}",
            data={"value": value},
            updated_at=now(),
        )
    )


def last_marker(connection: Connection, system: str, name: str) -> str | None:
    row = connection.execute(
        select(sync_state.c.data)
        .where(
            sync_state.c.system == system,
            sync_state.c.kind == "marker",
            sync_state.c.local_id == name,
        )
        .order_by(sync_state.c.id.desc())
        .limit(1)
    ).first()
    return str(row.data["value"]) if row else None


def insert_external_ids(
    connection: Connection, system: str, kind: str, pairs: list[tuple[str, str]]
) -> None:
    """Record many (local id, external id) pairs known to be new."""
    if pairs:
        stamp = now()
        connection.execute(
            insert(sync_state),
            [
                {
                    "system": system,
                    "kind": kind,
                    "local_id": local,
                    "external_id": external,
                    "data": {},
                    "updated_at": stamp,
                }
                for local, external in pairs
            ],
        )


def external_ids(connection: Connection, system: str, kind: str) -> dict[str, str]:
    """external id -> local id."""
    rows = connection.execute(
        select(sync_state.c.external_id, sync_state.c.local_id).where(
            sync_state.c.system == system, sync_state.c.kind == kind
        )
    )
    return {external: local for external, local in rows}
