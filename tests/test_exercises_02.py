"""Notebook 02's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from exercise_support import run_solution

from helpers import seed_everything
from helpers.exercises import ex02
from helpers.models import build_mlp
from helpers.training import LEARNED_THRESHOLD, train, train_many


def _passes(key):
    exercise = ex02.EXERCISES[key]
    namespace = run_solution("02", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.slow
@pytest.mark.parametrize("key", ["1", "2"])
def test_training_solution_passes_its_check(key):
    _passes(key)


def test_solution_3_passes_its_check():
    _passes("3")


@pytest.mark.parametrize("key", sorted(ex02.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex02.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about eighty percent")
    assert junk.status == "incorrect"
    assert "single number" in junk.message or "Keras model" in junk.message


@pytest.mark.slow
def test_1_mistakes():
    run = train_many(1, seeds=[0], epochs=1000).iloc[0]
    assert "training half" in ex02.q1.check(run.train_accuracy).message
    assert "after 500 epochs" in ex02.q1.check(run.history["val_accuracy"][499]).message
    wrong = ex02.q1.check(run.test_accuracy - 0.1)
    assert wrong.status == "incorrect" and "seed_everything(0)" in wrong.message


@pytest.mark.slow
def test_2_mistakes():
    def firsts(initializer, key):
        runs = train_many(1, initializer=initializer, seeds=range(10))
        return [next(e for e, a in enumerate(h[key], 1) if a >= LEARNED_THRESHOLD)
                for h in runs.history]

    val = firsts("glorot_uniform", "val_accuracy")
    right = float(np.median(val))
    wrongs = {"count epochs from 1": right - 1, "seed 0's first epoch alone": val[0],
              "training accuracy": float(np.median(firsts("glorot_uniform", "accuracy"))),
              "U(0, 1) weights": float(np.median(firsts("uniform_0_1", "val_accuracy")))}
    assert len(set(wrongs.values()) | {right}) == 5  # the mistakes are told apart
    for phrase, value in wrongs.items():
        feedback = ex02.q2.check(value)
        assert feedback.status == "incorrect" and phrase in feedback.message, (phrase, feedback)
    assert "not the course's value" in ex02.q2.check(right + 40).message


def test_3_mistakes(circles):
    seed_everything(0)
    glorot = build_mlp(1, initializer="glorot_uniform")
    assert "default initializer" in ex02.q3.check(glorot).message
    seed_everything(5)
    other_seed = build_mlp(1)
    assert "seed_everything(0)" in ex02.q3.check(other_seed).message
    seed_everything(0)
    shared = keras.initializers.RandomUniform(0.0, 1.0)  # the tutorial's habit: one object
    tutorial_way = keras.Sequential([keras.Input(shape=(2,)),
                                     keras.layers.Dense(5, "tanh", kernel_initializer=shared),
                                     keras.layers.Dense(1, "sigmoid", kernel_initializer=shared)])
    feedback = ex02.q3.check(tutorial_way)
    assert feedback.status == "incorrect" and "share one initializer" in feedback.message
    seed_everything(0)
    trained = build_mlp(1)
    train(trained, *circles, epochs=2, seed=0)
    assert "trained" in ex02.q3.check(trained).message
    seed_everything(0)
    assert "one hidden layer of 5" in ex02.q3.check(build_mlp(2)).message
    seed_everything(0)
    assert "tanh" in ex02.q3.check(build_mlp(1, activation="relu",
                                             initializer="uniform_0_1")).message
