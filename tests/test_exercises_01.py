"""Notebook 01's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_support import run_solution
from sklearn.linear_model import LogisticRegression

from helpers.data import load_circles
from helpers.exercises import ex01


def _rule(noise):
    (x_tr, y_tr), (x_te, y_te) = load_circles(noise=noise)
    r_tr, r_te = np.linalg.norm(x_tr, axis=1), np.linalg.norm(x_te, axis=1)
    accs = [((r_tr < t) == y_tr).mean() for t in np.sort(r_tr)]
    best = np.sort(r_tr)[int(np.argmax(accs))]
    return ((r_te < best) == y_te).mean(), max(accs)


def _logreg(features=lambda a: a):
    (x_tr, y_tr), (x_te, y_te) = load_circles()
    clf = LogisticRegression().fit(features(x_tr), y_tr)
    return clf.score(features(x_te), y_te), clf.score(features(x_tr), y_tr)


def _r2(a):
    return np.c_[a, (a ** 2).sum(axis=1)]


@pytest.mark.parametrize("key", sorted(ex01.EXERCISES))
def test_solution_passes_its_check(key, capsys):
    exercise = ex01.EXERCISES[key]
    namespace = run_solution("01", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("key", sorted(ex01.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex01.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about eighty percent")
    assert junk.status == "incorrect" and "single number" in junk.message
    assert exercise.check(float("nan")).status == "incorrect"


def test_1_mistakes():
    test_02, train_02 = _rule(0.2)
    test_01, _ = _rule(0.1)
    assert len({round(v, 3) for v in (test_02, train_02, test_01)}) == 3
    assert "noise 0.1" in ex01.q1.check(test_01).message
    assert "training half" in ex01.q1.check(train_02).message
    wrong = ex01.q1.check(test_02 - 0.05)
    assert wrong.status == "incorrect" and "not the course's value" in wrong.message
    assert ex01.q1.check(1.5).status == "incorrect"  # outside [0, 1]


def test_2_mistakes():
    test, train = _logreg()
    assert "training half" in ex01.q2.check(train).message
    assert ex01.q2.check(test + 0.1).status == "incorrect"


def test_3_mistakes():
    test, train = _logreg(_r2)
    plain, _ = _logreg()
    assert "training half" in ex01.q3.check(train).message
    assert "plain logistic regression" in ex01.q3.check(plain).message
    assert ex01.q3.check(test - 0.1).status == "incorrect"
