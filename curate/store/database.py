"""Engine set-up, migrations and transactions. The only place that knows which database runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from curate.errors import StoreError

DB_URL_VARIABLE = "CURATE_DB_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
# Each migration file is named after its revision (0009_model_uncertainty.py is revision 0009),
# so the newest file names the schema this curate writes: a store already there is opened
# without loading Alembic (tests/test_store.py checks this agrees with Alembic's head).
SCHEMA_HEAD = max(path.name.split("_")[0] for path in (MIGRATIONS / "versions").glob("0*.py"))


def default_url(project_dir: Path) -> str:
    """CURATE_DB_URL when set, else the SQLite file .curate/curate.db in the project."""
    url = os.environ.get(DB_URL_VARIABLE)
    if url:
        return url
    # abspath, not resolve(): a symlink loop is reported when the store is opened, not here.
    return f"sqlite:///{os.path.abspath(project_dir / '.curate' / 'curate.db')}"


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_pragmas(engine: Engine, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if read_only:
            cursor.execute("PRAGMA query_only=ON")  # SQLite itself refuses every write
        else:
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
    def transaction(self, snapshot: bool = False) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises. With
        snapshot, every read in it sees the store as it was at the first (SQLite's transactions
        always do; PostgreSQL's need REPEATABLE READ): for commands that read much and must
        agree with themselves, like a release."""
        with self.engine.connect() as connection:
            options: dict[str, Any] = {"curate_write": True}
            if snapshot and self.engine.dialect.name == "postgresql":
                options["isolation_level"] = "REPEATABLE READ"
            with connection.execution_options(**options).begin():
                yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()


def _prepare_sqlite_file(path: Path) -> None:
    """The store's folder and file, the file private to its owner (mode 0600) when new."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise StoreError(
            f"{path.parent} is in the way: curate keeps its store in that folder, but a file "
            "has its name; move the file aside, then run the command again"
        ) from None
    except OSError as error:
        raise StoreError(
            f"cannot make {path.parent} ({error.strerror}); check its permissions"
        ) from None
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.is_symlink() and not path.is_file():
            raise StoreError(
                f"{path} is a symbolic link that does not lead to a file (a loop, or a missing "
                "target); fix or remove the link"
            ) from None
        if not path.is_file():
            raise StoreError(
                f"{path} is not a file; move it aside so curate can make its store"
            ) from None
    except OSError as error:
        raise StoreError(
            f"cannot open the store {path} ({error.strerror}); check the path and its permissions"
        ) from None


# A command may commit in several transactions (pull per project, adjudicate in batches): only
# the one that failed is rolled back, so no message may say that nothing was changed.
AFTER = (
    "the step that failed stored nothing; what the command stored before it stays, and "
    "running it again is safe"
)
LOST = (
    "terminating connection",
    "server closed the connection",
    "connection refused",
    "could not connect",
    "connection to server",
    "consuming input failed",
)


def explain(error: DBAPIError, where: str) -> str:
    """One line for a database error that reached a command: what happened and what to do."""
    cause = (str(error.orig).strip().splitlines() or ["unknown error"])[0]
    if any(sign in cause.lower() for sign in LOST):
        return (
            f"the connection to the store {where} was lost ({cause}); check that the database "
            f"is running, then run the command again ({AFTER})"
        )
    if "readonly" in cause or "read-only" in cause or "read only" in cause:
        return (
            f"the store {where} cannot be written ({cause}); make it writable, then run the "
            f"command again ({AFTER})"
        )
    if "locked" in cause:
        return (
            f"another curate command is writing to the store {where}; wait for it to finish, "
            f"then run this one again ({AFTER})"
        )
    if "disk is full" in cause or "No space left" in cause:
        return (
            f"the disk holding the store {where} is full ({cause}); free some space there, "
            f"then run the command again ({AFTER})"
        )
    if "not a database" in cause or "malformed" in cause:
        return (
            f"{where} is not a curate store ({cause}); move it aside (curate makes a new one) "
            f"or point {DB_URL_VARIABLE} at the right database"
        )
    return f"the store {where} refused the command ({cause}); {AFTER}"


def open_store(url: str, read_only: bool = False) -> Store:
    """Connect and bring the schema up to date (migrations run only when behind). Read-only:
    nothing is made or migrated, and the database refuses every write."""
    # A "file:" URI (uri=true) is SQLite's to read: its options are not part of a path to make.
    if url.startswith("sqlite:///") and "uri=true" not in url.partition("?")[2].lower():
        path = Path(url.removeprefix("sqlite:///"))
        if not read_only:
            _prepare_sqlite_file(path)
        elif not path.is_file():
            raise StoreError(f"no store at {path}; run `curate ingest` in the project first")
    options: dict[str, Any] = {}
    if read_only and url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    try:
        # orjson reads the JSON columns (spans, payloads) several times faster than json.
        engine = create_engine(url, json_deserializer=orjson.loads, **options)
    except Exception as error:  # bad URL or missing driver: say which
        raise StoreError(
            f"cannot use database URL {url!r} ({error}); check {DB_URL_VARIABLE}"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine, read_only)
    where = engine.url.render_as_string(hide_password=True)
    try:
        _upgrade(engine, read_only)
    except OperationalError as error:
        engine.dispose()
        if engine.dialect.name == "sqlite":
            raise StoreError(explain(error, where)) from None
        raise StoreError(
            f"cannot open the database at {where} ({error.orig}); check that it is running "
            f"and {DB_URL_VARIABLE} is right"
        ) from None
    except DBAPIError as error:
        engine.dispose()
        raise StoreError(explain(error, where)) from None
    return Store(engine)


def schema_version(connection: Connection) -> str | None:
    """The store's Alembic revision; None before the first migration (or when unreadable:
    Alembic then says why)."""
    try:
        with connection.begin():
            return connection.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None


def _upgrade(engine: Engine, read_only: bool = False) -> None:
    with engine.connect() as connection:
        if schema_version(connection) == SCHEMA_HEAD:
            return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    if read_only:
        raise StoreError(
            f"the store at {engine.url.render_as_string(hide_password=True)} has schema "
            f"version {current}, not {head}; run any curate command on the project (for "
            "example `curate status`) to upgrade it, then read it again"
        )
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the store at {engine.url.render_as_string(hide_password=True)} has schema version "
            f"{current}, newer than this curate knows (up to {head}); use the curate that made "
            "it, or upgrade curate"
        )
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
