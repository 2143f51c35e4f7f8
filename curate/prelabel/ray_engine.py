"""Pre-labelling on a Ray cluster (`curate prelabel --engine ray`; `pip install curate[ray]`).

What runs where: this process (the driver) reads pending documents from the store, a chunk at a
time, and hands them to Ray Data as Arrow tables. On the cluster, `map_batches` runs the same
labeller code on a pool of actors, each building its labeller once (a spaCy model loads once per
actor). The project folder (curate.toml, the gazetteer, trained models under .curate/models; not
the store, not exports) travels to every node as Ray's working_dir, so nodes need curate and its
spaCy model installed, nothing else. Suggestions come back to the driver, which checks them and
writes them to the store in the same transactions and run records as a local run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import Any, cast

import pyarrow as pa

from curate.errors import CurateError, UsageError
from curate.prelabel.base import LabellerContext
from curate.prelabel.registry import create
from curate.prelabel.workers import Labelled
from curate.records import Document, Prelabel


def local_head_command(ray: Path, port: int, temp_dir: Path, cpus: int = 2) -> list[str]:
    """`ray start` for a one-machine cluster on loopback, as the tests and bench/prelabel.py
    start it (temp_dir short: Ray's sockets live under it, 108 bytes at most)."""
    return [
        str(ray),
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--num-cpus={cpus}",
        "--include-dashboard=false",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]


BATCHES_PER_CHUNK = 64  # batches handed to Ray at a time: bounds the driver's memory
# Not shipped to the cluster: the store (the driver alone writes it), releases, scratch.
EXCLUDES = [".curate/*.db*", ".curate/*.lock", ".curate/labelstudio", "exports", ".git", "seeds"]


def in_ray(
    name: str,
    context: LabellerContext,
    batches: Iterable[list[Document]],
    address: str,
    actors: int | None = None,
) -> Iterator[Labelled]:
    """The batches labelled on the Ray cluster at `address` ("auto", "HOST:PORT" or
    "ray://HOST:PORT"), in order; `actors` labeller actors (default: one per CPU it has)."""
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--engine ray needs Ray: pip install 'curate[ray]' (the same version on every node)"
        ) from None
    try:
        ray.init(
            address=address,
            runtime_env={"working_dir": str(context.root), "excludes": EXCLUDES},
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise CurateError(
            f"cannot reach a Ray cluster at {address!r} ({str(error).splitlines()[0]}); start "
            "one with `ray start --head`, or pass its address with --address"
        ) from None
    try:
        size = context.settings.prelabel.batch_size
        count = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        batches = iter(batches)
        while chunk := list(islice(batches, BATCHES_PER_CHUNK)):
            documents = {d.id: d for batch in chunk for d in batch}
            # One Arrow block per batch, so every actor of the pool gets work.
            blocks = [pa.table({"text": [d.text for d in batch]}) for batch in chunk]
            labelled = ray.data.from_arrow(blocks).map_batches(
                Labelling,
                fn_constructor_args=(name, context.settings),
                batch_size=size,
                batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(size=count),
                num_cpus=1,
            )
            for batch in labelled.iter_batches(batch_format="pyarrow", batch_size=None):
                out = cast(pa.Table, batch)
                found = [documents[i] for i in out.column("id").to_pylist()]
                suggestions = [
                    Prelabel(**item)
                    for text in out.column("suggestions").to_pylist()
                    for item in json.loads(text)
                ]
                yield found, suggestions
    finally:
        ray.shutdown()


class Labelling:
    """A Ray Data actor: one labeller, built once, labelling Arrow batches of texts. It runs
    in the project folder Ray shipped (its working directory)."""

    def __init__(self, name: str, settings: Any):
        self.labeller = create(name, LabellerContext(settings, Path.cwd()))

    def __call__(self, batch: pa.Table) -> pa.Table:
        documents = [Document(text=t) for t in batch.column("text").to_pylist()]
        found: dict[str, list[dict[str, Any]]] = {d.id: [] for d in documents}
        for suggestion in self.labeller(documents):
            found[suggestion.document_id].append(asdict(suggestion))
        return pa.table(
            {
                "id": list(found),
                "suggestions": [json.dumps(items) for items in found.values()],
            }
        )
