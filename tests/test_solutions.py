"""Each exercise solution's claim, checked by running what the solution runs.

The notebooks do not execute their solutions (they are markdown), so nothing else would notice
a solution whose stated result went stale. One test per claim, named after the notebook; slow
where it trains. A number a solution states without the notebook printing it is listed in
tests/test_prose_numbers.py's SOLUTION_FIGURES with the test here that checks it.
"""

from __future__ import annotations

import re

import keras
import nbformat
import numpy as np
import pytest
from exercise_support import notebook_path, run_solution
from sklearn.linear_model import LogisticRegression
from test_prose_numbers import NUMBER, prose_numbers

from helpers import seed_everything
from helpers.data import load_circles
from helpers.exercises import ex05, ex06, ex07
from helpers.experiments import dead_at_init, summarize, sweep, wilson_ci
from helpers.gradients import kernel_gradients
from helpers.models import build_mlp
from helpers.training import LEARNED_THRESHOLD, train, train_many
from helpers.widgets import run_lab

SEEDS20 = range(20)


# ------------------------------------------------------------------------------------- 01
def _radius_rule_test_accuracy(noise):
    (x_tr, y_tr), (x_te, y_te) = load_circles(noise=noise)
    r_tr, r_te = np.linalg.norm(x_tr, axis=1), np.linalg.norm(x_te, axis=1)
    ts = np.sort(r_tr)
    t = ts[int(np.argmax([((r_tr < t) == y_tr).mean() for t in ts]))]
    return ((r_te < t) == y_te).mean()


def test_01_more_noise_lowers_the_ceiling():
    # Solution 1: the noise-0.2 ceiling drops well below the noise-0.1 one.
    assert _radius_rule_test_accuracy(0.2) < _radius_rule_test_accuracy(0.1) - 0.1


def test_01_logistic_regression_does_not_beat_a_constant_guess(circles):
    (x_tr, y_tr), (x_te, y_te) = circles
    constant = max(np.bincount(y_te)) / len(y_te)
    assert LogisticRegression().fit(x_tr, y_tr).score(x_te, y_te) <= constant


def test_01_squared_radius_feature_reaches_the_ceiling(circles):
    # Solution 3: within a hundredth of the radius rule.
    (x_tr, y_tr), (x_te, y_te) = circles

    def add_r2(a):
        return np.c_[a, (a ** 2).sum(axis=1)]

    score = LogisticRegression().fit(add_r2(x_tr), y_tr).score(add_r2(x_te), y_te)
    assert abs(score - _radius_rule_test_accuracy(0.1)) <= 0.01


# ------------------------------------------------------------------------------------- 02
@pytest.mark.slow
def test_02_longer_training_adds_little(circles):
    seed_everything(0)
    model = build_mlp(1)
    h = train(model, *circles, epochs=1000, seed=0).history["val_accuracy"]
    assert abs(h[-1] - h[499]) < 0.03  # solution 1: "by less than three hundredths"
    assert h[-1] <= 0.86


@pytest.mark.slow
@pytest.mark.parametrize("seeds", [range(10), range(10, 20)], ids=["solution", "other seeds"])
def test_02_glorot_shallow_network_learns_in_every_seed_and_sooner(seeds):
    # Solution 2: both initializers learn in every seed; Glorot's median first epoch is earlier.
    medians = {}
    for init in ("uniform_0_1", "glorot_uniform"):
        runs = train_many(1, initializer=init, seeds=seeds)
        assert runs.learned.all(), init
        medians[init] = np.median([next(e for e, a in enumerate(h["val_accuracy"], 1)
                                        if a >= LEARNED_THRESHOLD) for h in runs.history])
    assert medians["glorot_uniform"] < medians["uniform_0_1"]


# ------------------------------------------------------------------------------------- 03
@pytest.mark.slow
def test_03_success_falls_from_three_layers_on():
    # Solution 1: one and two layers learn in every seed, the share falls from three layers on,
    # five layers do worst (trained here; the solution reads notebook 06's stored runs).
    rates = {d: train_many(d, seeds=SEEDS20).learned.mean() for d in range(1, 6)}
    assert rates[1] == rates[2] == 1.0
    assert rates[2] > rates[3] > rates[4] > rates[5]
    assert min(rates, key=rates.get) == 5


def test_03_only_the_top_layers_start_saturated(circles):
    # Solution 2 (seed 0, before training): almost no output beyond 0.99 in layers 1-3, a
    # sizeable share in layers 4 and 5, larger in layer 5.
    seed_everything(0)
    model = build_mlp(5)
    h, shares = circles[0][0], []
    for layer in model.layers[:5]:
        h = layer(h).numpy()
        shares.append((np.abs(h) > 0.99).mean())
    assert max(shares[:3]) < 0.01
    assert 0.1 < shares[3] < shares[4]


# ------------------------------------------------------------------------------------- 04
@pytest.mark.slow
def test_04_relu_with_uniform_weights_ends_at_a_constant_answer(circles):
    # Solution 1: no seed learns; every run ends exactly at a constant answer's score.
    y_test = circles[1][1]
    constant = {round(y_test.mean(), 3), round(1 - y_test.mean(), 3)}
    runs = train_many(5, activation="relu", initializer="uniform_0_1", seeds=SEEDS20)
    assert not runs.learned.any()
    assert set(runs.test_accuracy.round(3)) <= constant


def test_04_relu_with_uniform_weights_on_other_seeds():
    # The same claim on seeds 20-29, from notebook 07's stored runs.
    runs = sweep({"depth": [5], "activation": ["relu"], "initializer": ["uniform_0_1"]},
                 seeds=range(20, 30), table="07_where_depth_breaks", progress=False)
    assert not runs.learned.any()
    assert set(runs.test_accuracy.round(3)) <= {0.496, 0.504}


def test_04_width_16_learns_in_every_seed_and_never_starts_dead():
    # Solution 2 (stored runs, seeds 0-19) and, for the dead share, seeds 0-99.
    runs = sweep({"depth": [20], "width": [5, 16], "activation": ["relu"],
                  "initializer": ["he_uniform"]}, seeds=SEEDS20,
                 table="07_where_depth_breaks", progress=False)
    rates = runs.groupby("width")["learned"].mean()
    assert rates[16] == 1.0 > rates[5]
    dead = dead_at_init(20, width=[5, 16], seeds=range(100)).groupby("width")["dead"].mean()
    assert dead[16] == 0.0 < dead[5]


@pytest.mark.slow
def test_04_networks_dead_at_initialization_answer_the_same_for_every_input(circles):
    # Solution 3: the first dead seed's predictions agree to every printed digit (6 decimals);
    # so do the next dead seeds'.
    dead = dead_at_init(20, width=5, seeds=range(30))
    dead_seeds = dead.loc[dead["dead"], "seed"].tolist()[:3]
    assert dead_seeds
    for seed in dead_seeds:
        seed_everything(seed)
        model = build_mlp(20, activation="relu", initializer="he_uniform")
        train(model, *circles, seed=seed)
        p = model.predict(circles[1][0], verbose=0)
        assert p.max() - p.min() < 5e-7


# ------------------------------------------------------------------------------- 05 to 07
# These notebooks' solutions are checked exercises (helpers.exercises.exNN): the folded solution
# is the exercise's solution_code, and its prose may state only what that code prints.
def _solution_prose(exercise_number: str, k: int) -> str:
    nb = nbformat.read(notebook_path(exercise_number), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"
             and "solution" in c.get("metadata", {}).get("tags", [])]
    return re.sub(r"```.*?```", " ", cells[k - 1], flags=re.DOTALL)


def _prints_what_the_prose_states(exercise_number: str, exercises: dict, capsys) -> None:
    for k, exercise in exercises.items():
        capsys.readouterr()
        run_solution(exercise_number, exercise)
        printed = capsys.readouterr().out
        printed_numbers = {t.replace(",", "") for t in NUMBER.findall(printed)}
        stated = prose_numbers(_solution_prose(exercise_number, int(k)))
        missing = [t for t in stated if t not in printed_numbers]
        assert not missing, f"solution {exercise.name} states {missing}; its code prints none"


def test_05_solutions_print_what_their_prose_states(capsys):
    _prints_what_the_prose_states("05", ex05.EXERCISES, capsys)


def test_06_solutions_print_what_their_prose_states(capsys):
    _prints_what_the_prose_states("06", ex06.EXERCISES, capsys)


def test_06_depths_three_and_four_are_told_apart_with_20_seeds():
    runs = sweep({"depth": [2, 3, 4, 5], "activation": ["tanh"], "initializer": ["uniform_0_1"]},
                 seeds=SEEDS20, epochs=500, table="06_five_extensions", progress=False)
    s = summarize(runs, by="depth").set_index("depth")
    first = s.index[s["share_learned"] < 0.5][0]
    before = first - 1
    assert first == 4
    assert s.loc[before, "ci_low"] > s.loc[first, "ci_high"]       # the intervals do not overlap
    assert s.loc[2, "ci_low"] > s.loc[5, "ci_high"]                # two vs five layers: clear


@pytest.mark.slow
def test_06_width_stops_hurting_with_glorot_weights():
    # Notebook 06's prose after extension 5 states it (a former exercise's result).
    for width in (5, 25):
        runs = train_many(10, width=width, initializer="glorot_uniform", seeds=SEEDS20)
        assert runs.learned.mean() >= 0.95, width


def test_07_solutions_print_what_their_prose_states(capsys):
    _prints_what_the_prose_states("07", ex07.EXERCISES, capsys)


def test_07_the_alive_networks_fail_too():
    # Solution 07.1: starting alive is no guarantee, about a third of the alive networks fail.
    ns = run_solution("07", ex07.q1)
    assert 0.5 <= ns["rate_alive_relu_15"] <= 0.75
    assert ns["rate_alive_relu_15"] > ns["runs_15"]["learned"].mean()


def test_07_one_unit_less_nearly_doubles_the_dead_share():
    ns = run_solution("07", ex07.q2)
    assert 1.5 <= ns["dead_share_width_4"] / ns["dead_share_width_5"] <= 2.0


def test_07_wilson_intervals_stop_overlapping_at_100_seeds():
    for n in range(10, 100, 10):
        assert wilson_ci(round(0.3 * n), n)[1] >= wilson_ci(round(0.5 * n), n)[0]
    low_30, high_30 = wilson_ci(30, 100)
    low_50, high_50 = wilson_ci(50, 100)
    assert high_30 < low_50
    assert [round(v, 3) for v in (low_30, high_30, low_50, high_50)] == [0.219, 0.396, 0.404, 0.596]
    # "With the 30 seeds used here, rates that far apart can still have overlapping intervals."
    assert wilson_ci(9, 30)[1] >= wilson_ci(15, 30)[0]


# ------------------------------------------------------------------------------------- 08
@pytest.mark.slow
def test_08_seed_0_stops_learning_at_the_stated_depth():
    learned = {d: bool(train_many(d, seeds=[0]).learned.iloc[0]) for d in range(1, 6)}
    # The solution states that seed 0 learns with one to three hidden layers, not with four or five.
    assert learned == {1: True, 2: True, 3: True, 4: False, 5: False}


@pytest.mark.slow
def test_08_the_fix_is_flagged_before_training_yet_learns():
    # Solution 2: the fix's first hidden layer gets a smaller share of the output layer's
    # gradient than the tutorial network's, diagnose reports a vanishing gradient, seed 0 learns.
    fix = run_lab(activation="relu", initializer="he_uniform")
    tutorial = run_lab(epochs=10)  # only its gradient before training is used
    flow, flow_tutorial = fix.gradient_flow(0), tutorial.gradient_flow(0)
    assert flow.iloc[0] / flow.iloc[-1] < flow_tutorial.iloc[0] / flow_tutorial.iloc[-1]
    assert "vanishing" in fix.diagnosis_before.kinds
    assert fix.test_accuracy >= LEARNED_THRESHOLD


@pytest.mark.slow
def test_08_adam_changes_the_flow_after_training_not_before():
    # Solution 3: identical flows before training, different after; Adam's test accuracy higher.
    adam = run_lab(optimizer="adam", learning_rate=0.001)
    sgd = run_lab(optimizer="sgd", learning_rate=0.01)
    assert np.array_equal(adam.gradient_flow(0), sgd.gradient_flow(0))
    assert not np.array_equal(adam.gradient_flow(), sgd.gradient_flow())
    assert adam.test_accuracy > sgd.test_accuracy


def test_08_the_optimizer_does_not_change_the_gradient_before_training(circles):
    profiles = []
    for optimizer in ("sgd", "adam"):
        seed_everything(0)
        model = build_mlp(5)
        model.compile(optimizer=optimizer, loss="binary_crossentropy")
        profiles.append(list(kernel_gradients(model, circles[0][0], circles[0][1]).values()))
    np.testing.assert_array_equal(profiles[0], profiles[1])


# ------------------------------------------------------------------------------------- 09
def test_09_residual_without_batch_norm_explodes(circles):
    # Solution 1: without batch normalization the residual network's loss at initialization is
    # far above a constant guess's (log 2) and every layer's mean |kernel gradient| is above 1;
    # the plain He network of the same seed (0) is dead: loss log 2, every gradient 0.
    sizes, losses = {}, {}
    for residual in (False, True):
        seed_everything(0)
        model = build_mlp(20, activation="relu", initializer="he_uniform", residual=residual)
        sizes[residual] = np.array(list(kernel_gradients(model, circles[0][0], circles[0][1],
                                                         training=True).values()))
        losses[residual] = float(keras.losses.BinaryCrossentropy()(
            circles[0][1][:, None], model(circles[0][0], training=True)))
    assert losses[True] > 100 * np.log(2)
    assert np.min(sizes[True]) > 1
    assert np.all(sizes[False] == 0)
    assert abs(losses[False] - np.log(2)) < 1e-3


def test_09_global_clipnorm_keeps_the_direction_clipnorm_does_not():
    # Solution 2: global_clipnorm scales both gradients by one factor to a global norm of 1;
    # clipnorm scales only the gradient whose own norm is above 1; the global norm stays above 1.
    gradients = [np.array([3.0, 0.0, 4.0]), np.array([0.3, 0.4])]
    used = {}
    for name in ("global_clipnorm", "clipnorm"):
        optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, **{name: 1.0})
        weights = [keras.Variable(np.zeros_like(g)) for g in gradients]
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in gradients], weights)
        used[name] = [-w.numpy() / 0.01 for w in weights]
    norm = np.sqrt(sum((g ** 2).sum() for g in gradients))
    for u, g in zip(used["global_clipnorm"], gradients):
        np.testing.assert_allclose(u, g / norm, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(used["clipnorm"][0], gradients[0] / 5, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(used["clipnorm"][1], gradients[1], rtol=1e-6)
    assert np.sqrt(sum((u ** 2).sum() for u in used["clipnorm"])) > 1


def test_09_width_16_learns_at_30_layers_where_width_5_does_not():
    # Solution 3, from the stored runs: at 30 layers the width-16 ReLU + He baseline learns in
    # most of its twenty seeds, the width-5 one in none.
    from helpers.store import Table

    rows = [r for r in Table("09_beyond_relu").records() if r["depth"] == 30
            and r["activation"] == "relu" and not r["batch_norm"] and r["optimizer"] is None]
    share = {w: np.mean([r["learned"] for r in rows if r["width"] == w]) for w in (5, 16)}
    assert len([r for r in rows if r["width"] == 16]) == 20
    assert share[16] > 0.5
    assert share[5] == 0


# ------------------------------------------------------------------------------------- 10
def _ratio_10(cell, length, gate_bias=None):
    from helpers.recurrent import (
        build_recurrent,
        gradient_through_time,
        make_sequences,
        set_gate_bias,
    )

    x, y = make_sequences(200, length, seed=12345)
    seed_everything(0)
    model = build_recurrent(cell, 16, length)
    if gate_bias is not None:
        set_gate_bias(model, gate_bias)
    g = gradient_through_time(model, x, y)
    return g[0] / g[-1]


def test_10_a_forget_gate_bias_of_2_lies_between_the_default_and_the_open_gate():
    # Solution 1: orders of magnitude above Keras' default, below the open gate (3).
    default, two, three = (_ratio_10("lstm", 50, b) for b in (None, 2.0, 3.0))
    assert 100 * default < two < three


def test_10_clipnorm_clips_three_of_five_tensors_and_leaves_a_norm_between_1_and_2():
    # Solution 2: three of the five gradients are above norm 1 (the output layer's two are not);
    # after clipnorm=1.0 the whole gradient's norm is between 1 and 2, Keras' SGD step uses
    # exactly that, and global_clipnorm gives 1.
    import tensorflow as tf

    from helpers.recurrent import build_recurrent, data_seeds, make_sequences

    x, y = make_sequences(8000, 50, data_seeds(0)[0])
    seed_everything(0)
    net = build_recurrent("simple_rnn", 16, 50)
    u = net.get_layer("recurrent").cell.recurrent_kernel
    u.assign(3.0 * u.numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:100, None], net(x[:100])))
    grads = tape.gradient(loss, net.trainable_variables)
    norms = [float(tf.norm(g)) for g in grads]
    assert [n > 1 for n in norms] == [True, True, True, False, False]
    clipped = float(tf.linalg.global_norm([tf.clip_by_norm(g, 1.0) for g in grads]))
    assert 1 < clipped < 2
    assert abs(float(tf.linalg.global_norm(tf.clip_by_global_norm(grads, 1.0)[0])) - 1) < 1e-9
    before = [v.numpy().copy() for v in net.trainable_variables]
    keras.optimizers.SGD(0.01, clipnorm=1.0).apply(grads, net.trainable_variables)
    step = [(b - v.numpy()) / 0.01 for b, v in zip(before, net.trainable_variables)]
    assert abs(np.sqrt(sum((s ** 2).sum() for s in step)) - clipped) < 1e-6


def test_10_doubling_the_length_costs_the_open_gru_little_and_simple_rnn_much():
    # Solution 3: from 50 to 100 steps the open-gate GRU's ratio falls by less than ten times,
    # SimpleRNN's by more than a hundred times.
    gru = [_ratio_10("gru", n, 3.0) for n in (50, 100)]
    simple = [_ratio_10("simple_rnn", n) for n in (50, 100)]
    assert gru[0] / gru[1] < 10
    assert simple[0] / simple[1] > 100


def test_10_the_irnn_learned_in_four_of_ten_seeds_at_25_steps():
    # Solution 4, from the stored runs.
    from helpers.store import Table

    runs = [r for r in Table("10_recurrent").records() if r["cell"] == "irnn" and r["length"] == 25]
    assert len(runs) == 10 and sum(r["learned"] for r in runs) == 4
