"""Span-level merge: which of the annotators' spans become gold, which are rejected, and which
go to a reviewer, under the `[adjudication] entity_policy` of curate.toml.

A candidate is one (start, end, label) and its votes are the annotators who marked exactly it.
- strict: gold with `entity_min_annotators` votes, otherwise open;
- threshold: gold with `entity_min_annotators` votes; otherwise open when its share of the
  document's annotators reaches `entity_review_floor`, else rejected;
- majority: as threshold, with the `majority` share in place of the vote count.
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

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
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
) -> SpanMerge:
    everyone = len(found)
    voters: dict[Key, set[str]] = defaultdict(set)
    texts: dict[Key, str] = {}
    for annotation in found:
        for span in annotation.spans:
            key = (span.start, span.end, span.label)
            voters[key].add(annotation.annotator)
            texts[key] = span.text
    merge = SpanMerge(annotators=everyone)
    for cluster in _overlap_clusters(sorted(voters)):
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
        for key in cluster:
            start, end, label = key
            votes = len(voters[key])
            record = {
                "start": start,
                "end": end,
                "label": label,
                "text": texts[key],
                "votes": votes,
            }
            if verdicts[key] == "gold":
                method = "unanimous" if votes == everyone else "majority"
                merge.gold.append(record | {"method": method})
            elif verdicts[key] == "tie":
                merge.gold.append(record | {"method": f"tie-{rules.tie_breaker}"})
            elif verdicts[key] == "open":
                merge.open.append(record)
            else:
                merge.rejected.append(record)
    return merge


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
        verdicts[key] = "tie" if key in chosen else "rejected"


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
