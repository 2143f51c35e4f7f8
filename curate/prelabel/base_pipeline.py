"""The installed spaCy pipeline training starts from: which one, what its NER knows, and how
the project's labels map onto its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from curate.errors import UsageError
from curate.prelabel.spacy_ner import find_pipeline


def base_pipeline(candidates: Sequence[str]) -> tuple[str, str] | None:
    """(name, "lang_name-version") of the first installed pipeline with a tok2vec and NER (the
    kind `spacy init config` makes for CPU), else None: training then starts from scratch."""

    try:
        name, meta = find_pipeline(candidates)
    except UsageError:
        return None
    if not {"tok2vec", "ner"} <= set(meta.get("pipeline", [])):
        return None
    return name, f"{meta['lang']}_{meta['name']}-{meta['version']}"


def tok2vec_width(base: str) -> int:
    """The width of the installed pipeline's tok2vec output, which the NER listens to."""
    import spacy

    folder = Path(base) if Path(base).is_dir() else Path(spacy.util.get_package_path(base))
    path = next(iter([*folder.glob("config.cfg"), *folder.glob("*/config.cfg")]))
    config = spacy.util.load_config(path)
    return int(config["components"]["tok2vec"]["model"]["encode"]["width"])


def base_labels(base: str) -> set[str]:
    """The entity labels the installed pipeline's NER predicts (from its meta.json)."""

    _, meta = find_pipeline([base])
    return set(meta.get("labels", {}).get("ner", []))


def known_labels(
    label_map: dict[str, str], known: set[str], labels: Sequence[str]
) -> dict[str, str]:
    """Project label -> the base pipeline label it comes from, where exactly one does."""
    sources: dict[str, list[str]] = {}
    for source, target in label_map.items():
        if source in known and target in labels:
            sources.setdefault(target, []).append(source)
    return {target: found[0] for target, found in sources.items() if len(found) == 1}
