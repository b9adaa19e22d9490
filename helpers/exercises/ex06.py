"""Checked exercises of notebook 06 (the tutorial's five extensions, measured).

Every judge reads the course's stored table ``06_five_extensions`` (helpers/results) and
compares the learner's number with its own read of the same runs.
"""

from __future__ import annotations

import pandas as pd

from helpers.checking import Exercise, Wrong, close, number
from helpers.store import Table
from helpers.training import LEARNED_THRESHOLD

TABLE = "06_five_extensions"
N_SEEDS = 20


def _runs(width: int, depth: int) -> pd.DataFrame:
    """The stored tanh + U(0, 1) runs of one width and depth (the first 20 seeds)."""
    runs = pd.DataFrame(Table(TABLE).records())
    runs = runs[(runs["width"] == width) & (runs["depth"] == depth)
                & (runs["activation"] == "tanh") & (runs["initializer"] == "uniform_0_1")
                & (runs["seed"] < N_SEEDS)]
    if len(runs) != N_SEEDS:
        raise RuntimeError(f"the stored table {TABLE} lacks runs of width {width}, depth {depth}")
    return runs


def _rate(width: int, depth: int) -> float:
    return float(_runs(width, depth)["learned"].mean())


# ------------------------------------------------------------------------------- exercise 1
def _judge_1(answer) -> str:
    runs = _runs(10, 3)
    rate = float(runs["learned"].mean())
    value = number(answer, "the share of the 20 seeds that learned")
    if close(value, rate * N_SEEDS, 1e-9) and not close(value, rate, 1e-9):
        raise Wrong(f"{value:g} is a count of seeds; the exercise asks for a share between 0 "
                    f"and 1 (divide by the {N_SEEDS} seeds).")
    if not 0 <= value <= 1:
        raise Wrong(f"a share of seeds lies between 0 and 1, got {value:g}.")
    if value in (0.0, 1.0) and not close(value, rate, 1e-9):
        raise Wrong("that looks like one seed's outcome (learned or not), not a share over the "
                    "20 seeds: average the `learned` column of all 20 runs.")
    if close(value, _rate(5, 3), 1e-9) and not close(value, rate, 1e-9):
        raise Wrong("that is the rate of the width-5 networks; the exercise asks for three "
                    "layers of 10 units (`width` 10).")
    on_train = float((runs["train_accuracy"] >= LEARNED_THRESHOLD).mean())
    if close(value, on_train, 1e-9) and not close(value, rate, 1e-9):
        raise Wrong("that share counts the training accuracy; 'learned' is judged on the test "
                    "points (`test_accuracy`, or the `learned` column).")
    above_half = float((runs["test_accuracy"] > 0.5).mean())
    if close(value, above_half, 1e-9) and not close(value, rate, 1e-9):
        raise Wrong("that counts every test accuracy above 0.5; a run learned when it reaches "
                    f"`LEARNED_THRESHOLD` ({LEARNED_THRESHOLD}), not just better than a coin.")
    if not close(value, rate, 0.026):
        raise Wrong("not the share the stored runs give: select width 10 and depth 3 from "
                    "`sweep(..., table=\"06_five_extensions\")` and average `learned`.")
    return (f"{rate:.2f} of the 20 seeds learn, far fewer than at width 5. Wider "
            "layers add up more terms that tend to share a sign, so the units saturate sooner.")


q1 = Exercise(
    name="06.1", answer="rate_width_10_depth_3",
    judge=_judge_1,
    hint_text="call `sweep` with width [10], depth [3], tanh and uniform_0_1, seeds=SEEDS and "
              "table=\"06_five_extensions\" (it reads the stored runs), then take the mean of "
              "the `learned` column.",
    solution_code='''
runs_w10_d3 = sweep({"width": [10], "depth": [3], "activation": ["tanh"],
                     "initializer": ["uniform_0_1"]},
                    seeds=SEEDS, epochs=500, table="06_five_extensions")
rate_width_10_depth_3 = runs_w10_d3["learned"].mean()
print(f"{runs_w10_d3['learned'].sum()} of {len(runs_w10_d3)} seeds learned: "
      f"rate {rate_width_10_depth_3:.2f}")
''',
    mistakes=("a count instead of a share", "one seed's outcome", "the width-5 cell",
              "the training accuracy instead of the test accuracy",
              "'learned' as better than 0.5"),
)


# ------------------------------------------------------------------------------- exercise 2
def _first_below_half() -> int:
    rates = {d: _rate(5, d) for d in range(1, 11)}
    return min(d for d, r in rates.items() if r < 0.5)


def _judge_2(answer) -> str:
    depth = number(answer, "a number of hidden layers", 1, 10)
    if depth != int(depth):
        raise Wrong(f"a depth is a whole number of hidden layers, got {depth:g}.")
    depth, first = int(depth), _first_below_half()
    rates = {d: _rate(5, d) for d in range(1, 11)}
    if depth != first and rates[depth] < 0.5 and depth > first:
        none = min(d for d, r in rates.items() if r == 0)
        if depth == none:
            raise Wrong(f"at {depth} layers no seed learns any more; the exercise asks where "
                        "fewer than half learn for the first time, which happens earlier.")
        raise Wrong(f"fewer than half learn at {depth} layers ({rates[depth]:.2f}), but it "
                    "already happens at a smaller depth: look at every depth from 1 up.")
    if depth < first and rates[depth] < 1:
        raise Wrong(f"at {depth} layers some seeds fail ({rates[depth]:.2f} learn), but still "
                    "more than half learn: the exercise asks for a share below 0.5.")
    if depth != first:
        raise Wrong(f"at {depth} layers {rates[depth]:.2f} of the seeds learn; look for the "
                    "first depth whose `share_learned` is below 0.5.")
    return (f"at {first} layers fewer than half learn for the first time "
            f"({rates[first]:.2f}, against {rates[first - 1]:.2f} one layer shallower), "
            "a drop larger than the uncertainty of 20 seeds.")


q2 = Exercise(
    name="06.2", answer="first_failing_depth",
    judge=_judge_2,
    hint_text="`summarize(ext4, by=\"depth\")` (or the same on a fresh `sweep` of depths 1 to 10 "
              "with table=\"06_five_extensions\") has a `share_learned` column: find the "
              "smallest depth where it is below 0.5.",
    solution_code='''
depth_runs = sweep({"depth": list(range(1, 11)), "activation": ["tanh"],
                    "initializer": ["uniform_0_1"]},
                   seeds=SEEDS, epochs=500, table="06_five_extensions")
by_depth = summarize(depth_runs, by="depth").set_index("depth")
first_failing_depth = int(by_depth.index[by_depth["share_learned"] < 0.5][0])
for depth in (first_failing_depth - 1, first_failing_depth):
    r = by_depth.loc[depth]
    print(f"{depth} layers: {int(r.n_learned)}/{int(r.n)} learned, "
          f"95% interval {r.ci_low:.3f} to {r.ci_high:.3f}")
''',
    mistakes=("the tutorial's depth (first with almost none)", "the first depth with no success",
              "the first depth below 1 instead of below 0.5"),
)


# ------------------------------------------------------------------------------- exercise 3
def _judge_3(answer) -> str:
    narrow, wide = _rate(5, 3), _rate(25, 3)
    penalty = narrow - wide
    value = number(answer, "a difference of two success rates")
    if close(value, -penalty, 1e-9) and penalty != 0:
        raise Wrong("the sign is the wrong way round: that is the width-25 rate minus the "
                    "width-5 rate; the exercise asks how much widening *lowers* the rate "
                    "(width 5 minus width 25).")
    if close(value, penalty * N_SEEDS, 1e-9) and not close(value, penalty, 1e-9):
        raise Wrong(f"{value:g} is a difference of counts of seeds; the exercise asks for a "
                    "difference of shares (each between 0 and 1).")
    if close(value, penalty * 100, 1e-9) and not close(value, penalty, 1e-9):
        raise Wrong(f"{value:g} is in percentage points; give the difference of the two shares "
                    "as a fraction (between -1 and 1).")
    if not -1 <= value <= 1:
        raise Wrong(f"a difference of two shares lies between -1 and 1, got {value:g}.")
    if not close(value, penalty, 0.026):
        raise Wrong("not what the stored runs give: take the share that learned at width 5 "
                    "and at width 25, both at three layers, and subtract.")
    return (f"{narrow:.2f} at width 5, {wide:.2f} at width 25, so widening lowers the "
            f"rate by {penalty:.2f}: with all-positive weights a wider layer saturates sooner.")


q3 = Exercise(
    name="06.3", answer="width_penalty_depth_3",
    judge=_judge_3,
    hint_text="`sweep` widths [5, 25] at depth [3] with table=\"06_five_extensions\"; group the "
              "runs by width, average `learned`, and subtract the width-25 share from the "
              "width-5 share.",
    solution_code='''
width_runs = sweep({"width": [5, 25], "depth": [3], "activation": ["tanh"],
                    "initializer": ["uniform_0_1"]},
                   seeds=SEEDS, epochs=500, table="06_five_extensions")
rates_by_width = width_runs.groupby("width")["learned"].mean()
width_penalty_depth_3 = rates_by_width[5] - rates_by_width[25]
print(f"three layers: rate {rates_by_width[5]:.2f} at width 5, {rates_by_width[25]:.2f} at "
      f"width 25; widening lowers it by {width_penalty_depth_3:.2f}")
''',
    mistakes=("a difference taken the wrong way round", "counts instead of shares",
              "percentage points instead of a fraction"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
