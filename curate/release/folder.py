"""What goes in a release folder: a parquet file per config and split, the dataset card and the
checksums. Touches no store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.agreement import describe
from curate.agreement.data import from_store
from curate.agreement.figures import AgreementReport
from curate.config import read_text_file
from curate.project import Project
from curate.quality.annotators import annotator_quality
from curate.release import card
from curate.release.compare import GoldDiff, diff_releases
from curate.release.rows import ReleaseRows, features
from curate.release.write import (
    data_fingerprint,
    digests,
    table,
    write_checksums,
    write_parquet,
)


def _parts(
    configs: dict[str, list[dict[str, Any]] | pa.Table],
    splits: dict[str, str],
    split_names: Iterable[str],
) -> Iterator[tuple[str, str, Callable[[], Any]]]:
    """(config, split, how to pick that split's rows) for every file a release can hold."""
    key = {"gold": "id", "annotations": "document_id", "prelabels": "document_id"}
    for config, config_rows in configs.items():
        if not isinstance(config_rows, pa.Table):
            for split in split_names:
                yield config, split, partial(_rows_in, config_rows, key[config], splits, split)
            continue
        at = pc.index_in(config_rows[key[config]], value_set=pa.array(list(splits), pa.string()))
        split_of_row = pc.take(pa.array(list(splits.values()), pa.string()), at)
        for split in split_names:
            yield config, split, partial(config_rows.filter, pc.equal(split_of_row, split))


def _rows_in(
    rows: list[dict[str, Any]], key: str, splits: dict[str, str], split: str
) -> list[dict[str, Any]]:
    return [r for r in rows if splits.get(r[key]) == split]


def agreement(
    connection: Connection, project: Project, rows: ReleaseRows
) -> AgreementReport | None:
    """The card's agreement figures (None without annotations), on the release's annotations
    (annotators already pseudonymized); under "released", the same figures on the released
    documents alone."""
    if rows.agreement is None:
        return None
    report = describe(connection, rows.agreement, resamples=1000, seed=0)
    quality = annotator_quality(
        connection, project.settings, rows.agreement, report, rows.controls, rows.gold
    )
    report = replace(report, annotator_quality=quality)
    released = rows.gold["id"]
    if set(released.to_pylist()) != set(rows.agreement.documents):
        chosen = rows.annotations.filter(pc.is_in(rows.annotations["document_id"], released))
        subset = from_store(connection, chosen, project.settings)
        report = replace(report, released=describe(connection, subset, resamples=200, seed=0))
    return report


def _write_parts(
    folder: Path,
    configs: dict[str, list[dict[str, Any]] | pa.Table],
    schemas: dict[str, Any],
    split_of: dict[str, str],
    split_names: Iterable[str],
) -> tuple[dict[str, dict[str, tuple[str, int, int]]], list[str]]:
    """One parquet file per config and split that has rows: the layout (config -> split ->
    (file, rows, bytes)) and the files in the order written."""
    layout: dict[str, dict[str, tuple[str, int, int]]] = {config: {} for config in configs}
    files = []
    for config, split, choose in _parts(configs, split_of, split_names):
        chosen = choose()
        if len(chosen) == 0:
            continue  # an empty split is left out rather than written as an empty file
        name = f"{config}/{split}-00000-of-00001.parquet"
        data = table(chosen, schemas[config])
        write_parquet(data, folder / name)
        layout[config][split] = name, len(chosen), data.nbytes
        files.append(name)
    return layout, files


def export(
    project: Project,
    version: str,
    folder: Path,
    rows: ReleaseRows,
    splits: dict[str, str],
    previous: tuple[str, Path] | None,
    notes: str | None,
    report: AgreementReport | None,
) -> tuple[str, dict[str, dict[str, int]], GoldDiff | None]:
    """Write the whole folder from rows; the same rows give the same bytes."""
    settings = project.settings
    configs: dict[str, list[dict[str, Any]] | pa.Table] = {
        "gold": rows.gold,
        "annotations": rows.annotations,
    }
    if rows.prelabels:
        configs["prelabels"] = rows.prelabels
    schemas = {config: features(rows, config) for config in configs}
    layout, files = _write_parts(folder, configs, schemas, splits, settings.release.splits)
    data = digests(folder, files)
    fingerprint = data_fingerprint(data)
    changes = diff_releases(previous[1], folder) if previous else None
    guidelines = read_text_file(project.guidelines) if project.guidelines.is_file() else ""
    about = card.About(
        settings.release.name,
        version,
        settings.release.licence,
        settings.project.description,
        settings.project.language,
    )
    inputs = card.CardInputs(
        about,
        guidelines,
        project.guideline_version(),
        fingerprint,
        agreement=report,
        changes=changes,
        previous=f"v{previous[0]}" if previous else None,
        notes=notes,
        data_files=tuple(files),
        split_of=splits,
        splits={
            split: layout["gold"].get(split, ("", 0, 0))[1] for split in settings.release.splits
        },
        process={
            "entity_policy": settings.adjudication.entity_policy,
            "majority": settings.adjudication.majority,
            "tie_breaker": settings.adjudication.tie_breaker,
        },
    )
    downloads = {name: (folder / name).stat().st_size for name in files}
    text = card.yaml_header(about, rows, layout, schemas, downloads) + card.body(inputs, rows)
    (folder / "README.md").write_text(text, encoding="utf-8")
    write_checksums(folder, data)
    counts = {c: {s: n for s, (_, n, _) in splits_.items()} for c, splits_ in layout.items()}
    return fingerprint, counts, changes
