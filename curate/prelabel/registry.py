"""Labellers by versioned name. A new behaviour is a new name (".v2"); old names keep working."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from curate.errors import UsageError
from curate.prelabel import gazetteer, learning_ner, spacy_ner, stance_cues, stance_learned
from curate.prelabel.base import Labeller, LabellerContext

LABELLERS: MappingProxyType[str, Callable[[LabellerContext], Labeller]] = MappingProxyType(
    {
        gazetteer.NAME: gazetteer.create,
        spacy_ner.NAME: spacy_ner.create,
        learning_ner.NAME: learning_ner.create,
        stance_cues.NAME: stance_cues.create,
        stance_cues.NAME_V2: stance_cues.create_v2,
        stance_learned.NAME: stance_learned.create,
    }
)


def check_names(names: list[str]) -> None:
    for name in names:
        if name not in LABELLERS:
            raise UsageError(
                f"unknown labeller {name!r}; choose from {', '.join(sorted(LABELLERS))}"
            )


def create(name: str, context: LabellerContext) -> Labeller:
    check_names([name])
    return LABELLERS[name](context)
