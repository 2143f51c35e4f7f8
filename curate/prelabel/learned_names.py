"""spacy-ner.v2's learned names: gold names seen at least MIN_COUNT times, always with the same
label, that are no bare number, stop word or too short, not in the curated gazetteer, and
labelled at MIN_PRECISION or more of their occurrences in the gold texts ("deputy" labelled twice
but written forty times would be wrong most of the time). Names of a label are kept only if,
filling the model's gaps on the dev documents, more of them are right than wrong there."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from curate.prelabel.base import LabellerContext
from curate.prelabel.gazetteer import Entry, Gazetteer, read_gazetteer
from curate.prelabel.ner_model import GoldText, model_labels
from curate.prelabel.spacy_ner import SpacyNer

MIN_COUNT = 2  # a name gold labelled once may be a one-off
MIN_LENGTH = 3  # "An", "3": shorter names are learned only as acronyms ("EU", "UN")
MIN_PRECISION = 0.5  # of a name's occurrences in the gold texts, the share gold labelled so
ACRONYM = re.compile(r"^[A-Z]{2,}$")


@dataclass
class NameLearning:
    learned: list[tuple[str, str]] = field(default_factory=list)  # (name, label) kept
    candidates: list[str] = field(default_factory=list)  # names that passed the gold checks
    refused: Counter[str] = field(default_factory=Counter)  # why a gold name was refused
    unhelpful_labels: list[str] = field(default_factory=list)  # labels dropped on dev


def learn_names(
    context: LabellerContext, gold: list[GoldText], dev: list[GoldText], model: Path | None
) -> NameLearning:
    """The gold names worth suggesting (see the module's docstring), checked on dev against
    the entity model `model` (None: the installed pipeline)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    result = NameLearning()
    known = set()
    if context.gazetteer_path.is_file():
        entries = read_gazetteer(context.gazetteer_path, context.settings.entity_label_names())
        known = {form for entry in entries for form in entry.forms}
    labels: dict[str, Counter[str]] = {}
    for item in gold:
        for span in item.spans:
            labels.setdefault(span.text, Counter())[span.label] += 1
    candidates = {}
    for text, counts in sorted(labels.items()):
        why = refusal(text, set(STOP_WORDS))
        if text in known or text.strip() != text or not text:
            continue
        if why is None and len(counts) > 1:
            why = "gold gave it different labels"
        if why is None and sum(counts.values()) < MIN_COUNT:
            why = f"seen fewer than {MIN_COUNT} times"
        if why is not None:
            result.refused[why] += 1
        else:
            candidates[text] = counts
    written = occurrences(list(candidates), [g.text for g in gold])
    learned = []
    for text, counts in candidates.items():
        if sum(counts.values()) < MIN_PRECISION * written[text]:
            result.refused[f"labelled in under {MIN_PRECISION:.0%} of its uses"] += 1
        else:
            learned.append((text, counts.most_common(1)[0][0]))
    result.candidates = [text for text, _ in learned]
    result.learned, result.unhelpful_labels = helpful_on_dev(context, learned, dev, model)
    return result


def refusal(name: str, stop_words: set[str]) -> str | None:
    """Why a gold name must not become a pattern, or None when it may."""
    if not any(c.isalpha() for c in name):
        return "no letters (numbers, dates)"
    if all(word.casefold() in stop_words for word in name.split()):
        return "stop words"
    if len(name) < MIN_LENGTH and not ACRONYM.match(name):
        return f"shorter than {MIN_LENGTH} characters"
    return None


def occurrences(names: list[str], texts: list[str]) -> Counter[str]:
    """How often each name is written in the texts, as whole tokens (spaCy's PhraseMatcher)."""
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab)
    for name in names:
        matcher.add(name, [nlp.make_doc(name)])
    found: Counter[str] = Counter()
    for doc in nlp.pipe(texts):
        for match_id, _, _ in matcher(doc):
            found[nlp.vocab.strings[match_id]] += 1
    return found


def helpful_on_dev(
    context: LabellerContext,
    learned: list[tuple[str, str]],
    dev: list[GoldText],
    model: Path | None,
) -> tuple[list[tuple[str, str]], list[str]]:
    """(names kept, labels dropped): a label's names stay only when, filling the model's gaps
    on the dev documents, they add more right spans (exact, gold's) than wrong ones; so they
    raise that label's F1 there, and a label with no evidence on dev is dropped."""

    if not learned or not dev:
        return [], sorted({label for _, label in learned})
    settings = context.settings
    if model is not None:
        labels = model_labels(model, settings.entity_label_names())
        ner = SpacyNer([str(model / "model")], labels, None, settings.prelabel.batch_size)
    else:
        prelabel = settings.prelabel
        ner = SpacyNer(prelabel.spacy_models, prelabel.label_map, None, prelabel.batch_size)
    texts = [g.text for g in dev]
    found = ner.entities(texts)
    names = Gazetteer([Entry(text, label, ()) for text, label in learned], "dev")
    matches = list(names.spans(texts))
    gold = {(g.id, s.start, s.end, s.label) for g in dev for s in g.spans}
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for item, spans, hits in zip(dev, found, matches, strict=True):
        taken = [(a, b) for a, b, lab, _ in spans if ner.label_map.get(lab)]
        for a, b, label, _ in hits:
            if all(b <= x or y <= a for x, y in taken):  # a gap the model left
                counts = right if (item.id, a, b, label) in gold else wrong
                counts[label] += 1
    dropped = sorted(label for label in {lab for _, lab in learned} if right[label] <= wrong[label])
    return [(t, lab) for t, lab in learned if lab not in dropped], dropped
