"""Notebook 04's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from exercise_support import run_solution

from helpers.exercises import ex04
from helpers.experiments import dead_at_init
from helpers.store import Table


def _stored(depth, width, activation, initializer, seeds=range(20)):
    t = pd.DataFrame(Table("07_where_depth_breaks").records())
    t = t[(t.depth == depth) & (t.width == width) & (t.activation == activation)
          & (t.initializer == initializer) & t.seed.isin(list(seeds))]
    assert sorted(t.seed) == list(seeds)
    return t.sort_values("seed")


def _passes(key):
    exercise = ex04.EXERCISES[key]
    namespace = run_solution("04", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.slow
@pytest.mark.parametrize("key", ["1", "3"])
def test_training_solution_passes_its_check(key):
    _passes(key)


def test_solution_2_passes_its_check():
    _passes("2")  # reads notebook 07's stored runs


@pytest.mark.parametrize("key", sorted(ex04.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex04.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about half")
    assert junk.status == "incorrect" and "expected" in junk.message


def test_1_mistakes():
    runs = _stored(5, 5, "relu", "uniform_0_1")
    assert ex04.q1.check(runs.test_accuracy.median()).status == "correct"
    assert "training accuracy" in ex04.q1.check(runs.train_accuracy.median()).message
    assert "share of seeds" in ex04.q1.check(runs.learned.mean()).message
    he = _stored(5, 5, "relu", "he_uniform").test_accuracy.median()
    assert "He weights" in ex04.q1.check(he).message
    tanh = _stored(5, 5, "tanh", "uniform_0_1").test_accuracy.median()
    assert "tanh network" in ex04.q1.check(tanh).message
    assert "not the course's value" in ex04.q1.check(0.7).message


def test_2_mistakes():
    rate = _stored(20, 16, "relu", "he_uniform").learned.mean()
    narrow = _stored(20, 5, "relu", "he_uniform").learned.mean()
    assert ex04.q2.check(rate).status == "correct"
    assert "count" in ex04.q2.check(20 * rate).message
    assert "percentage" in ex04.q2.check(100 * rate).message
    assert "width-5" in ex04.q2.check(narrow).message
    assert "not the course's value" in ex04.q2.check(0.5).message
    assert "between 0 and 1" in ex04.q2.check(3.5).message


def test_3_mistakes():
    dead = dead_at_init(20, width=5, seeds=range(30)).set_index("seed")["dead"]
    runs = _stored(20, 5, "relu", "he_uniform", range(30)).set_index("seed")["learned"]
    assert ex04.q3.check(int(dead[dead].index[0])).status == "correct"
    learned = runs[runs].index
    alive_failed = [s for s in range(30) if not dead[s] and not runs[s]]
    assert len(learned) and alive_failed
    assert "learns" in ex04.q3.check(int(learned[0])).message
    assert "alive at initialization" in ex04.q3.check(alive_failed[0]).message
    assert "between 0 and 29" in ex04.q3.check(31).message
    assert "whole number" in ex04.q3.check(2.5).message
    assert ex04.q3.check(np.int64(dead[dead].index[0])).status == "correct"
