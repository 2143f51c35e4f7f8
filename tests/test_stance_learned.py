"""stance-learned.v1 is selective: real scikit-learn on a synthetic stance set with known labels.
It suggests only above a threshold chosen on held-out folds for `stance_min_precision`, keeps to
that precision on new texts of the same kind, and stays quiet on texts unlike its training."""

from __future__ import annotations

import random

import numpy as np
import pytest

from curate.prelabel.stance_learned import NEVER, choose_threshold, fit_selective

FAVOR = ["welcomed", "praised", "backed", "celebrated", "supported", "thanked", "hailed"]
AGAINST = ["condemned", "attacked", "sanctioned", "denounced", "blamed", "threatened", "rejected"]
NONE = ["weather", "football", "recipe", "concert", "harvest", "museum", "marathon"]
FILLER = ["officials", "on", "Monday", "the", "a", "statement", "said", "in", "after", "talks"]


def synthetic(count: int, seed: int) -> tuple[list[str], list[str]]:
    """Texts about Iran whose label shows in their words, and two fifths of mixed texts labelled
    at random (nothing can learn those: a model that always answers is right about 3 in 4)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for n in range(count):
        label = ["favor", "against", "none"][n % 3]
        cues = {"favor": FAVOR, "against": AGAINST, "none": NONE}[label]
        words = [rng.choice(FILLER) for _ in range(8)]
        if rng.random() < 0.4:
            words += [rng.choice(FAVOR), rng.choice(AGAINST), rng.choice(NONE)]
            label = rng.choice(["favor", "against", "none"])
        else:
            words += [rng.choice(cues), rng.choice(cues)]
        words.append("Iran")
        rng.shuffle(words)
        texts.append(" ".join(words) + ".")
        labels.append(label)
    return texts, labels


def test_suggestions_keep_to_the_precision_asked_for_on_new_texts() -> None:
    texts, labels = synthetic(240, seed=1)
    selective = fit_selective(texts, labels, min_precision=0.8)
    assert 0 < selective.threshold < 1
    assert selective.precision >= 0.8 and 0.3 < selective.coverage < 1
    new_texts, truth = synthetic(300, seed=2)
    found = selective.suggest(new_texts)
    shown = [(f[0], t) for f, t in zip(found, truth, strict=True) if f is not None]
    precision = sum(label == gold for label, gold in shown) / len(shown)
    assert precision >= 0.8, precision
    assert len(shown) < len(new_texts)  # it abstained on some (the mixed ones above all)
    # Plain argmax, never abstaining, is right less often than the suggestions shown.
    everything = selective.model.predict(new_texts)
    assert np.mean(everything == np.array(truth)) < precision


def test_texts_unlike_the_training_get_no_suggestion() -> None:
    texts, labels = synthetic(240, seed=3)
    selective = fit_selective(texts, labels, min_precision=0.8)
    far = [  # no word of the training texts, and not about Iran
        "Stir flour slowly into warm milk until smooth.",
        "Quarterly revenue of chip makers rose nine percent.",
        "Volcanic ash grounded flights across northern islands.",
    ]
    assert selective.suggest(far) == [None, None, None]


def test_a_bar_no_threshold_reaches_keeps_the_labeller_quiet() -> None:
    rng = random.Random(4)
    texts = [" ".join(rng.choice(FILLER + FAVOR + AGAINST) for _ in range(10)) for _ in range(60)]
    labels = [rng.choice(["favor", "against"]) for _ in texts]  # labels unrelated to the words
    selective = fit_selective(texts, labels, min_precision=0.95)
    assert selective.threshold == NEVER
    assert selective.suggest(texts) == [None] * len(texts)


@pytest.mark.parametrize(
    ("correct", "expected"),
    [
        ([1, 1, 1, 1, 1, 0, 0, 0], (0.3, 6 / 8, 5 / 6)),  # 5 of the 6 surest are right
        ([1, 1, 1, 1, 1, 1, 1, 1], (0.1, 1.0, 1.0)),
        ([0, 1, 1, 1, 1, 0, 1, 0], (0.4, 5 / 8, 4 / 5)),
        ([0, 0, 1, 1, 1, 1, 1, 1], (NEVER, 0.0, 0.0)),  # the two surest are wrong
    ],
)
def test_the_threshold_is_the_lowest_that_reaches_the_bar(
    correct: list[int], expected: tuple[float, float, float]
) -> None:
    confidence = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    found = choose_threshold(confidence, np.array(correct, bool), 0.8)
    assert found == pytest.approx(expected)
