"""Checked exercises of notebook 02 (a shallow tanh network learns the circles).

The judges train the course's own runs with ``train_many`` (float64, fixed seeds: a few seconds)
or rebuild seed 0's network, and compare the learner's result with them.
"""

from __future__ import annotations

import keras
import numpy as np

from helpers import seed_everything
from helpers.checking import Exercise, Wrong, close, number
from helpers.models import build_mlp
from helpers.training import LEARNED_THRESHOLD, train_many

_TOL = 0.001       # accuracies on 500 test points are multiples of 0.002
_SEEDS = range(10)  # exercise 2's seeds


# --------------------------------------------------------------------------------- exercise 1
def _judge_1(answer) -> str:
    value = number(answer, "seed 0's test accuracy after 1,000 epochs", 0, 1)
    run = train_many(1, seeds=[0], epochs=1000).iloc[0]
    test, train, at_500 = run.test_accuracy, run.train_accuracy, run.history["val_accuracy"][499]
    if close(value, test, _TOL):
        return (f"{test:.3f} after 1,000 epochs against {at_500:.3f} after 500: twice the "
                "training moves the test accuracy by a few hundredths only, because the shallow "
                "network is already close to the ceiling notebook 01 measured.")
    if close(value, train, _TOL):
        raise Wrong("that is the accuracy on the training half; the exercise asks for the test "
                    "half (`x_test`, `y_test`, or `val_accuracy` in the history).")
    if close(value, at_500, _TOL):
        raise Wrong("that is seed 0's test accuracy after 500 epochs; train for `epochs=1000` "
                    "and read the accuracy after the last epoch.")
    raise Wrong("not seed 0's run: call `seed_everything(0)` right before building the "
                "network (or use `train_many(..., seeds=[0], epochs=1000)`), train it with "
                "`epochs=1000, seed=0`, and report the final test accuracy.")


# --------------------------------------------------------------------------------- exercise 2
def _first_epochs(initializer: str) -> dict[str, list[int]]:
    """Per seed of _SEEDS: the first epoch (from 1) whose test (``val_accuracy``) and training
    (``accuracy``) accuracy reach LEARNED_THRESHOLD (a huge number if none does)."""
    runs = train_many(1, initializer=initializer, seeds=_SEEDS)
    return {key: [next((e for e, a in enumerate(h[key], 1) if a >= LEARNED_THRESHOLD), 10**6)
                  for h in runs.history] for key in ("val_accuracy", "accuracy")}


def _judge_2(answer) -> str:
    value = number(answer, "the median first epoch (over ten seeds) at which the test accuracy "
                           "reaches LEARNED_THRESHOLD", 0)
    glorot = _first_epochs("glorot_uniform")
    target = float(np.median(glorot["val_accuracy"]))
    if close(value, target, 0.01):
        uniform = float(np.median(_first_epochs("uniform_0_1")["val_accuracy"]))
        return (f"with Glorot's weights the test accuracy first reaches {LEARNED_THRESHOLD} at "
                f"epoch {target:g} (median of ten seeds), against {uniform:g} with U(0, 1): the "
                "median run gets there sooner, though single seeds overlap a lot.")
    if close(value, target - 1, 0.01):
        raise Wrong("that is one less than the course's value: count epochs from 1, as the "
                    "notebook does with `enumerate(acc, 1)`.")
    if close(value, glorot["val_accuracy"][0], 0.01):
        raise Wrong("that is seed 0's first epoch alone; take the median over the ten seeds "
                    "`range(10)`.")
    if close(value, float(np.median(glorot["accuracy"])), 0.01):
        raise Wrong("that is read from the training accuracy (`accuracy`); the threshold is "
                    "about the test accuracy, `val_accuracy` in each run's history.")
    if close(value, float(np.median(_first_epochs("uniform_0_1")["val_accuracy"])), 0.01):
        raise Wrong("that is the median for the tutorial's U(0, 1) weights; pass "
                    "`initializer=\"glorot_uniform\"` to `train_many`.")
    raise Wrong("not the course's value: train `train_many(depth=1, initializer="
                "\"glorot_uniform\", seeds=range(10))`, find in each run's `val_accuracy` the "
                "first epoch (counted from 1) that reaches LEARNED_THRESHOLD, take the median.")


# --------------------------------------------------------------------------------- exercise 3
def _judge_3(answer) -> str:
    if not isinstance(answer, keras.Model):
        raise Wrong(f"expected a Keras model, got {type(answer).__name__}.")
    dense = [layer for layer in answer.layers if isinstance(layer, keras.layers.Dense)]
    if not dense or not all(layer.built for layer in dense):
        raise Wrong("the model has no built Dense layers: start it with `keras.Input(shape=(2,))`.")
    shapes = [tuple(layer.kernel.shape) for layer in dense]
    if shapes != [(2, 5), (5, 1)]:
        raise Wrong(f"expected 2 inputs, one hidden layer of 5 units and 1 output unit (kernels "
                    f"(2, 5) and (5, 1)), got kernels {shapes}.")
    acts = [layer.activation.__name__ for layer in dense]
    if acts != ["tanh", "sigmoid"]:
        raise Wrong(f"the hidden layer should use tanh and the output sigmoid, got {acts}.")
    weights = [np.asarray(w) for w in answer.get_weights()]
    seed_everything(0)
    reference = build_mlp(1).get_weights()
    if len(weights) == len(reference) and all(
            w.shape == r.shape and np.allclose(w, r) for w, r in zip(weights, reference)):
        return ("seed 0's network, one U(0, 1) initializer per layer: the very starting point "
                "of the notebook's run.")
    if any(np.any(np.asarray(layer.bias) != 0) for layer in dense):
        raise Wrong("its biases are not zero: this model has been trained. The exercise asks "
                    "for the freshly built network.")
    if any(np.any(np.asarray(layer.kernel) < 0) for layer in dense):
        raise Wrong("some weights are negative: that is Keras' default initializer "
                    "(glorot_uniform). Give each layer "
                    "`kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)`.")
    hidden, out = (np.asarray(layer.kernel).ravel() for layer in dense)
    if np.allclose(out, hidden[:out.size]):
        raise Wrong("both layers share one initializer object, which hands them the same draw "
                    "(the output kernel repeats the hidden layer's first values). Give each Dense "
                    "layer its own `keras.initializers.RandomUniform(0.0, 1.0)`, and call "
                    "`seed_everything(0)` right before building.")
    raise Wrong("the weights are drawn from U(0, 1) but they are not seed 0's: call "
                "`seed_everything(0)` right before building the model, and give each layer its "
                "own initializer object.")


q1 = Exercise(
    name="02.1", answer="test_acc_1000_epochs",
    judge=_judge_1,
    hint_text="`train_many(depth=1, seeds=[0], epochs=1000)` trains seed 0's run; its "
              "`test_accuracy` column holds the accuracy after the last epoch.",
    solution_code='''
runs = train_many(depth=1, width=5, activation="tanh", initializer="uniform_0_1",
                  seeds=[0], epochs=1000)
val = runs.history.iloc[0]["val_accuracy"]
print(f"seed 0, test accuracy after epoch 500: {val[499]:.3f}, after epoch 1000: {val[-1]:.3f}")
test_acc_1000_epochs = runs.test_accuracy.iloc[0]
''',
    mistakes=("the training accuracy", "the 500-epoch accuracy (not trained longer)"),
)

q2 = Exercise(
    name="02.2", answer="median_first_epoch_glorot",
    judge=_judge_2,
    hint_text="each row of `train_many(...)` has a `history` with `val_accuracy` per epoch; the "
              "notebook's cell after the curves finds the first epoch that reaches "
              "LEARNED_THRESHOLD. Do that for every seed and take `np.median`.",
    solution_code='''
def first_epoch(history):
    return next(e for e, a in enumerate(history["val_accuracy"], 1) if a >= LEARNED_THRESHOLD)

for init in ("uniform_0_1", "glorot_uniform"):
    runs = train_many(depth=1, width=5, activation="tanh", initializer=init, seeds=range(10))
    epochs = [first_epoch(h) for h in runs.history]
    print(f"{init}: learned in {runs.learned.sum()} of {len(runs)} seeds, "
          f"median first epoch with test accuracy >= {LEARNED_THRESHOLD}: {np.median(epochs):g}")
median_first_epoch_glorot = np.median(epochs)  # the last one: glorot_uniform
''',
    mistakes=("epochs counted from 0", "seed 0 alone instead of the median over seeds",
              "the training accuracy instead of the test accuracy",
              "the U(0, 1) initializer (not changed)"),
)

q3 = Exercise(
    name="02.3", answer="shallow_model",
    judge=_judge_3,
    hint_text="start with `keras.Input(shape=(2,))`, give each Dense layer its own "
              "`keras.initializers.RandomUniform(0.0, 1.0)`, and call `seed_everything(0)` "
              "right before building.",
    solution_code='''
seed_everything(0)
shallow_model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(5, activation="tanh",
                       kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)),
    keras.layers.Dense(1, activation="sigmoid",
                       kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)),
])
kernels = np.concatenate([layer.kernel.numpy().ravel() for layer in shallow_model.layers])
biases = np.concatenate([layer.bias.numpy() for layer in shallow_model.layers])
print("trainable parameters:", shallow_model.count_params())
print(f"weights between {kernels.min():.3f} and {kernels.max():.3f}; "
      f"biases all zero: {(biases == 0).all()}")
''',
    mistakes=("Keras' default initializer (negative weights)", "not reseeded before building",
              "one initializer object shared by both layers",
              "a trained model instead of a fresh one"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
