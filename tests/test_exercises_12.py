"""Notebook 12's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_support import run_solution

from helpers.exercises import ex12
from helpers.store import Table
from helpers.transformer import HEADLINE_DEPTH, WARMUP_STEPS, profile_array


@pytest.mark.parametrize("key", sorted(ex12.EXERCISES))
def test_solution_passes_its_check(key):
    exercise = ex12.EXERCISES[key]
    namespace = run_solution("12", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("key", sorted(ex12.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex12.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about half")
    assert junk.status == "incorrect" and "single number" in junk.message
    assert exercise.check(float("nan")).status == "incorrect"
    assert exercise.check(-1.0).status == "incorrect"


def test_1_mistakes():
    post, pre = ex12._ratio("post"), ex12._ratio("pre")
    assert "wrong way round" in ex12.q1.check(1 / post).message
    assert "Pre-LN" in ex12.q1.check(pre).message
    wrong = ex12.q1.check(post * 1.5)
    assert wrong.status == "incorrect" and "not the course's value" in wrong.message


def _share(placement, warmup):
    learned = [r["learned"] for r in Table("12_transformers").records()
               if (r["placement"], r["depth"], r["warmup_steps"]) == (placement, HEADLINE_DEPTH,
                                                                     warmup)]
    assert len(learned) == 10
    return float(np.mean(learned))


def test_2_mistakes():
    warm, cold = _share("post", WARMUP_STEPS), _share("post", 0)
    assert warm != cold  # the two rates the judge tells apart
    assert "without warm-up" in ex12.q2.check(cold).message
    if warm > 0.1:
        assert "number of seeds" in ex12.q2.check(10 * warm).message
    for single in (0.0, 1.0):
        if single not in (warm, cold):
            assert "one seed" in ex12.q2.check(single).message
    assert ex12.q2.check(0.55).status == "incorrect"


def _last(placement, depth, index=-1):
    rows = [r for r in Table("12_gradient_profiles").records()
            if (r["placement"], r["depth"]) == (placement, depth)]
    return float(np.median([profile_array(r["gradients"])[index] for r in rows]))


def test_3_mistakes():
    pre = _last("pre", 24) / _last("pre", 6)
    assert "wrong way round" in ex12.q3.check(1 / pre).message
    assert "Post-LN" in ex12.q3.check(_last("post", 24) / _last("post", 6)).message
    assert "first blocks" in ex12.q3.check(_last("pre", 24, 0) / _last("pre", 6, 0)).message
    assert ex12.q3.check(pre * 1.3).status == "incorrect"
