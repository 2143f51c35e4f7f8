"""Automatic adjudication: settle what annotators already agree on, send the rest to review.

Per document there is one entity item and one stance item per target. An item's newest decision is
its state: a label (method `unanimous`, `majority` or `reviewer`) or `open` (waiting for a
reviewer). Decisions are append-only, so a new state is a new row naming the annotation revisions
it rests on. Rules:
- stance: every annotator chose the same label -> `unanimous`; one label chosen by at least
  `adjudication.majority` of them -> `majority`; otherwise `open`;
- entities: each span is gold, rejected or open under `entity_policy` (see spans.py); the item
  is `open` while any span is, keeping the gold ones, and a reviewer sees only the open spans;
- `weighted` policies: a Dawid-Skene model of every annotator's reliability (crowd-kit), fitted
  on all annotations, weighs the votes; the posterior goes into the decision's payload beside
  what majority would say, and below `min_posterior` the item goes to review;
- an even split (2-2) goes to `tie_breaker`: a reviewer (default), the pre-label's side or the
  most senior annotator's side (method `tie-prelabel` / `tie-senior`);
- an item a reviewer decided is never touched again by a rule;
- an item whose newest decision rests on the same revisions and says the same as now is
  skipped, so a re-run records only what new annotations or changed rules change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from curate.adjudicate.spans import Key, merge_spans
from curate.agreement import store_scores
from curate.agreement.data import load
from curate.config import Settings
from curate.domain.pseudonyms import namer
from curate.errors import UsageError
from curate.project import Project
from curate.quality.competence import Competence, estimate, require
from curate.records import Annotation, Decision, Prelabel
from curate.store import queries
from curate.store.current import HUMAN, OPEN, Item, current_decisions

AUTO = "curate-auto"


@dataclass
class AutoReport:
    documents: int = 0  # documents with enough annotators
    recomputed: int = 0  # of those, how many had new revisions
    pending: int = 0  # documents still waiting for annotators
    decided: Counter[str] = field(default_factory=Counter)  # method -> items
    kept_human: int = 0  # items a reviewer decided: left alone
    ties_to_review: int = 0  # even splits `tie_breaker` could not settle (sent to review)

    @property
    def opened(self) -> int:
        return self.decided[OPEN]


def require_known_labels(found: list[Annotation], settings: Settings, command: str) -> None:
    """Decisions only ever hold curate.toml's labels: refuse before anyone decides anything."""
    known = set(settings.entity_label_names())
    unknown = Counter(s.label for a in found for s in a.spans if s.label not in known)
    if unknown:
        listed = ", ".join(f"{label} ({n} spans)" for label, n in unknown.most_common())
        raise UsageError(
            f"annotations use entity labels that are not in curate.toml: {listed}; add them "
            "under [[entity_labels]] in curate.toml (or import the file again with `curate "
            f"import-ls FILE --adopt-labels`), then run `curate {command}` again"
        )


def seniors_by_stored_name(
    settings: Settings, annotators: set[str], shown_as: Callable[[str], str]
) -> list[str]:
    """`[adjudication] senior` as stored annotator names. A senior may be named as the reports
    show them (`shown_as`: the project's pseudonyms), by their curate.toml name or e-mail, or as
    stored; any other name is refused with the list of this project's annotators."""
    configured = {a.email.lower(): a.name for a in settings.annotators}
    aliases = {shown_as(name): name for name in annotators} | {name: name for name in annotators}
    aliases |= {email: name for email, name in configured.items() if name in annotators}
    found: list[str] = []
    unknown: list[str] = []
    for given in settings.adjudication.senior:
        name = aliases.get(given) or aliases.get(given.lower())
        (found if name else unknown).append(name or given)
    if unknown and annotators:
        listed = ", ".join(sorted(shown_as(name) for name in annotators)) or "none yet"
        raise UsageError(
            f"[adjudication] senior names annotators this project does not have: "
            f"{', '.join(unknown)}; its annotators (as the reports name them): {listed}. Use "
            "those names (or an [[annotators]] name from curate.toml) in curate.toml, then run "
            "`curate adjudicate --auto` again"
        )
    return found


def auto_adjudicate(
    connection: Connection,
    settings: Settings,
    guideline_version: str | None,
    shown_as: Callable[[str], str] = str,
) -> AutoReport:
    """shown_as: how reports name an annotator (the project's pseudonyms), so `senior` may use
    those names."""
    report = AutoReport()
    newest = queries.newest_evidence(connection)
    require_known_labels(newest, settings, "adjudicate --auto")
    seniors = seniors_by_stored_name(settings, {a.annotator for a in newest}, shown_as)
    by_document: dict[str, list[Annotation]] = {}
    for annotation in newest:
        if annotation.skipped_reason is None:
            by_document.setdefault(annotation.document_id, []).append(annotation)
    ready = {
        d: found
        for d, found in by_document.items()
        if len(found) >= settings.adjudication.min_annotators
    }
    report.documents, report.pending = len(ready), len(by_document) - len(ready)
    current = current_decisions(connection, sorted(ready))
    suggested = (
        queries.prelabels_for_many(connection, sorted(ready))
        if settings.adjudication.tie_breaker == "prelabel"
        else {}
    )
    recomputed = []
    competence = _competence(connection, settings)
    for document_id in sorted(ready):
        found = ready[document_id]
        based_on = tuple(sorted(a.id for a in found if a.id is not None))
        ties = TieRule(settings, found, suggested.get(document_id, []), seniors)
        posterior = (
            (lambda target, d=document_id: competence.stance_posterior(d, target))
            if competence is not None and settings.adjudication.stance_policy == "weighted"
            else None
        )
        proposals = _stance_proposals(found, settings, ties, posterior) + [
            _entity_proposal(found, settings, ties, competence)
        ]
        report.ties_to_review += ties.unsettled
        if _record(
            connection, document_id, proposals, current, based_on, guideline_version, report
        ):
            recomputed.append(document_id)
    report.recomputed = len(recomputed)
    if recomputed:
        store_scores(connection, load(connection, settings, recomputed))
    return report


Proposal = tuple[str, str | None, str, dict[str, Any], str]


def _record(
    connection: Connection,
    document_id: str,
    proposals: list[Proposal],
    current: dict[Item, Decision],
    based_on: tuple[int, ...],
    guideline_version: str | None,
    report: AutoReport,
) -> bool:
    """Record each proposal that changes what is decided (a human's decision is kept); True
    when any was recorded."""
    touched = False
    for kind, target, method, payload, reason in proposals:
        held = current.get((document_id, kind, target))
        if held is not None and held.method in HUMAN:
            report.kept_human += 1
            continue
        if held is not None and (held.based_on, held.method, held.payload) == (
            based_on,
            method,
            payload,
        ):
            continue  # same revisions, same rules: nothing to record
        touched = True
        report.decided[method] += 1
        queries.add_decision(
            connection,
            Decision(
                document_id=document_id,
                kind=kind,
                target=target,
                method=method,
                decided_by=AUTO,
                payload=payload,
                based_on=based_on,
                note=reason,
                guideline_version=guideline_version,
            ),
        )
    return touched


def _competence(connection: Connection, settings: Settings) -> Competence | None:
    """Fitted on every newest annotation, only when a policy needs it."""
    rules = settings.adjudication
    if "weighted" not in (rules.stance_policy, rules.entity_policy):
        return None
    require("a `weighted` policy in [adjudication]")
    return estimate(load(connection, settings))


class TieRule:
    """`[adjudication] tie_breaker` for one document: which side of an even split wins. A rule
    that cannot apply (no pre-label on either side, no senior among the annotators) settles
    nothing: the split goes to a reviewer and is counted in `unsettled`."""

    def __init__(
        self,
        settings: Settings,
        found: list[Annotation],
        suggested: list[Prelabel],
        seniors: list[str],
    ):
        self.rule = settings.adjudication.tie_breaker
        present = {a.annotator for a in found}
        self.senior = next((n for n in seniors if n in present), None)
        self.suggested = suggested
        self.unsettled = 0

    @property
    def active(self) -> bool:
        return self.rule != "review"

    def spans(self, tied: list[Key], voters: dict[Key, set[str]]) -> set[Key] | None:
        if self.rule == "senior":
            chosen = None if self.senior is None else {k for k in tied if self.senior in voters[k]}
        else:
            offered = {(p.start, p.end, p.label) for p in self.suggested if p.kind == "entity"}
            chosen = {key for key in tied if key in offered} or None
        self.unsettled += chosen is None
        return chosen

    def stance(self, target: str, labels: list[str], found: list[Annotation]) -> str | None:
        if self.rule == "senior":
            chosen = [
                s.label
                for a in found
                if a.annotator == self.senior
                for s in a.stances
                if s.target == target
            ]
        else:
            offered = [p for p in self.suggested if p.kind == "stance" and p.target == target]
            offered.sort(key=lambda p: -(p.score or 0))
            chosen = [p.label for p in offered[:1]]
        side = chosen[0] if chosen and chosen[0] in labels else None
        self.unsettled += side is None
        return side


def _stance_proposals(
    found: list[Annotation],
    settings: Settings,
    ties: TieRule,
    posterior_of: Callable[[str], dict[str, float]] | None = None,
) -> list[Proposal]:
    proposals: list[Proposal] = []
    for target in settings.target_names():
        # A stance outside curate.toml's labels (possible in imports) never becomes gold.
        known = settings.stance.labels
        votes = Counter(
            s.label for a in found for s in a.stances if s.target == target and s.label in known
        )
        voters = sum(votes.values())
        if voters < settings.adjudication.min_annotators:
            continue  # too few annotators gave this target a stance to settle it
        tally = ", ".join(f"{label} {n}" for label, n in votes.most_common())
        (top, count), *rest = votes.most_common()
        bar = settings.adjudication.majority
        wins = bool(rest) and count / voters >= bar and count > rest[0][1]  # majority's winner
        posterior = (
            {k: v for k, v in posterior_of(target).items() if k in known} if posterior_of else {}
        )
        if not rest:
            proposals.append(
                ("stance", target, "unanimous", {"label": top}, f"all {voters} chose {top}")
            )
        elif posterior:
            majority = top if wins else None
            proposals.append(_weighted_stance(target, posterior, majority, tally, settings))
        elif wins:
            reason = f"{count} of {voters} chose {top} ({tally})"
            proposals.append(("stance", target, "majority", {"label": top}, reason))
        elif (
            ties.active
            and len(rest) == 1
            and count == rest[0][1]
            and (side := ties.stance(target, [top, rest[0][0]], found)) is not None
        ):
            method = f"tie-{ties.rule}"
            reason = f"even split ({tally}) settled by {ties.rule}: {side}"
            proposals.append(("stance", target, method, {"label": side}, reason))
        else:
            proposals.append(("stance", target, OPEN, {"label": None}, f"split: {tally}"))
    return proposals


def _weighted_stance(
    target: str,
    posterior: dict[str, float],
    majority: str | None,
    tally: str,
    settings: Settings,
) -> Proposal:
    best = max(posterior, key=lambda label: posterior[label])
    chance = posterior[best]
    said = f"weighted vote {best} {chance:.2f}; majority {majority or 'none'} ({tally})"
    payload: dict[str, Any] = {"posterior": posterior, "majority": majority}
    if chance >= settings.adjudication.min_posterior:
        return "stance", target, "weighted", {"label": best} | payload, said
    return "stance", target, OPEN, {"label": None} | payload, f"too close: {said}"


def _entity_proposal(
    found: list[Annotation], settings: Settings, ties: TieRule, competence: Competence | None
) -> Proposal:
    rules = settings.adjudication
    weights = competence.entity_weights() if competence is not None else None
    merge = merge_spans(found, rules, ties.spans if ties.active else None, weights)
    payload: dict[str, Any] = {"spans": merge.gold, "policy": rules.entity_policy}
    if merge.rejected:
        payload["rejected"] = merge.rejected
    counts = f"{len(merge.gold)} gold, {len(merge.rejected)} rejected"
    if merge.open:
        payload["open"] = merge.open
        reason = f"{counts}, {len(merge.open)} open under the {rules.entity_policy} policy"
        return "entity", None, OPEN, payload, reason
    unanimous = not merge.rejected and all(s["method"] == "unanimous" for s in merge.gold)
    reason = f"{counts} of {merge.annotators} annotators' spans ({rules.entity_policy} policy)"
    weighted = any("posterior" in s for s in merge.gold + merge.rejected)
    tied = any(s.get("method", "").startswith("tie-") for s in merge.gold + merge.rejected)
    method = "unanimous" if unanimous else ("weighted" if weighted else "majority")
    if tied:
        method = f"tie-{rules.tie_breaker}"  # a tie rule, not the votes, settled part of it
    return "entity", None, method, payload, reason


def adjudicate_project(connection: Connection, project: Project) -> AutoReport:
    """`curate adjudicate --auto` for a project: its settings, guideline version, and seniors
    named as its reports name them."""
    return auto_adjudicate(
        connection,
        project.settings,
        project.guideline_version(),
        namer(project.root, real_names=False),
    )


def describe(report: AutoReport) -> dict[str, Any]:
    return asdict(report) | {"decided": dict(report.decided)}
