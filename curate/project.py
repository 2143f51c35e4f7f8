"""A curate project: its folder, its validated settings and its store."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from curate.config import (
    COMMAND_KEYS,
    CONFIG_NAME,
    LABEL_NAME,
    SAFE_NAME,
    Settings,
    config_template,
    load_settings,
    parse_settings,
    read_text_file,
    template,
)
from curate.errors import ConfigError, UsageError
from curate.labels import labels_to_adopt, map_option, resolve_labels, unknown_labels_error
from curate.store import Store, default_url, open_store

GAZETTEER_NAME = "gazetteer.jsonl"
GUIDELINES_NAME = "guidelines.md"


@dataclass(frozen=True)
class LabellerContext:
    """What a labeller starts from: the settings and where the models are."""

    settings: Settings
    root: Path

    @property
    def models_dir(self) -> Path:
        return self.root / ".curate" / "models"

    @property
    def gazetteer_path(self) -> Path:
        return self.root / self.settings.prelabel.gazetteer


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings

    @classmethod
    def load(cls, root: Path) -> Project:
        project = cls(root=root, settings=load_settings(root))
        named = project.settings.project.guidelines
        if named and not project.guidelines.is_file():
            raise ConfigError(
                f"project.guidelines names {named}, which is not a file in {root}; write the "
                "annotation guidelines there (`curate init` makes a starting point) or point "
                'project.guidelines at them (guidelines = "" for none)'
            )
        return project

    def open_store(self) -> Store:
        return open_store(default_url(self.root))

    def labeller_context(self) -> LabellerContext:
        return LabellerContext(self.settings, self.root)

    @property
    def guidelines(self) -> Path:
        return self.root / self.settings.project.guidelines

    def guideline_version(self) -> str | None:
        """The 'Guidelines version: X' line of guidelines.md, recorded with every label."""
        if not self.guidelines.is_file():
            return None
        found = re.search(r"Guidelines version:\s*([\w.\-]+)", read_text_file(self.guidelines))
        return found.group(1) if found else None


def init_project(root: Path, force: bool = False, name: str | None = None) -> Path:
    """Write a commented curate.toml (the seeds project's defaults, named `name` when given)
    and, when missing, the seeds gazetteer and guidelines as starting points."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; edit it, or pass --force to overwrite it")
    # The seeds' description is not a new project's: its card says nothing of the texts until
    # someone writes what they are.
    config = re.sub(r'(?m)^description = ".*"$', 'description = ""', config_template(), count=1)
    if name is not None:
        if not SAFE_NAME.match(name) or ".." in name:
            raise UsageError(
                f"project name {name!r} must be letters, digits, '.', '_' and '-' (it names the "
                "release folder); pass --name NAME"
            )
        config = config.replace('name = "seeds"', f'name = "{name}"', 1)
        config = config.replace('name = "curate-seeds"', f'name = "{name}"', 1)
    path.write_text(config, encoding="utf-8")
    for name in (GAZETTEER_NAME, GUIDELINES_NAME):
        if not (root / name).exists():
            (root / name).write_text(template(name), encoding="utf-8")
    _ignore_private_files(root)
    return path


def _ignore_private_files(root: Path) -> None:
    """.curate/ holds the store, tokens and the pseudonym salt: keep it out of git."""
    ignore = root / ".gitignore"
    lines = ignore.read_text("utf-8").splitlines() if ignore.is_file() else []
    if not any(line.strip().rstrip("/") in (".curate", "/.curate") for line in lines):
        ignore.write_text("\n".join([*lines, ".curate/"]) + "\n", encoding="utf-8")


# Colours for labels curate adds itself (matplotlib's tab20, which the seeds labels start).
PALETTE = (
    "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf "
    "#aec7e8 #ffbb78 #98df8a #ff9896 #c5b0d5 #c49c94 #f7b6d2 #c7c7c7 #dbdb8d #9edae5"
).split()
SPARE_KEYS = "abcdefghijklmnopqrstuvwxyzBCDEFHIJKLMNOPQRSTUVWXYZ0"


def add_entity_labels(root: Path, names: list[str]) -> Settings:
    """Write [[entity_labels]] for `names` into curate.toml (after the last one, comments kept),
    each with a free hotkey and colour; return the settings as they now are."""
    path = root / CONFIG_NAME
    settings = load_settings(root)
    bad = [name for name in names if not LABEL_NAME.match(name)]
    if bad:
        fit = {name: re.sub(r"[\s\[\]]+", "_", name).strip("_") or "LABEL" for name in bad}
        raise UsageError(
            f"label {bad[0]!r} cannot be a curate label (no spaces or brackets); rename it by "
            f"adding `{map_option(fit)}` to the command"
        )
    keys = {label.hotkey for label in settings.entity_labels} | COMMAND_KEYS
    colours = {label.colour.lower() for label in settings.entity_labels}
    blocks = []
    for name in names:
        wanted = [name[0].lower(), name[0].upper(), *name.lower(), *SPARE_KEYS]
        key = next((k for k in wanted if k.isalnum() and k not in keys), None)
        if key is None:
            raise UsageError(
                f"no free hotkey left for label {name!r}; map some labels with --label-map"
            )
        keys.add(key)
        colour = next((c for c in PALETTE if c not in colours), "#aaaaaa")
        colours.add(colour)
        blocks.append(
            f'[[entity_labels]]\nname = "{name}"\nhotkey = "{key}"\ncolour = "{colour}"\n'
        )
    lines = read_text_file(path).splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if line.strip() == "[[entity_labels]]"]
    after = headers[-1] + 1 if headers else len(lines)
    following = [i for i in range(after, len(lines)) if lines[i].lstrip().startswith("[")]
    at = following[0] if following else len(lines)
    while at > after and lines[at - 1].strip() == "":  # keep the blank line before a section
        at -= 1
    added = "".join("\n" + block for block in blocks)
    text = "".join(lines[:at]) + added + "".join(lines[at:])
    updated = parse_settings(tomllib.loads(text), str(path))  # never write a broken file
    _replace(path, text)
    return updated


def remove_entity_labels(root: Path, names: list[str]) -> Settings:
    """Take `names` out of curate.toml ([[entity_labels]] blocks and [prelabel.label_map] lines
    naming them; comments kept) and out of the gazetteer; return the settings as they now are."""
    path, gone = root / CONFIG_NAME, set(names)
    kept: list[str] = []
    section, skipping = "", False
    for line in read_text_file(path).splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            section, skipping = stripped, False
        if section == "[[entity_labels]]" and _value_of(line, "name") in gone:
            skipping = True
            kept = _without_block_start(kept)
            continue
        if skipping and (stripped.startswith("#") or not stripped):
            skipping = bool(stripped)  # the block ends at its blank line; comments stay
            if not stripped and kept and not kept[-1].strip():
                continue
        elif skipping or (section == "[prelabel.label_map]" and _value_of(line) in gone):
            continue
        kept.append(line)
    text = "".join(kept)
    updated = parse_settings(tomllib.loads(text), str(path))  # never write a broken file
    gazetteer = root / updated.prelabel.gazetteer
    if gazetteer.is_file():
        entries = read_text_file(gazetteer).splitlines(keepends=True)
        _replace(gazetteer, "".join(e for e in entries if _gazetteer_label(e) not in gone))
    _replace(path, text)
    return updated


def _value_of(line: str, key: str | None = None) -> str | None:
    """The string value of a one-line `key = "value"` (any key when None), or None."""
    try:
        pairs = tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None
    values = list(pairs.values()) if key is None else [pairs.get(key)]
    return values[0] if len(values) == 1 and isinstance(values[0], str) else None


def _without_block_start(lines: list[str]) -> list[str]:
    """Drop the `[[entity_labels]]` header (and keys before `name`) of a block being removed."""
    while lines and not lines[-1].strip().startswith("[[entity_labels]]"):
        lines = lines[:-1]
    return lines[:-1]


def _gazetteer_label(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # left for the gazetteer's own check to report
    label = record.get("label") if isinstance(record, dict) else None
    return label if isinstance(label, str) else None


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a scratch file, then a rename)."""
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)


@dataclass(frozen=True)
class TakenLabels:
    settings: Settings  # as they are after adopting
    adopted: list[str]  # labels written into curate.toml
    mapped: dict[str, str]  # outside label -> project label, for those renamed
    removed: list[str]  # template labels the import never used, taken out of a fresh project


def take_labels(
    project: Project,
    found: Counter[str],
    label_map: dict[str, str] | None,
    adopt: bool,
    source: Path,
    fresh: bool = False,
) -> TakenLabels:
    """The one flow for the entity labels an import brings (gold files, Label Studio exports):
    with adopt, those curate.toml lacks (after the map) are written into it; then each maps onto
    a project label. One still unknown stops the import with its fix, before anything is
    stored. Adopting into a fresh project (nothing labelled yet) replaces the labels the import
    never uses: its labels are the project's."""
    settings, mapping = project.settings, label_map or {}
    adopted = labels_to_adopt(found, settings.entity_label_names(), mapping) if adopt else []
    if adopted:
        settings = add_entity_labels(project.root, adopted)
    mapped, unknown = resolve_labels(found, settings.entity_label_names(), mapping)
    if unknown:
        raise unknown_labels_error(source, unknown, settings.entity_label_names())
    removed = []
    if adopted and fresh:
        used = {mapped.get(label, label) for label in found}
        removed = [name for name in settings.entity_label_names() if name not in used]
        if removed:
            settings = remove_entity_labels(project.root, removed)
    return TakenLabels(settings, adopted, mapped, removed)
