"""Checked exercises of notebook 08 (the gradient-flow lab)."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.checking import Exercise, Wrong, close, number

#: For seed 0, the tutorial's tanh + RandomUniform(0, 1) network of width 5 learns with one to
#: three hidden layers and not with four (500 epochs, the lab's defaults). Training five depths
#: takes longer than a check may, so the judge uses this value; tests/test_exercises_08.py
#: recomputes it with `train_many`, and the solution prints it.
FIRST_FAILING_DEPTH = 4


def _profile(activation: str, initializer: str, depth: int = 5, width: int = 5) -> np.ndarray:
    """Mean |kernel gradient| per Dense layer on the training set, seed 0, before training
    (what `run_lab` records as epoch 0)."""
    from helpers import seed_everything
    from helpers.data import load_circles
    from helpers.gradients import kernel_gradients
    from helpers.models import build_mlp

    (x_train, y_train), _ = load_circles()
    seed_everything(0)
    model = build_mlp(depth, width, activation, initializer)
    return np.array(list(kernel_gradients(model, x_train, y_train).values()))


# ------------------------------------------------------------------------------- exercise 1
def _judge_1(answer: Any) -> str:
    depth = number(answer, "the smallest number of hidden layers (1 to 5) at which seed 0 fails",
                   1, 5)
    if depth != int(depth):
        raise Wrong(f"a depth is a whole number of hidden layers, got {depth:g}.")
    if depth == FIRST_FAILING_DEPTH - 1:
        raise Wrong(f"{int(depth)} hidden layers is the deepest network that still learns for "
                    "seed 0; the exercise asks for the smallest depth that does *not* learn.")
    if depth == 5:
        raise Wrong("5 is the tutorial's depth, which fails, but is it the smallest one? Run "
                    "`run_lab` for every depth from 1 to 5 and read `n_learned` for each.")
    if depth != FIRST_FAILING_DEPTH:
        raise Wrong(f"for seed 0 a network with {int(depth)} hidden layer(s) still learns. "
                    "Train depths 1 to 5 and look for the first whose `n_learned` is 0.")
    return (f"seed 0 learns with up to {FIRST_FAILING_DEPTH - 1} hidden layers and "
            f"fails from {FIRST_FAILING_DEPTH} on. That is one seed; where the flip happens "
            "moves from seed to seed, so count several seeds (`n_seeds`) before concluding.")


q1 = Exercise(
    name="08.1", answer="first_failing_depth",
    judge=_judge_1,
    hint_text="loop over `depth` from 1 to 5 with `run_lab(depth=depth)` (the other settings "
              "are the lab's defaults: tanh, RandomUniform(0, 1), SGD, 500 epochs, one seed) "
              "and print each result's `test_accuracy` and `n_learned`.",
    solution_code='''
results = {}
for depth in range(1, 6):
    r = run_lab(depth=depth, activation="tanh", initializer="uniform_0_1", epochs=500)
    results[depth] = r.n_learned == 1
    print(f"{depth} hidden layer(s): test accuracy {r.test_accuracy:.3f}, "
          f"learned: {results[depth]}")
first_failing_depth = min(depth for depth, learned in results.items() if not learned)
print("smallest depth that fails for seed 0:", first_failing_depth)
''',
    mistakes=("the deepest network that still learns", "the tutorial's depth 5 without trying "
              "shallower ones"),
)


# ------------------------------------------------------------------------------- exercise 2
def _judge_2(answer: Any) -> str:
    ratio = number(answer, "the first hidden layer's mean |gradient| divided by the output "
                   "layer's", 0)
    fix = _profile("relu", "he_uniform")
    right = fix[0] / fix[-1]
    if close(ratio, right, 0.025 * right):  # accepts the notebook's printed 0.023
        return (f"before training the first hidden layer of the ReLU + He network gets "
                f"{right:.2g} of the output layer's gradient, less than the tutorial network's "
                "first layer: a gradient profile at initialization is a warning, not a verdict, "
                "since this network learns.")
    if close(ratio, 1 / right, 1e-3 / right):
        raise Wrong(f"{ratio:.3g} is the ratio the wrong way round (output layer over first "
                    "hidden layer); the exercise asks for the first hidden layer's gradient "
                    "divided by the output layer's.")
    tutorial = _profile("tanh", "uniform_0_1")
    if close(ratio, tutorial[0] / tutorial[-1], 1e-3 * tutorial[0] / tutorial[-1]):
        raise Wrong("that is the tutorial network's ratio (tanh, RandomUniform(0, 1)); set "
                    "`activation=\"relu\"` and `initializer=\"he_uniform\"` for the fix.")
    weakest = fix[:-1].min() / fix[-1]
    if close(ratio, weakest, 1e-3 * weakest):
        raise Wrong("that is the weakest hidden layer's share (what `diagnose` calls "
                    "vanishing), not the first hidden layer's.")
    raise Wrong("that is not the ratio before training for seed 0. Use "
                "`result.gradient_flow(0)` (epoch 0 is before training) and divide the first "
                "entry by the last, or read `result.diagnosis_before.first_to_output_ratio`.")


q2 = Exercise(
    name="08.2", answer="fix_ratio_before",
    judge=_judge_2,
    hint_text="`run_lab(activation=\"relu\", initializer=\"he_uniform\")` returns a result whose "
              "`gradient_flow(0)` is each layer's mean |gradient| before training (first "
              "hidden layer first, output layer last).",
    solution_code='''
fix_run = run_lab(depth=5, width=5, activation="relu", initializer="he_uniform", epochs=500)
flow = fix_run.gradient_flow(0)  # epoch 0: before training
fix_ratio_before = flow.iloc[0] / flow.iloc[-1]
print(flow.round(4).to_string())
print(f"first hidden layer / output layer before training: {fix_ratio_before:.3f}")
print("diagnose before training:", fix_run.diagnosis_before.kinds, "| test accuracy after:",
      f"{fix_run.test_accuracy:.3f}")
''',
    mistakes=("the ratio the wrong way round (output over first)", "the tutorial network's "
              "ratio instead of the fix's", "the weakest hidden layer instead of the first"),
)


# ------------------------------------------------------------------------------- exercise 3
def _values(answer: Any, n: int) -> np.ndarray:
    if isinstance(answer, str):
        raise Wrong("expected the gradient flow (one mean |gradient| per Dense layer), got a "
                    "string.")
    if isinstance(answer, dict):
        answer = list(answer.values())
    values = np.asarray(answer, dtype=float).ravel()
    if values.size != n:
        raise Wrong(f"expected {n} values, one per Dense layer (five hidden layers and the "
                    f"output layer), got {values.size}.")
    return values


def _judge_3(answer: Any) -> str:
    reference = _profile("tanh", "uniform_0_1")
    name = getattr(answer, "name", None)
    values = _values(answer, len(reference))
    if np.allclose(values, reference, rtol=1e-6, atol=0):
        return ("with Adam the gradient flow before training is exactly the SGD run's: "
                "it depends only on the initial weights, and seed 0 draws the same ones. The "
                "optimizer changes what happens to the weights afterwards, not where training "
                "starts.")
    if isinstance(name, str) and name.startswith("epoch ") and name != "epoch 0":
        raise Wrong(f"that is the gradient flow at {name}, after training; "
                    "`gradient_flow()` without an argument gives the last recorded epoch. "
                    "Ask for `gradient_flow(0)`, before training.")
    raise Wrong("these values are not the tutorial network's gradient before training (seed 0, "
                "five tanh layers of five units, RandomUniform(0, 1)). Did you read the flow "
                "after training, or change the depth, width or initializer?")


q3 = Exercise(
    name="08.3", answer="adam_flow_before",
    judge=_judge_3,
    hint_text="run `run_lab(optimizer=\"adam\", learning_rate=0.001)` (the tutorial network "
              "otherwise) and take `gradient_flow(0)` of the result: epoch 0 is before "
              "training. Compare it with the SGD run's.",
    solution_code='''
adam_run = run_lab(optimizer="adam", learning_rate=0.001)
sgd_run = run_lab(optimizer="sgd", learning_rate=0.01)
adam_flow_before = adam_run.gradient_flow(0)
print("before training, Adam and SGD identical:",
      bool(np.array_equal(adam_flow_before, sgd_run.gradient_flow(0))))
print("after training, Adam and SGD identical:",
      bool(np.array_equal(adam_run.gradient_flow(), sgd_run.gradient_flow())))
print(f"test accuracy: Adam {adam_run.test_accuracy:.3f}, SGD {sgd_run.test_accuracy:.3f}")
''',
    mistakes=("the gradient flow after training (gradient_flow() without epoch 0)",),
)

EXERCISES = {"1": q1, "2": q2, "3": q3}
