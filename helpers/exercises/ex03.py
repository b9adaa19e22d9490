"""Checked exercises of notebook 03 (a deeper tanh network fails).

Exercise 1 is judged against notebook 06's stored sweep (helpers/results/06_five_extensions:
the same ``train_many`` runs, depth 1 to 5, seeds 0 to 19); exercise 2 rebuilds seed 0's
network and measures it (well under a second); exercise 3 checks the learner's model's layers.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np

from helpers import seed_everything
from helpers.checking import Exercise, Wrong, number
from helpers.data import load_circles
from helpers.models import build_mlp
from helpers.store import Table

_DEPTHS = (1, 2, 3, 4, 5)
_SATURATED = 0.99  # |tanh output| above this: the unit sits in a flat tail


# --------------------------------------------------------------------------------- exercise 1
def _stored_rates() -> dict[int, float]:
    """Share of seeds 0-19 that learned, per depth 1-5, tanh, U(0, 1), width 5, 500 epochs
    of the tutorial's SGD: read from notebook 06's stored table."""
    rows = [r for r in Table("06_five_extensions").records()
            if r["width"] == 5 and r["activation"] == "tanh" and r["initializer"] == "uniform_0_1"
            and r["depth"] in _DEPTHS and r["seed"] in range(20) and r["epochs"] == 500
            and r["optimizer"] is None and r["batch_size"] == 32 and r["floatx"] == "float64"
            and r["learning_rate"] is None and not r["batch_norm"] and not r["residual"]]
    rates = {d: [r["learned"] for r in rows if r["depth"] == d] for d in _DEPTHS}
    if any(len(v) != 20 for v in rates.values()):
        raise RuntimeError("the stored table 06_five_extensions lacks some of the runs this "
                           "check compares with; recompute it with `make results`")
    return {d: float(np.mean(v)) for d, v in rates.items()}


def _as_depth_values(answer) -> dict[int, float]:
    if isinstance(answer, Mapping) or hasattr(answer, "to_dict"):
        items = dict(answer.to_dict() if hasattr(answer, "to_dict") else answer)
        if sorted(int(k) for k in items) != list(_DEPTHS):
            raise Wrong(f"expected one value for each depth 1 to 5 (keys 1, 2, 3, 4, 5), got "
                        f"keys {sorted(items)}.")
        return {int(k): number(v, f"the share for depth {k}") for k, v in items.items()}
    if isinstance(answer, (list, tuple, np.ndarray)) and len(answer) == len(_DEPTHS):
        return {d: number(v, f"the share for depth {d}") for d, v in zip(_DEPTHS, answer)}
    raise Wrong("expected a dict {depth: share of seeds that learned} for depths 1 to 5 (or a "
                f"list of five shares in that order), got {type(answer).__name__}.")


def _judge_1(answer) -> str:
    values = _as_depth_values(answer)
    ref = _stored_rates()
    if all(abs(values[d] - ref[d]) < 1e-9 for d in _DEPTHS):
        return ("one and two hidden layers learn in every seed; the share falls from three "
                f"layers on, to {ref[5]:.2f} at five. Depth alone turns a reliable recipe into "
                "one that mostly fails.")
    if all(abs(values[d] - 20 * ref[d]) < 1e-9 for d in _DEPTHS):
        raise Wrong("those are counts of seeds; divide by the twenty seeds to get shares "
                    "(`runs.learned.mean()`).")
    if all(abs(values[d] - 100 * ref[d]) < 1e-9 for d in _DEPTHS):
        raise Wrong("those are percentages; give shares between 0 and 1.")
    if all(v in (0.0, 1.0) for v in values.values()):
        raise Wrong("every value is 0 or 1: that looks like one seed's outcome per depth, not "
                    "a share over twenty seeds. Train `seeds=range(20)` and take the mean of "
                    "`learned`.")
    wrong = [d for d in _DEPTHS if abs(values[d] - ref[d]) >= 1e-9]
    raise Wrong(f"not the course's shares for depth {', '.join(map(str, wrong))}: train "
                "`train_many(depth=d, seeds=range(20))` (tanh, U(0, 1), width 5, 500 epochs) "
                "and take the mean of its `learned` column for each depth.")


# --------------------------------------------------------------------------------- exercise 2
def _saturation() -> dict[str, list[float]]:
    """Seed 0's five-layer tanh network before training, on the 500 training inputs: the share
    of each hidden layer's outputs (and pre-activations) beyond +-_SATURATED."""
    (x_train, _), _ = load_circles()
    seed_everything(0)
    net = build_mlp(5)
    h, outputs, pre = x_train, [], []
    for layer in net.layers[:5]:
        z = h @ np.asarray(layer.kernel) + np.asarray(layer.bias)
        h = np.tanh(z)
        outputs.append(float((np.abs(h) > _SATURATED).mean()))
        pre.append(float((np.abs(z) > _SATURATED).mean()))
    return {"outputs": outputs, "pre": pre}


def _judge_2(answer) -> str:
    if not isinstance(answer, (list, tuple, np.ndarray)):
        raise Wrong("expected a list of five shares, one per hidden layer (layer 1 first), got "
                    f"{type(answer).__name__}.")
    if len(answer) != 5:
        raise Wrong(f"expected five shares, one per hidden layer, got {len(answer)} values.")
    values = [number(v, "a share of saturated outputs") for v in answer]
    ref = _saturation()
    near = lambda a, b: all(abs(x - y) < 1e-6 for x, y in zip(a, b))  # noqa: E731
    if near(values, ref["outputs"]):
        return (f"at most {max(ref['outputs'][:3]):.4f} of the outputs of layers 1 to 3 are "
                f"saturated, but {ref['outputs'][3]:.3f} of layer 4's and "
                f"{ref['outputs'][4]:.3f} of layer 5's already sit in tanh's flat tails before "
                "training starts: the all-positive weights push the signal outwards as it "
                "climbs.")
    if near(values, ref["outputs"][::-1]):
        raise Wrong("the values are right but in reverse order; list layer 1 (next to the "
                    "input) first.")
    if near(values, ref["pre"]):
        raise Wrong("those are shares of pre-activations (before tanh) beyond 0.99; measure the "
                    "layer's outputs, after tanh.")
    if any(v > 1 for v in values):
        raise Wrong("some values exceed 1: give shares (the mean over the 500 x 5 outputs of a "
                    "layer), not counts.")
    raise Wrong("not seed 0's values: call `seed_everything(0)` right before building the "
                "five-layer network, pass `x_train` through the hidden layers one by one and "
                "take, per layer, the share of outputs with |value| > 0.99.")


# --------------------------------------------------------------------------------- exercise 3
def _judge_3(answer) -> str:
    if not isinstance(answer, keras.Model):
        raise Wrong(f"expected a Keras model, got {type(answer).__name__}.")
    dense = [layer for layer in answer.layers if isinstance(layer, keras.layers.Dense)]
    if not dense or not all(layer.built for layer in dense):
        raise Wrong("the model has no built Dense layers: start it with "
                    "`keras.Input(shape=(2,))`.")
    shapes = [tuple(layer.kernel.shape) for layer in dense]
    if shapes != [(2, 5)] + [(5, 5)] * 4 + [(5, 1)]:
        raise Wrong(f"expected five hidden layers of 5 units and one output unit (kernels (2, 5), "
                    f"four times (5, 5), then (5, 1)), got kernels {shapes}.")
    acts = [layer.activation.__name__ for layer in dense]
    if acts != ["tanh"] * 5 + ["sigmoid"]:
        raise Wrong(f"the hidden layers should use tanh and the output sigmoid, got {acts}.")
    if any(np.any(np.asarray(layer.bias) != 0) for layer in dense):
        raise Wrong("its biases are not zero: this model has been trained. The exercise asks "
                    "for the freshly built network.")
    kernels = [np.asarray(layer.kernel) for layer in dense[1:5]]
    if any(np.array_equal(a, b) for i, a in enumerate(kernels) for b in kernels[i + 1:]):
        raise Wrong("some hidden layers start with identical weights: they share one "
                    "initializer object, which in Keras 3 returns the same values at every call. "
                    "Create a new `RandomUniform(0.0, 1.0)` inside the loop, once per layer.")
    if any(np.any(np.asarray(layer.kernel) < 0) or np.any(np.asarray(layer.kernel) > 1)
           for layer in dense):
        raise Wrong("some weights lie outside [0, 1]: that is not the tutorial's U(0, 1) (Keras' "
                    "default, glorot_uniform, draws negative weights too). Give each layer "
                    "`kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)`.")
    return ("five tanh layers with their own U(0, 1) draws: the tutorial's experiment. With one "
            "shared initializer object every 5 x 5 layer would start identical, a different "
            "experiment.")


q1 = Exercise(
    name="03.1", answer="rates_by_depth",
    judge=_judge_1,
    hint_text="for each depth d in 1..5, `train_many(depth=d, seeds=range(20)).learned.mean()` "
              "(that takes a minute in all; notebook 06's stored sweep, read with "
              "`helpers.experiments.sweep(..., table=\"06_five_extensions\")`, has the same runs).",
    solution_code='''
from helpers.experiments import sweep

# the same runs as train_many(depth=d, seeds=range(20)) for d = 1..5, stored by notebook 06
runs = sweep({"depth": [1, 2, 3, 4, 5], "activation": ["tanh"], "initializer": ["uniform_0_1"]},
             seeds=range(20), table="06_five_extensions")
rates_by_depth = runs.groupby("depth")["learned"].mean().to_dict()
for depth, rate in rates_by_depth.items():
    print(f"{depth} hidden layers: learned in {rate:.2f} of the 20 seeds")
print("depths that learned in every seed:", [d for d, r in rates_by_depth.items() if r == 1.0])
print("lowest share at depth:", min(rates_by_depth, key=rates_by_depth.get))
''',
    mistakes=("a single seed's outcome per depth (0 or 1)", "counts instead of shares",
              "percentages instead of shares"),
)

q2 = Exercise(
    name="03.2", answer="saturated_share",
    judge=_judge_2,
    hint_text="after `seed_everything(0)` build the five-layer network as in the notebook; then "
              "`h = x_train` and, for each hidden layer, `h = layer(h).numpy()` and "
              "`(np.abs(h) > 0.99).mean()`.",
    solution_code='''
seed_everything(0)  # then the same layers as the notebook's model: seed 0's starting weights
net = keras.Sequential([keras.Input(shape=(2,))])
for _ in range(5):
    net.add(keras.layers.Dense(5, activation="tanh",
                               kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)))
net.add(keras.layers.Dense(1, activation="sigmoid",
                           kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)))
h, saturated_share = x_train, []
for i, layer in enumerate(net.layers[:5], 1):
    h = layer(h).numpy()  # this hidden layer's tanh outputs for the 500 training points
    saturated_share.append(float((np.abs(h) > 0.99).mean()))
    print(f"hidden layer {i}: {saturated_share[-1]:.4f} of the outputs beyond +-0.99")
''',
    mistakes=("layers in reverse order", "pre-activations instead of outputs",
              "counts instead of shares"),
)

q3 = Exercise(
    name="03.3", answer="deep_model",
    judge=_judge_3,
    hint_text="build the layers in a loop and write `keras.initializers.RandomUniform(0.0, 1.0)` "
              "inside the loop, so every layer gets its own initializer object.",
    solution_code='''
deep_model = keras.Sequential([keras.Input(shape=(2,))])
for _ in range(5):  # a new initializer object for every layer
    init = keras.initializers.RandomUniform(0.0, 1.0)
    deep_model.add(keras.layers.Dense(5, activation="tanh", kernel_initializer=init))
deep_model.add(keras.layers.Dense(1, activation="sigmoid",
                                  kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)))
kernels = [layer.kernel.numpy() for layer in deep_model.layers]
print("hidden layers 2-5 identical:", all(np.array_equal(kernels[1], k) for k in kernels[2:5]))
print("negative weights:", sum(int((k < 0).sum()) for k in kernels))
''',
    mistakes=("layers sharing one initializer object", "Keras' default initializer",
              "a trained model instead of a fresh one"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
