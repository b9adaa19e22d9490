"""Checked exercises of notebook 07 (where depth breaks, and why).

The judges read the course's stored table ``07_where_depth_breaks`` (helpers/results), compute
dead networks with :func:`helpers.experiments.dead_at_init` (no training) and Wilson intervals
with :func:`helpers.experiments.wilson_ci`, and compare the learner's number with their own.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.checking import Exercise, Wrong, close, course_precision, number
from helpers.experiments import dead_at_init, wilson_ci
from helpers.store import Table

TABLE = "07_where_depth_breaks"


def _relu_runs(depth: int, seeds: range) -> pd.DataFrame:
    """The stored ReLU + He runs of width 5 at ``depth`` for ``seeds``, with ``dead``."""
    runs = pd.DataFrame(Table(TABLE).records())
    runs = runs[(runs["width"] == 5) & (runs["depth"] == depth) & (runs["activation"] == "relu")
                & (runs["initializer"] == "he_uniform") & runs["seed"].isin(seeds)]
    if len(runs) != len(seeds):
        raise RuntimeError(f"the stored table {TABLE} lacks ReLU + He runs at depth {depth}")
    dead = dead_at_init(depth, width=5, seeds=seeds)
    return runs.merge(dead[["seed", "dead"]], on="seed")


# ------------------------------------------------------------------------------- exercise 1
def _judge_1(answer) -> str:
    with course_precision():
        return _judge_1_in_float64(answer)


def _judge_1_in_float64(answer) -> str:
    runs = _relu_runs(15, range(30))
    alive = runs[~runs["dead"]]
    rate = float(alive["learned"].mean())
    value = number(answer, "the share of the alive networks that learned")
    if close(value, alive["learned"].sum(), 1e-9) and not close(value, rate, 1e-9):
        raise Wrong(f"{value:g} is a count of networks; the exercise asks for a share between "
                    f"0 and 1 (divide by the {len(alive)} networks that start alive).")
    if not 0 <= value <= 1:
        raise Wrong(f"a share lies between 0 and 1, got {value:g}.")
    if close(value, runs["learned"].mean(), 1e-3):
        raise Wrong("that is the share over all 30 seeds, dead ones included (or the alive "
                    "networks that learned divided by all 30); the exercise asks for the share "
                    "among the networks that are alive at initialization.")
    if close(value, len(alive) / len(runs), 1e-3):
        raise Wrong("that is the share of networks alive at initialization; the exercise asks "
                    "how many of *those* learned.")
    if value in (0.0, 1.0):
        raise Wrong("that looks like one network's outcome, not a share over the alive ones.")
    if not close(value, rate, 0.02):
        raise Wrong("not what the stored runs give: merge `dead_at_init(15, width=5, "
                    "seeds=range(30))` with the 15-layer ReLU + He runs on `seed`, keep the "
                    "rows that are not dead and average `learned`.")
    return (f"{alive['learned'].sum()} of the {len(alive)} networks that start alive learn "
            f"({rate:.3f}): starting alive is no guarantee, so death at initialization explains "
            "only part of the failures.")


q1 = Exercise(
    name="07.1", answer="rate_alive_relu_15",
    judge=_judge_1,
    hint_text="`dead_at_init(15, width=5, seeds=range(30))` says which networks are dead; "
              "`sweep` the 15-layer ReLU + He runs with table=\"07_where_depth_breaks\", merge "
              "the two on `seed`, keep `~dead` and average `learned`.",
    solution_code='''
dead_15 = dead_at_init(15, width=5, seeds=range(30))
runs_15 = sweep({"depth": [15], "activation": ["relu"], "initializer": ["he_uniform"]},
                seeds=range(30), epochs=500, table="07_where_depth_breaks")
runs_15 = runs_15.merge(dead_15[["seed", "dead"]], on="seed")
alive_15 = runs_15[~runs_15["dead"]]
rate_alive_relu_15 = alive_15["learned"].mean()
print(f"alive at initialization: {len(alive_15)} of {len(runs_15)}; "
      f"{alive_15['learned'].sum()} of them learned: rate {rate_alive_relu_15:.3f}")
print(f"all {len(runs_15)} seeds: rate {runs_15['learned'].mean():.3f}")
''',
    mistakes=("a count instead of a share", "the rate over all seeds, dead ones included",
              "the share alive instead of the share learned"),
)


# ------------------------------------------------------------------------------- exercise 2
def _judge_2(answer) -> str:
    with course_precision():
        return _judge_2_in_float64(answer)


def _judge_2_in_float64(answer) -> str:
    share = float(dead_at_init(20, width=4, seeds=range(100))["dead"].mean())
    value = number(answer, "the share of 100 networks dead at initialization")
    if close(value, share, 0.015):
        return (f"{share:.2f} of the width-4 networks are dead before training, more than at "
                "width 5: with every unit removed, a whole layer switching off for every input "
                "gets much more likely.")
    if close(value, share * 100, 1e-9):
        raise Wrong(f"{value:g} is a count (or a percentage); the exercise asks for a share "
                    "between 0 and 1.")
    if not 0 <= value <= 1:
        raise Wrong(f"a share lies between 0 and 1, got {value:g}.")
    if value in (0.0, 1.0):
        raise Wrong("that looks like one network's verdict (dead or not), not a share over "
                    "100 seeds: average the `dead` column.")
    if close(value, float(dead_at_init(20, width=5, seeds=range(100))["dead"].mean()), 1e-9):
        raise Wrong("that is the share at width 5 (the notebook's table); the exercise asks "
                    "for four units per layer (`width=4`).")
    raise Wrong("not what `dead_at_init` gives: 20 layers, width 4, seeds range(100), then the "
                "mean of `dead`.")


q2 = Exercise(
    name="07.2", answer="dead_share_width_4",
    judge=_judge_2,
    hint_text="`dead_at_init(20, width=4, seeds=range(100))` returns one row per seed with a "
              "`dead` column; its mean is the share.",
    solution_code='''
dead_share_width_4 = dead_at_init(20, width=4, seeds=range(100))["dead"].mean()
dead_share_width_5 = dead_at_init(20, width=5, seeds=range(100))["dead"].mean()
print(f"20 layers, 100 seeds: dead at initialization {dead_share_width_4:.2f} at width 4, "
      f"{dead_share_width_5:.2f} at width 5")
''',
    mistakes=("a count instead of a share", "the width-5 share", "one network's verdict"),
)


# ------------------------------------------------------------------------------- exercise 3
def _apart(n: int, interval) -> bool:
    return interval(round(0.3 * n), n)[1] < interval(round(0.5 * n), n)[0]


def _wald(k: int, n: int) -> tuple[float, float]:
    p = k / n
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def _judge_3(answer) -> str:
    steps = range(10, 1001, 10)
    needed = next(n for n in steps if _apart(n, wilson_ci))
    value = number(answer, "a number of seeds", 1)
    if value != int(value):
        raise Wrong(f"a number of seeds is a whole number, got {value:g}.")
    value = int(value)
    wald = next(n for n in steps if _apart(n, _wald))
    if value == wald and value != needed:
        raise Wrong(f"at {value} seeds the normal-approximation (Wald) intervals stop "
                    "overlapping, but the Wilson intervals (`wilson_ci`) of the course still "
                    "overlap: use `wilson_ci` for both rates.")
    if value % 10:
        raise Wrong("the exercise steps through 10, 20, 30, ... seeds; give one of those.")
    if value < needed:
        raise Wrong(f"at {value} seeds the two Wilson intervals still overlap: the upper end "
                    "for 0.3 is not below the lower end for 0.5 yet.")
    if value > needed:
        raise Wrong(f"at {value} seeds the intervals are apart, but fewer seeds already "
                    "suffice: the exercise asks for the smallest number.")
    return (f"{needed} seeds: by this course's rule, intervals apart, telling 0.3 from 0.5 "
            "takes more than three times this notebook's 30 seeds (a formal test of two rates "
            "needs fewer), so with 30 seeds only a much larger gap counts as settled.")


q3 = Exercise(
    name="07.3", answer="seeds_needed",
    judge=_judge_3,
    hint_text="loop over n = 10, 20, 30, ...; compute `wilson_ci(round(0.3 * n), n)` and "
              "`wilson_ci(round(0.5 * n), n)`; stop at the first n where the first interval's "
              "upper end is below the second's lower end.",
    solution_code='''
for n in range(10, 1001, 10):
    low_30, high_30 = wilson_ci(round(0.3 * n), n)
    low_50, high_50 = wilson_ci(round(0.5 * n), n)
    if high_30 < low_50:
        seeds_needed = n
        break
print(f"{seeds_needed} seeds: rate 0.3 -> {low_30:.3f} to {high_30:.3f}, "
      f"rate 0.5 -> {low_50:.3f} to {high_50:.3f}")
''',
    mistakes=("the Wald (normal) interval instead of Wilson's", "a number of seeds that is not "
              "the smallest", "a number where the intervals still overlap"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
