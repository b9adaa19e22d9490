"""Checked exercises of notebook 09 (beyond ReLU: exploding gradients, clipping, remedies)."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.checking import Exercise, Wrong, close, number


# ------------------------------------------------------------------------------- exercise 1
def _gradients(residual: bool, batch_norm: bool = False, part: str = "kernel") -> np.ndarray:
    """Seed 0's 20-layer ReLU + He network: mean |gradient| per Dense layer, as the first
    training step sees them (training mode)."""
    from helpers import seed_everything
    from helpers.data import load_circles
    from helpers.gradients import layer_gradients
    from helpers.models import build_mlp

    (x_train, y_train), _ = load_circles()
    seed_everything(0)
    model = build_mlp(20, activation="relu", initializer="he_uniform", residual=residual,
                      batch_norm=batch_norm)
    return np.array(layer_gradients(model, x_train, y_train, training=True).sizes(part))


def _profile(answer: Any, n: int, what: str) -> np.ndarray:
    if isinstance(answer, str):
        raise Wrong(f"expected {what}, got a string.")
    if isinstance(answer, dict):
        answer = list(answer.values())
    values = np.asarray(answer, dtype=float).ravel()
    if values.size != n:
        raise Wrong(f"expected {n} values ({what}), got {values.size}.")
    return values


def _judge_1(answer: Any) -> str:
    right = _gradients(residual=True)
    values = _profile(answer, len(right), "one mean |kernel gradient| per Dense layer: twenty "
                      "hidden layers and the output layer")
    if np.allclose(values, right, rtol=1e-6, atol=0):
        return (f"every layer's mean |gradient| is between {right.min():.3g} and "
                f"{right.max():.3g}, far above the sizes of a healthy network: without batch "
                "normalization the sum h + f(h) lets the signal, and the gradient, grow block "
                "after block.")
    if np.allclose(values, _gradients(residual=True, batch_norm=True), rtol=1e-6, atol=0):
        raise Wrong("that is the residual network *with* batch normalization (the remedy of "
                    "the sweep); the exercise asks for `residual=True` without batch norm.")
    if np.allclose(values, _gradients(residual=False), rtol=1e-6, atol=0):
        raise Wrong("that is the plain network (`residual=False`), which for seed 0 is dead: "
                    "every gradient is 0. Build it with `residual=True`.")
    if np.allclose(values, _gradients(residual=True, part="bias"), rtol=1e-6, atol=0):
        raise Wrong("those are the bias gradients (as in the notebook's first experiment); the "
                    "exercise asks for the kernels', which `kernel_gradients` returns.")
    raise Wrong("these are not seed 0's gradients. Call `seed_everything(0)` right before "
                "`build_mlp(20, ..., residual=True)` and use `kernel_gradients(..., "
                "training=True)` on the training set.")


q1 = Exercise(
    name="09.1", answer="residual_gradients",
    judge=_judge_1,
    hint_text="`seed_everything(0)`, then `build_mlp(20, activation=\"relu\", "
              "initializer=\"he_uniform\", residual=True)`, then `kernel_gradients(model, "
              "x_train, y_train, training=True)`: one value per Dense layer.",
    solution_code='''
seed_everything(0)
residual_net = build_mlp(20, activation="relu", initializer="he_uniform", residual=True)
residual_gradients = kernel_gradients(residual_net, x_train, y_train, training=True)
seed_everything(0)
plain_net = build_mlp(20, activation="relu", initializer="he_uniform")
plain_gradients = kernel_gradients(plain_net, x_train, y_train, training=True)
bce = keras.losses.BinaryCrossentropy()
for name, net, grads in (("residual", residual_net, residual_gradients),
                         ("plain He", plain_net, plain_gradients)):
    sizes = np.array(list(grads.values()))
    loss = float(bce(y_train[:, None], net(x_train, training=True)))
    print(f"{name:>8}: loss at initialization {loss:.3g}; mean |kernel gradient| from "
          f"{sizes.min():.3g} to {sizes.max():.3g}")
''',
    mistakes=("the residual network with batch normalization", "the plain network "
              "(residual=False)", "bias gradients instead of kernel gradients",
              "forgetting to reseed before building"),
)


# ------------------------------------------------------------------------------- exercise 2
#: Two variables and their gradients: the first with norm 5, the second with norm 0.5.
_GRADIENTS = (np.array([3.0, 0.0, 4.0]), np.array([0.3, 0.4]))


def _effective_gradient(optimizer: Any) -> list[np.ndarray]:
    """The gradient a fresh copy of ``optimizer`` actually uses in its first step on
    :data:`_GRADIENTS` (SGD's first step is -learning_rate x that gradient)."""
    import keras

    fresh = type(optimizer).from_config(optimizer.get_config())
    variables = [keras.Variable(np.zeros_like(g)) for g in _GRADIENTS]
    fresh.apply([keras.ops.convert_to_tensor(g, dtype=v.dtype)
                 for g, v in zip(_GRADIENTS, variables)], variables)
    rate = float(keras.ops.convert_to_numpy(fresh.learning_rate))
    return [-np.asarray(v.numpy(), dtype=float) / rate for v in variables]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.allclose(x, y, rtol=1e-5, atol=1e-9) for x, y in zip(a, b))


def _judge_2(answer: Any) -> str:
    import keras

    if isinstance(answer, type) and issubclass(answer, keras.optimizers.Optimizer):
        raise Wrong("that is the optimizer class; create one: `keras.optimizers.SGD(...)`.")
    if not isinstance(answer, keras.optimizers.Optimizer):
        raise Wrong(f"expected a Keras optimizer such as `keras.optimizers.SGD(...)`, got "
                    f"{type(answer).__name__}.")
    if not isinstance(answer, keras.optimizers.SGD):
        raise Wrong(f"that is {type(answer).__name__}; the exercise asks for the tutorial's SGD "
                    "(learning rate 0.01, momentum 0.9) with clipping.")
    config = answer.get_config()
    if not close(float(config["learning_rate"]), 0.01, 1e-9) or \
            not close(float(config["momentum"]), 0.9, 1e-6):
        raise Wrong("use the tutorial's SGD settings: `learning_rate=0.01, momentum=0.9`.")
    used = _effective_gradient(answer)
    g = list(_GRADIENTS)
    total = float(np.sqrt(sum((x ** 2).sum() for x in g)))
    if _same(used, [x / total for x in g]):
        return ("`global_clipnorm=1.0` rescales all gradients together, by one factor, "
                "so the gradient the step uses keeps its direction and its joint norm is at "
                "most 1: Pascanu et al.'s clipping. (`clipnorm` would clip each variable on "
                "its own.)")
    if _same(used, [x / max(1.0, float(np.linalg.norm(x))) for x in g]):
        raise Wrong("that is `clipnorm=1.0`: Keras clips each variable's gradient by its own "
                    "norm, so the first variable is scaled down and the second is not, and the "
                    "update's direction changes. The exercise asks for one factor for all of "
                    "them (`global_clipnorm`).")
    if any(_same(used, [np.clip(x, -c, c) for x in g]) for c in (0.1, 0.5, 1.0, 2.0)) \
            and not _same(used, g):
        raise Wrong("that clips each gradient entry separately (`clipvalue`), which changes the "
                    "update's direction; the exercise asks to rescale the whole gradient by its "
                    "global norm.")
    if _same(used, g):
        raise Wrong("this optimizer does not clip at all: its update uses the gradient as it is.")
    flat = np.concatenate([u[x != 0] / x[x != 0] for u, x in zip(used, g)])
    if flat.size and np.allclose(flat, flat[0], rtol=1e-5):
        raise Wrong(f"this rescales all gradients together, as asked, but to a norm of "
                    f"{flat[0] * total:.3g}; the exercise asks for at most 1.")
    raise Wrong("this optimizer changes the gradient in some other way; the exercise asks for "
                "one factor for all gradients, so that their joint norm is at most 1.")


q2 = Exercise(
    name="09.2", answer="pascanu_sgd",
    judge=_judge_2,
    hint_text="Keras' optimizers take three clipping arguments: `clipvalue` (each entry), "
              "`clipnorm` (each variable by its own norm) and `global_clipnorm` (all gradients "
              "together). Which one is Pascanu et al.'s?",
    solution_code='''
pascanu_sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, global_clipnorm=1.0)
per_variable = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1.0)
gradients = [np.array([3.0, 0.0, 4.0]), np.array([0.3, 0.4])]  # norms 5 and 0.5
print("global norm of the gradient:", np.sqrt(sum((g ** 2).sum() for g in gradients)))
for name, optimizer in (("global_clipnorm=1.0", pascanu_sgd), ("clipnorm=1.0", per_variable)):
    fresh = type(optimizer).from_config(optimizer.get_config())  # a copy to try it on
    weights = [keras.Variable(np.zeros_like(g)) for g in gradients]
    fresh.apply([keras.ops.convert_to_tensor(g) for g in gradients], weights)
    used = [-w.numpy() / 0.01 for w in weights]  # SGD's first step is -0.01 x the gradient used
    print(f"{name:>20}: gradient used {[np.round(u, 3).tolist() for u in used]}, "
          f"global norm {np.sqrt(sum((u ** 2).sum() for u in used)):.3f}")
''',
    mistakes=("per-variable clipnorm confused with global_clipnorm", "clipvalue (each entry) "
              "instead of the norm", "no clipping at all"),
)


# ------------------------------------------------------------------------------- exercise 3
def _runs(width: int, depth: int) -> list[dict]:
    """The stored ReLU + He baseline runs of notebook 09 at ``width`` and ``depth``."""
    from helpers.store import Table

    return [r for r in Table("09_beyond_relu").records()
            if r["width"] == width and r["depth"] == depth and r["activation"] == "relu"
            and r["initializer"] == "he_uniform" and not r["batch_norm"] and not r["residual"]
            and r["optimizer"] is None]


def _judge_3(answer: Any) -> str:
    rate = number(answer, "the share of the twenty seeds that learned", 0)
    runs = _runs(16, 30)
    if not runs:
        raise Wrong("the course's stored table has no width-16 runs at 30 layers here; run the "
                    "notebook's sweep first.")
    right = float(np.mean([r["learned"] for r in runs]))
    if close(rate, right, 1e-9):
        narrow = float(np.mean([r["learned"] for r in _runs(5, 30)]))
        return (f"{right:.2f} of the seeds learn at width 16, against {narrow:.2f} at "
                "width 5: at 30 layers width alone brings the plain ReLU + He network back, "
                "because a wider layer is far less likely to have every unit switched off; not "
                "every wide network that starts alive learns, though.")
    if rate > 1:
        if rate == int(rate) and rate <= len(runs):
            raise Wrong(f"{rate:g} is a count of seeds; the exercise asks for the share "
                        f"(divide by {len(runs)}).")
        raise Wrong(f"expected a share between 0 and 1, got {rate:g}.")
    mean_accuracy = float(np.mean([r["test_accuracy"] for r in runs]))
    if close(rate, mean_accuracy, 5e-4):
        raise Wrong("that is the mean test accuracy of the twenty runs; the exercise asks for "
                    "the share of runs that learned (the `learned` column).")
    narrow = float(np.mean([r["learned"] for r in _runs(5, 30)]))
    if close(rate, narrow, 1e-9):
        raise Wrong(f"{rate:g} is the width-5 network's share at 30 layers (or one seed's "
                    "outcome); the exercise asks for width 16, over all twenty seeds.")
    if rate in (0.0, 1.0):
        raise Wrong("that looks like one seed's outcome (0 or 1), not a share over twenty "
                    "seeds: average `learned` over all the runs.")
    raise Wrong("that is not the stored share. Read the twenty width-16, 30-layer runs of the "
                "ReLU + He baseline and average their `learned` column.")


q3 = Exercise(
    name="09.3", answer="wide_rate_30",
    judge=_judge_3,
    hint_text="`sweep` with `width` 16, `depth` 30 and the baseline's settings "
              "(`REMEDIES[\"ReLU + He (baseline)\"]`), twenty seeds and `table=\"09_beyond_relu\"` "
              "reads the stored runs instead of training them; average the `learned` column.",
    solution_code='''
baseline = {k: [v] for k, v in REMEDIES["ReLU + He (baseline)"].items()}
rates_30 = {}
for width in (5, 16):
    runs_30 = sweep({"width": [width], "depth": [30], **baseline}, seeds=range(20), epochs=500,
                    table="09_beyond_relu", progress=False)
    rates_30[width] = runs_30.learned.mean()
    print(f"width {width}: {runs_30.learned.sum()} of {len(runs_30)} seeds learned "
          f"(share {rates_30[width]:.2f}), mean test accuracy {runs_30.test_accuracy.mean():.3f}")
wide_rate_30 = rates_30[16]
''',
    mistakes=("one seed's outcome instead of a share", "the mean test accuracy instead of the "
              "share that learned", "a count of seeds instead of a share", "the width-5 value"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
