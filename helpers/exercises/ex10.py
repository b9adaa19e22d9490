"""Checked exercises of notebook 10 (vanishing gradients through time: recurrent networks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.checking import Exercise, Wrong, close, number

PROBE_SEED = 12345  #: the notebook's probe sequences: make_sequences(200, length, seed=12345)


# ------------------------------------------------------------------------------- exercise 1
def _lstm_ratio(gate_bias: float | None) -> float:
    """Seed 0's LSTM at the headline length, before training: ||dL/dx_1|| / ||dL/dx_T|| on the
    notebook's 200 probe sequences (``gate_bias`` None: Keras' default)."""
    from helpers import seed_everything
    from helpers.recurrent import (
        HEADLINE_LENGTH,
        build_recurrent,
        gradient_through_time,
        make_sequences,
        set_gate_bias,
    )

    x, y = make_sequences(200, HEADLINE_LENGTH, seed=PROBE_SEED)
    seed_everything(0)
    model = build_recurrent("lstm", 16, HEADLINE_LENGTH)
    if gate_bias is not None:
        set_gate_bias(model, gate_bias)
    g = gradient_through_time(model, x, y)
    return float(g[0] / g[-1])


def _near(value: float, target: float) -> bool:
    return close(value, target, 1e-4 * abs(target))


def _judge_1(answer: Any) -> str:
    ratio = number(answer, "the gradient at step 1 divided by the gradient at the last step")
    right = _lstm_ratio(2.0)
    if _near(ratio, right):
        low, high = _lstm_ratio(None), _lstm_ratio(3.0)
        return (f"with a forget-gate bias of 2 the first step gets {right:.2g} of the last "
                f"step's gradient, between Keras' default ({low:.2g}) and the open gate of 3 "
                f"({high:.2g}): the gate bias sets how much gradient survives fifty steps.")
    if _near(ratio, 1 / right):
        raise Wrong("that is the ratio the wrong way round (the last step over the first); the "
                    "exercise asks for the gradient at step 1 divided by the one at the last step.")
    if ratio < 0 and _near(ratio, float(np.log10(right))):
        raise Wrong("that looks like log10 of the ratio; give the ratio itself.")
    if _near(ratio, _lstm_ratio(None)):
        raise Wrong("that is the LSTM with Keras' default forget-gate bias (1): set the bias to 2 "
                    "with `set_gate_bias(model, 2.0)` before measuring.")
    if _near(ratio, _lstm_ratio(3.0)):
        raise Wrong("that is the open gate (bias 3, `OPEN_GATE_BIAS`); the exercise asks for a "
                    "forget-gate bias of 2.")
    raise Wrong("that is not seed 0's ratio. Build the LSTM right after `seed_everything(0)`, set "
                "its gate bias to 2, and measure on `make_sequences(200, HEADLINE_LENGTH, "
                "seed=12345)`, the notebook's probe sequences.")


q1 = Exercise(
    name="10.1", answer="lstm_bias2_ratio",
    judge=_judge_1,
    hint_text="`seed_everything(0)`, `build_recurrent(\"lstm\", 16, HEADLINE_LENGTH)`, "
              "`set_gate_bias(model, 2.0)`, then `gradient_through_time(model, x_probe, y_probe)` "
              "on `make_sequences(200, HEADLINE_LENGTH, seed=12345)`; divide the first entry by "
              "the last.",
    solution_code='''
x_probe, y_probe = make_sequences(200, HEADLINE_LENGTH, seed=12345)
lstm_ratios = {}
for bias in (None, 2.0, OPEN_GATE_BIAS):  # None: Keras' default forget-gate bias, 1
    seed_everything(0)
    lstm = build_recurrent("lstm", 16, HEADLINE_LENGTH)
    if bias is not None:
        set_gate_bias(lstm, bias)
    g = gradient_through_time(lstm, x_probe, y_probe)
    lstm_ratios[bias] = g[0] / g[-1]
    print(f"forget-gate bias {bias if bias is not None else 'Keras (1)'}: gradient at step 1 / "
          f"at step {HEADLINE_LENGTH}: {lstm_ratios[bias]:.1e}")
lstm_bias2_ratio = lstm_ratios[2.0]
''',
    mistakes=("the ratio the wrong way round (last over first)", "log10 of the ratio",
              "the gate bias not set (Keras' default)", "the open gate's bias 3"),
)


# ------------------------------------------------------------------------------- exercise 2
def _radius_3_gradients() -> list[np.ndarray]:
    """Seed 0's SimpleRNN with its recurrent matrix scaled by 3: the gradient of every weight
    on the first batch of 100 training sequences of run 0 (mean binary cross-entropy)."""
    import keras
    import tensorflow as tf

    from helpers import seed_everything
    from helpers.recurrent import HEADLINE_LENGTH, build_recurrent, data_seeds, make_sequences

    x, y = make_sequences(8000, HEADLINE_LENGTH, data_seeds(0)[0])
    seed_everything(0)
    net = build_recurrent("simple_rnn", 16, HEADLINE_LENGTH)
    u = net.get_layer("recurrent").cell.recurrent_kernel
    u.assign(3.0 * u.numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:100, None], net(x[:100])))
    return [np.asarray(g, dtype=float) for g in tape.gradient(loss, net.trainable_variables)]


def _judge_2(answer: Any) -> str:
    value = number(answer, "the norm of the whole gradient after Keras' clipnorm=1.0", 0)
    grads = _radius_3_gradients()
    norms = np.array([np.linalg.norm(g) for g in grads])
    right = float(np.sqrt(np.sum(np.minimum(norms, 1.0) ** 2)))
    if close(value, right, 1e-4 * right):
        return (f"`clipnorm=1.0` clipped {int(np.sum(norms > 1))} of the {len(norms)} weight "
                f"tensors to norm 1 each and left the others alone, so the whole gradient has a "
                f"norm of {right:.3f}, not 1: Keras' `clipnorm` works per variable; "
                "`global_clipnorm` is the clipping of the whole gradient.")
    if close(value, 1.0, 1e-3):
        raise Wrong("1 is what `global_clipnorm=1.0` would give, all gradients rescaled "
                    "together. Keras' `clipnorm` clips each variable's gradient by its own "
                    "norm, so the whole gradient's norm can be larger than 1.")
    total = float(np.linalg.norm(norms))
    if close(value, total, 1e-4 * total):
        raise Wrong("that is the norm before clipping; the exercise asks for it after "
                    "`clipnorm=1.0` has clipped each variable's gradient.")
    if close(value, np.sqrt(len(norms)), 1e-3):
        raise Wrong(f"that assumes all {len(norms)} weight tensors were clipped to norm 1; "
                    "`clipnorm` leaves a gradient whose own norm is already below 1 as it is. "
                    "Look at each variable's norm.")
    raise Wrong("that is not the norm after per-variable clipping. Clip each variable's "
                "gradient to norm 1 (`tf.clip_by_norm(g, 1.0)`, what `clipnorm` does), then "
                "take the norm of all of them together (`tf.linalg.global_norm`).")


q2 = Exercise(
    name="10.2", answer="clipnorm_global_norm",
    judge=_judge_2,
    hint_text="compute the gradient of every weight of the radius-3 network on its first batch "
              "(as the notebook's `weight_gradient_norm` does), clip each one with "
              "`tf.clip_by_norm(g, 1.0)`, then take `tf.linalg.global_norm` of the clipped list.",
    solution_code='''
x_run0, y_run0 = make_sequences(8000, HEADLINE_LENGTH, data_seeds(0)[0])
seed_everything(0)
net3 = build_recurrent("simple_rnn", 16, HEADLINE_LENGTH)
u3 = net3.get_layer("recurrent").cell.recurrent_kernel
u3.assign(3.0 * u3.numpy())  # radius 3, as in the clipping experiment
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(keras.losses.binary_crossentropy(y_run0[:100, None], net3(x_run0[:100])))
grads = tape.gradient(loss, net3.trainable_variables)
for v, g in zip(net3.trainable_variables, grads):
    print(f"{v.path:40s} gradient norm {float(tf.norm(g)):.4g}")
clipnorm_global_norm = float(tf.linalg.global_norm([tf.clip_by_norm(g, 1.0) for g in grads]))
global_clipped = tf.clip_by_global_norm(grads, 1.0)[0]
print(f"whole gradient: {float(tf.linalg.global_norm(grads)):.2f} before clipping, "
      f"{clipnorm_global_norm:.3f} after clipnorm=1.0, "
      f"{float(tf.linalg.global_norm(global_clipped)):.3f} after global_clipnorm=1.0")
# Keras' own clipping agrees: one SGD step with clipnorm=1.0 moves the weights by 0.01 x that
before = [v.numpy().copy() for v in net3.trainable_variables]
keras.optimizers.SGD(0.01, clipnorm=1.0).apply(grads, net3.trainable_variables)
step = [(b - v.numpy()) / 0.01 for b, v in zip(before, net3.trainable_variables)]
print("norm of the gradient Keras' SGD(clipnorm=1.0) used:",
      f"{np.sqrt(sum((s ** 2).sum() for s in step)):.3f}")
''',
    mistakes=("per-variable clipnorm confused with global_clipnorm (answer 1)", "the norm before "
              "clipping", "every variable assumed clipped"),
)


# ------------------------------------------------------------------------------- exercise 3
def _ratio(cell: str, length: int, gate_bias: float | None) -> float:
    """Seed 0's network before training: ||dL/dx_1|| / ||dL/dx_length|| on 200 probe sequences
    of that length (seed 12345, as the notebook draws them)."""
    from helpers import seed_everything
    from helpers.recurrent import (
        build_recurrent,
        gradient_through_time,
        make_sequences,
        set_gate_bias,
    )

    x, y = make_sequences(200, length, seed=PROBE_SEED)
    seed_everything(0)
    model = build_recurrent(cell, 16, length)
    if gate_bias is not None:
        set_gate_bias(model, gate_bias)
    g = gradient_through_time(model, x, y)
    return float(g[0] / g[-1])


def _judge_3(answer: Any) -> str:
    from helpers.recurrent import OPEN_GATE_BIAS

    ratio = number(answer, "the gradient at step 1 divided by the gradient at step 100")
    right = _ratio("gru", 100, OPEN_GATE_BIAS)
    if _near(ratio, right):
        return (f"at 100 steps the open-gate GRU's first step still gets {right:.2g} of the last "
                "step's gradient: an open gate keeps a path along which the gradient survives "
                "twice the headline length.")
    if _near(ratio, 1 / right):
        raise Wrong("that is the ratio the wrong way round (the last step over the first); the "
                    "exercise asks for the gradient at step 1 divided by the one at step 100.")
    if ratio < 0 and _near(ratio, float(np.log10(right))):
        raise Wrong("that looks like log10 of the ratio; give the ratio itself.")
    if _near(ratio, _ratio("gru", 50, OPEN_GATE_BIAS)):
        raise Wrong("that is the ratio at 50 steps (the headline length); build the network "
                    "and the probe sequences with 100 steps.")
    if _near(ratio, _ratio("gru", 100, None)):
        raise Wrong("that is the GRU with Keras' default update-gate bias (0); set it to "
                    "`OPEN_GATE_BIAS` with `set_gate_bias` before measuring.")
    raise Wrong("that is not seed 0's ratio. Build the GRU right after `seed_everything(0)` with "
                "100 steps, set its gate bias to `OPEN_GATE_BIAS`, and measure on "
                "`make_sequences(200, 100, seed=12345)`.")


q3 = Exercise(
    name="10.3", answer="gru_ratio_100",
    judge=_judge_3,
    hint_text="as the notebook measured the ratio at 50 steps, with 100 instead: "
              "`make_sequences(200, 100, seed=12345)` for the probe, `seed_everything(0)`, "
              "`build_recurrent(\"gru\", 16, 100)`, `set_gate_bias(model, OPEN_GATE_BIAS)`, "
              "then `gradient_through_time`; divide the first entry by the last.",
    solution_code='''
ratios_by_length = {}
for length in (HEADLINE_LENGTH, 100):
    x_long, y_long = make_sequences(200, length, seed=12345)
    for cell, bias in (("gru", OPEN_GATE_BIAS), ("simple_rnn", None)):
        seed_everything(0)
        rnn = build_recurrent(cell, 16, length)
        if bias is not None:
            set_gate_bias(rnn, bias)
        g = gradient_through_time(rnn, x_long, y_long)
        ratios_by_length[cell, length] = g[0] / g[-1]
        print(f"{cell:10s} {length:3d} steps: gradient at step 1 / at the last step "
              f"{g[0] / g[-1]:.1e}")
gru_ratio_100 = ratios_by_length["gru", 100]
''',
    mistakes=("the ratio the wrong way round (last over first)", "the 50-step value (length "
              "not changed)", "the gate bias not set (Keras' default)", "log10 of the ratio"),
)


# ------------------------------------------------------------------------------- exercise 4
def _irnn_runs(length: int) -> list[dict]:
    from helpers.store import Table

    return [r for r in Table("10_recurrent").records()
            if r["cell"] == "irnn" and r["length"] == length and r["clipnorm"] is None]


def _judge_4(answer: Any) -> str:
    from helpers.store import Table

    rate = number(answer, "the share of the ten seeds in which the IRNN learned", 0)
    runs = _irnn_runs(25)
    if not runs:
        raise Wrong("the stored table has no IRNN runs at 25 steps here; run the notebook's "
                    "sweep first.")
    right = float(np.mean([r["learned"] for r in runs]))
    if close(rate, right, 1e-9):
        simple = [r["learned"] for r in Table("10_recurrent").records()
                  if r["cell"] == "simple_rnn" and r["length"] == 25 and r["clipnorm"] is None]
        return (f"the IRNN learned in a share of {right:.1f} of its seeds at 25 steps, against "
                f"{np.mean(simple):.1f} for SimpleRNN: an identity start alone does not make "
                "this task easy in three epochs. A share over seeds, not one run's accuracy, "
                "is what tells the two apart.")
    if rate > 1:
        if rate == int(rate) and rate <= len(runs):
            raise Wrong(f"{rate:g} is a count of seeds; the exercise asks for the share (divide "
                        f"by {len(runs)}).")
        raise Wrong(f"expected a share between 0 and 1, got {rate:g}.")
    accuracies = [r["test_accuracy"] for r in runs]
    if close(rate, float(np.median(accuracies)), 5e-4) or close(rate, float(np.mean(accuracies)),
                                                                 5e-4):
        raise Wrong("that is a test accuracy averaged over the runs; the exercise asks for the "
                    "share of runs that learned (test accuracy of at least `LEARNED_ACCURACY`).")
    if rate in (0.0, 1.0):
        raise Wrong("that looks like one seed's outcome (0 or 1), not a share over ten seeds: "
                    "average `learned` over all of them.")
    other = _irnn_runs(50)
    if other and close(rate, float(np.mean([r["learned"] for r in other])), 1e-9):
        raise Wrong("that is the IRNN's share at 50 steps; the exercise asks for 25.")
    raise Wrong("that is not the stored share. Read the IRNN's ten runs at length 25 with "
                "`load_or_train` and average their `learned` column.")


q4 = Exercise(
    name="10.4", answer="irnn_rate_25",
    judge=_judge_4,
    hint_text="`load_or_train(\"10_recurrent\", sweep_configs([\"irnn\"], [25]), range(10), "
              "train_config)` reads the ten stored runs (nothing is trained); average `learned`.",
    solution_code='''
irnn_25 = load_or_train("10_recurrent", sweep_configs(["irnn"], [25]), range(10), train_config)
irnn_rate_25 = irnn_25["learned"].mean()
print(f"IRNN at 25 steps: {irnn_25['learned'].sum()} of {len(irnn_25)} seeds learned "
      f"(share {irnn_rate_25:.1f}); median test accuracy {irnn_25['test_accuracy'].median():.3f}")
print("test accuracy per seed:", irnn_25["test_accuracy"].round(3).tolist())
''',
    mistakes=("one seed's outcome instead of a share", "a test accuracy averaged over seeds "
              "instead of the share that learned", "a count of seeds instead of a share",
              "the 50-step value"),
)

EXERCISES = {"1": q1, "2": q2, "3": q3, "4": q4}
