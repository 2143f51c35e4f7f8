"""Where labellers run: in this process, or in worker processes on every core.

Either way the caller hands over batches of documents and gets back (batch, suggestions) in the
same order; only the caller reads the store and writes to it. A worker builds its labeller once
(a spaCy model loads once per worker) and is started with `spawn`: nothing of the parent's
threads, open store or locks is copied into it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from curate.errors import CurateError
from curate.prelabel.base import Labeller, LabellerContext
from curate.prelabel.registry import create
from curate.records import Document, Prelabel

Labelled = tuple[list[Document], list[Prelabel]]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers narrow)."""
    return len(os.sched_getaffinity(0))


def in_process(labeller: Labeller, batches: Iterable[list[Document]]) -> Iterator[Labelled]:
    for batch in batches:
        yield batch, labeller(batch)


def in_workers(
    name: str, context: LabellerContext, workers: int, batches: Iterable[list[Document]]
) -> Iterator[Labelled]:
    """The batches labelled by `workers` processes, in order. At most two batches per worker
    are read ahead, so memory stays bounded on any corpus. Leaving early (an error, Ctrl-C)
    cancels what is queued and stops the workers."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=_start, initargs=(name, context, os.getpid())
    ) as pool:
        waiting: deque[tuple[list[Document], Future[list[Prelabel]]]] = deque()
        try:
            for batch in batches:
                waiting.append((batch, pool.submit(_label, batch)))
                if len(waiting) >= 2 * workers:
                    done, future = waiting.popleft()
                    yield done, future.result()
            while waiting:
                done, future = waiting.popleft()
                yield done, future.result()
        except BrokenProcessPool:
            # A worker the pool spawned just as another died is not stopped by the pool (seen
            # with Python 3.11: it waits to hand back its result, and the pool's shutdown
            # waits on it forever); this process's own pool workers are its only children.
            for child in spawn.active_children():
                child.terminate()
            raise CurateError(
                "a pre-labelling worker process died (killed, or out of memory); every batch "
                "stored so far is whole: run `curate prelabel` again to finish, with fewer "
                "--workers if memory is short"
            ) from None
        finally:
            for _, future in waiting:
                future.cancel()


_labeller: Labeller | None = None  # one per worker process


def _start(name: str, context: LabellerContext, parent: int) -> None:
    global _labeller
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _labeller = create(name, context)


def _exit_with(parent: int) -> None:
    """End this worker when the curate process that started it is gone (killed with -9, say):
    the pool's own pipes stay open in the other workers, so none of them would notice."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _label(batch: list[Document]) -> list[Prelabel]:
    assert _labeller is not None, "the worker's labeller was not built"
    return _labeller(batch)
