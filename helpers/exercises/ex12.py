"""Checked exercises of notebook 12 (where the normalization sits in a deep transformer).

Exercise 1 recomputes a gradient profile (one model, no training, a few seconds); exercises 2
and 3 read the notebook's stored tables (helpers/results/12_*.csv)."""

from __future__ import annotations

import numpy as np

from helpers.checking import Exercise, Wrong, close, course_precision, number
from helpers.seeding import seed_everything
from helpers.store import Table
from helpers.transformer import (
    DEFAULT_SETTINGS,
    HEADLINE_DEPTH,
    block_gradients,
    build_transformer,
    make_reversal,
    profile_array,
)

_SEED = 7  # a seed the notebook's gradient profiles (seeds 0-2) do not use


def _ratio(placement: str) -> float:
    """Last block's gradient over the first block's at initialization, as exercise 1 asks."""
    with course_precision():
        s = DEFAULT_SETTINGS
        x, y = make_reversal(100, s["length"], s["vocab"], seed=_SEED)
        seed_everything(_SEED)
        g = block_gradients(build_transformer(placement, HEADLINE_DEPTH), x, y)
    return float(g[-1] / g[0])


def _judge_1(answer) -> str:
    value = number(answer, "the last block's gradient over the first block's", 0)
    post, pre = _ratio("post"), _ratio("pre")
    if close(value, post, 1e-6 * post):
        return (f"{post:.3f}: in Post-LN the block next to the output gets "
                f"{'more' if post > 1 else 'less'} gradient than the first block, while Pre-LN's "
                f"ratio for the same seed is {pre:.3f}.")
    if close(value, 1 / post, 1e-6 / post):
        raise Wrong("that is the ratio the wrong way round (first block over last); divide the "
                    "last block's gradient by the first block's.")
    if close(value, pre, 1e-6 * pre):
        raise Wrong("that is the Pre-LN network's ratio; build the network with "
                    "`build_transformer(\"post\", HEADLINE_DEPTH)`.")
    raise Wrong(f"not the course's value: call `seed_everything({_SEED})` right before "
                "`build_transformer(\"post\", HEADLINE_DEPTH)`, measure `block_gradients` on "
                f"`make_reversal(100, 8, 8, seed={_SEED})` and divide the last entry by the first.")


def _rates(warmup: bool) -> dict[str, float]:
    """Share of seeds that learned at HEADLINE_DEPTH per placement, from the stored sweep."""
    rows = [r for r in Table("12_transformers").records()
            if r["depth"] == HEADLINE_DEPTH and bool(r["warmup_steps"]) == warmup]
    out = {}
    for placement in {r["placement"] for r in rows}:
        learned = [r["learned"] for r in rows if r["placement"] == placement]
        out[placement] = float(np.mean(learned))
    return out


def _judge_2(answer) -> str:
    value = number(answer, "the share of the 10 seeds that learned", 0)
    warm, cold = _rates(True)["post"], _rates(False)["post"]
    if value > 1 and close(value, 10 * warm, 1e-9):
        raise Wrong("that is the number of seeds; the exercise asks for the share of the 10 "
                    "seeds (a number between 0 and 1).")
    if close(value, warm, 1e-9):
        return (f"{warm:.1f} with warm-up against {cold:.1f} without: the same Post-LN networks, "
                "the same seeds; only the first optimizer steps are smaller.")
    if close(value, cold, 1e-9):
        raise Wrong("that is Post-LN without warm-up; select the rows with "
                    "`warmup_steps == WARMUP_STEPS`.")
    if value in (0.0, 1.0):
        raise Wrong("that looks like one seed's outcome; average `learned` over the 10 seeds.")
    raise Wrong("not the course's value: from the stored sweep (`runs`), keep Post-LN at "
                "HEADLINE_DEPTH with warm-up and average its `learned` column.")


def _profile_last(placement: str, depth: int) -> float:
    rows = [r for r in Table("12_gradient_profiles").records()
            if r["placement"] == placement and r["depth"] == depth]
    return float(np.median([profile_array(r["gradients"])[-1] for r in rows]))


def _first(placement: str, depth: int) -> float:
    rows = [r for r in Table("12_gradient_profiles").records()
            if r["placement"] == placement and r["depth"] == depth]
    return float(np.median([profile_array(r["gradients"])[0] for r in rows]))


def _judge_3(answer) -> str:
    value = number(answer, "the ratio of the last block's gradients at 24 and 6 blocks", 0)
    pre = _profile_last("pre", 24) / _profile_last("pre", 6)
    if close(value, pre, 1e-6 * pre):
        return (f"{pre:.3f}, beside the 1/sqrt(24/6) = 0.5 of Xiong et al.'s scaling: in Pre-LN "
                "each added block dilutes the gradient of the last one; Xiong et al. give this as "
                "the reason Pre-LN needs no warm-up (a mechanism this notebook does not measure).")
    if close(value, 1 / pre, 1e-6 / pre):
        raise Wrong("that is the ratio the wrong way round; divide the value at 24 blocks by "
                    "the value at 6 blocks.")
    post = _profile_last("post", 24) / _profile_last("post", 6)
    if close(value, post, 1e-6 * post):
        raise Wrong("that is Post-LN's ratio; the exercise asks for Pre-LN (`placement == "
                    "\"pre\"`).")
    first = _first("pre", 24) / _first("pre", 6)
    if close(value, first, 1e-6 * first):
        raise Wrong("that compares the first blocks; take the last block (`[-1]`) of each "
                    "profile.")
    raise Wrong("not the course's value: from `profiles`, take the median over seeds of the "
                "last block's gradient for Pre-LN at 24 blocks and divide it by the one at 6.")


q1 = Exercise(
    name="12.1", answer="post_last_over_first",
    judge=_judge_1,
    hint_text=f"`x, y = make_reversal(100, 8, 8, seed={_SEED})`, then `seed_everything({_SEED})`, "
              "`model = build_transformer(\"post\", HEADLINE_DEPTH)` and "
              "`g = block_gradients(model, x, y)`; the answer is `g[-1] / g[0]`.",
    solution_code=f'''
x_probe, y_probe = make_reversal(100, 8, 8, seed={_SEED})
for placement in ("post", "pre"):
    seed_everything({_SEED})
    g = block_gradients(build_transformer(placement, HEADLINE_DEPTH), x_probe, y_probe)
    print(f"{{placement}}: last block / first block = {{g[-1] / g[0]:.3f}}")
    if placement == "post":
        post_last_over_first = g[-1] / g[0]
''',
    mistakes=("the ratio the wrong way round", "the Pre-LN network"),
)

q2 = Exercise(
    name="12.2", answer="post_warmup_rate",
    judge=_judge_2,
    hint_text="read Post-LN's stored runs with warm-up: `load_or_train(\"12_transformers\", "
              "sweep_configs([\"post\"], [HEADLINE_DEPTH], warmup_steps=WARMUP_STEPS), "
              "range(10), train_config)`, then take the mean of its `learned` column.",
    solution_code='''
configs = sweep_configs(["post"], [HEADLINE_DEPTH]) + sweep_configs(
    ["post"], [HEADLINE_DEPTH], warmup_steps=WARMUP_STEPS)
post_runs = load_or_train("12_transformers", configs, range(10), train_config)
for warmup, sel in post_runs.groupby("warmup_steps"):
    print(f"Post-LN, {HEADLINE_DEPTH} blocks, warm-up over {warmup} steps: "
          f"{sel['learned'].sum()} of {len(sel)} seeds learned, share {sel['learned'].mean():.1f}")
post_warmup_rate = sel["learned"].mean()  # the last group: with warm-up
''',
    mistakes=("the rate without warm-up", "the number of seeds instead of the share",
              "one seed's outcome"),
)

q3 = Exercise(
    name="12.3", answer="pre_last_24_over_6",
    judge=_judge_3,
    hint_text="read the stored profiles as the notebook does (`load_or_train(\"12_gradient_"
              "profiles\", ...)`); `profile_array(row_gradients)[-1]` is the last block; take "
              "the median over the seeds for Pre-LN at 24 and at 6 blocks, then divide.",
    solution_code='''
profile_settings = {k: DEFAULT_SETTINGS[k] for k in ("length", "vocab", "width", "heads")}
configs = [{"placement": p, "depth": d, **profile_settings}
           for p in ("post", "pre") for d in [3, 6, 12, 24]]
stored = load_or_train("12_gradient_profiles", configs, range(3), profile_config)
last = {}
for (placement, depth), sel in stored.groupby(["placement", "depth"]):
    last[placement, depth] = np.median([profile_array(g)[-1] for g in sel["gradients"]])
for placement in ("post", "pre"):
    print(f"{placement}: last block at 24 blocks / at 6 blocks = "
          f"{last[placement, 24] / last[placement, 6]:.3f}")
print(f"Xiong et al. for Pre-LN: 1/sqrt(24/6) = {1 / np.sqrt(24 / 6):.3f}")
pre_last_24_over_6 = last["pre", 24] / last["pre", 6]
''',
    mistakes=("the ratio the wrong way round", "the Post-LN profile", "the first block"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
