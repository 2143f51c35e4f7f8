"""The pandas API (curate.open): every frame's columns and dtypes as documented, row counts
against `curate status` and `curate agreement --json`, gold equal to what load_dataset reads
from the release, read-only, and the same frames on SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import suggested_labels
from sqlalchemy import func, insert, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import curate
from curate.adjudicate.auto import auto_adjudicate
from curate.api import COLUMNS, ProjectFrames
from curate.cli import app
from curate.errors import StoreError, UsageError
from curate.prelabel import prelabel
from curate.project import Project, init_project
from curate.records import Annotation
from curate.store import queries
from curate.store.schema import documents

ROOT = Path(__file__).resolve().parents[1]
LEOKA = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
SEEDS = ROOT / "seeds"
runner = CliRunner()


def curate_cli(project: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(project), *args])
    assert result.exit_code == 0, result.output
    return result.output


def seeded(root: Path) -> Path:
    """The seeds, pre-labelled, labelled by alice and bob (bob drops one stance, so one target
    has a disagreement), adjudicated and released as 1.0.0."""
    init_project(root)
    shutil.copytree(SEEDS, root / "seeds")
    curate_cli(root, "ingest", str(root / "seeds"))
    project = Project.load(root)
    store = project.open_store()
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "stance-cues.v1"])
    with store.transaction() as connection:
        for n, document_id in enumerate(queries.document_ids(connection)):
            spans, stances = suggested_labels(connection, document_id)
            for who in ("alice", "bob"):
                mine = stances[1:] if who == "bob" and n % 3 == 0 else stances
                queries.add_annotation(
                    connection,
                    Annotation(document_id, who, "test", spans, mine, lead_time_seconds=30.0 + n),
                )
        auto_adjudicate(connection, project.settings, "0.1")
    store.close()
    curate_cli(root, "release", "--version", "1.0.0", "--allow-unresolved")
    return root


@pytest.fixture(scope="module")
def seeds_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectFrames]:
    with curate.open(seeded(tmp_path_factory.mktemp("seeds"))) as frames:
        yield frames


@pytest.fixture(scope="module")
def leoka_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectFrames]:
    root = tmp_path_factory.mktemp("leoka")
    init_project(root)
    curate_cli(root, "import-ls", str(LEOKA), "--adopt-labels")
    curate_cli(root, "adjudicate", "--auto")
    curate_cli(root, "release", "--version", "1.0.0", "--allow-unresolved")
    with curate.open(root) as frames:
        yield frames


def every_frame(frames: ProjectFrames) -> dict[str, pd.DataFrame]:
    return {
        "documents": frames.documents(),
        "annotations.entities": frames.annotations("entities"),
        "annotations.stances": frames.annotations("stances"),
        "suggestions": frames.suggestions(),
        "decisions": frames.decisions(),
        "gold.documents": frames.gold(),
        "gold.entities": frames.gold("entities"),
        "gold.stances": frames.gold("stances"),
        "agreement.document": frames.agreement("document"),
        "agreement.target": frames.agreement("target", resamples=50),
        "agreement.label": frames.agreement("label", resamples=50),
        "agreement.pair": frames.agreement("pair", resamples=50),
        "releases": frames.releases(),
    }


def expected_columns(name: str, frames: ProjectFrames) -> dict[str, str]:
    spec = dict(COLUMNS[name])
    if name != "gold.documents":
        return spec
    out: dict[str, str] = {}
    for column, dtype in spec.items():
        out[column] = dtype
        # Stance columns as in the release: none when no target has a gold stance (LEOKA).
        stances = frames.gold("stances")
        if column == "entities" and len(stances):
            for target in frames.project.settings.target_names():
                stance = "stance_" + re.sub(r"[^0-9a-z]+", "_", target.lower()).strip("_")
                out |= {stance: "category", stance + "_method": "string"}
    return out


@pytest.mark.parametrize("which", ["seeds_project", "leoka_project"])
def test_every_frame_has_its_documented_columns_and_dtypes(
    which: str, request: pytest.FixtureRequest
) -> None:
    frames: ProjectFrames = request.getfixturevalue(which)
    for name, frame in every_frame(frames).items():
        expected = expected_columns(name, frames)
        assert list(frame.columns) == list(expected), name
        assert {c: str(frame[c].dtype) for c in frame} == {
            c: "category" if d == "category" else d for c, d in expected.items()
        }, name


def status(root: Path) -> dict[str, int]:
    return json.loads(curate_cli(root, "status", "--json"))


def test_row_counts_agree_with_status_and_agreement_json(leoka_project: ProjectFrames) -> None:
    frames = leoka_project
    root = frames.project.root
    stages = status(root)
    assert len(frames.documents()) == stages["documents"] == 129
    decisions = frames.decisions()
    waiting = decisions[decisions["open"]]["document_id"].nunique()
    settled = decisions.groupby("document_id")["open"].any()
    assert waiting == stages["waiting for review"]
    assert int((~settled).sum()) == stages["adjudicated"]
    report = json.loads(curate_cli(root, "agreement", "--json", "--resamples", "50"))
    by_document = frames.agreement("document")
    assert len(by_document) == report["documents"]
    latest = frames.annotations()
    coders = sorted(report["annotators"])
    assert sorted(latest["annotator"].unique()) == coders  # pseudonyms, as --json prints them
    pairs = frames.agreement("pair", resamples=50).set_index(["annotator_a", "annotator_b"])
    for name, figures in report["entities"]["pairs"].items():
        row = pairs.loc[tuple(name.split(" | "))]
        row = row[row["scope"] == "entities"].iloc[0]
        assert row["exact_f1"] == figures["exact"]["f1"]
        assert row["documents"] == figures["documents"]
        assert row["token_kappa"] == figures["token_kappa"]
    labels = frames.agreement("label", resamples=50)
    exact = labels[labels["match"] == "exact"].set_index("label")
    assert set(exact.index) == set(report["entities"]["by_label"]["exact"])
    for label, figures in report["entities"]["by_label"]["exact"].items():
        assert exact.loc[label, "f1"] == figures["f1"]
        assert exact.loc[label, "tp"] == figures["tp"]
    # The span frame holds every span of the newest revisions.
    spans = sum(len(a.spans) for a in _newest_annotations(frames))
    assert len(latest) == spans
    everything = frames.annotations(revisions="all")
    assert len(everything) >= len(latest)
    assert everything["revision"].max() >= 1


def _newest_annotations(frames: ProjectFrames) -> list[Annotation]:
    store = frames.project.open_store()
    with store.connect() as connection:
        found = queries.newest_evidence(connection)
    store.close()
    return found


def test_stance_frames_on_the_seeds(seeds_project: ProjectFrames) -> None:
    frames = seeds_project
    stances = frames.annotations("stances")
    assert len(stances) > 0
    assert list(stances["label"].cat.categories[:4]) == frames.project.settings.stance.labels
    targets = frames.agreement("target", resamples=50)
    report = json.loads(curate_cli(frames.project.root, "agreement", "--json", "--resamples", "50"))
    for row in targets.itertuples():
        figures = report["stance"][row.target]
        assert row.units == figures["units"]
        assert row.alpha == pytest.approx(figures["alpha"]["value"], nan_ok=True) or (
            pd.isna(row.alpha) and figures["alpha"]["value"] is None
        )
    cohen = frames.agreement("pair", resamples=50)
    assert set(cohen["scope"]) >= {"entities"} | set(targets["target"])
    suggestions = frames.suggestions()
    assert {"gazetteer", "stance"} <= {
        str(n).split("-")[0].split(".")[0] for n in suggestions["labeller"].unique()
    }
    gold_stances = frames.gold("stances")
    gold = frames.gold()
    counted = sum(
        gold[c].notna().sum() for c in gold if c.startswith("stance_") and not c.endswith("_method")
    )
    assert len(gold_stances) == counted > 0


@pytest.mark.parametrize("which", ["seeds_project", "leoka_project"])
def test_gold_equals_what_load_dataset_reads_from_the_release(
    which: str, request: pytest.FixtureRequest, offline: None
) -> None:
    import datasets

    frames: ProjectFrames = request.getfixturevalue(which)
    datasets.disable_progress_bars()
    folder = frames.project.root / "exports" / frames.project.settings.release.name / "v1.0.0"
    released = datasets.load_dataset(str(folder))
    gold = frames.gold().set_index("id")
    assert sum(len(split) for split in released.values()) == len(gold)
    for split, rows in released.items():
        names = rows.features["entities"].feature["label"].names
        stance_names = {
            column: rows.features[column].names
            for column in rows.column_names
            if column.startswith("stance_") and not column.endswith("_method")
        }
        for row in rows:
            mine = gold.loc[row["id"]]
            assert mine["split"] == split
            assert (mine["title"], mine["text"], mine["source"]) == (
                row["title"],
                row["text"],
                row["source"],
            )
            assert mine["entities"] == [s | {"label": names[s["label"]]} for s in row["entities"]]
            for column, labels in stance_names.items():
                value = row[column]
                assert (None if value < 0 else labels[value]) == (
                    None if pd.isna(mine[column]) else mine[column]
                )
                assert mine[column + "_method"] == row[column + "_method"]
            assert (pd.isna(mine["agreement"]) and row["agreement"] is None) or mine[
                "agreement"
            ] == pytest.approx(row["agreement"])
    releases = frames.releases()
    assert list(releases["version"]) == ["1.0.0"]
    assert releases["documents"][0] == len(gold) and releases["bytes"][0] > 0


def test_the_frames_only_read(leoka_project: ProjectFrames) -> None:
    frames = leoka_project
    store = frames.project.open_store()

    def counts() -> dict[str, int]:
        with store.connect() as connection:
            names = [
                "documents",
                "annotations",
                "decisions",
                "document_agreement",
                "releases",
                "release_documents",
            ]
            return {n: connection.scalar(text(f"SELECT count(*) FROM {n}")) for n in names}

    before = counts()
    every_frame(frames)
    assert counts() == before
    store.close()
    with frames._read() as connection, pytest.raises(DBAPIError):  # the database refuses
        connection.execute(
            insert(documents).values(id="x", title="", text="x", metadata={}, created_at=func.now())
        )


def test_bad_arguments_and_missing_projects_say_what_to_do(
    leoka_project: ProjectFrames, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="kind is 'entities' or 'stances'"):
        leoka_project.annotations("spans")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="by is 'document'"):
        leoka_project.agreement("annotator")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no curate.toml"):
        curate.open(tmp_path)
    init_project(tmp_path)
    with curate.open(tmp_path) as empty, pytest.raises(StoreError, match="curate ingest"):
        empty.documents()
    assert not (tmp_path / ".curate" / "curate.db").exists()  # nothing made


@pytest.mark.postgres
def test_the_frames_are_the_same_on_sqlite_and_postgresql(
    tmp_path: Path, fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = []
    for name, url in (("sqlite", None), ("postgresql", fresh_postgres_url)):
        if url is None:
            monkeypatch.delenv("CURATE_DB_URL", raising=False)
        else:
            monkeypatch.setenv("CURATE_DB_URL", url)
        root = tmp_path / name
        root.mkdir()
        init_project(root)
        curate_cli(root, "import-ls", str(LEOKA), "--adopt-labels")
        curate_cli(root, "adjudicate", "--auto")
        with curate.open(root, real_names=True) as frames:  # each project has its own salt
            found.append(
                {
                    key: frame.drop(columns=[c for c in ("created_at", "folder") if c in frame])
                    for key, frame in every_frame(frames).items()
                    if key != "releases"
                }
            )
    sqlite, postgres = found
    for key in sqlite:
        pd.testing.assert_frame_equal(sqlite[key], postgres[key], obj=key)
    assert len(sqlite["annotations.entities"]) > 1000


def documented() -> dict[str, dict[str, str]]:
    """docs/api.md's tables: frame -> column -> dtype."""
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in (ROOT / "docs" / "api.md").read_text("utf-8").splitlines():
        header = re.match(r'## `project\.(\w+)\((?:\w+="(\w+)")?', line)
        if header:
            name, option = header.groups()
            current = f"{name}.{option}" if option else name
            found[current] = {}
            continue
        cell = re.match(r"\| `(\w+)` \| ([^|]+) \|", line)
        if current and cell:
            found[current][cell.group(1)] = cell.group(2).strip()
    return found


def test_docs_list_every_frame_and_column_with_its_dtype() -> None:
    assert documented() == COLUMNS


def test_the_agreement_report_is_computed_once_per_store_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `by` of one report reuses it; a new annotation revision computes it again."""
    import curate.api

    calls = []
    real = curate.api.describe

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2:])
        return real(*args, **kwargs)

    monkeypatch.setattr(curate.api, "describe", counted)
    root = seeded(tmp_path / "seeds")
    with curate.open(root) as frames:
        first = {by: frames.agreement(by, resamples=20) for by in ("target", "label", "pair")}
        frames.agreement("document")
        assert len(calls) == 1
        assert frames.agreement("pair", resamples=20).equals(first["pair"])
        frames.agreement("pair", resamples=30)  # other resamples: another report
        assert len(calls) == 2
        store = frames.project.open_store()
        with store.transaction() as connection:
            document_id = queries.document_ids(connection)[0]
            queries.add_annotation(connection, Annotation(document_id, "carol", "test", (), ()))
        store.close()
        frames.agreement("pair", resamples=20)
        assert len(calls) == 3
        assert "carol" not in set(frames.agreement("pair", resamples=20)["annotator_a"])
