"""Checked exercises of notebook 05 (inspecting gradients layer by layer).

The judges rebuild the course's networks for the seeds the exercises name (no training) and
measure them with :mod:`helpers.gradients`, so they compare the learner's number with the
course's own measurement; each answers in a second or two.
"""

from __future__ import annotations

import keras
import numpy as np

from helpers.checking import Exercise, Wrong, close, course_precision, number
from helpers.data import load_circles
from helpers.gradients import diagnose, kernel_gradients, layer_outputs
from helpers.models import build_mlp
from helpers.seeding import seed_everything


def _tutorial_tanh(seed: int) -> keras.Model:
    seed_everything(seed)
    return build_mlp(5)  # five tanh layers of five units, every kernel from U(0, 1)


def _shared_initializer_tanh(seed: int) -> keras.Model:
    """The trap of notebook 03: one RandomUniform object shared by every layer."""
    seed_everything(seed)
    shared = keras.initializers.RandomUniform(0.0, 1.0)
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(5, activation="tanh", kernel_initializer=shared) for _ in range(5)]
        + [keras.layers.Dense(1, activation="sigmoid", kernel_initializer=shared)])


def _relative(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance * abs(target)


# ------------------------------------------------------------------------------- exercise 1
def _judge_1(answer) -> str:
    with course_precision():
        return _judge_1_in_float64(answer)


def _judge_1_in_float64(answer) -> str:
    (x, y), _ = load_circles()
    grads = list(kernel_gradients(_tutorial_tanh(0), x, y).values())
    hidden, output = grads[:-1], grads[-1]
    share = min(hidden) / output
    value = number(answer, "a ratio of two gradient sizes", 0)
    if _relative(value, 1 / share, 0.01):
        raise Wrong("the ratio is the wrong way round: that is the output layer's gradient "
                    "divided by the weakest hidden layer's; the exercise asks for the weakest "
                    "hidden layer's as a share of the output layer's (a number below 1).")
    if _relative(value, hidden[0] / output, 0.01):
        raise Wrong("that is the *first* hidden layer's share; the profile is U-shaped, so the "
                    "weakest hidden layer sits in the middle: take the smallest hidden layer.")
    shared = list(kernel_gradients(_shared_initializer_tanh(0), x, y).values())
    if _relative(value, min(shared[:-1]) / shared[-1], 0.01):
        raise Wrong("that is the network whose layers share one RandomUniform object (every "
                    "layer of the same shape, `hidden_2` to `hidden_5`, gets the same kernel in "
                    "Keras 3); give each layer its own "
                    "initializer, or use `build_mlp(5)` after `seed_everything(0)`.")
    if value >= 1:
        raise Wrong(f"a hidden layer's share of the output layer's gradient is below 1 here, "
                    f"got {value:g}: divide the hidden layer's size by the output layer's.")
    if not _relative(value, share, 0.01):
        raise Wrong("not what the course measures for seed 0 at initialization: rebuild the "
                    "network with `seed_everything(0)` first, use `kernel_gradients` on the "
                    "training points and divide the smallest hidden value by the output's.")
    return (f"the weakest hidden layer gets {share:.3g} of the output layer's gradient, less "
            "than one percent: the middle of the network hardly learns.")


q1 = Exercise(
    name="05.1", answer="weakest_share_tanh",
    judge=_judge_1,
    hint_text="`helpers.gradients.kernel_gradients(model, x_train, y_train)` gives every "
              "layer's mean |gradient| by name; build the network with `seed_everything(0)` "
              "and `helpers.models.build_mlp(5)`, then divide the smallest hidden value by the "
              "output layer's.",
    solution_code='''
from helpers.gradients import kernel_gradients
from helpers.models import build_mlp

seed_everything(0)
fresh_tanh = build_mlp(5)  # tanh, every kernel from U(0, 1): the tutorial's deep network
grads_at_init = kernel_gradients(fresh_tanh, x_train, y_train)
hidden_grads = {name: g for name, g in grads_at_init.items() if name != "output"}
weakest = min(hidden_grads, key=hidden_grads.get)
weakest_share_tanh = hidden_grads[weakest] / grads_at_init["output"]
print(f"weakest hidden layer: {weakest}, {hidden_grads[weakest]:.3g} against the output "
      f"layer's {grads_at_init['output']:.3g}: a share of {weakest_share_tanh:.3g}")
''',
    mistakes=("a gradient ratio taken the wrong way round",
              "the first hidden layer instead of the weakest",
              "layers sharing one initializer"),
)


# ------------------------------------------------------------------------------- exercise 2
def _judge_2(answer) -> str:
    with course_precision():
        return _judge_2_in_float64(answer)


def _judge_2_in_float64(answer) -> str:
    (x, _), _ = load_circles()
    model = _tutorial_tanh(0)
    z = layer_outputs(model, x, pre_activation=True)["hidden_5"]
    share = float(np.mean(np.abs(np.tanh(z)) > 0.97))
    value = number(answer, "a share of the layer's outputs", 0)
    if close(value, 100 * share, 0.5) and not close(value, share, 0.005):
        raise Wrong(f"{value:g} looks like a percentage; give the share as a fraction between "
                    "0 and 1.")
    if value > 1:
        raise Wrong(f"a share lies between 0 and 1, got {value:g}.")
    if close(value, float(np.mean(np.abs(z) > 0.97)), 0.001) and not close(value, share, 0.005):
        raise Wrong("that compares the pre-activations z with 0.97; a unit is saturated when "
                    "its *output* tanh(z) is beyond 0.97 in size (|z| above about 2.1).")
    outputs = layer_outputs(model, x)["hidden_5"]
    if close(value, float(np.mean(np.abs(np.tanh(outputs)) > 0.97)), 0.001) \
            and not close(value, share, 0.005):
        raise Wrong("that applies tanh twice: `layer_outputs` without `pre_activation=True` "
                    "already returns tanh(z); compare those outputs with 0.97 directly.")
    if not close(value, share, 0.005):
        raise Wrong("not what the course measures: seed 0, `build_mlp(5)`, the pre-activations "
                    "of `hidden_5` on `x_train`, and the share with |tanh(z)| > 0.97.")
    return (f"{share:.3f} of `hidden_5`'s outputs are saturated before any training: there "
            "the slope of tanh is below 0.06, so little error signal passes back.")


q2 = Exercise(
    name="05.2", answer="saturated_share_hidden_5",
    judge=_judge_2,
    hint_text="`layer_outputs(model, x_train, pre_activation=True)[\"hidden_5\"]` gives the "
              "pre-activations z (one row per point, one column per unit); the share of "
              "entries with |tanh(z)| > 0.97 is a mean of a boolean array.",
    solution_code='''
from helpers.models import build_mlp

seed_everything(0)
fresh_tanh = build_mlp(5)  # tanh, every kernel from U(0, 1)
z_hidden_5 = layer_outputs(fresh_tanh, x_train, pre_activation=True)["hidden_5"]
saturated_share_hidden_5 = float(np.mean(np.abs(np.tanh(z_hidden_5)) > 0.97))
print(f"hidden_5: {saturated_share_hidden_5:.3f} of {z_hidden_5.size} outputs saturated; "
      f"mean slope 1 - tanh(z)^2 = {np.mean(1 - np.tanh(z_hidden_5) ** 2):.3f}")
''',
    mistakes=("a percentage instead of a share", "|z| > 0.97 instead of |tanh(z)| > 0.97",
              "tanh applied twice"),
)


# ------------------------------------------------------------------------------- exercise 3
def _verdicts() -> list[list[str]]:
    (x, y), _ = load_circles()
    kinds = []
    for seed in range(10):
        seed_everything(seed)
        kinds.append(diagnose(build_mlp(15, activation="relu", initializer="he_uniform"),
                              x, y).kinds)
    return kinds


def _judge_3(answer) -> str:
    with course_precision():
        return _judge_3_in_float64(answer)


def _judge_3_in_float64(answer) -> str:
    kinds = _verdicts()
    share = float(np.mean(["dead_units" in k for k in kinds]))
    value = number(answer, "the share of the ten seeds flagged for dead units", 0)
    if close(value, 10 * share, 1e-9) and not close(value, share, 1e-9):
        raise Wrong(f"{value:g} is a count of seeds; the exercise asks for a share between 0 "
                    "and 1 (divide by the ten seeds).")
    if value > 1:
        raise Wrong(f"a share lies between 0 and 1, got {value:g}.")
    flagged = float(np.mean([bool(k) for k in kinds]))
    if close(value, flagged, 1e-9) and not close(value, share, 1e-9):
        raise Wrong("that counts every seed with any finding; the exercise asks only for the "
                    "`dead_units` finding (look at `diagnose(...).kinds`).")
    if value in (0.0, 1.0) and not close(value, share, 1e-9):
        raise Wrong("that looks like one seed's verdict, not a share over ten seeds: reseed "
                    "and rebuild the network for each seed 0 to 9.")
    if not close(value, share, 1e-9):
        raise Wrong("not what `diagnose` reports: for each seed 0 to 9 call "
                    "`seed_everything(seed)` *before* building the network, then check whether "
                    "\"dead_units\" is in `.kinds`.")
    return (f"{share:.1f} of the ten fresh 15-layer ReLU + He networks have too many dead "
            "units before training: deep, narrow ReLU networks often lose units at the start.")


q3 = Exercise(
    name="05.3", answer="dead_flag_share_15",
    judge=_judge_3,
    hint_text="for seed in range(10): `seed_everything(seed)`, build "
              "`helpers.models.build_mlp(15, activation=\"relu\", initializer=\"he_uniform\")`, "
              "and keep `\"dead_units\" in diagnose(model, x_train, y_train).kinds`; the share "
              "is the mean.",
    solution_code='''
from helpers.models import build_mlp

verdicts = []
for seed in range(10):
    seed_everything(seed)
    deep_relu_15 = build_mlp(15, activation="relu", initializer="he_uniform")
    verdicts.append(diagnose(deep_relu_15, x_train, y_train).kinds)
    print(f"seed {seed}: {', '.join(verdicts[-1]) or 'healthy'}")
dead_flag_share_15 = float(np.mean(["dead_units" in kinds for kinds in verdicts]))
print(f"share flagged for dead units: {dead_flag_share_15:.1f}")
''',
    mistakes=("a count instead of a share", "every finding instead of dead units only",
              "one seed's verdict (forgetting to reseed)"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
