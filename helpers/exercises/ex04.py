"""Checked exercises of notebook 04 (the ReLU + He initialization fix).

Exercises 1 and 2 are judged against notebook 07's stored sweep (helpers/results/
07_where_depth_breaks: the same ``train_many`` runs); exercise 3 redraws the starting weights of
the learner's seed with ``dead_at_init`` (no training, well under a second).
"""

from __future__ import annotations

import numbers

import numpy as np

from helpers.checking import Exercise, Wrong, close, number
from helpers.experiments import dead_at_init
from helpers.store import Table

_TOL = 0.0005  # a median of accuracies on 500 test points is a multiple of 0.001


def _stored(depth: int, width: int, activation: str, initializer: str,
            seeds: range = range(20)) -> list[dict]:
    """The rows of notebook 07's stored table for one configuration (the tutorial's SGD, 500
    epochs, float64), seeds in ``seeds``, sorted by seed; RuntimeError if some are missing."""
    rows = sorted((r for r in Table("07_where_depth_breaks").records()
                   if r["depth"] == depth and r["width"] == width
                   and r["activation"] == activation and r["initializer"] == initializer
                   and r["seed"] in seeds and r["epochs"] == 500 and r["optimizer"] is None
                   and r["batch_size"] == 32 and r["floatx"] == "float64"
                   and r["learning_rate"] is None and r["output_initializer"] is None
                   and not r["batch_norm"] and not r["residual"]), key=lambda r: r["seed"])
    if [r["seed"] for r in rows] != list(seeds):
        raise RuntimeError("the stored table 07_where_depth_breaks lacks some of the runs this "
                           "check compares with; recompute it with `make results`")
    return rows


def _median(rows: list[dict], key: str = "test_accuracy") -> float:
    return float(np.median([r[key] for r in rows]))


# --------------------------------------------------------------------------------- exercise 1
def _judge_1(answer) -> str:
    value = number(answer, "the median test accuracy over twenty seeds", 0, 1)
    rows = _stored(5, 5, "relu", "uniform_0_1")
    target = _median(rows)
    if close(value, target, _TOL):
        return (f"{target:.3f}, a constant answer's score, and no seed learns: ReLU alone does "
                "not fix the network. With all-positive U(0, 1) weights ReLU fails too, so the "
                "initializer is at least part of the failure; notebook 07 measures how much.")
    if close(value, _median(rows, "train_accuracy"), _TOL):
        raise Wrong("that is the median training accuracy; the exercise asks for the test "
                    "accuracy (`test_accuracy`).")
    if close(value, float(np.mean([r["learned"] for r in rows])), _TOL):
        raise Wrong("that is the share of seeds that learned; the exercise asks for the median "
                    "test accuracy (`runs.test_accuracy.median()`).")
    if close(value, _median(_stored(5, 5, "relu", "he_uniform")), _TOL):
        raise Wrong("that is the median of ReLU with He weights; keep ReLU but pass "
                    "`initializer=\"uniform_0_1\"`.")
    if close(value, _median(_stored(5, 5, "tanh", "uniform_0_1")), _TOL):
        raise Wrong("that is the median of the tanh network; keep U(0, 1) but pass "
                    "`activation=\"relu\"`.")
    raise Wrong("not the course's value: `train_many(depth=5, activation=\"relu\", "
                "initializer=\"uniform_0_1\", seeds=range(20))`, then the median of its "
                "`test_accuracy` column.")


# --------------------------------------------------------------------------------- exercise 2
def _judge_2(answer) -> str:
    value = number(answer, "the share of twenty seeds that learned")
    rate = float(np.mean([r["learned"] for r in _stored(20, 16, "relu", "he_uniform")]))
    narrow = float(np.mean([r["learned"] for r in _stored(20, 5, "relu", "he_uniform")]))
    if close(value, rate, 1e-9):
        return (f"{rate:.2f} at width 16 against {narrow:.2f} at width 5: a wider layer is far "
                "less likely to be switched off as a whole, and the wide networks that start "
                "alive learn too.")
    if close(value, 20 * rate, 1e-9):
        raise Wrong("that is a count of seeds; divide by the twenty seeds to get a share.")
    if close(value, 100 * rate, 1e-9):
        raise Wrong("that is a percentage; give a share between 0 and 1.")
    if close(value, narrow, 1e-9):
        raise Wrong("that is the rate of the width-5 network; pass `width=16`.")
    if not 0 <= value <= 1:
        raise Wrong(f"a share lies between 0 and 1, got {value:g}.")
    raise Wrong("not the course's value: `train_many(depth=20, width=16, activation=\"relu\", "
                "initializer=\"he_uniform\", seeds=range(20))`, then the mean of `learned`.")


# --------------------------------------------------------------------------------- exercise 3
def _judge_3(answer) -> str:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        raise Wrong(f"expected a seed, a whole number such as 3, got {type(answer).__name__}.")
    seed = int(answer)
    if not 0 <= seed <= 29:
        raise Wrong(f"choose a seed between 0 and 29 (notebook 07's seeds), got {seed}.")
    if bool(dead_at_init(20, width=5, seeds=[seed])["dead"].iloc[0]):
        return (f"seed {seed}'s network is dead before training: some layer outputs the same "
                "for every input, so its prediction is one constant and no gradient reaches the "
                "layers below to change that.")
    run = _stored(20, 5, "relu", "he_uniform", range(30))[seed]
    if run["learned"]:
        raise Wrong(f"seed {seed}'s network learns; look for one that is dead at "
                    "initialization (`dead_at_init(20, width=5, seeds=range(30))`).")
    raise Wrong(f"seed {seed}'s network fails, but it is alive at initialization and still "
                "fails, the other kind of failure. Pick a seed whose `dead` is True in "
                "`dead_at_init(20, width=5, seeds=range(30))`.")


q1 = Exercise(
    name="04.1", answer="median_relu_uniform",
    judge=_judge_1,
    hint_text="`train_many(depth=5, activation=\"relu\", initializer=\"uniform_0_1\", "
              "seeds=range(20))` returns one row per seed; take `.test_accuracy.median()`.",
    solution_code='''
runs = train_many(depth=5, width=5, activation="relu", initializer="uniform_0_1", seeds=range(20))
median_relu_uniform = runs.test_accuracy.median()
print(f"ReLU + U(0, 1): learned in {runs.learned.sum()} of {len(runs)} seeds, "
      f"median test accuracy {median_relu_uniform:.3f}")
print("test accuracies the runs end with:", sorted(set(runs.test_accuracy.round(3))))
print(f"always answering class 1 scores {y_test.mean():.3f}, class 0 {1 - y_test.mean():.3f}")
''',
    mistakes=("the training accuracy", "the share that learned instead of the median",
              "ReLU + He (initializer not changed)", "tanh + U(0, 1) (activation not changed)"),
)

q2 = Exercise(
    name="04.2", answer="rate_depth20_width16",
    judge=_judge_2,
    hint_text="`train_many(depth=20, width=16, activation=\"relu\", initializer=\"he_uniform\", "
              "seeds=range(20)).learned.mean()`; notebook 07's stored sweep has the same runs.",
    solution_code='''
from helpers.experiments import dead_at_init, sweep

# the same runs as train_many(depth=20, width=w, ...) for w = 5 and 16, stored by notebook 07
runs = sweep({"depth": [20], "width": [5, 16], "activation": ["relu"],
              "initializer": ["he_uniform"]}, seeds=range(20), table="07_where_depth_breaks")
rates = runs.groupby("width")["learned"].mean()
dead = dead_at_init(20, width=[5, 16], seeds=range(20)).groupby("width")["dead"].mean()
for width in (5, 16):
    print(f"width {width:2d}: learned in {rates[width]:.2f} of the seeds, "
          f"dead at initialization in {dead[width]:.2f}")
rate_depth20_width16 = rates[16]
''',
    mistakes=("the width-5 rate (not widened)", "a count instead of a share",
              "a percentage instead of a share"),
)

q3 = Exercise(
    name="04.3", answer="dead_seed",
    judge=_judge_3,
    hint_text="`from helpers.experiments import dead_at_init`; `dead_at_init(20, width=5, "
              "seeds=range(30))` has a `dead` column; pick a seed where it is True.",
    solution_code='''
from helpers.experiments import dead_at_init
from helpers.models import build_mlp

dead = dead_at_init(20, width=5, seeds=range(30))
print("seeds dead at initialization:", dead.loc[dead["dead"], "seed"].tolist())
dead_seed = int(dead.loc[dead["dead"], "seed"].iloc[0])
seed_everything(dead_seed)
net = build_mlp(20, width=5, activation="relu", initializer="he_uniform")
train(net, (x_train, y_train), (x_test, y_test), epochs=500, seed=dead_seed)
p = net.predict(x_test, verbose=0)
print(f"seed {dead_seed} after training: predictions from {p.min():.6f} to {p.max():.6f}, "
      f"spread {p.max() - p.min():.1e}")
''',
    mistakes=("a seed that learns", "a seed that fails but is alive at initialization"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
