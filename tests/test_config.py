"""curate.toml: the template loads; each mistake gets one line naming the key and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from curate.config import Settings, config_template, load_settings, parse_settings, template
from curate.errors import ConfigError, UsageError
from curate.project import init_project

ROOT = Path(__file__).resolve().parent.parent


def _template() -> dict[str, Any]:
    return tomllib.loads(config_template())


def test_the_seeds_project_config_is_the_init_template() -> None:
    assert (ROOT / "curate.toml").read_text(encoding="utf-8") == config_template()
    for name in ("gazetteer.jsonl", "guidelines.md"):
        assert (ROOT / name).read_text(encoding="utf-8") == template(name)
    settings = load_settings(ROOT)
    assert settings.target_names() == ["Iran", "United States"]
    assert settings.entity_label_names() == ["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"]
    assert settings.stance.labels == ["favor", "against", "neutral", "none"]
    assert settings.assignment.overlap == 2 and len(settings.annotators) == 3
    assert sum(settings.release.splits.values()) == pytest.approx(1.0)


def test_every_setting_is_explained_in_the_template() -> None:
    """Each documented field appears in the commented template `curate init` writes."""
    template = config_template()

    def names(model: type[Any]) -> list[str]:
        found = []
        for name, info in model.model_fields.items():
            found.append(name)
            inner = getattr(info.annotation, "__args__", (info.annotation,))
            for candidate in inner:
                if isinstance(candidate, type) and issubclass(candidate, Settings.__base__):
                    found.extend(names(candidate))
        return found

    missing = [name for name in names(Settings) if name not in template]
    assert missing == []


def _break(edit: Any) -> str:
    data = _template()
    edit(data)
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["project"].update(nmae="x"),
            "curate.toml: unknown key 'project.nmae'; remove it or fix its spelling",
        ),
        (
            lambda d: d["entity_labels"].append(dict(d["entity_labels"][0], hotkey="z")),
            "curate.toml: entity_labels label 'PERSON' appears more than once; "
            "make each label unique",
        ),
        (
            lambda d: d["entity_labels"][1].update(hotkey="p"),
            "curate.toml: entity_labels hotkey 'p' appears more than once; make each hotkey unique",
        ),
        (
            lambda d: d["assignment"].update(overlap=4),
            "curate.toml: assignment.overlap is 4 but only 3 annotators are listed; "
            "lower the overlap or add [[annotators]]",
        ),
        (
            lambda d: d["entity_labels"][0].update(colour="blue"),
            "curate.toml: entity_labels[0].colour colour 'blue' must look like '#1f77b4'",
        ),
        (
            lambda d: d["entity_labels"][0].update(hotkey="pp"),
            "hotkey 'pp' must be a single printable character",
        ),
        (
            lambda d: d["release"].update(splits={"train": 0.5, "test": 0.2}),
            "curate.toml: release.splits shares sum to 0.7; make them sum to 1",
        ),
        (
            lambda d: d.pop("release"),
            "curate.toml: 'release' is missing; add it (see `curate init` for a commented example)",
        ),
        (
            lambda d: d["annotators"][0].update(name="Ann Smith"),
            "name 'Ann Smith' is empty or uses other characters than letters, digits",
        ),
        (
            lambda d: d["annotators"][0].update(name=""),
            "annotators[0].name name '' is empty or uses other characters",
        ),
        (
            lambda d: d["annotators"][0].update(email="alice.example.org"),
            "annotators[0].email email 'alice.example.org' does not look like an address",
        ),
        (
            lambda d: d["entity_labels"][0].update(name=""),
            "entity_labels[0].name '' is not a usable label name",
        ),
        (
            lambda d: d["entity_labels"][0].update(name="NEWS ORG"),
            "entity_labels[0].name 'NEWS ORG' is not a usable label name; use one word",
        ),
        (
            lambda d: d["stance"].update(labels=["favor", "not sure"]),
            "stance.labels 'not sure' is not a usable label name",
        ),
        (
            lambda d: d["entity_labels"][0].update(hotkey="x"),
            "hotkey 'x' is a command key of the terminal annotator",
        ),
        (
            lambda d: d["entity_labels"][0].update(hotkey="3"),
            "hotkey '3' is a command key of the terminal annotator",
        ),
        (
            lambda d: d["entity_labels"][0].update(hotkey="N"),  # the reviewer's note
            "hotkey 'N' is a command key of the terminal annotator or reviewer",
        ),
        (
            lambda d: d["release"].update(name="../../etc"),
            "release.name name '../../etc' must be one folder name",
        ),
        (
            lambda d: d["release"].update(name="a/b"),
            "release.name name 'a/b' must be one folder name",
        ),
        (
            lambda d: d["adjudication"].update(entity_policy="vote"),
            "adjudication.entity_policy",
        ),
    ],
)
def test_each_mistake_names_the_key_and_the_fix(edit: Any, message: str) -> None:
    assert message in _break(edit)


def test_several_mistakes_give_one_line_each() -> None:
    def edits(data: dict[str, Any]) -> None:
        data["project"]["colour"] = "red"
        data["project"]["language"] = "English"  # an ISO 639 code is wanted

    lines = _break(edits).splitlines()
    assert len(lines) == 2
    assert any("unknown key 'project.colour'" in line for line in lines)
    assert any("project.language" in line for line in lines)


def test_a_missing_config_points_to_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `curate init"):
        load_settings(tmp_path)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "curate.toml").write_text("[project\nname = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(tmp_path)


def test_init_writes_a_loadable_commented_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = init_project(tmp_path / "new")
    assert path.read_text(encoding="utf-8").startswith("# curate.toml")
    assert load_settings(tmp_path / "new").project.name == "seeds"
    with pytest.raises(UsageError, match="already exists; edit it, or pass --force"):
        init_project(tmp_path / "new")
    init_project(tmp_path / "new", force=True)


def test_the_reserved_keys_are_exactly_the_apps_one_key_commands() -> None:
    """Config refuses a label hotkey the terminal annotator or reviewer uses: what they bind
    and what config reserves must agree."""
    from curate.config import COMMAND_KEYS
    from tui.annotate import KEYS as ANNOTATOR_KEYS
    from tui.review import KEYS as REVIEWER_KEYS

    names = {"question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]"}
    bound = [names.get(b.key, b.key) for b in [*ANNOTATOR_KEYS, *REVIEWER_KEYS]]
    single = {key for key in bound if len(key) == 1}
    assert single == COMMAND_KEYS - set("123456789")  # digits pick a stance label
