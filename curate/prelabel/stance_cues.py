"""stance-cues.v1: a transparent baseline for stance per target.

For each target, find its mentions (name and aliases from curate.toml, case-sensitive, whole
words). In each sentence with a mention, count favourable and hostile cue words (words inside
quotation marks count 1.5: quoted speakers carry most stance in news); in the sentences just before
and after, count only quoted cue words, at half weight. Then:
  no mention               -> none, score 0.9
  mentions, no cue words   -> neutral, score 0.4
  otherwise polarity p = (favour - hostile) / (favour + hostile), strength s = total / (total + 2):
  favor / against when |p| >= 1/3 with score |p|·s, else neutral with score (1 - |p|)·s.
Suggestions scoring below prelabel.stance_threshold are withheld (the labeller abstains).

stance-cues.v2 abstains as well where v1 guessed from absence: when the target is not mentioned
(v1: none) and when no cue word is found (v1: neutral). It only speaks when it found evidence.

Limits: it does not know who holds the stance toward whom ("Iran accused the US of a crime"
counts against both), misses irony, negation ("not a threat") and cues outside its word lists,
and the word lists are English news vocabulary written for the seeds' topics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from curate.config import StanceTarget
from curate.prelabel.base import LabellerContext, short_hash
from curate.records import Document, Prelabel

NAME = "stance-cues.v1"
NAME_V2 = "stance-cues.v2"
FAVOUR = frozenset(
    """
praise praised praises hail hailed hero heroes heroic martyr martyrdom support supported supports
welcome welcomed welcomes ally allies commitment committed reassure reassured defend defended
defends victory victorious strengthen strengthened strong stronger success successful good
cooperation cooperate partner partners prosperity hope honour honor appreciated appreciation
""".split()
)
HOSTILE = frozenset(
    """
crime crimes criminal kill killed killing killers assassination assassinating accuse accused
accuses accusation accusations condemn condemned threat threats threatened threaten terrorist
terrorism malign destabilizing destabilize aggression enemy enemies retaliation retribution
revenge unlawful violation sanction sanctions punish punishment blame blamed insecurity
dictator corruption satans satan warn warned hostile meaningless worthless trivial strike
lashed demand demanded demands pressure pressuring crisis crises forgotten dustbin
""".split()
)
QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“‘A-Z])|\n+")
WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class StanceGuess:
    label: str
    score: float


NO_MENTION, NO_CUES = StanceGuess("none", 0.9), StanceGuess("neutral", 0.4)


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def _mention_pattern(target: StanceTarget) -> re.Pattern[str]:
    forms = sorted({target.name, *target.aliases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)")


def _cues(text: str, weight: float) -> tuple[float, float]:
    words = [w.lower() for w in WORD.findall(text)]
    favour = sum(weight for w in words if w in FAVOUR)
    hostile = sum(weight for w in words if w in HOSTILE)
    return favour, hostile


def _sentence_cues(sentence: str, quoted_weight: float, plain_weight: float) -> tuple[float, float]:
    quoted = " ".join(QUOTE.findall(sentence))
    plain = QUOTE.sub(" ", sentence)
    qf, qh = _cues(quoted, quoted_weight)
    pf, ph = _cues(plain, plain_weight)
    return qf + pf, qh + ph


def guess(text: str, target: StanceTarget) -> StanceGuess:
    mention = _mention_pattern(target)
    parts = sentences(text)
    near: set[int] = set()
    mentioned = [i for i, s in enumerate(parts) if mention.search(s)]
    if not mentioned:
        return NO_MENTION
    favour = hostile = 0.0
    for i in mentioned:
        f, h = _sentence_cues(parts[i], 1.5, 1.0)
        favour, hostile = favour + f, hostile + h
        near.update({i - 1, i + 1})
    for i in sorted(near - set(mentioned)):
        if 0 <= i < len(parts):
            f, h = _sentence_cues(parts[i], 0.5, 0.0)
            favour, hostile = favour + f, hostile + h
    total = favour + hostile
    if total == 0:
        return NO_CUES
    polarity, strength = (favour - hostile) / total, total / (total + 2)
    if abs(polarity) >= 1 / 3:
        label = "favor" if polarity > 0 else "against"
        return StanceGuess(label, round(abs(polarity) * strength, 4))
    return StanceGuess("neutral", round((1 - abs(polarity)) * strength, 4))


class StanceCues:
    def __init__(
        self,
        targets: Sequence[StanceTarget],
        labels: Sequence[str],
        threshold: float,
        name: str = NAME,
    ):
        self.name = name
        self.abstain_without_evidence = name == NAME_V2
        self.targets, self.threshold = list(targets), threshold
        self.labels = set(labels)
        described = repr([(t.name, sorted(t.aliases)) for t in self.targets])
        self.version = f"{name}+{short_hash(described, str(threshold))}"

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        suggestions = []
        for document in documents:
            for target in self.targets:
                found = guess(document.text, target)
                if self.abstain_without_evidence and found in (NO_MENTION, NO_CUES):
                    continue
                if found.score >= self.threshold and found.label in self.labels:
                    suggestions.append(
                        Prelabel(
                            document.id,
                            "stance",
                            found.label,
                            self.version,
                            found.score,
                            target=target.name,
                        )
                    )
        return suggestions


def create(context: LabellerContext, name: str = NAME) -> StanceCues:
    settings = context.settings
    return StanceCues(
        settings.stance.targets, settings.stance.labels, settings.prelabel.stance_threshold, name
    )


def create_v2(context: LabellerContext) -> StanceCues:
    return create(context, NAME_V2)
