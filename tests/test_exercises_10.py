"""Notebook 10's checked exercises: the solutions pass, the listed mistakes are recognised."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from exercise_support import run_solution

from helpers.exercises import ex10
from helpers.store import Table


@pytest.mark.parametrize("exercise", ex10.EXERCISES.values(), ids=lambda e: e.name)
def test_untouched_scaffold_is_not_attempted(exercise):
    assert exercise.check(...).status == "not attempted"


@pytest.mark.parametrize("exercise", ex10.EXERCISES.values(), ids=lambda e: e.name)
def test_junk_gets_a_clear_message(exercise):
    feedback = exercise.check("about a half")
    assert feedback.status == "incorrect"
    assert "str" in feedback.message


@pytest.mark.parametrize("key", ["1", "2", "3", "4"])
def test_solution_passes(key):  # no training: gradients at initialization or stored runs
    exercise = ex10.EXERCISES[key]
    namespace = run_solution("10", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


def test_1_mistakes():
    right = ex10._lstm_ratio(2.0)
    assert ex10.q1.check(right).status == "correct"
    assert "wrong way round" in ex10.q1.check(1 / right).message
    assert "log10" in ex10.q1.check(np.log10(right)).message
    assert "Keras' default forget-gate bias" in ex10.q1.check(ex10._lstm_ratio(None)).message
    assert "open gate" in ex10.q1.check(ex10._lstm_ratio(3.0)).message
    assert ex10.q1.check(right * 1.5).status == "incorrect"


def test_2_mistakes():
    grads = ex10._radius_3_gradients()
    clipped = float(tf.linalg.global_norm([tf.clip_by_norm(g, 1.0) for g in grads]))
    assert 1 < clipped < 2
    assert ex10.q2.check(clipped).status == "correct"
    assert "`global_clipnorm=1.0`" in ex10.q2.check(1.0).message
    assert "before clipping" in ex10.q2.check(float(tf.linalg.global_norm(grads))).message
    assert "all 5 weight tensors" in ex10.q2.check(np.sqrt(5)).message
    assert ex10.q2.check(3.0).status == "incorrect"


@pytest.mark.slow  # many 100-step gradients: a minute on a loaded machine
def test_3_mistakes():
    from helpers.recurrent import OPEN_GATE_BIAS

    right = ex10._ratio("gru", 100, OPEN_GATE_BIAS)
    assert ex10.q3.check(right).status == "correct"
    assert "wrong way round" in ex10.q3.check(1 / right).message
    assert "log10" in ex10.q3.check(np.log10(right)).message
    assert "at 50 steps" in ex10.q3.check(ex10._ratio("gru", 50, OPEN_GATE_BIAS)).message
    assert "default update-gate bias" in ex10.q3.check(ex10._ratio("gru", 100, None)).message
    assert ex10.q3.check(right * 2).status == "incorrect"


def test_4_mistakes():
    runs = [r for r in Table("10_recurrent").records() if r["cell"] == "irnn" and r["length"] == 25]
    assert len(runs) == 10
    share = np.mean([r["learned"] for r in runs])
    assert ex10.q4.check(share).status == "correct"
    accuracies = [r["test_accuracy"] for r in runs]
    assert "test accuracy averaged" in ex10.q4.check(np.median(accuracies)).message
    assert "test accuracy averaged" in ex10.q4.check(np.mean(accuracies)).message
    assert "count of seeds" in ex10.q4.check(int(sum(r["learned"] for r in runs))).message
    assert "one seed's outcome" in ex10.q4.check(1.0).message
    assert "one seed's outcome" in ex10.q4.check(0.0).message
    fifty = np.mean([r["learned"] for r in Table("10_recurrent").records()
                     if r["cell"] == "irnn" and r["length"] == 50])
    assert "50 steps" in ex10.q4.check(fifty).message
    assert ex10.q4.check(share + 0.25).status == "incorrect"
