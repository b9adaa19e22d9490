"""Checked exercises of notebook 11 (at real scale: digits, width 128, depth 20)."""

from __future__ import annotations

import numpy as np

from helpers.checking import Exercise, Wrong, close, number


def _tanh_gradient_ratio() -> float:
    """First over last hidden layer's gradient norm of a fresh tanh + Glorot network (seed 0)."""
    from helpers.scale import HEADLINE, build_recipe, gradient_norms, load_digits_split
    from helpers.seeding import seed_everything

    (x, y), _ = load_digits_split()
    seed_everything(0)
    g = gradient_norms(build_recipe("tanh_glorot", **HEADLINE), x, y)
    return float(g[0] / g[-1])


def _judge_1(answer) -> str:
    ratio = number(answer, "the first hidden layer's gradient norm over the last one's", 0)
    ref = _tanh_gradient_ratio()
    if ratio > 0 and close(ratio, 1 / ref, 0.01 * abs(1 / ref)) and not close(ref, 1.0, 0.01):
        raise Wrong("that is the ratio the wrong way round (the last layer's gradient over the "
                    "first one's): divide the first layer's norm by the last layer's.")
    if ratio < 1e-6:
        raise Wrong("that tiny ratio is the sigmoid network's; the exercise asks for tanh with "
                    "Glorot (`tanh_glorot`).")
    if not close(ratio, ref, 0.01 * ref):
        raise Wrong("not the value of a fresh `tanh_glorot` network at depth 20, width 128, "
                    "seed 0: call `seed_everything(0)` right before building it, and use the "
                    "whole training set.")
    return (f"right: {ratio:.3f}. With tanh and Glorot the gradient reaches the first layer at "
            "about the size it has at the last; the sigmoid's shrinks by many orders of "
            "magnitude on the way.")


q1 = Exercise(
    name="11.1", answer="grad_ratio_tanh",
    judge=_judge_1,
    hint_text="Build `build_recipe(\"tanh_glorot\", **HEADLINE)` right after "
              "`seed_everything(0)`, then `gradient_norms(model, x_train, y_train)` gives one "
              "norm per hidden layer, first to last.",
    solution_code='''
(x_train, y_train), (x_test, y_test) = load_digits_split()
seed_everything(0)
tanh_model = build_recipe("tanh_glorot", **HEADLINE)
norms = gradient_norms(tanh_model, x_train, y_train)
grad_ratio_tanh = norms[0] / norms[-1]
print(f"first layer / last layer: {grad_ratio_tanh:.3f}")
''',
    mistakes=("the ratio taken the wrong way round", "the sigmoid network instead of tanh"),
)


def _stored_rate(recipe: str) -> tuple[float, list[float]]:
    """(share of the stored seeds that learned, their test accuracies) at the headline."""
    from helpers.scale import HEADLINE, sweep_configs
    from helpers.store import Table

    config = sweep_configs([recipe], [HEADLINE["depth"]], HEADLINE["width"])[0]
    rows = [r for r in Table("11_at_real_scale").records()
            if all(r[k] == v for k, v in config.items())]
    if not rows:
        raise Wrong(f"the course's table holds no runs of {recipe!r} yet: run the notebook's "
                    "sweep cell first.")
    return float(np.mean([r["learned"] for r in rows])), [r["test_accuracy"] for r in rows]


def _judge_2(answer) -> str:
    rate = number(answer, "the share of the ten seeds that learned", 0)
    ref, accuracies = _stored_rate("relu_glorot")
    if rate > 1 and close(rate, ref * len(accuracies), 0.01):
        raise Wrong("that is the number of seeds that learned; divide by the number of seeds "
                    "to get a share between 0 and 1.")
    if rate in (0.0, 1.0) and not close(rate, ref, 1e-9):
        raise Wrong("that looks like one seed's outcome (0 or 1), not the share of the ten "
                    "seeds: average the `learned` column.")
    if close(rate, float(np.median(accuracies)), 1e-9) and not close(rate, ref, 1e-9):
        raise Wrong("that is the median test accuracy; the exercise asks for the share of "
                    "seeds whose test accuracy reached the bar (the `learned` column).")
    if not close(rate, ref, 1e-9):
        raise Wrong("not the stored share: select `recipe == \"relu_glorot\"` at the headline "
                    "depth from the sweep and average its `learned` column.")
    return (f"right: {rate:.1f} of the seeds learned. Set it beside ReLU + He's rate in the "
            "sweep's table: the two differ in the initializer only.")


q2 = Exercise(
    name="11.2", answer="rate_relu_glorot",
    judge=_judge_2,
    hint_text="The sweep's DataFrame has one row per run: select the rows of "
              "`relu_glorot` and take the mean of `learned`.",
    solution_code='''
relu_glorot_runs = load_or_train("11_at_real_scale",
                                 sweep_configs(["relu_glorot"], [HEADLINE["depth"]]),
                                 range(10), train_config)
rate_relu_glorot = relu_glorot_runs["learned"].mean()
print(f"ReLU + Glorot learned in {rate_relu_glorot:.1f} of the seeds")
''',
    mistakes=("the count of seeds instead of the share", "one seed's outcome",
              "the median test accuracy instead of the share that learned"),
)


def _dead_share(depth: int) -> float:
    from helpers.experiments import dead_at_init
    from helpers.scale import load_digits_split

    (x, _), _ = load_digits_split()
    return float(dead_at_init(depth, 5, seeds=range(50), x=x).dead.mean())


def _judge_3(answer) -> str:
    share = number(answer, "the share of the 50 networks that are dead", 0)
    ref = _dead_share(10)
    if share > 1 and close(share, ref * 50, 0.5):
        raise Wrong("that is the number of dead networks; divide by 50 for the share.")
    if close(share, 0.0, 1e-9) and ref > 0:
        raise Wrong("none dead is what width 128 gives; the exercise asks for width 5.")
    if close(share, _dead_share(20), 1e-9) and not close(share, ref, 1e-9):
        raise Wrong("that is the share at depth 20; the exercise asks for depth 10.")
    if not close(share, ref, 1e-9):
        raise Wrong("not the share for depth 10, width 5, seeds `range(50)` on `x_train`: use "
                    "`dead_at_init(10, 5, seeds=range(50), x=x_train)`.")
    return (f"right: {share:.2f}. At width 5 a layer can switch all its units off for every "
            "input; at width 128 the chance of that is negligible.")


q3 = Exercise(
    name="11.3", answer="dead_share_width_5",
    judge=_judge_3,
    hint_text="`dead_at_init(depth, width, seeds=..., x=x_train)` returns one row per seed "
              "with a `dead` column.",
    solution_code='''
(x_train, y_train), (x_test, y_test) = load_digits_split()
dead_runs = dead_at_init(10, 5, seeds=range(50), x=x_train)
dead_share_width_5 = dead_runs["dead"].mean()
print(f"dead at initialization, depth 10, width 5: {dead_share_width_5:.2f}")
''',
    mistakes=("the count of dead networks instead of the share", "width 128 instead of 5",
              "depth 20 instead of 10"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
