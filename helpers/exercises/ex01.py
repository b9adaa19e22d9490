"""Checked exercises of notebook 01 (the two-circles dataset).

Each judge recomputes the course's own measurement (scikit-learn on the course's split, well
under a second) and compares the learner's number with it.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from helpers.checking import Exercise, Wrong, close, number
from helpers.data import load_circles

_TOL = 0.001  # accuracies on 500 test points are multiples of 0.002


def _radius_rule(noise: float) -> dict[str, float]:
    """The radius-threshold rule on load_circles(noise=...): threshold chosen on the training
    half; its training and test accuracy."""
    (x_tr, y_tr), (x_te, y_te) = load_circles(noise=noise)
    r_tr, r_te = np.linalg.norm(x_tr, axis=1), np.linalg.norm(x_te, axis=1)
    candidates = np.sort(r_tr)
    train_accs = [((r_tr < t) == y_tr).mean() for t in candidates]
    best = candidates[int(np.argmax(train_accs))]
    return {"test": float(((r_te < best) == y_te).mean()), "train": float(max(train_accs))}


def _judge_1(answer) -> str:
    value = number(answer, "the radius rule's test accuracy with noise=0.2", 0, 1)
    ref, old = _radius_rule(0.2), _radius_rule(0.1)
    if close(value, ref["test"], _TOL):
        return (f"with noise 0.2 the best radius threshold scores {ref['test']:.3f} on "
                f"the test half, down from {old['test']:.3f}: more noise mixes the rings, and no "
                "model can beat this ceiling by much.")
    if close(value, old["test"], _TOL):
        raise Wrong("that is the ceiling of the notebook's data (noise 0.1); generate the points "
                    "again with `load_circles(noise=0.2)` (or make_circles with noise=0.2).")
    if close(value, ref["train"], _TOL):
        raise Wrong("that is the rule's accuracy on the training half, where the threshold was "
                    "chosen; measure the chosen threshold on the test half.")
    raise Wrong("not the course's value: choose the radius threshold that maximises training "
                "accuracy on `load_circles(noise=0.2)`, then report its test accuracy.")


def _logistic(features=lambda a: a) -> dict[str, float]:
    (x_tr, y_tr), (x_te, y_te) = load_circles()
    clf = LogisticRegression().fit(features(x_tr), y_tr)
    return {"test": float(clf.score(features(x_te), y_te)),
            "train": float(clf.score(features(x_tr), y_tr))}


def _squared_radius(a: np.ndarray) -> np.ndarray:
    return np.c_[a, (a ** 2).sum(axis=1)]


def _judge_2(answer) -> str:
    value = number(answer, "the logistic regression's test accuracy", 0, 1)
    ref, ceiling = _logistic(), _radius_rule(0.1)["test"]
    if close(value, ref["test"], _TOL):
        return (f"{ref['test']:.3f}, no better than a constant guess, far below the "
                f"radius rule's {ceiling:.3f}: one straight line cannot separate a ring from "
                "the points around it.")
    if close(value, ref["train"], _TOL):
        raise Wrong("that is the accuracy on the training half (`score(x_train, y_train)`); "
                    "the exercise asks for the test half (`x_test`, `y_test`).")
    raise Wrong("not the course's value: fit `LogisticRegression()` on the training half of "
                "`load_circles()` and score it on the test half.")


def _judge_3(answer) -> str:
    value = number(answer, "the test accuracy with the squared-radius input", 0, 1)
    ref, plain = _logistic(_squared_radius), _logistic()
    if close(value, ref["test"], _TOL):
        return (f"{ref['test']:.3f}, as good as the radius rule: a flat boundary (a plane) in "
                "(x, y, x² + y²) is a circle in the (x, y) plane. A hidden layer has to learn "
                "such a feature by itself.")
    if close(value, ref["train"], _TOL):
        raise Wrong("that is the accuracy on the training half; score the model on the test "
                    "half, with the squared radius added to the test inputs too.")
    if close(value, plain["test"], _TOL):
        raise Wrong("that is the plain logistic regression's accuracy: add the column "
                    "x² + y² to both the training and the test inputs before fitting.")
    raise Wrong("not the course's value: add x² + y² as a third column to `x_train` and "
                "`x_test`, fit `LogisticRegression()` on the training half, score on the test "
                "half.")


q1 = Exercise(
    name="01.1", answer="ceiling_noise_02",
    judge=_judge_1,
    hint_text="load the data with `load_circles(noise=0.2)`, then repeat the 'Find the ceiling' "
              "cell: choose the threshold on the training half, measure it on the test half.",
    solution_code='''
for noise in (0.1, 0.2):
    (xn_train, yn_train), (xn_test, yn_test) = load_circles(noise=noise)
    rn_train = np.linalg.norm(xn_train, axis=1)
    rn_test = np.linalg.norm(xn_test, axis=1)
    thresholds = np.sort(rn_train)
    accs = [((rn_train < t) == yn_train).mean() for t in thresholds]
    threshold = thresholds[int(np.argmax(accs))]  # chosen on the training half
    ceiling = ((rn_test < threshold) == yn_test).mean()
    print(f"noise {noise}: radius rule - Test: {ceiling:.3f}")
ceiling_noise_02 = ceiling  # the last one: noise 0.2
''',
    mistakes=("the noise-0.1 ceiling (noise not changed)", "the training accuracy"),
)

q2 = Exercise(
    name="01.2", answer="logreg_test_accuracy",
    judge=_judge_2,
    hint_text="`from sklearn.linear_model import LogisticRegression`; fit it on x_train, y_train "
              "from `load_circles()`, then `score` it on the test half.",
    solution_code='''
from sklearn.linear_model import LogisticRegression

(x_train, y_train), (x_test, y_test) = load_circles()
clf = LogisticRegression().fit(x_train, y_train)
logreg_test_accuracy = clf.score(x_test, y_test)
print(f"logistic regression - Test: {logreg_test_accuracy:.3f}")
print(f"constant guess      - Test: {max(np.bincount(y_test)) / len(y_test):.3f}")
''',
    mistakes=("the training accuracy",),
)

q3 = Exercise(
    name="01.3", answer="r2_test_accuracy",
    judge=_judge_3,
    hint_text="build `np.c_[a, (a ** 2).sum(axis=1)]` for a = x_train and a = x_test, then fit and "
              "score a LogisticRegression as in exercise 2.",
    solution_code='''
from sklearn.linear_model import LogisticRegression

(x_train, y_train), (x_test, y_test) = load_circles()
add_r2 = lambda a: np.c_[a, (a ** 2).sum(axis=1)]
clf = LogisticRegression().fit(add_r2(x_train), y_train)
r2_test_accuracy = clf.score(add_r2(x_test), y_test)
r_train, r_test = np.linalg.norm(x_train, axis=1), np.linalg.norm(x_test, axis=1)
best = max(np.sort(r_train), key=lambda t: ((r_train < t) == y_train).mean())
print(f"logistic regression on (x, y, x² + y²) - Test: {r2_test_accuracy:.3f}")
print(f"radius rule                            - Test: {((r_test < best) == y_test).mean():.3f}")
''',
    mistakes=("the training accuracy", "the plain logistic regression (feature not added)"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
