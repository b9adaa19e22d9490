"""helpers.gradients: the per-layer monitor, its TensorBoard logs, and diagnose()."""

import os

import keras
import matplotlib
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from helpers import seed_everything
from helpers.gradients import (
    DEAD_SHARE,
    FINDING_KINDS,
    VANISHING_RATIO,
    Diagnosis,
    GradientMonitor,
    diagnose,
)
from helpers.models import build_mlp
from helpers.training import train

matplotlib.use("Agg")

SEEDS = range(5)
TANH = {}
RELU_HE = {"activation": "relu", "initializer": "he_uniform"}


def _model(seed, depth=5, **kw):
    seed_everything(seed)
    return build_mlp(depth, **kw)


def _direct_kernel_grads(model, x, y):
    """Mean |kernel gradient| per Dense layer, computed the plain way."""
    dense = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(y.reshape(-1, 1), model(x))
    grads = tape.gradient(loss, [lay.kernel for lay in dense])
    return np.array([float(tf.reduce_mean(tf.abs(g))) for g in grads])


def _hidden_outputs(model, x):
    dense = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    feats = keras.Model(model.inputs[0], [lay.output for lay in dense])
    return [np.asarray(a) for a in feats(x)]


# --------------------------------------------------------------------------- monitor


def test_monitor_table_shape_and_columns(circles):
    (x, y), test = circles
    model = _model(0)
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=3, seed=0, callbacks=[mon])
    t = mon.table
    assert len(t) == 4 * 6 * 2  # epochs 0..3, 6 Dense layers, kernel + bias
    assert set(t["parameter"]) == {"kernel", "bias"}
    assert list(t["layer"].unique()) == [f"hidden_{i}" for i in range(1, 6)] + ["output"]
    assert sorted(t["epoch"].unique()) == [0, 1, 2, 3]
    for col in ("grad_mean_abs", "grad_norm", "weight_l1", "update_ratio", "act_mean",
                "act_std", "saturated_share", "dead_share"):
        assert col in t.columns
    assert not t.duplicated(["epoch", "layer", "parameter"]).any()
    # no update before the first epoch; afterwards the kernels did move
    assert t.loc[t.epoch == 0, "update_ratio"].isna().all()
    k = t[(t.epoch > 0) & (t.parameter == "kernel")]
    assert (k["update_ratio"] > 0).all()
    # tanh model: saturation measured, dead units not applicable
    assert t.loc[t.activation == "tanh", "saturated_share"].notna().all()
    assert t["dead_share"].isna().all()


def test_monitor_numbers_match_direct_computation(circles):
    (x, y), test = circles
    model = _model(1)
    mon = GradientMonitor(x, y)
    weights = []

    class Keep(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            weights.append([v.numpy().copy() for v in self.model.weights])

        def on_epoch_end(self, epoch, logs=None):
            weights.append([v.numpy().copy() for v in self.model.weights])

    train(model, (x, y), test, epochs=2, seed=1, callbacks=[mon, Keep()])
    t = mon.table
    # final epoch: gradients, saturation and L1 norm against a plain GradientTape
    last = t[(t.epoch == 2) & (t.parameter == "kernel")]
    np.testing.assert_allclose(last["grad_mean_abs"], _direct_kernel_grads(model, x, y),
                               rtol=1e-5)
    acts = _hidden_outputs(model, x)
    np.testing.assert_allclose(last["saturated_share"].iloc[:5],
                               [np.mean(np.abs(a) > 0.97) for a in acts[:5]], atol=1e-6)
    np.testing.assert_allclose(last["act_std"], [a.std() for a in acts], rtol=1e-4)
    kernels = [lay.kernel.numpy() for lay in model.layers]
    np.testing.assert_allclose(last["weight_l1"], [np.abs(k).sum() for k in kernels], rtol=1e-5)
    # update ratio of epoch 2: ||W2 - W1|| / ||W1|| for the first kernel
    w1, w2 = weights[1][0], weights[2][0]
    expected = np.linalg.norm(w2 - w1) / np.linalg.norm(w1)
    got = t[(t.epoch == 2) & (t.layer == "hidden_1") & (t.parameter == "kernel")]
    np.testing.assert_allclose(got["update_ratio"], [expected], rtol=1e-4)


def test_monitor_dead_units_for_relu(circles):
    (x, y), test = circles
    model = _model(3, **RELU_HE)  # seed 3 has dead units at initialization
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=1, seed=3, callbacks=[mon])
    t = mon.table
    first = t[(t.epoch == 0) & (t.parameter == "kernel")]
    seed_everything(3)
    fresh = build_mlp(5, **RELU_HE)
    acts = _hidden_outputs(fresh, x)
    expected = [np.mean(np.all(a <= 0, axis=0)) for a in acts[:5]]
    np.testing.assert_allclose(first["dead_share"].iloc[:5], expected)
    assert max(expected) > 0
    assert t.loc[t.activation == "relu", "saturated_share"].isna().all()


def test_monitor_same_numbers_with_fit_and_train(circles):
    (x, y), test = circles
    x, y = x[:128], y[:128]
    a = _model(2, depth=3)
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    mon_fast, mon_fit = GradientMonitor(x, y), GradientMonitor(x, y)
    train(a, (x, y), test, epochs=3, batch_size=32, shuffle=False, callbacks=[mon_fast])
    b.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
              loss="binary_crossentropy", metrics=["accuracy"])
    b.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0, callbacks=[mon_fit])
    ta, tb = mon_fast.table, mon_fit.table
    pd.testing.assert_frame_equal(ta[["epoch", "layer", "parameter"]],
                                  tb[["epoch", "layer", "parameter"]])
    num = ["grad_mean_abs", "grad_norm", "weight_l1", "update_ratio", "act_mean",
           "act_std", "saturated_share", "loss"]
    np.testing.assert_allclose(ta[num].to_numpy(), tb[num].to_numpy(), rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, RELU_HE, {"batch_norm": True},
                                {"residual": True, **RELU_HE}],
                         ids=["tanh", "relu", "batch_norm", "residual"])
def test_monitor_inside_train_loop_equals_per_epoch_calls(circles, kw):
    # Alone, the monitor is computed inside train's compiled loop; next to another callback
    # it is called after every epoch on the Keras model. Same weights, same numbers.
    (x, y), test = circles
    a = _model(4, depth=4, **kw)
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    alone, with_other = GradientMonitor(x, y), GradientMonitor(x, y)
    train(a, (x, y), test, epochs=4, seed=4, callbacks=[alone])
    train(b, (x, y), test, epochs=4, seed=4, callbacks=[with_other, keras.callbacks.Callback()])
    assert alone._probe is None and with_other._probe is not None  # the two paths were taken
    ta, tb = alone.table, with_other.table
    pd.testing.assert_frame_equal(ta.iloc[:, :5], tb.iloc[:, :5])
    num = ta.columns[5:]
    np.testing.assert_allclose(ta[num].to_numpy(), tb[num].to_numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(a.get_weights()[0], b.get_weights()[0], rtol=1e-5)


def test_tensorboard_logs_from_inside_train_loop_equal_per_epoch_logs(circles, tmp_path):
    # Alone, the monitor's TensorBoard summaries are computed in train's loop and written
    # after training; next to another callback they are written every epoch by the probe.
    (x, y), test = circles
    a = _model(5, depth=3)
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    alone = GradientMonitor(x, y, log_dir=tmp_path, run_name="alone")
    per_epoch = GradientMonitor(x, y, log_dir=tmp_path, run_name="per_epoch")
    train(a, (x, y), test, epochs=3, seed=5, callbacks=[alone])
    train(b, (x, y), test, epochs=3, seed=5, callbacks=[per_epoch, keras.callbacks.Callback()])
    assert alone._probe is None and per_epoch._probe is not None
    got, want = _histograms(alone.run_dir), _histograms(per_epoch.run_dir)
    assert sorted(got.Tags()["tensors"]) == sorted(want.Tags()["tensors"])
    for tag in want.Tags()["tensors"]:
        ours, theirs = got.Tensors(tag), want.Tensors(tag)
        assert [e.step for e in ours] == [e.step for e in theirs] == [0, 1, 2, 3]
        for e1, e2 in zip(ours, theirs):
            v1, v2 = tf.make_ndarray(e1.tensor_proto), tf.make_ndarray(e2.tensor_proto)
            assert v1.shape == v2.shape
            if v1.ndim == 2:  # histogram: edges agree, counts agree up to a value on an edge
                np.testing.assert_allclose(v1[:, :2], v2[:, :2], rtol=1e-4, atol=1e-8)
                assert v1[:, 2].sum() == v2[:, 2].sum()
                assert np.abs(v1[:, 2] - v2[:, 2]).sum() <= 2
            else:
                np.testing.assert_allclose(v1, v2, rtol=1e-4, atol=1e-8)


def test_histogram_buckets_equal_tensorboards():
    from tensorboard.plugins.histogram.summary_v2 import _buckets

    from helpers.gradients import bucket_counts, buckets_from_counts

    rng = np.random.default_rng(0)
    for v in (rng.normal(size=(500, 5)), np.full((4, 4), 0.3), rng.uniform(size=25),
              np.array([1e-9, 3.0, -2.5e-3])):
        v = tf.constant(v, tf.float32)
        np.testing.assert_array_equal(buckets_from_counts(bucket_counts(v)).numpy(),
                                      _buckets(v, tf.constant(30)).numpy())


def test_monitor_resets_per_training_run(circles):
    (x, y), test = circles
    model = _model(0, depth=2)
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=2, callbacks=[mon])
    train(model, (x, y), test, epochs=1, callbacks=[mon])
    assert sorted(mon.table["epoch"].unique()) == [0, 1]


def test_monitor_refuses_bad_input(circles):
    (x, y), test = circles
    with pytest.raises(ValueError, match="same length"):
        GradientMonitor(x, y[:-1])
    with pytest.raises(ValueError, match="shape"):
        GradientMonitor(x[:, 0], y)
    with pytest.raises(ValueError, match="run_name"):
        GradientMonitor(x, y, log_dir="logs", run_name="../escape")
    with pytest.raises(TypeError, match="log_dir"):
        GradientMonitor(x, y, log_dir=3)
    with pytest.raises(ValueError, match="GradientMonitor batch: x has 3 features"):
        train(_model(0, depth=2), (x, y), test, epochs=1,
              callbacks=[GradientMonitor(np.zeros((4, 3)), np.zeros(4))])
    model = _model(0, depth=2, n_inputs=3)
    with pytest.raises(ValueError, match="features"):
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(np.zeros((4, 3)), np.zeros(4), epochs=1, verbose=0,
                  callbacks=[GradientMonitor(x, y)])


# --------------------------------------------------------------------------- TensorBoard


def _histograms(run_dir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def test_tensorboard_histograms_for_every_layer_and_epoch(circles, tmp_path):
    (x, y), test = circles
    model = _model(0)
    epochs = 4
    mon = GradientMonitor(x, y, log_dir=tmp_path, run_name="tanh")
    train(model, (x, y), test, epochs=epochs, callbacks=[mon])
    assert mon.run_dir == os.path.join(str(tmp_path), "tanh")
    acc = _histograms(mon.run_dir)
    tags = acc.Tags()["tensors"]
    for layer in [f"hidden_{i}" for i in range(1, 6)] + ["output"]:
        tag = f"{layer}/kernel_gradient"
        assert tag in tags
        events = acc.Tensors(tag)
        assert [e.step for e in events] == list(range(epochs + 1))
        hist = tf.make_ndarray(events[-1].tensor_proto)
        assert hist.ndim == 2 and hist.shape[1] == 3  # (left, right, count) buckets
        assert hist[:, 2].sum() == np.prod(model.get_layer(layer).kernel.shape)
        assert f"{layer}/kernel_grad_mean_abs" in tags
    # the logged scalar equals the table's number
    last = acc.Tensors("hidden_1/kernel_grad_mean_abs")[-1]
    t = mon.table
    want = t[(t.epoch == epochs) & (t.layer == "hidden_1") & (t.parameter == "kernel")]
    np.testing.assert_allclose(float(tf.make_ndarray(last.tensor_proto)),
                               want["grad_mean_abs"].iloc[0], rtol=1e-6)


def test_tensorboard_runs_never_overwrite(circles, tmp_path):
    (x, y), test = circles
    keep = tmp_path / "tanh"
    keep.mkdir()
    (keep / "earlier.txt").write_text("an earlier run")
    model = _model(0, depth=2)
    mon = GradientMonitor(x, y, log_dir=tmp_path, run_name="tanh")
    train(model, (x, y), test, epochs=1, callbacks=[mon])
    first = mon.run_dir
    train(model, (x, y), test, epochs=1, callbacks=[mon])
    assert (keep / "earlier.txt").read_text() == "an earlier run"
    assert first == os.path.join(str(tmp_path), "tanh-2")
    assert mon.run_dir == os.path.join(str(tmp_path), "tanh-3")
    default = GradientMonitor(x, y, log_dir=tmp_path)
    train(model, (x, y), test, epochs=1, callbacks=[default])
    assert os.path.basename(default.run_dir).startswith(model.name)
    assert len(os.listdir(tmp_path)) == 4


# --------------------------------------------------------------------------- diagnose


@pytest.mark.parametrize("seed", SEEDS)
def test_diagnose_flags_deep_tanh_uniform_at_init(circles, seed):
    (x, y), _ = circles
    report = diagnose(_model(seed), x, y)
    assert not report.healthy
    assert "vanishing" in report.kinds or "saturated" in report.kinds
    # the weakest hidden layer gets a tiny share of the output layer's gradient
    assert report.table["grad_vs_output"].iloc[:-1].min() < 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_diagnose_passes_relu_he_at_init(circles, seed):
    (x, y), _ = circles
    report = diagnose(_model(seed, **RELU_HE), x, y)
    assert report.healthy, report
    assert report.table["grad_vs_output"].iloc[:-1].min() > VANISHING_RATIO


@pytest.mark.slow
def test_diagnose_after_training(circles):
    """After 500 epochs: ReLU + He stays healthy; tanh + U(0, 1) is still flagged for most
    seeds (seed 1 of this split learns despite the bad start and then passes)."""
    (x, y), test = circles
    flagged = 0
    for seed in SEEDS:
        tanh = _model(seed)
        train(tanh, (x, y), test, epochs=500, seed=seed)
        flagged += not diagnose(tanh, x, y).healthy
        relu = _model(seed, **RELU_HE)
        train(relu, (x, y), test, epochs=500, seed=seed)
        report = diagnose(relu, x, y)
        assert not {"vanishing", "exploding", "saturated"} & set(report.kinds), report
    assert flagged >= 3


def test_diagnose_works_on_a_functional_model_without_helpers(circles):
    (x, y), _ = circles
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(2,))
    h = keras.layers.Dense(8, activation="relu", kernel_initializer="he_normal", name="a")(inp)
    h = keras.layers.Dropout(0.1)(h)
    h = keras.layers.Dense(8, activation="tanh", name="b")(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(h)
    model = keras.Model(inp, out)
    report = diagnose(model, x, y)
    assert list(report.table["layer"]) == ["a", "b", "out"]
    assert report.first_to_output_ratio == pytest.approx(
        report.table["grad_mean_abs"].iloc[0] / report.table["grad_mean_abs"].iloc[-1])
    np.testing.assert_allclose(report.table["grad_mean_abs"],
                               _direct_kernel_grads(model, x, y), rtol=1e-5)
    assert report.table["dead_share"].notna().tolist() == [True, False, False]


def test_diagnose_flags_dead_and_exploding(circles):
    (x, y), _ = circles
    keras.utils.set_random_seed(0)
    # a ReLU layer whose biases push every unit below zero: all dead
    dead = keras.Sequential([keras.Input(shape=(2,)),
                             keras.layers.Dense(5, activation="relu", name="h1"),
                             keras.layers.Dense(5, activation="relu", name="h2",
                                                bias_initializer=keras.initializers.Constant(-50)),
                             keras.layers.Dense(1, activation="sigmoid", name="out")])
    report = diagnose(dead, x, y)
    assert "dead_units" in report.kinds
    assert any(f.layer == "h2" for f in report.findings)
    # unscaled inputs: same forward pass (x * 1000, first kernel / 1000), but the first
    # layer's gradient is 1000 times larger
    model = _model(0, **RELU_HE)
    first = model.get_layer("hidden_1")
    first.kernel.assign(first.kernel / 1000.0)
    report = diagnose(model, x * 1000.0, y)
    assert "exploding" in report.kinds and report.first_to_output_ratio > 100
    # overflowing weights: non-finite gradients
    huge = _model(0, depth=2, activation="linear", initializer="random_normal")
    huge.get_layer("hidden_1").kernel.assign(np.full((2, 5), 1e30, dtype="float32"))
    huge.get_layer("hidden_2").kernel.assign(np.full((5, 5), 1e30, dtype="float32"))
    assert "exploding" in diagnose(huge, x, y).kinds


def test_diagnosis_reprs_are_readable(circles):
    (x, y), _ = circles
    report = diagnose(_model(0), x, y)
    assert isinstance(report, Diagnosis)
    text = repr(report)
    assert "0x" not in text and "object at" not in text
    assert "hidden_1" in text and "Findings:" in text
    html = report._repr_html_()
    assert "<table" in html and "vanishing" in html or "saturated" in html
    for f in report.findings:
        assert f.kind in FINDING_KINDS and f.message and f.fix
    healthy = diagnose(_model(0, **RELU_HE), x, y)
    assert "No findings." in repr(healthy) and "healthy" in repr(healthy)


def test_diagnose_does_not_change_the_model(circles):
    (x, y), _ = circles
    model = _model(0)
    before = [w.copy() for w in model.get_weights()]
    diagnose(model, x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_diagnose_refuses_bad_input(circles):
    (x, y), _ = circles
    with pytest.raises(TypeError, match="keras.Model"):
        diagnose("model", x, y)
    unbuilt = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="not built"):
        diagnose(unbuilt, x, y)
    no_dense = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Activation("sigmoid")])
    with pytest.raises(ValueError, match="no Dense"):
        diagnose(no_dense, x, y)
    model = _model(0, depth=2)
    with pytest.raises(ValueError, match="same length"):
        diagnose(model, x, y[:10])
    with pytest.raises(ValueError, match="shape"):
        diagnose(model, x[:, :1].ravel(), y)
    with pytest.raises(ValueError, match="features"):
        diagnose(model, np.c_[x, x], y)
    with pytest.raises(ValueError, match="labels"):
        diagnose(model, x, y + 2)
    multi = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="one probability"):
        diagnose(multi, x, y)


def test_dead_share_threshold_is_documented():
    assert 0 < DEAD_SHARE < 1


# --------------------------------------------------------------------------- plots


def test_gradient_plots_draw(circles):
    import matplotlib.pyplot as plt

    from helpers.gradients import layer_outputs
    from helpers.plots import (
        plot_activation_histograms,
        plot_gradient_heatmap,
        plot_layer_gradients,
        plot_update_ratio,
        plot_variance_by_layer,
    )

    (x, y), test = circles
    model = _model(0, depth=3)
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=3, callbacks=[mon])
    ax = plot_layer_gradients(mon, title="t")
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 4
    ax = plot_gradient_heatmap(mon.table, vmin=1e-6, vmax=1)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "hidden_1"
    ax = plot_update_ratio(mon)
    assert any(np.allclose(line.get_ydata(), 1e-3) for line in ax.get_lines())
    outs = layer_outputs(model, x)
    assert list(outs) == ["hidden_1", "hidden_2", "hidden_3", "output"]
    assert outs["hidden_1"].shape == (500, 5)
    z = layer_outputs(model, x, pre_activation=True)
    np.testing.assert_allclose(np.tanh(z["hidden_2"]), outs["hidden_2"], atol=1e-5)
    fig = plot_activation_histograms({"a": outs, "b": outs, "c": outs})
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    plot_variance_by_layer({"m": [1.0, 2.0]}, {"m": [1.0, 1.0]})
    with pytest.raises(TypeError, match="GradientMonitor"):
        plot_layer_gradients([1, 2])
    with pytest.raises(ValueError, match="parameter"):
        plot_layer_gradients(mon, parameter="weights")
    with pytest.raises(ValueError, match="empty"):
        plot_layer_gradients(GradientMonitor(x, y))
    plt.close("all")


def test_monitor_with_fit_on_a_functional_model_without_bias(circles):
    (x, y), _ = circles
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(2,))
    h = keras.layers.Dense(4, activation="relu", use_bias=False, name="nobias")(inp)
    h = keras.layers.Dropout(0.2)(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    mon = GradientMonitor(x[:64], y[:64])
    model.fit(x[:64], y[:64], epochs=2, verbose=0, callbacks=[mon])
    t = mon.table
    assert len(t) == 3 * 2 * 2
    bias = t[(t.layer == "nobias") & (t.parameter == "bias")]
    assert bias["grad_mean_abs"].isna().all()
    kernel = t[(t.layer == "nobias") & (t.parameter == "kernel")]
    assert kernel["grad_mean_abs"].notna().all() and kernel["dead_share"].notna().all()


def test_diagnose_flags_gradients_that_are_huge_in_every_layer():
    """A ReLU net whose every layer amplifies (variance 16 / fan_in) has gradients ~1e5 in
    all layers: the ratio to the output layer is unremarkable, the absolute size is not."""
    from helpers.data import load_circles
    from helpers.gradients import EXPLODING_ABS

    (x, y), _ = load_circles()
    for seed in range(3):
        seed_everything(seed)
        init = lambda: keras.initializers.VarianceScaling(16.0, "fan_in", "uniform")  # noqa: E731
        model = keras.Sequential([keras.Input(shape=(2,))]
                                 + [keras.layers.Dense(5, "relu", kernel_initializer=init())
                                    for _ in range(20)]
                                 + [keras.layers.Dense(1, "sigmoid", kernel_initializer=init())])
        report = diagnose(model, x, y)
        assert np.nanmax(report.table["grad_mean_abs"]) > EXPLODING_ABS
        assert "exploding" in report.kinds
    seed_everything(0)
    assert "exploding" not in diagnose(build_mlp(5, activation="relu",
                                                 initializer="he_uniform"), x, y).kinds
