"""How reliable each annotator is, estimated from the labels alone with Dawid and Skene's model
(crowd-kit's `DawidSkene`: a confusion matrix per annotator, fitted by EM).

crowd-kit is the optional extra `curate[quality]` (it brings transformers with it): without it
the reports leave competence out and say how to install it, and a `weighted` policy is refused.

Stance: a task is one (document, target), its labels the stances given. Entities: a task is one
token that some annotator of its document tagged, its labels the BIO tags (O where an annotator
of the document left it untagged); tokens nobody tagged carry no disagreement and are left out.
An annotator's competence is the model's expected accuracy: the prior of each true label times
the chance they give that label when it is true, summed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from typing import TYPE_CHECKING

import numpy as np

from curate.agreement.data import MISSING, AgreementData
from curate.agreement.tokens import TokenIndex
from curate.errors import UsageError

if TYPE_CHECKING:  # pandas only shapes crowd-kit's input: loaded when a fit runs
    import pandas as pd

INSTALL = "pip install 'curate[quality]'"
ITERATIONS = 100
# Seeded samples keep a fit to seconds on 100,000 documents: stance tasks when only competence
# is wanted (no posterior per task), and documents whose tokens the entity fit reads.
SAMPLE_TASKS = 50_000
SAMPLE_DOCUMENTS = 2_000


def installed() -> bool:
    return importlib.util.find_spec("crowdkit") is not None


def model_name() -> str:
    """What the reports name as the competence model, or how to get it."""
    if not installed():
        return f"not estimated: Dawid-Skene needs crowd-kit (`{INSTALL}`)"
    return f"Dawid-Skene (crowd-kit {version('crowd-kit')})"


def require(setting: str) -> None:
    """Refuse a setting that needs the fit when crowd-kit is missing."""
    if not installed():
        raise UsageError(
            f"{setting} needs annotator competence (Dawid-Skene, from crowd-kit), which is not "
            f"installed: run `{INSTALL}`, or choose another policy in curate.toml"
        )


@dataclass(frozen=True)
class Fit:
    """One Dawid-Skene fit: competence per annotator and each task's posterior."""

    competence: dict[str, float] = field(default_factory=dict)
    posteriors: pd.DataFrame | None = None  # task x label


def dawid_skene(labels: pd.DataFrame, sample: int | None = None) -> Fit:
    """labels: columns task, worker, label. Needs two annotators or more to say anything.
    sample: fit on at most this many tasks, drawn with a fixed seed."""
    from crowdkit.aggregation import DawidSkene

    if labels.empty or labels["worker"].nunique() < 2:
        return Fit()
    tasks = labels["task"].unique()
    if sample is not None and len(tasks) > sample:
        chosen = np.random.default_rng(0).choice(tasks, sample, replace=False)
        labels = labels[labels["task"].isin(chosen)]
    model = DawidSkene(n_iter=ITERATIONS).fit(labels)
    errors, priors = model.errors_, model.priors_
    assert errors is not None and priors is not None and model.probas_ is not None
    competence = {}
    for worker, rows in errors.groupby(level=0):
        confusion = rows.droplevel(0)
        hit = [
            priors[label] * confusion.at[label, label]
            for label in priors.index
            if label in confusion.index
        ]
        competence[str(worker)] = round(float(sum(hit)), 4)
    return Fit(competence, model.probas_)


def stance_labels(data: AgreementData) -> pd.DataFrame:
    """(task, worker, label) for every stance given; task = (document, target) as one string."""
    import pandas as pd

    target, document, coder = np.nonzero(data.stances != MISSING)
    codes = data.stances[target, document, coder]
    return pd.DataFrame(
        {
            "task": [
                f"{data.documents[d]}\t{data.targets[t]}"
                for d, t in zip(document, target, strict=True)
            ],
            "worker": np.asarray(data.coders, object)[coder],
            "label": np.asarray(data.stance_labels, object)[codes],
        }
    )


def token_labels(data: AgreementData, sample: int | None = None) -> pd.DataFrame:
    """(task, worker, label) on tokens some annotator tagged: task = token number, label the
    BIO tag number (0 = O); sample: tokens of at most this many documents labelled twice or
    more, drawn with a fixed seed (tokenizing every text of a large corpus costs seconds)."""
    import pandas as pd

    shared = np.flatnonzero(data.labelled.sum(axis=1) >= 2)
    if sample is not None and len(shared) > sample:
        shared = np.sort(np.random.default_rng(0).choice(shared, sample, replace=False))
    chosen = np.zeros(len(data.documents), bool)
    chosen[shared] = True
    position = np.cumsum(chosen) - 1  # document index -> index among the chosen
    tokens = TokenIndex([data.texts[d] for d in shared])
    token_documents = shared[tokens.token_documents()]
    tags = []
    for c in range(len(data.coders)):
        spans = data.coder_spans(c, chosen & data.labelled[:, c])
        tags.append(tokens.dense_tags(replace(spans, doc=position[spans.doc])))
    tagged = np.zeros(len(token_documents), bool)
    for dense in tags:
        tagged |= dense > 0
    where = np.flatnonzero(tagged)
    frames = [pd.DataFrame(columns=["task", "worker", "label"])]
    for c, dense in enumerate(tags):
        mine = where[data.labelled[token_documents[where], c]]
        frames.append(
            pd.DataFrame(
                {"task": mine, "worker": data.coders[c], "label": dense[mine].astype(np.int64)}
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Competence:
    stance: Fit
    entities: Fit

    def entity_weights(self) -> dict[str, float]:
        """Each annotator's vote on a span, log(p / (1 - p)) of their entity competence: the
        weighted vote that is most often right when annotators err independently."""
        weights = {}
        for name, competence in self.entities.competence.items():
            p = min(max(competence, 0.01), 0.99)  # a perfect score would outvote everyone
            weights[name] = float(np.log(p / (1 - p)))
        return weights

    def stance_posterior(self, document_id: str, target: str) -> dict[str, float]:
        task = f"{document_id}\t{target}"
        found = self.stance.posteriors
        if found is None or task not in found.index:
            return {}
        row = found.loc[task]
        return {str(label): round(float(p), 4) for label, p in row.items() if p > 0.00005}


def estimate(data: AgreementData, posteriors: bool = True) -> Competence:
    """Both fits (empty without crowd-kit). Entity competence comes from a sample of documents;
    stance is fitted on every task, or with posteriors False (competence only) on a sample."""
    if not installed():
        return Competence(Fit(), Fit())
    sample = None if posteriors else SAMPLE_TASKS
    return Competence(
        dawid_skene(stance_labels(data), sample),
        dawid_skene(token_labels(data, SAMPLE_DOCUMENTS)),
    )
