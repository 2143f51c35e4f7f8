"""Engine set-up, migrations and transactions. The only place that knows which database runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from curate.errors import StoreError

DB_URL_VARIABLE = "CURATE_DB_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


def default_url(project_dir: Path) -> str:
    """CURATE_DB_URL when set, else the SQLite file .curate/curate.db in the project."""
    url = os.environ.get(DB_URL_VARIABLE)
    if url:
        return url
    return f"sqlite:///{(project_dir / '.curate' / 'curate.db').resolve()}"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN: two processes never deadlock upgrading a lock.
        write = connection.get_execution_options().get("curate_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    """A migrated database. Use `transaction()` for writes and `connect()` for reads."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(curate_write=True)
            with connection.begin():
                yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Connect and bring the schema up to date (migrations run only when behind)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        # orjson reads the JSON columns (spans, payloads) several times faster than json.
        engine = create_engine(url, json_deserializer=orjson.loads)
    except Exception as error:  # bad URL or missing driver: say which
        raise StoreError(
            f"cannot use database URL {url!r} ({error}); check {DB_URL_VARIABLE}"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    try:
        _upgrade(engine)
    except OperationalError as error:
        engine.dispose()
        raise StoreError(
            f"cannot open the database at {engine.url.render_as_string(hide_password=True)} "
            f"({error.orig}); check that it is running and {DB_URL_VARIABLE} is right"
        ) from None
    return Store(engine)


def _upgrade(engine: Engine) -> None:
    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    with engine.connect() as connection:
        connection = connection.execution_options(curate_write=True)
        with connection.begin():
            config.attributes["connection"] = connection
            try:
                command.upgrade(config, "head")
            except DBAPIError as error:
                raise StoreError(
                    f"database migration failed ({error.orig}); nothing was changed"
                ) from None
