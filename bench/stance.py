"""stance-learned.v1 against the field's plain baseline, on the same stance data, side by side.

    .venv/bin/python bench/stance.py [--data FILE.jsonl] [--min-precision 0.8]

- baseline: what a user of the field would write: TF-IDF word 1-3-grams and character
  2-5-grams, a LinearSVC, one per target, answering for every text.
- stance-learned.v1: the same features, calibrated probabilities, and a suggestion only above
  the threshold chosen on held-out folds for --min-precision (and for familiar texts).

Per target the data is cut 80/20 into train and test by a hash of the text. Printed: pooled
F1avg (mean F1 of favor and against over every test text, an abstention a miss; SemEval-2016
task 6), precision of what is suggested, coverage, the majority-per-target baseline, and fit
seconds. --data: JSON lines with "text", "target" and "label" (favor, against, none, ...), e.g.
a public stance benchmark you have. Without it, a synthetic set is made (no download is
possible on these machines): five targets, texts of varied words where a label shows in some of
them, a third ambiguous (cues of several labels, labelled at random), "none" the commonest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from curate.agreement.stance import ABSTAINED, f1_avg
from curate.prelabel.stance_learned import fit_selective

TARGETS = ["Atheism", "Climate", "Feminism", "Abortion", "Hillary"]
FILLER = (
    "people think say today really just know time new good right way still need make want "
    "week news watch read talk hear everyone country world life thing work year day"
).split()


def synthetic(seed: int = 0, per_target: int = 600) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for target in TARGETS:
        cue = {
            label: [f"{label[:3]}{target[:3].lower()}{n}" for n in range(40)]
            for label in ("favor", "against", "none")
        }
        shared = [f"w{target[:2].lower()}{n}" for n in range(300)]
        for _ in range(per_target):
            label = rng.choices(["favor", "against", "none"], weights=[0.25, 0.3, 0.45])[0]
            words = rng.sample(FILLER, 6) + rng.sample(shared, 6)
            if rng.random() < 0.33:  # ambiguous: cues of every label, the label a coin toss
                words += [rng.choice(cue[name]) for name in cue]
                label = rng.choice(["favor", "against", "none"])
            else:
                words += rng.sample(cue[label], rng.randint(1, 3))
            rng.shuffle(words)
            rows.append({"text": " ".join(words), "target": target, "label": label})
    return rows


def baseline_model() -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return make_pipeline(features, LinearSVC(random_state=0))


def in_test(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[0] < 256 * 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--min-precision", type=float, default=0.8)
    args = parser.parse_args()
    rows = (
        [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line.strip()]
        if args.data
        else synthetic()
    )
    by_target: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_target[row["target"]].append(row)
    truth: list[str] = []
    guesses: dict[str, list[str]] = {"baseline": [], "stance-learned.v1": [], "majority": []}
    seconds: dict[str, list[float]] = {"baseline": [], "stance-learned.v1": []}
    for _, found in sorted(by_target.items()):
        train = [r for r in found if not in_test(r["text"])]
        test = [r for r in found if in_test(r["text"])]
        texts, labels = [r["text"] for r in train], [r["label"] for r in train]
        truth += [r["label"] for r in test]
        common = Counter(labels).most_common(1)[0][0]
        guesses["majority"] += [common] * len(test)
        start = time.perf_counter()
        plain = baseline_model().fit(texts, labels)  # type: ignore[attr-defined]
        guesses["baseline"] += [str(g) for g in plain.predict([r["text"] for r in test])]
        seconds["baseline"].append(time.perf_counter() - start)
        start = time.perf_counter()
        selective = fit_selective(texts, labels, args.min_precision)
        shown = selective.suggest([r["text"] for r in test])
        guesses["stance-learned.v1"] += [g[0] if g else ABSTAINED for g in shown]
        seconds["stance-learned.v1"].append(time.perf_counter() - start)
    source = args.data.name if args.data else "synthetic set (see the docstring)"
    print(f"{source}: {len(rows)} texts, {len(truth)} test texts, {len(by_target)} targets")
    print(f"{'system':<22}{'F1avg':>8}{'precision':>11}{'coverage':>10}{'fit s':>8}")
    for name, guessed in guesses.items():
        suggested = [(g, t) for g, t in zip(guessed, truth, strict=True) if g != ABSTAINED]
        precision = sum(g == t for g, t in suggested) / len(suggested) if suggested else 0.0
        fit = f"{sum(seconds[name]):>8.1f}" if name in seconds else f"{'':>8}"
        print(
            f"{name:<22}{f1_avg(truth, guessed):>8.3f}{precision:>11.3f}"
            f"{len(suggested) / len(truth):>10.2f}{fit}"
        )
    polar = [(g, t) for g, t in zip(guesses["stance-learned.v1"], truth, strict=True)]
    shown_polar = [(g, t) for g, t in polar if g in ("favor", "against")]
    if shown_polar:
        right = statistics.mean(g == t for g, t in shown_polar)
        print(f"stance-learned.v1: precision of its favor/against suggestions {right:.3f}")


if __name__ == "__main__":
    main()
