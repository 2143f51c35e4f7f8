"""A labelling project with a known truth: documents with true names and stances, and
annotators who err at set rates (one of them a spammer who labels at random). The quality
tests read it through the real store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curate.records import Annotation, Document, Span, StanceLabel
from curate.store import Store, queries

TEMPLATE = Path(__file__).parents[1] / "curate" / "templates" / "curate.toml"
LABELS = ["PERSON", "ORG", "GPE"]
STANCES = ["favor", "against", "neutral", "none"]
SLOTS = 6  # name-like words per document, each a true name or not
ERRORS = {"ann": 0.1, "ben": 0.2, "cat": 0.3, "dan": 0.35, "spam": None}  # None: at random


@dataclass(frozen=True)
class Truth:
    documents: list[Document]
    spans: dict[str, set[tuple[int, int, str]]]
    stances: dict[str, str]  # target Iran


def project_toml(root: Path, **adjudication: object) -> None:
    """The template curate.toml with the five simulated annotators and these rules (and the
    guidelines it names: a project without its guidelines file is refused)."""
    text = TEMPLATE.read_text("utf-8")
    guidelines = TEMPLATE.with_name("guidelines.md")
    (root / "guidelines.md").write_text(guidelines.read_text("utf-8"), encoding="utf-8")
    people = "".join(f'[[annotators]]\nname = "{n}"\nemail = "{n}@example.org"\n\n' for n in ERRORS)
    start = text.index("[[annotators]]")
    text = text[:start] + people + text[text.index("[assignment]") :]
    for key, value in adjudication.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        lines[at] = f"{key} = {rendered}"
        text = "\n".join(lines) + "\n"
    (root / "curate.toml").write_text(text, encoding="utf-8")


def truth(documents: int, seed: int = 7) -> Truth:
    rng = np.random.default_rng(seed)
    docs, spans, stances = [], {}, {}
    for n in range(documents):
        words = [f"Name{n}x{k}" for k in range(SLOTS)]
        text = f"Report {n}. " + " and ".join(words) + " met in Tehran."
        document = Document(text=text, title=f"report {n}")
        marked = set()
        for word in words:
            if rng.random() < 0.5:
                start = text.index(word)
                marked.add((start, start + len(word), str(rng.choice(LABELS))))
        docs.append(document)
        spans[document.id] = marked
        stances[document.id] = str(rng.choice(STANCES))
    return Truth(docs, spans, stances)


def labels_of(
    who: str, document: Document, known: Truth, rng: np.random.Generator
) -> tuple[tuple[Span, ...], tuple[StanceLabel, ...]]:
    """One annotator's labels: right with probability 1 - error, otherwise a wrong label, a
    missed name or a name that is none; the spammer labels every slot at random."""
    error = ERRORS[who]
    true_spans = {(s, e): label for s, e, label in known.spans[document.id]}
    spans = []
    for k in range(SLOTS):
        word = f"Name{document.title.split()[-1]}x{k}"
        start = document.text.index(word)
        place = (start, start + len(word))
        label = true_spans.get(place)
        if error is None:
            given = str(rng.choice(LABELS)) if rng.random() < 0.5 else None
        elif rng.random() >= error:
            given = label
        elif label is None:
            given = str(rng.choice(LABELS))
        else:
            given = (
                None if rng.random() < 0.5 else str(rng.choice([x for x in LABELS if x != label]))
            )
        if given is not None:
            spans.append(Span(*place, given, word))
    stance = known.stances[document.id]
    if error is None:
        said = str(rng.choice(STANCES))
    elif rng.random() >= error:
        said = stance
    else:
        said = str(rng.choice([s for s in STANCES if s != stance]))
    return tuple(spans), (StanceLabel("Iran", said),)


def fill(store: Store, known: Truth, seed: int = 11) -> None:
    """Every annotator labels every document (one revision each)."""
    fill_some(store, known, len(known.documents), seed)


def scores(store: Store, known: Truth) -> tuple[float, float]:
    """(entity F1 of gold against the truth, stance accuracy); items left open count as wrong."""
    tp = fp = fn = right = 0
    with store.connect() as connection:
        entities = queries.gold_entities(connection)
        stances = queries.gold_stances(connection)
    for document in known.documents:
        gold = {(s.start, s.end, s.label) for s in entities.get(document.id, [])}
        true = known.spans[document.id]
        tp, fp, fn = tp + len(gold & true), fp + len(gold - true), fn + len(true - gold)
        right += stances.get(document.id, {}).get("Iran") == known.stances[document.id]
    return 2 * tp / (2 * tp + fp + fn), right / len(known.documents)


def gold_and_controls(store: Store, known: Truth, controls: int, seed: int = 13) -> None:
    """The last `controls` documents are gold from outside (as `curate import-gold` would
    record it) and nobody labelled them; each annotator gets them all as control documents
    and labels them at their error rate."""
    from curate.records import Decision

    rng = np.random.default_rng(seed)
    chosen = known.documents[-controls:]
    with store.transaction() as connection:
        for document in chosen:
            spans = [
                {"start": s, "end": e, "label": label, "text": document.text[s:e]}
                for s, e, label in sorted(known.spans[document.id])
            ]
            for kind, target, payload in (
                ("entity", None, {"spans": spans}),
                ("stance", "Iran", {"label": known.stances[document.id]}),
            ):
                queries.add_decision(
                    connection,
                    Decision(
                        document_id=document.id,
                        kind=kind,
                        target=target,
                        method="imported",
                        payload=payload,
                        based_on=(),
                        decided_by="test",
                    ),
                )
        rows = [(d.id, who, False) for d in chosen for who in ERRORS]
        queries.insert_assignments(connection, rows, control=True)
        for document in chosen:
            for who in ERRORS:
                spans_given, stances = labels_of(who, document, known, rng)
                queries.add_annotation(
                    connection, Annotation(document.id, who, "test", spans_given, stances)
                )


def fill_some(store: Store, known: Truth, count: int, seed: int = 11) -> None:
    """As fill, on the first `count` documents; the rest are stored but not labelled."""
    rng = np.random.default_rng(seed)
    with store.transaction() as connection:
        queries.insert_documents(connection, known.documents)
        for document in known.documents[:count]:
            for who in ERRORS:
                spans, stances = labels_of(who, document, known, rng)
                queries.add_annotation(
                    connection, Annotation(document.id, who, "test", spans, stances)
                )
