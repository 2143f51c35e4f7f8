"""One run at a time per project for commands whose runs would collide (prelabel, train).

The lock is an flock on .curate/NAME.lock, held only while the process lives (kill -9 releases
it); the file says who holds it and is emptied at the end, so a leftover file says nothing.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curate.errors import UsageError


@contextmanager
def one_run_at_a_time(root: Path, command: str, then: str) -> Iterator[None]:
    """Refuse at once, naming the holder, when another `curate COMMAND` holds the project's lock;
    `then` says what to do after it finishes."""
    lock = root / ".curate" / f"{command}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"  # empty: it is just starting
            raise UsageError(
                f"another `curate {command}` is running ({holder}); wait for it to finish, "
                f"then {then}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
