"""Span-level merge: which of the annotators' spans become gold, which are rejected, and which
go to a reviewer, under the `[adjudication] entity_policy` of curate.toml.

A candidate is one (start, end, label) and its votes are the annotators who marked exactly it.
- strict: gold with `entity_min_annotators` votes, otherwise open;
- threshold: gold with `entity_min_annotators` votes; otherwise open when its share of the
  document's annotators reaches `entity_review_floor`, else rejected;
- majority: as threshold, with the `majority` share in place of the vote count;
- weighted: every annotator of the document votes for or against the candidate with the weight
  log(p/(1-p)) of their competence p; the posterior (the logistic of the sum) decides: gold at
  `min_posterior` or above, rejected at 1 - `min_posterior` or below, open between. Of
  overlapping gold candidates the most probable stays and the others are rejected (open if
  equally probable). Without competence figures (too few annotators to fit) it is majority.
An even split (a candidate marked by exactly half of the document's annotators, every open
candidate of its cluster alike) goes to `tie_breaker` when one is set: it names the tied
candidates that become gold (method `tie-<rule>`), the rest of them are rejected; None leaves
them open. Two rules keep a reviewer in the loop where the votes alone would decide wrongly:
- gold candidates that overlap and that no annotator marked together compete: both go open;
- where candidates overlap and none is gold, but at least the floor share of annotators marked
  something there (they agree there is a name, not where it ends), the characters vote: when
  no character is a tie (its best label short of the bar but at or above the floor) and the
  characters that reach the bar with one label form exactly annotators' spans, those spans
  are gold and the rest rejected; otherwise all of them go open.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from curate.config import AdjudicationSettings
from curate.records import Annotation

Key = tuple[int, int, str]  # start, end, label
# Tied candidates and who marked each -> the ones that become gold, or None (a reviewer decides).
TieBreaker = Callable[[list[Key], dict[Key, set[str]]], set[Key] | None]


@dataclass
class SpanMerge:
    gold: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    annotators: int = 0


def merge_spans(
    found: Sequence[Annotation],
    rules: AdjudicationSettings,
    tie_breaker: TieBreaker | None = None,
    weights: Mapping[str, float] | None = None,
) -> SpanMerge:
    everyone = len(found)
    weighted = rules.entity_policy == "weighted" and bool(weights)
    if rules.entity_policy == "weighted" and not weights:
        rules = rules.model_copy(update={"entity_policy": "majority"})
    voters: dict[Key, set[str]] = defaultdict(set)
    texts: dict[Key, str] = {}
    for annotation in found:
        for span in annotation.spans:
            key = (span.start, span.end, span.label)
            voters[key].add(annotation.annotator)
            texts[key] = span.text
    merge = SpanMerge(annotators=everyone)
    posteriors: dict[Key, float] = {}
    people = [a.annotator for a in found]
    for cluster in _overlap_clusters(sorted(voters)):
        if weighted:
            assert weights is not None
            posteriors |= {key: _posterior(voters[key], people, weights) for key in cluster}
            verdicts = _weighted_verdicts(cluster, posteriors, rules.min_posterior)
        else:
            verdicts = _counted_verdicts(cluster, voters, everyone, rules, tie_breaker)
        _record(merge, cluster, verdicts, voters, texts, everyone, rules, posteriors)
    return merge


def _counted_verdicts(
    cluster: list[Key],
    voters: dict[Key, set[str]],
    everyone: int,
    rules: AdjudicationSettings,
    tie_breaker: TieBreaker | None,
) -> dict[Key, str]:
    verdicts = {key: _verdict(len(voters[key]), everyone, rules) for key in cluster}
    _open_competing_gold(cluster, verdicts, voters)
    marked_here = set().union(*(voters[key] for key in cluster))
    if (
        rules.entity_policy != "strict"
        and "gold" not in verdicts.values()
        and len(marked_here) / everyone >= rules.entity_review_floor
    ):
        verdicts = _settle_by_characters(cluster, voters, everyone, rules)
    if tie_breaker is not None:
        _break_tie(cluster, verdicts, voters, everyone, tie_breaker)
    return verdicts


def _record(
    merge: SpanMerge,
    cluster: list[Key],
    verdicts: dict[Key, str],
    voters: dict[Key, set[str]],
    texts: dict[Key, str],
    everyone: int,
    rules: AdjudicationSettings,
    posteriors: dict[Key, float],
) -> None:
    for key in cluster:
        start, end, label = key
        votes = len(voters[key])
        record: dict[str, Any] = {
            "start": start,
            "end": end,
            "label": label,
            "text": texts[key],
            "votes": votes,
        }
        if key in posteriors:
            record["posterior"] = round(posteriors[key], 4)
        if verdicts[key] == "gold":
            if votes == everyone:
                method = "unanimous"
            else:
                method = "weighted" if key in posteriors else "majority"
            merge.gold.append(record | {"method": method})
        elif verdicts[key] == "tie":
            merge.gold.append(record | {"method": f"tie-{rules.tie_breaker}"})
        elif verdicts[key] == "open":
            merge.open.append(record)
        elif verdicts[key] == "tie-rejected":
            merge.rejected.append(record | {"method": f"tie-{rules.tie_breaker}"})
        else:
            merge.rejected.append(record)


def _posterior(marked: set[str], people: list[str], weights: Mapping[str, float]) -> float:
    """Logistic of the competence-weighted votes for minus those against (everyone who
    labelled the document and did not mark it voted against)."""
    score = sum(weights.get(p, 0.0) * (1 if p in marked else -1) for p in people)
    return 1 / (1 + math.exp(-score))


def _weighted_verdicts(
    cluster: list[Key], posteriors: dict[Key, float], min_posterior: float
) -> dict[Key, str]:
    verdicts = {}
    for key in cluster:
        p = posteriors[key]
        verdicts[key] = (
            "gold" if p >= min_posterior else ("rejected" if p <= 1 - min_posterior else "open")
        )
    kept: list[Key] = []
    for key in sorted((k for k in cluster if verdicts[k] == "gold"), key=lambda k: -posteriors[k]):
        rival = next((k for k in kept if k[0] < key[1] and key[0] < k[1]), None)
        if rival is None:
            kept.append(key)
        elif posteriors[rival] == posteriors[key]:
            verdicts[key] = verdicts[rival] = "open"
        else:
            verdicts[key] = "rejected"
    return verdicts


def _break_tie(
    cluster: list[Key],
    verdicts: dict[Key, str],
    voters: dict[Key, set[str]],
    everyone: int,
    tie_breaker: TieBreaker,
) -> None:
    tied = [key for key in cluster if verdicts[key] == "open"]
    if not tied or any(2 * len(voters[key]) != everyone for key in tied):
        return  # nothing open, or not an even split: a reviewer decides
    chosen = tie_breaker(tied, voters)
    gold = [key for key in cluster if verdicts[key] == "gold"] + sorted(chosen or ())
    if chosen is None or any(
        a[0] < b[1] and b[0] < a[1] for i, a in enumerate(gold) for b in gold[i + 1 :]
    ):
        return  # no side to take, or the chosen side overlaps gold: a reviewer decides
    for key in tied:
        verdicts[key] = "tie" if key in chosen else "tie-rejected"


def _verdict(votes: int, everyone: int, rules: AdjudicationSettings) -> str:
    share = votes / everyone
    if rules.entity_policy == "majority":
        accepted = share >= rules.majority
    else:
        accepted = votes >= rules.entity_min_annotators
    if accepted:
        return "gold"
    if rules.entity_policy == "strict" or share >= rules.entity_review_floor:
        return "open"
    return "rejected"


def _overlap_clusters(keys: list[Key]) -> list[list[Key]]:
    """Candidates sorted by start, grouped where they overlap (transitively)."""
    clusters: list[list[Key]] = []
    reach = -1
    for key in keys:
        if clusters and key[0] < reach:
            clusters[-1].append(key)
            reach = max(reach, key[1])
        else:
            clusters.append([key])
            reach = key[1]
    return clusters


def _open_competing_gold(
    cluster: list[Key], verdicts: dict[Key, str], voters: dict[Key, set[str]]
) -> None:
    gold = [key for key in cluster if verdicts[key] == "gold"]
    for i, a in enumerate(gold):
        for b in gold[i + 1 :]:
            overlap = a[0] < b[1] and b[0] < a[1]
            if overlap and not voters[a] & voters[b]:
                verdicts[a] = verdicts[b] = "open"


def _settle_by_characters(
    cluster: list[Key], voters: dict[Key, set[str]], everyone: int, rules: AdjudicationSettings
) -> dict[Key, str]:
    low, high = min(k[0] for k in cluster), max(k[1] for k in cluster)
    floor = rules.entity_review_floor
    votes: list[Counter[str]] = [Counter() for _ in range(high - low)]
    for start, end, label in cluster:
        for position in range(start - low, end - low):
            votes[position][label] += len(voters[(start, end, label)])
    passing = [_passing_label(count, everyone, rules) for count in votes]
    tied = any(
        label is None and count and count.most_common(1)[0][1] / everyone >= floor
        for label, count in zip(passing, votes, strict=True)
    )
    if tied:
        return dict.fromkeys(cluster, "open")  # some characters split the annotators evenly
    runs = [
        (low + first, low + first + len(group), label)
        for label, group, first in _runs(passing)
        if label is not None
    ]
    if not runs or any(run not in voters for run in runs):
        return dict.fromkeys(cluster, "open")
    return {key: "gold" if key in runs else "rejected" for key in cluster}


def _passing_label(count: Counter[str], everyone: int, rules: AdjudicationSettings) -> str | None:
    if not count:
        return None
    label, votes = count.most_common(1)[0]
    if rules.entity_policy == "majority":
        return label if votes / everyone >= rules.majority else None
    return label if votes >= rules.entity_min_annotators else None


def _runs(values: list[str | None]) -> Iterator[tuple[str | None, list[str | None], int]]:
    first = 0
    for value, group in groupby(values):
        items = list(group)
        yield value, items, first
        first += len(items)
