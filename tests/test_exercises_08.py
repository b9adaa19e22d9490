"""Notebook 08's checked exercises: the solutions pass, the listed mistakes are recognised."""

from __future__ import annotations

import pandas as pd
import pytest
from exercise_support import run_solution

from helpers import seed_everything
from helpers.data import load_circles
from helpers.exercises import ex08
from helpers.gradients import kernel_gradients
from helpers.models import build_mlp
from helpers.training import train_many


def _flow(activation="tanh", initializer="uniform_0_1"):
    (x, y), _ = load_circles()
    seed_everything(0)
    return pd.Series(kernel_gradients(build_mlp(5, 5, activation, initializer), x, y),
                     name="epoch 0")


def _status(exercise, answer):
    return exercise.check(answer).status


@pytest.mark.parametrize("exercise", ex08.EXERCISES.values(), ids=lambda e: e.name)
def test_untouched_scaffold_is_not_attempted(exercise):
    assert _status(exercise, ...) == "not attempted"


@pytest.mark.parametrize("exercise", ex08.EXERCISES.values(), ids=lambda e: e.name)
def test_junk_gets_a_clear_message(exercise):
    feedback = exercise.check("four")
    assert feedback.status == "incorrect"
    assert "string" in feedback.message or "str" in feedback.message


# ------------------------------------------------------------------------------- exercise 1
@pytest.mark.slow
def test_1_solution_passes():
    namespace = run_solution("08", ex08.q1)
    assert ex08.q1.check(namespace["first_failing_depth"]).status == "correct"


@pytest.mark.slow
def test_1_the_stored_depth_is_recomputed():
    learned = [bool(train_many(d, seeds=[0]).learned.iloc[0]) for d in range(1, 6)]
    assert learned.index(False) + 1 == ex08.FIRST_FAILING_DEPTH


def test_1_mistakes():
    assert "deepest network that still learns" in ex08.q1.check(3).message
    assert "tutorial's depth" in ex08.q1.check(5).message
    assert ex08.q1.check(2).status == "incorrect"
    assert "whole number" in ex08.q1.check(3.5).message
    assert ex08.q1.check(4).status == "correct"


# ------------------------------------------------------------------------------- exercise 2
@pytest.mark.slow
def test_2_solution_passes():
    namespace = run_solution("08", ex08.q2)
    assert ex08.q2.check(namespace["fix_ratio_before"]).status == "correct"


def test_2_mistakes():
    fix, tutorial = _flow("relu", "he_uniform"), _flow()
    right = fix.iloc[0] / fix.iloc[-1]
    assert ex08.q2.check(right).status == "correct"
    assert "wrong way round" in ex08.q2.check(1 / right).message
    assert "tutorial network's ratio" in ex08.q2.check(tutorial.iloc[0] / tutorial.iloc[-1]).message
    assert "weakest hidden layer" in ex08.q2.check(fix.iloc[:-1].min() / fix.iloc[-1]).message
    assert ex08.q2.check(2 * right).status == "incorrect"


# ------------------------------------------------------------------------------- exercise 3
@pytest.mark.slow
def test_3_solution_passes():
    namespace = run_solution("08", ex08.q3)
    assert ex08.q3.check(namespace["adam_flow_before"]).status == "correct"


def test_3_mistakes():
    before = _flow()
    assert ex08.q3.check(before).status == "correct"
    assert ex08.q3.check(before.to_numpy()).status == "correct"  # an array, a list, a dict do too
    assert ex08.q3.check(before.to_dict()).status == "correct"
    after = (before * 1.7).rename("epoch 500")
    assert "after training" in ex08.q3.check(after).message
    assert ex08.q3.check(before.to_numpy() * 1.7).status == "incorrect"
    assert "6 values" in ex08.q3.check(before.to_numpy()[:5]).message
