"""Bad input, case by case: every command says what is wrong in one line naming the file or
field, exits 1 or 2 without a traceback, and leaves the store's rows as they were."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import seeded_copy
from typer.testing import CliRunner

from curate.cli import app

runner = CliRunner()
TABLES = ("documents", "document_sources", "prelabels", "annotations", "decisions", "releases")
Case = Callable[[Path], tuple[list[str], dict[str, str]]]


def snapshot(root: Path) -> Any:
    """Row counts of the store's tables, or the file's bytes when it is not a readable store."""
    database = root / ".curate" / "curate.db"
    if not database.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    except sqlite3.DatabaseError:
        return hashlib.sha256(database.read_bytes()).hexdigest()


def edit_config(root: Path, old: str, new: str) -> None:
    config = root / "curate.toml"
    text = config.read_text("utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new, 1), "utf-8")


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


def status(root: Path) -> tuple[list[str], dict[str, str]]:
    return ["status"], {}


def config_case(old: str, new: str) -> Case:
    def case(root: Path) -> tuple[list[str], dict[str, str]]:
        edit_config(root, old, new)
        return ["status"], {}

    return case


def file_case(name: str, content: str | bytes, *args: str) -> Case:
    def case(root: Path) -> tuple[list[str], dict[str, str]]:
        path = write(root, name, content)
        return [arg.replace("{}", str(path)) for arg in args], {}

    return case


def store_case(make: Callable[[Path], None]) -> Case:
    def case(root: Path) -> tuple[list[str], dict[str, str]]:
        make(root / ".curate" / "curate.db")
        return ["status"], {}

    return case


def future_schema(database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")


def symlink_loop(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.symlink_to(database)


def curate_is_a_file(database: Path) -> None:
    import shutil

    shutil.rmtree(database.parent)
    database.parent.write_text("not a folder", "utf-8")


def read_only_store(root: Path) -> tuple[list[str], dict[str, str]]:
    database = root / ".curate" / "curate.db"
    url = f"sqlite:///file:{database}?mode=ro&uri=true"
    return ["ingest", str(write(root, "more/new.txt", "A new report about Tehran.\n"))], {
        "CURATE_DB_URL": url
    }


LS_TASK = {
    "id": 1,
    "data": {"text": "Khamenei spoke in Tehran."},
    "annotations": [
        {
            "id": 10,
            "completed_by": {"id": 3, "email": "alice@example.org"},
            "result": [
                {
                    "type": "labels",
                    "from_name": "label",
                    "to_name": "text",
                    "value": {"start": 0, "end": 8, "text": "Khamenei", "labels": ["PERSON"]},
                }
            ],
        }
    ],
}


def gold_line(start: object, end: object) -> str:
    text = "Officials John Smith spoke."
    return json.dumps({"text": text, "spans": [{"start": start, "end": end, "label": "PERSON"}]})


def import_gold(root: Path, *args: str) -> Path:
    """A one-document gold file imported (with args), ready for the case's command."""
    path = write(root, "one-gold.jsonl", gold_line(10, 20))
    result = runner.invoke(app, ["--project", str(root), "import-gold", str(path), *args])
    assert result.exit_code == 0, result.output
    return path


def released_elsewhere(root: Path) -> list[str]:
    """Gold imported and released; the same file pinned to a split it was not released in."""
    path = import_gold(root)
    release = runner.invoke(app, ["--project", str(root), "release", "--version", "1.0.0"])
    assert release.exit_code == 0, release.output
    with sqlite3.connect(root / ".curate" / "curate.db") as db:
        [(split,)] = db.execute("SELECT DISTINCT split FROM release_documents").fetchall()
    other = next(s for s in ("train", "validation", "test") if s != split)
    return [str(path), "--split", other]


CASES: dict[str, tuple[Case, str]] = {
    # curate.toml
    "no curate.toml": (
        lambda root: ((root / "curate.toml").unlink(), (["status"], {}))[1],
        "curate.toml not found; run `curate init",
    ),
    "toml syntax": (config_case('name = "seeds"', 'name = "seeds'), "is not valid TOML"),
    "toml not utf-8": (
        lambda root: (
            (root / "curate.toml").write_bytes(b'\xff\xfe[project]\nname = "x"\n'),
            (["status"], {}),
        )[1],
        "curate.toml is not UTF-8",
    ),
    "unknown key": (config_case("[assignment]", "[assignment]\noverlapp = 2"), "unknown key"),
    "empty label name": (config_case('name = "PERSON"', 'name = ""'), "entity_labels[0].name"),
    "label name with a space": (
        config_case('name = "PERSON"', 'name = "A PERSON"'),
        "'A PERSON' is not a usable label name",
    ),
    "hotkey is a command key": (
        config_case('hotkey = "p"', 'hotkey = "m"'),
        "hotkey 'm' is a command key",
    ),
    "bad email": (
        config_case('email = "alice@example.org"', 'email = "alice"'),
        "email 'alice' does not look like an address",
    ),
    "empty annotator name": (
        config_case('name = "alice"', 'name = ""'),
        "annotators[0].name",
    ),
    "release name leaves exports": (
        config_case('name = "curate-seeds"', 'name = "../../elsewhere"'),
        "release.name",
    ),
    "bad colour": (config_case('colour = "#1f77b4"', 'colour = "blue"'), "colour 'blue'"),
    "majority at a half": (config_case("majority = 0.66", "majority = 0.5"), "majority"),
    "unknown entity policy": (
        config_case('entity_policy = "majority"', 'entity_policy = "vote"'),
        "entity_policy",
    ),
    "splits that do not sum to 1": (
        config_case("train = 0.8", "train = 0.9"),
        "release.splits shares sum to 1.1",
    ),
    # the store
    "store is not SQLite": (
        store_case(lambda db: db.write_bytes(b"this is not a database" * 100)),
        "is not a curate store",
    ),
    "store from a newer curate": (store_case(future_schema), "newer than this curate knows"),
    "store is a symlink loop": (
        store_case(symlink_loop),
        "is a symbolic link that does not lead to a file",
    ),
    ".curate is a file": (store_case(curate_is_a_file), "is in the way"),
    "store is read-only": (read_only_store, "cannot be written"),
    # ingest
    "path does not exist": (lambda root: (["ingest", str(root / "nope")], {}), "does not exist"),
    "folder without readable files": (
        lambda root: (["ingest", str(write(root, "empty/notes.md", "# notes").parent)], {}),
        "has no readable files",
    ),
    "unsupported file type": (file_case("a.docx", "x", "ingest", "{}"), "unsupported file type"),
    "text not utf-8": (file_case("latin.txt", "Télé".encode("latin-1"), "ingest", "{}"), "UTF-8"),
    "jsonl line not json": (
        file_case("bad.jsonl", '{"text": "ok"}\n{"text": \n', "ingest", "{}"),
        "line 2",
    ),
    "jsonl without text": (
        file_case("bad2.jsonl", '{"body": "no text field"}\n', "ingest", "{}"),
        "text",
    ),
    "csv ragged row": (
        file_case("bad.csv", "id,text\n1,fine\n2,too,many\n", "ingest", "{}"),
        "line 3: 3 fields where the header has 2",
    ),
    "csv unterminated quote": (
        file_case("quote.csv", 'id,text\n1,"never closed\n2,x\n', "ingest", "{}"),
        "row that starts at line 2 does not parse",
    ),
    "parquet that is not parquet": (
        file_case("bad.parquet", b"PAR1 but not really", "ingest", "{}"),
        "is not a readable Parquet file",
    ),
    # Label Studio exports
    "export not json": (file_case("x.json", "{not json", "import-ls", "{}"), "x.json"),
    "export not a task list": (
        file_case("y.json", '{"tasks": 1}', "import-ls", "{}"),
        "y.json",
    ),
    "export task without text": (
        file_case(
            "z.json",
            json.dumps([{"id": 1, "data": {"body": "x"}, "annotations": []}]),
            "import-ls",
            "{}",
        ),
        "text",
    ),
    "export missing": (lambda root: (["import-ls", str(root / "gone.json")], {}), "does not exist"),
    # project files
    "gazetteer not utf-8": (
        file_case(
            "gazetteer.jsonl",
            b'{"name": "T\xe9h\xe9ran", "label": "GPE"}\n',
            "prelabel",
            "--labeller",
            "gazetteer.v1",
        ),
        "gazetteer.jsonl is not UTF-8",
    ),
    "gazetteer line not json": (
        file_case(
            "gazetteer.jsonl",
            '{"name": "Iran", "label": "GPE"}\n{oops\n',
            "prelabel",
            "--labeller",
            "gazetteer.v1",
        ),
        "gazetteer.jsonl line 2",
    ),
    "guidelines not utf-8": (
        lambda root: (
            (root / "guidelines.md").write_bytes(b"Guidelines version: 1.0\n\xff\xfe"),
            (["adjudicate", "--auto"], {}),
        )[1],
        "guidelines.md is not UTF-8",
    ),
    "unknown labeller": (lambda root: (["prelabel", "--labeller", "magic.v9"], {}), "magic.v9"),
    # releases
    "version not X.Y.Z": (lambda root: (["release", "--version", "1.0"], {}), "is not X.Y.Z"),
    "version in other digits": (
        lambda root: (["release", "--version", "١.٠.٠"], {}),
        "is not X.Y.Z",
    ),
    "version too large": (
        lambda root: (["release", "--version", "10000000.0.0"], {}),
        "up to 6 digits",
    ),
    "version and bump": (
        lambda root: (["release", "--version", "1.0.0", "--bump", "minor"], {}),
        "give either --version X.Y.Z or --bump",
    ),
    "nothing adjudicated": (
        lambda root: (["release", "--version", "1.0.0"], {}),
        "no adjudicated documents to release",
    ),
    "diff of unknown releases": (lambda root: (["diff", "v8.0.0", "v9.0.0"], {}), "v8.0.0"),
    # people and other commands
    "annotate as a stranger": (
        lambda root: (["annotate", "--as", "mallory"], {}),
        "mallory",
    ),
    "review with a bad name": (lambda root: (["review", "--as", "x y"], {}), "--as 'x y'"),
    "review outside a terminal": (
        lambda root: (["review", "--as", "rita"], {}),
        "`curate review` needs a terminal",
    ),
    "agreement from a missing export": (
        lambda root: (["agreement", "--from-export", str(root / "none.json")], {}),
        "none.json",
    ),
    "evaluate with a missing gold file": (
        lambda root: (
            ["evaluate", "--labeller", "gazetteer.v1", "--gold", str(root / "g.conll")],
            {},
        ),
        "g.conll",
    ),
    "blind fraction out of range": (
        lambda root: (["push", "--blind-fraction", "2"], {"LABEL_STUDIO_API_KEY": "x" * 40}),
        "blind",
    ),
    # Found trying curate as a new user would (issue 22)
    "jsonl with a lone surrogate": (
        file_case("sur.jsonl", '{"text": "bad \\ud800 here"}\n', "ingest", "{}"),
        "sur.jsonl line 1 holds",
    ),
    "jsonl nested too deep": (
        file_case("deep.jsonl", '{"text": "x", "n": ' + "[" * 100_000 + "\n", "ingest", "{}"),
        "deep.jsonl line 1 nests JSON lists or objects too deeply",
    ),
    "export with a lone surrogate": (
        file_case(
            "sur.json",
            json.dumps([LS_TASK]).replace("Tehran", "Teh\\udc80ran"),
            "import-ls",
            "{}",
        ),
        "half of a character",
    ),
    "export nested too deep": (
        file_case("deep.json", "[" * 100_000, "import-ls", "{}"),
        "deep.json nests JSON lists or objects too deeply",
    ),
    "unknown encoding": (
        lambda root: (["ingest", str(root / "seeds"), "--encoding", "no-such-codec"], {}),
        "--encoding 'no-such-codec' is not an encoding",
    ),
    "whitespace-only text file": (
        file_case("blank.txt", "   \n\t\n", "ingest", "{}"),
        "blank.txt holds no document",
    ),
    "empty jsonl": (file_case("empty.jsonl", "", "ingest", "{}"), "empty.jsonl is empty"),
    "csv with a header only": (
        file_case("header.csv", "id,text\n", "ingest", "{}"),
        "header.csv holds no document",
    ),
    "import-ls task with null text": (
        file_case("null.json", json.dumps([LS_TASK | {"data": {"text": None}}]), "import-ls", "{}"),
        "task 1 has no text to label (data.text is null); remove the task from the export",
    ),
    "import-ls task with empty text": (
        file_case("empty.json", json.dumps([LS_TASK | {"data": {"text": " "}}]), "import-ls", "{}"),
        "task 1 has no text to label (data.text is ' ')",
    ),
    "import-ls task without the text field": (
        file_case("other.json", json.dumps([LS_TASK | {"data": {"body": "x"}}]), "import-ls", "{}"),
        "has no field data.text; pass --text-field with the field that holds the text "
        "(fields here: body)",
    ),
    "gold span with two labels": (
        file_case(
            "two.jsonl",
            json.dumps(
                {
                    "text": "Officials John Smith spoke.",
                    "spans": [
                        {"start": 10, "end": 20, "label": "PERSON"},
                        {"start": 10, "end": 20, "label": "ORG"},
                    ],
                }
            ),
            "import-gold",
            "{}",
        ),
        "line 1: the span 10-20 'John Smith' is labelled both PERSON and ORG",
    ),
    "gold span reversed": (
        file_case("reversed.jsonl", gold_line(20, 10), "import-gold", "{}"),
        "span 20-10 is reversed (its start comes after its end); write it as 10-20",
    ),
    "no labeller": (
        config_case(
            'labellers = ["gazetteer.v1", "spacy-ner.v2", "stance-learned.v1", "stance-cues.v2"]',
            "labellers = []",
        ),
        "prelabel.labellers is empty; list the labellers to run",
    ),
    "empty licence": (
        config_case('licence = "cc-by-4.0"', 'licence = ""'),
        "release.licence is empty; give the licence id the dataset card states",
    ),
    "a target's alias is another target": (
        config_case('"Revolutionary Guards"]', '"Revolutionary Guards", "United States"]'),
        "target 'Iran' has the alias 'United States', which is the target 'United States'",
    ),
    "guidelines file missing": (
        lambda root: ((root / "guidelines.md").unlink(), (["status"], {}))[1],
        "project.guidelines names guidelines.md, which is not a file in",
    ),
    "conll I- after O in an IOB2 file": (
        file_case(
            "iob2.conll", "John B-PER\nSmith I-PER\nsaw O\nMary I-PER\n", "import-gold", "{}"
        ),
        "line 4: I-PER follows O, but this document is IOB2 (line 1 starts an entity with B-)",
    ),
    "push with a negative wait": (
        lambda root: (["push", "--wait", "-1"], {}),
        "Invalid value for '--wait': Input should be greater than or equal to 0",
    ),
    "import-ls of a folder": (
        lambda root: (["import-ls", str(root / "seeds")], {}),
        "is a folder; pass the JSON file",
    ),
    "export labels as a string": (
        file_case(
            "str.json", json.dumps([LS_TASK]).replace('["PERSON"]', '"PERSON"'), "import-ls", "{}"
        ),
        "task 1 annotation 10 result",
    ),
    "export labels holding null": (
        file_case(
            "null.json", json.dumps([LS_TASK]).replace('["PERSON"]', "[null]"), "import-ls", "{}"
        ),
        "not [None]",
    ),
    "gold span of length 0": (
        file_case(
            "gold.jsonl",
            '{"text": "Iran talks.", "spans": [{"start": 2, "end": 2, "label": "GPE"}]}\n',
            "import-gold",
            "{}",
        ),
        "span 2-2 is empty (start equals end)",
    ),
    "gold file missing": (
        lambda root: (["import-gold", str(root / "gone.jsonl")], {}),
        "gone.jsonl",
    ),
    "gold line not json": (
        file_case("bad-gold.jsonl", "{oops\n", "import-gold", "{}"),
        "bad-gold.jsonl line 1 is not valid JSON",
    ),
    "gold with a lone surrogate": (
        file_case("sur-gold.jsonl", '{"text": "\\ud800", "spans": []}\n', "import-gold", "{}"),
        "sur-gold.jsonl line 1 holds",
    ),
    "gazetteer with a lone surrogate": (
        file_case(
            "gazetteer.jsonl",
            '{"name": "Ir\\ud800an", "label": "GPE"}\n',
            "prelabel",
            "--labeller",
            "gazetteer.v1",
        ),
        "gazetteer.jsonl line 1 holds",
    ),
    "overlap written as text": (
        config_case("overlap = 2", 'overlap = "2"'),
        "assignment.overlap Input should be a valid integer, not the text '2'",
    ),
    "overlap as a fraction": (
        config_case("overlap = 2", "overlap = 2.5"),
        "assignment.overlap",
    ),
    "a switch written as text": (
        config_case("trim_span_whitespace = true", 'trim_span_whitespace = "yes"'),
        "adjudication.trim_span_whitespace Input should be a valid boolean, not the text 'yes'",
    ),
    "version with a leading zero": (
        lambda root: (["release", "--version", "01.0.0"], {}),
        "no leading zeros",
    ),
    "bump sideways": (
        lambda root: (["release", "--bump", "sideways"], {}),
        "--bump 'sideways' must be major, minor or patch",
    ),
    "require not a regex": (
        lambda root: (["ingest", str(root / "seeds"), "--require", "(unclosed"], {}),
        "--require '(unclosed' is not a valid regex",
    ),
    "diff with versions that are not X.Y.Z": (
        lambda root: (["diff", "1", "2"], {}),
        "is not X.Y.Z",
    ),
    "too few resamples": (
        lambda root: (["agreement", "--resamples", "5"], {}),
        "--resamples",
    ),
    # Issue 37: gold files read exactly, exit codes that do not mislead
    "gold offsets as fractions": (
        file_case("frac.jsonl", gold_line(8.9, 18.7), "import-gold", "{}"),
        "a span's 'start' is 8.9; offsets are whole numbers",
    ),
    "gold offset true": (
        file_case("bool.jsonl", gold_line(True, 18), "import-gold", "{}"),
        "a span's 'start' is true; offsets are whole numbers",
    ),
    "gold offset as text": (
        file_case("str.jsonl", gold_line("8", 18), "import-gold", "{}"),
        "a span's 'start' is \"8\"; offsets are whole numbers",
    ),
    "gold byte offsets without the span's text": (
        # "Khamenei" is at code points 2-10; 5-13 are its UTF-8 byte offsets after the emoji.
        file_case(
            "bytes.jsonl",
            json.dumps(
                {
                    "text": "😀 Khamenei spoke.",
                    "spans": [{"start": 5, "end": 13, "label": "PERSON"}],
                }
            )
            + "\n",
            "import-gold",
            "{}",
        ),
        "span 5-13 is 'menei sp', which cuts a word; check that the offsets are code points",
    ),
    "gold line is a list": (
        file_case("list.jsonl", "[1, 2]\n", "import-gold", "{}"),
        "list.jsonl line 1: the line is a JSON list, not an object; expected {",
    ),
    "gold spans as an object": (
        file_case(
            "obj.jsonl", '{"text": "Iran talks.", "spans": {"start": 0}}\n', "import-gold", "{}"
        ),
        "obj.jsonl line 1: 'spans' must be a list of objects; expected {",
    ),
    "export with no tasks": (
        file_case("none.json", "[]", "import-ls", "{}"),
        "none.json holds no tasks (an empty list)",
    ),
    "train with all gold in the test split": (
        lambda root: (import_gold(root, "--split", "test"), (["train"], {}))[1],
        "no gold to train on (all 1 in the test split, which is never trained on)",
    ),
    "import-gold pinning a released document elsewhere": (
        lambda root: (["import-gold", *released_elsewhere(root)], {}),
        "were released in another split already",
    ),
    "loop every a word": (
        lambda root: (["loop", "--every", "soon"], {}),
        "--every 'soon': give a duration such as 90s, 30m, 2h or 1d",
    ),
    "labels that differ only by case": (
        config_case(
            "[[entity_labels]]",
            '[[entity_labels]]\nname = "Person"\nhotkey = "P"\ncolour = "#123456"\n\n'
            "[[entity_labels]]",
        ),
        "labels 'Person' and 'PERSON' differ only by case; keep one of them",
    ),
}


# A wrong request exits 2; these exit 1: the store or the file system failed, or curate
# refused work (an untouched store, a bad store file), rather than the request being malformed.
EXIT_1 = {
    "store is not SQLite",
    "store from a newer curate",
    "store is a symlink loop",
    ".curate is a file",
    "store is read-only",
}


@pytest.fixture
def ready(project_dir: Path, seeded_templates: dict[bool, Path]) -> Path:
    """A project with the seeds ingested: a store with rows to keep."""
    seeded_copy(project_dir, seeded_templates, prelabelled=False)
    return project_dir


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_one_clear_line_and_changes_nothing(
    ready: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, expected = CASES[name]
    args, environment = case(ready)
    before = snapshot(ready)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(app, ["--project", str(ready), *args], env={"COLUMNS": "300"})
    output = " ".join(result.output.split())
    assert result.exit_code == (1 if name in EXIT_1 else 2), output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert expected in output, output
    assert snapshot(ready) == before
    assert not Path("file:").exists()  # a SQLite URI is not taken for a folder to make here


def test_every_case_named_for_exit_1_exists() -> None:
    """A case renamed or removed would leave its exit code unchecked: EXIT_1 names only cases."""
    assert EXIT_1 <= set(CASES), sorted(EXIT_1 - set(CASES))


def test_an_unknown_encoding_is_said_once(ready: Path) -> None:
    """Once for the command, not once per file of the folder."""
    result = runner.invoke(
        app, ["--project", str(ready), "ingest", str(ready / "seeds"), "--encoding", "nope"]
    )
    assert result.exit_code == 2 and result.output.count("nope") == 1, result.output


def test_a_curate_toml_with_a_byte_order_mark_is_read(ready: Path) -> None:
    config = ready / "curate.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    result = runner.invoke(app, ["--project", str(ready), "status"])
    assert result.exit_code == 0, result.output
