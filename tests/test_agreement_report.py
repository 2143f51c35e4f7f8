"""`curate agreement` and `curate adjudicate --auto` on the Label Studio fixture and on the seeds;
the HTML report is opened in a real Chromium and its pictures must load."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.prelabel import prelabel
from curate.project import Project
from curate.records import Annotation, Span, StanceLabel
from curate.store import queries
from curate.suggestions import merge_entities

FIXTURE = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
runner = CliRunner()


def curate(project: Path, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--project", str(project), *args])
    assert result.exit_code == 0, result.output
    return result


def images_of(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def open_in_chromium(path: Path) -> dict[str, int]:
    """Open the page offline in Debian's Chromium; count images and those that decoded."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing; `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(path.as_uri())
        counts = page.evaluate(
            "() => ({images: document.images.length, "
            "loaded: [...document.images].filter(i => i.complete && i.naturalWidth > 0).length, "
            "tables: document.querySelectorAll('table').length})"
        )
        browser.close()
    return dict(counts)


def test_report_on_the_label_studio_fixture_leaves_the_store_alone(project_dir: Path) -> None:
    html = project_dir / "fixture.html"
    result = curate(
        project_dir, "agreement", "--from-export", str(FIXTURE), "--json", "--html", str(html)
    )
    report = json.loads(result.output)
    assert report["documents"] == 129 and len(report["annotators"]) == 3
    overall = report["entities"]["overall"]
    assert 0 < overall["exact"]["f1"] < overall["overlap"]["f1"] <= 1
    assert overall["boundary_differences"] > 0  # the fixture's annotators differ on boundaries
    # Person differs from curate.toml's PERSON only by case: it is PERSON.
    assert set(report["entities"]["by_label"]["exact"]) >= {"PERSON", "Firearm", "Date"}
    assert all(p["token_kappa"] is not None for p in report["entities"]["pairs"].values())
    pictures = images_of(html.read_text("utf-8"))
    # No stance and no suggestions in the export: no stance plot, no stance or anchoring tables.
    assert len(pictures) == 3 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)
    # entity pairs, lowest agreement, αu per label and per pair, annotators, time, and one
    # table for each of the three annotators
    assert open_in_chromium(html) == {"images": 3, "loaded": 3, "tables": 9}
    # Per annotator: competence, time (Label Studio's lead_time) and αu are all reported.
    quality = report["annotator_quality"]["annotators"]
    assert len(quality) == 3
    # Nothing was shown without pre-labels here: the saving is unknown, and said so (null).
    assert report["annotator_quality"]["time"]["saving"] is None
    for figures in quality.values():
        assert 0.5 < figures["competence"]["entities"] <= 1
        assert figures["competence"]["stance"] is None  # the export has no stance
        assert figures["time"]["annotations"] >= 128 and figures["time"]["median_seconds"] > 0
        assert figures["control"] is None and figures["gold"] is None
    alpha = report["entities"]["unitized_alpha"]
    assert 0 < alpha["overall"]["value"] < 1 and len(alpha["pairs"]) == 3
    page = html.read_text("utf-8")
    assert 'id="annotators"' in page and "Krippendorff's αu" in page
    status = json.loads(curate(project_dir, "status", "--json").output)
    assert status["documents"] == 0  # measured from a scratch store


def seeds_annotated(project_dir: Path) -> Project:
    """The seeds, pre-labelled by the gazetteer and the stance cues, then labelled by three
    annotators: alice accepts the suggestions, bob drops the last span of each document and
    flips one stance, carol relabels the first span of every other document."""
    curate(project_dir, "ingest", str(project_dir / "seeds"))
    project = Project.load(project_dir)
    store = project.open_store()
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "stance-cues.v1"])
    with store.transaction() as connection:
        ids = queries.document_ids(connection)
        suggestions = queries.prelabels_for_many(connection, ids)
        texts = queries.documents_by_ids(connection, ids)
        for n, document_id in enumerate(ids):
            offered = suggestions.get(document_id, [])
            shown = merge_entities(offered, ["gazetteer.v1"])
            spans = [Span(p.start, p.end, p.label, p.text) for p in shown]  # type: ignore[arg-type]
            stances = {
                t: next((p.label for p in offered if p.target == t), "none")
                for t in project.settings.target_names()
            }
            versions = {
                "alice": (spans, stances),
                "bob": (spans[:-1], stances | ({"Iran": "against"} if n == 2 else {})),
                "carol": (
                    [
                        Span(s.start, s.end, "ORG", s.text) if i == 0 and n % 2 else s
                        for i, s in enumerate(spans)
                    ],
                    stances,
                ),
            }
            assert texts[document_id].text  # every seed has text
            for who, (chosen, stance) in versions.items():
                queries.add_annotation(
                    connection,
                    Annotation(
                        document_id=document_id,
                        annotator=who,
                        origin="test",
                        spans=tuple(chosen),
                        stances=tuple(StanceLabel(t, label) for t, label in stance.items()),
                        from_prelabel=True,
                    ),
                )
    store.close()
    return project


@pytest.mark.parametrize("rerun", [False, True])
def test_report_and_auto_adjudication_on_the_seeds(project_dir: Path, rerun: bool) -> None:
    project = seeds_annotated(project_dir)
    auto = json.loads(curate(project_dir, "adjudicate", "--auto", "--json").output)["auto"]
    assert auto["documents"] == 8 and auto["recomputed"] == 8
    if rerun:
        again = json.loads(curate(project_dir, "adjudicate", "--auto", "--json").output)["auto"]
        assert again["recomputed"] == 0 and again["decided"] == {}
    html = project_dir / "seeds.html"
    report = json.loads(
        curate(project_dir, "agreement", "--json", "--html", str(html), "--show-annotators").output
    )
    assert report["documents"] == 8 and report["annotators"] == ["alice", "bob", "carol"]
    alice_bob = report["entities"]["pairs"]["alice | bob"]
    assert alice_bob["exact"]["precision"] == 1.0 and alice_bob["exact"]["recall"] < 1.0
    assert report["entities"]["pairs"]["alice | carol"]["label_conflicts"] == 4
    assert report["anchoring"]["alice"]["suggested"]["suggestions_kept_unchanged"] == 1.0
    iran = report["stance"]["Iran"]
    assert (
        iran["units"] == 8
        and iran["alpha"]["low"] <= iran["alpha"]["value"] <= iran["alpha"]["high"]
    )
    assert len(images_of(html.read_text("utf-8"))) == 4
    table = curate(project_dir, "agreement", "--resamples", "100", "--show-annotators").output
    assert "Stance agreement per target" in table and "alice | bob" in table
    assert "Review queue" in curate(project_dir, "adjudicate").output
    queue = json.loads(curate(project_dir, "adjudicate", "--json").output)["queue"]
    # carol's relabelled span has one vote of three: the majority policy rejects it and keeps
    # the other label, so no document waits for a reviewer over its entities.
    assert not any(item.startswith("entities") for e in queue for item in e["open_items"])
    assert [e["score"] for e in queue] == sorted(e["score"] for e in queue)
    with project.open_store().connect() as connection:
        assert len(queries.gold_entities(connection)) == 8
        assert len(queries.document_scores(connection)) == 8
        decisions = queries.decisions_for(connection, sorted(queries.decided_documents(connection)))
    rejected = [s for d in decisions if d.kind == "entity" for s in d.payload.get("rejected", [])]
    assert len(rejected) == 4 and all(s["label"] == "ORG" and s["votes"] == 1 for s in rejected)


def test_agreement_without_annotations_says_what_to_do(project_dir: Path) -> None:
    result = runner.invoke(app, ["--project", str(project_dir), "agreement"])
    assert result.exit_code == 2
    assert (
        "no annotations to measure; run `curate pull` or `curate import-ls FILE` first"
        in result.output
    )


def test_without_stance_or_suggestions_the_report_says_so(project_dir: Path) -> None:
    """The LEOKA export has no stance and no pre-labels: no stance tables of zeros, no
    anchoring section, a sentence saying why instead; annotators under pseudonyms."""
    from curate.labelstudio.importer import measure_export
    from curate.report.html import label_bars_figure

    html = project_dir / "plain.html"
    result = curate(
        project_dir, "agreement", "--from-export", str(FIXTURE), "--json", "--html", str(html)
    )
    report = json.loads(result.output)
    page = html.read_text("utf-8")
    assert "No stance labels in these annotations: nothing to measure." in page
    assert "No pre-labels were shown to these annotators" in page
    for groups in report["anchoring"].values():
        for group in groups.values():
            assert group["suggested_spans"] == 0 and group["span_f1_with_suggestions"] is None
    # Pseudonyms, as in releases: no e-mail address anywhere.
    assert all(name.startswith("annotator_") for name in report["annotators"])
    assert "@" not in result.output and "@" not in page
    table = runner.invoke(
        app,
        ["--project", str(project_dir), "agreement", "--from-export", str(FIXTURE)],
        env={"COLUMNS": "200"},
    ).output
    assert "Stance agreement" not in table and "Anchoring" not in table
    assert "Entity agreement per annotator pair" in table and "@" not in table
    named = runner.invoke(
        app,
        [
            "--project",
            str(project_dir),
            "agreement",
            "--from-export",
            str(FIXTURE),
            "--json",
            "--show-annotators",
        ],
    ).output
    assert "annotator_6af190d0@example.invalid" in json.loads(named)["annotators"]
    # The legend sits beside the bars, never over one.
    figure = label_bars_figure(measure_export(FIXTURE, Project.load(project_dir).settings, 20))
    figure.canvas.draw()
    [axes] = figure.axes
    legend = axes.get_legend().get_window_extent()
    bars = [patch.get_window_extent() for patch in axes.patches]
    assert bars and not any(legend.overlaps(bar) for bar in bars)


def test_the_page_names_titles_disagreements_pairs_and_warns_on_few_documents(
    project_dir: Path,
) -> None:
    from curate.report.html import HEAT_RANGE

    project = seeds_annotated(project_dir)
    html = project_dir / "few.html"
    report = json.loads(
        curate(project_dir, "agreement", "--json", "--html", str(html), "--show-annotators").output
    )
    lowest = report["lowest_agreement"]
    assert lowest and all(row["title"] for row in lowest)
    assert {row["disagreement"] for row in lowest} <= {
        "spans",
        "stance",
        "spans and stance",
        "none",
    }
    assert any(row["disagreement"] != "none" for row in lowest)
    page = html.read_text("utf-8")
    assert "Only 8 documents: every figure below rests on fewer than 10" in page
    assert "Pairwise Cohen" in page and "alice | bob" in page.split("Pairwise Cohen")[1]
    with project.open_store().connect() as connection:
        first = queries.get_document(connection, lowest[0]["document"])
    assert first is not None and (first.title or first.text[:60])[:40] in page
    # One fixed 0..1 colour scale, values printed in the cells.
    assert HEAT_RANGE == (0.0, 1.0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"value": -0.2, "low": -0.5, "high": -0.2}, "-0.200 [-0.500, -0.200] *"),
        ({"value": 1.0, "low": 1.0, "high": 1.0}, "1.000 [1.000, 1.000] *"),
        ({"value": 0.5, "low": 0.4, "high": 0.6}, "0.500 [0.400, 0.600]"),
        ({"value": 0.5, "low": None, "high": None}, "0.500"),
    ],
)
def test_an_interval_on_its_estimate_is_marked(value: dict[str, float], shown: str) -> None:
    from curate.agreement.figures import Estimate
    from curate.report.formatting import estimate

    assert estimate(Estimate(**value)) == shown


def test_a_target_left_out_of_the_interval_plot_is_named() -> None:
    from curate.agreement.figures import Estimate, StanceTarget
    from curate.report.html import dropped_targets

    def target(figure: Estimate) -> StanceTarget:
        return StanceTarget(1, 0, figure, figure, figure, cohen_kappa={}, labels={})

    empty, some = Estimate(None, None, None), Estimate(0.4, 0.1, 0.7)
    stance = {"Iran": target(some), "United States": target(empty)}
    assert dropped_targets(stance) == ["United States"]
