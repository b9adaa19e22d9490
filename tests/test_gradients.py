"""helpers.gradients: the one per-layer gradient computation, the four words, the monitor (under
model.fit and under helpers.training.train), its TensorBoard logs, and diagnose()."""

import json
import os
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from helpers import seed_everything
from helpers.gradients import (
    DEAD_SHARE,
    EXPLODING_ABS,
    VANISHING_RATIO,
    Diagnosis,
    GradientMonitor,
    dead_network,
    dead_units,
    diagnose,
    exploding,
    kernel_gradients,
    layer_gradients,
    layer_outputs,
    saturated,
    vanishing,
)
from helpers.models import build_mlp
from helpers.training import train

SEEDS = range(5)
RELU_HE = {"activation": "relu", "initializer": "he_uniform"}
NOTEBOOK_05 = Path(__file__).resolve().parents[1] / "notebooks" / "05_gradient_inspection.ipynb"


class NoOp(keras.callbacks.Callback):
    """Another callback next to the monitor: train then calls callbacks between epochs,
    the way model.fit does (the only way the new train calls them)."""


def _model(seed, depth=5, **kw):
    seed_everything(seed)
    return build_mlp(depth, **kw)


def _notebook_kernel_gradients():
    """Notebook 05's own ``kernel_gradients`` function, taken from the notebook's code cell."""
    cells = json.loads(NOTEBOOK_05.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                  and "def kernel_gradients" in "".join(c["source"]))
    source = source[:source.index("\n\n\nfor ")]
    scope = {"keras": keras, "tf": tf}
    exec(source, scope)  # noqa: S102 (the repository's own notebook)
    return scope["kernel_gradients"]


def _hidden_outputs(model, x):
    dense = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    return [np.asarray(a) for a in keras.Model(model.inputs[0],
                                                [lay.output for lay in dense])(x)]


# --------------------------------------------------------------------------- the computation


@pytest.mark.parametrize("kw", [{}, RELU_HE, {"batch_norm": True, **RELU_HE}],
                         ids=["tanh", "relu", "batch_norm"])
def test_helper_computes_exactly_what_notebook_05_teaches(circles, kw):
    (x, y), _ = circles
    model = _model(0, **kw)
    by_notebook = _notebook_kernel_gradients()(model, x, y)
    assert kernel_gradients(model, x, y) == by_notebook  # same numbers, bit for bit
    assert list(by_notebook) == [f"hidden_{i}" for i in range(1, 6)] + ["output"]
    g = layer_gradients(model, x, y)
    assert [float(tf.reduce_mean(tf.abs(k))) for k in g.kernel] == list(by_notebook.values())


def test_training_mode_gradients_leave_batch_norm_unchanged(circles):
    (x, y), _ = circles
    model = _model(0, depth=4, batch_norm=True, **RELU_HE)
    before = [w.copy() for w in model.get_weights()]
    train_mode = kernel_gradients(model, x, y, training=True)
    assert train_mode != kernel_gradients(model, x, y)  # batch statistics differ from moving ones
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    g = layer_gradients(model, x, y, training=True)
    assert g.inputs[-1].shape == (len(x), 5) and len(g.outputs) == 5


# --------------------------------------------------------------------------- the words


def test_vanishing_and_exploding_rules():
    assert vanishing([0.5, 0.001, 0.3, 1.0]) == 1            # weakest hidden layer, 0.1%
    assert vanishing([0.5, 0.03, 0.3, 1.0]) is None
    assert vanishing([0.5, 0.0, 0.0]) is None                 # no gradient at the output
    assert exploding([500.0, 1.0, 1.0]) == 0                  # 500x the output layer's
    assert exploding([1e5, 1e5, 1e5]) == 0                    # above EXPLODING_ABS everywhere
    assert exploding([0.1, np.nan, 0.2]) == 1                 # not finite
    assert exploding([0.1, 0.2, 0.3]) is None
    assert vanishing([1e-9, np.inf, 1.0]) is None
    assert VANISHING_RATIO < 1 < EXPLODING_ABS


def test_saturated_and_dead_rules():
    a = np.array([[0.99, -0.5], [-0.98, 0.1]])
    np.testing.assert_array_equal(saturated(a, "tanh"), [[True, False], [True, False]])
    np.testing.assert_array_equal(saturated(np.array([0.01, 0.5, 0.98]), "sigmoid"),
                                  [True, False, True])
    assert saturated(a, "relu") is None and dead_units(a, "tanh") is None
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(dead_units(relu, "relu"), [True, False, False])
    assert dead_network(np.zeros((10, 3))) and dead_network(np.full((4, 2), 0.7))
    assert not dead_network(relu)
    assert 0 < DEAD_SHARE < 1


# --------------------------------------------------------------------------- monitor


def test_monitor_table_shape_and_columns(circles, caplog):
    (x, y), test = circles
    mon = GradientMonitor(x, y)
    train(_model(0), (x, y), test, epochs=3, seed=0, callbacks=[mon, NoOp()])
    # its probe is traced by AutoGraph, which warns (into the notebook) on code it cannot read
    assert "AutoGraph" not in caplog.text
    t = mon.table
    assert len(t) == 4 * 6 * 2  # epochs 0..3, 6 Dense layers, kernel + bias
    assert list(t["layer"].unique()) == [f"hidden_{i}" for i in range(1, 6)] + ["output"]
    assert sorted(t["epoch"].unique()) == [0, 1, 2, 3]
    assert not t.duplicated(["epoch", "layer", "parameter"]).any()
    assert t.loc[t.epoch == 0, "update_ratio"].isna().all()  # no update before epoch 1
    k = t[(t.epoch > 0) & (t.parameter == "kernel")]
    assert (k["update_ratio"] > 0).all()
    np.testing.assert_allclose(k["update_ratio_per_step"], k["update_ratio"] / 16)  # 500/32
    assert t.loc[t.activation == "tanh", "saturated_share"].notna().all()
    assert t["dead_share"].isna().all()


def test_monitor_in_many_runs_gives_no_retracing_notice(circles, caplog):
    # The lab makes a new model and monitor per click: TensorFlow warns once a function is
    # traced again and again, unless each run's probe is traced once, explicitly.
    (x, y), test = circles
    for seed in range(7):
        train(_model(seed), (x, y), test, epochs=1, seed=seed, callbacks=[GradientMonitor(x, y)])
    assert "retracing" not in caplog.text


def test_monitor_numbers_match_direct_computation(circles):
    (x, y), test = circles
    model = _model(1)
    mon = GradientMonitor(x, y)
    weights = []

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights.append([v.numpy().copy() for v in self.model.weights])

    train(model, (x, y), test, epochs=2, seed=1, callbacks=[mon, Keep()])
    t = mon.table
    last = t[(t.epoch == 2) & (t.parameter == "kernel")]
    # the monitor runs the same computation compiled: equal up to the last bit or two
    np.testing.assert_allclose(last["grad_mean_abs"],
                               list(_notebook_kernel_gradients()(model, x, y).values()),
                               rtol=1e-12)
    acts = _hidden_outputs(model, x)
    np.testing.assert_allclose(last["saturated_share"].iloc[:5],
                               [np.mean(np.abs(a) > 0.97) for a in acts[:5]])
    np.testing.assert_allclose(last["act_std"], [a.std() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(last["weight_l1"],
                               [np.abs(lay.kernel.numpy()).sum() for lay in model.layers])
    w1, w2 = weights[0][0], weights[1][0]
    got = t[(t.epoch == 2) & (t.layer == "hidden_1") & (t.parameter == "kernel")]
    np.testing.assert_allclose(got["update_ratio"],
                               [np.linalg.norm(w2 - w1) / np.linalg.norm(w1)], rtol=1e-12)


def test_monitor_dead_units_for_relu(circles):
    (x, y), test = circles
    mon = GradientMonitor(x, y)
    train(_model(3, **RELU_HE), (x, y), test, epochs=1, seed=3, callbacks=[mon, NoOp()])
    first = mon.table[(mon.table.epoch == 0) & (mon.table.parameter == "kernel")]
    acts = _hidden_outputs(_model(3, **RELU_HE), x)  # seed 3 has dead units at initialization
    expected = [np.mean(np.all(a <= 0, axis=0)) for a in acts[:5]]
    np.testing.assert_allclose(first["dead_share"].iloc[:5], expected)
    assert max(expected) > 0
    assert mon.table.loc[mon.table.activation == "relu", "saturated_share"].isna().all()


def test_monitor_same_numbers_under_fit_and_train(circles):
    (x, y), test = circles
    x, y = x[:128], y[:128]
    a = _model(2, depth=3)
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    under_train, under_fit = GradientMonitor(x, y), GradientMonitor(x, y)
    train(a, (x, y), test, epochs=3, batch_size=32, shuffle=False,
          callbacks=[under_train, NoOp()])
    b.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
              loss="binary_crossentropy", metrics=["accuracy"])
    b.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0, callbacks=[under_fit])
    ta, tb = under_train.table, under_fit.table
    pd.testing.assert_frame_equal(ta.iloc[:, :4], tb.iloc[:, :4])
    num = ta.columns[4:]
    np.testing.assert_allclose(ta[num].to_numpy(), tb[num].to_numpy(), rtol=1e-6, atol=1e-9)


def test_monitor_with_fit_on_a_functional_model_with_dropout_and_no_bias(circles):
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
    assert bias["grad_mean_abs"].isna().all() and bias["weight_l1"].isna().all()
    kernel = t[(t.layer == "nobias") & (t.parameter == "kernel")]
    assert kernel["grad_mean_abs"].notna().all() and kernel["dead_share"].notna().all()


def test_monitor_records_an_overflowing_run_quietly(circles):
    import warnings

    (x, y), _ = circles
    model = _model(0, depth=2, activation="linear", initializer="random_normal")
    for name in ("hidden_1", "hidden_2"):  # weights so large that the forward pass overflows
        layer = model.get_layer(name)
        layer.kernel.assign(np.full(layer.kernel.shape, 1e200))
    mon = GradientMonitor(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[mon])
        t = mon.table
    assert not np.all(np.isfinite(history.history["loss"]))
    assert len(t) == 3 * 3 * 2 and not np.all(np.isfinite(t["grad_mean_abs"]))


def test_monitor_resets_per_training_run(circles):
    (x, y), test = circles
    model = _model(0, depth=2)
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=2, callbacks=[mon, NoOp()])
    train(model, (x, y), test, epochs=1, callbacks=[mon, NoOp()])
    assert sorted(mon.table["epoch"].unique()) == [0, 1]


def test_monitor_refuses_bad_input(circles):
    (x, y), test = circles
    with pytest.raises(ValueError, match="same length"):
        GradientMonitor(x, y[:-1])
    with pytest.raises(ValueError, match="shape"):
        GradientMonitor(x[:, 0], y)
    with pytest.raises(TypeError, match="log_dir"):
        GradientMonitor(x, y, log_dir=3)
    with pytest.raises(ValueError, match="GradientMonitor batch: x has 3 features"):
        train(_model(0, depth=2), (x, y), test, epochs=1,
              callbacks=[GradientMonitor(np.zeros((4, 3)), np.zeros(4)), NoOp()])
    model = _model(0, depth=2, n_inputs=3)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="features"):
        model.fit(np.zeros((4, 3)), np.zeros(4), epochs=1, verbose=0,
                  callbacks=[GradientMonitor(x, y)])


# --------------------------------------------------------------------------- TensorBoard


def _events(run_dir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


@pytest.mark.parametrize("under", ["train", "fit"])
def test_tensorboard_histograms_for_every_layer_and_epoch(circles, tmp_path, under):
    (x, y), test = circles
    model = _model(0, depth=3, batch_norm=True, **RELU_HE)
    epochs = 3
    mon = GradientMonitor(x, y, log_dir=tmp_path)
    if under == "train":
        train(model, (x, y), test, epochs=epochs, callbacks=[mon, NoOp()])
    else:
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(x, y, epochs=epochs, verbose=0, callbacks=[mon])
    assert os.path.dirname(mon.run_dir) == str(tmp_path)
    assert os.path.basename(mon.run_dir).startswith(model.name)
    acc = _events(mon.run_dir)
    t = mon.table
    for layer in ["hidden_1", "hidden_2", "hidden_3", "output"]:
        units = model.get_layer(layer).kernel.shape
        for tag, count in ((f"{layer}/kernel_gradient", np.prod(units)),
                           (f"{layer}/activation", len(x) * units[1])):
            events = acc.Tensors(tag)
            assert [e.step for e in events] == list(range(epochs + 1))
            hist = tf.make_ndarray(events[-1].tensor_proto)
            assert hist.ndim == 2 and hist.shape[1] == 3  # (left, right, count) buckets
            assert hist[:, 2].sum() == count
        logged = [float(tf.make_ndarray(e.tensor_proto))
                  for e in acc.Tensors(f"{layer}/kernel_grad_mean_abs")]
        want = t[(t.layer == layer) & (t.parameter == "kernel")]["grad_mean_abs"]
        np.testing.assert_allclose(logged, want, rtol=1e-6)  # scalars are stored as float32


def test_tensorboard_runs_never_overwrite(circles, tmp_path, monkeypatch):
    import datetime
    import types

    import helpers.gradients

    class Frozen(datetime.datetime):  # every run starts in the same second
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(helpers.gradients, "datetime", types.SimpleNamespace(datetime=Frozen))
    (x, y), test = circles
    model = _model(0, depth=2)
    keep = tmp_path / f"{model.name}-20260102-030405"
    keep.mkdir()
    (keep / "earlier.txt").write_text("an earlier run")
    mon = GradientMonitor(x, y, log_dir=tmp_path)
    train(model, (x, y), test, epochs=1, callbacks=[mon, NoOp()])
    first = mon.run_dir
    train(model, (x, y), test, epochs=1, callbacks=[mon, NoOp()])
    assert (keep / "earlier.txt").read_text() == "an earlier run"
    assert first == f"{keep}-2" and mon.run_dir == f"{keep}-3"
    assert len(os.listdir(tmp_path)) == 3


# --------------------------------------------------------------------------- diagnose


@pytest.mark.parametrize("seed", SEEDS)
def test_diagnose_flags_deep_tanh_uniform_at_init(circles, seed):
    (x, y), _ = circles
    report = diagnose(_model(seed), x, y)
    assert report.findings
    assert "vanishing" in report.kinds or "saturated" in report.kinds
    assert report.first_to_output_ratio == pytest.approx(
        report.table["grad_vs_output"].iloc[0])


@pytest.mark.parametrize("seed", range(1, 5))  # in float64, seed 0's hidden_4 gets 1.2%
def test_diagnose_passes_relu_he_at_init(circles, seed):
    (x, y), _ = circles
    report = diagnose(_model(seed, **RELU_HE), x, y)
    assert not report.findings, report
    assert report.table["grad_vs_output"].iloc[:-1].min() > VANISHING_RATIO


def test_diagnose_works_on_a_functional_model_without_helpers(circles):
    (x, y), _ = circles
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(2,))
    h = keras.layers.Dense(4, activation="relu", name="a")(inp)
    h = keras.layers.Dense(4, activation="linear", name="b")(h)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="out")(h))
    report = diagnose(model, x, y)
    assert list(report.table["layer"]) == ["a", "b", "out"]
    np.testing.assert_allclose(report.table["grad_mean_abs"],
                               list(_notebook_kernel_gradients()(model, x, y).values()),
                               rtol=1e-12)
    assert report.table["dead_share"].notna().tolist() == [True, False, False]


def test_diagnose_flags_dead_and_exploding(circles):
    (x, y), _ = circles
    keras.utils.set_random_seed(0)
    dead = keras.Sequential([keras.Input(shape=(2,)),
                             keras.layers.Dense(5, activation="relu", name="h1"),
                             keras.layers.Dense(5, activation="relu", name="h2",
                                                bias_initializer=keras.initializers.Constant(-50)),
                             keras.layers.Dense(1, activation="sigmoid", name="out")])
    report = diagnose(dead, x, y)
    assert "dead_units" in report.kinds and any(f.layer == "h2" for f in report.findings)
    # unscaled inputs: same forward pass, but the first layer's gradient is 1000 times larger
    model = _model(1, **RELU_HE)
    first = model.get_layer("hidden_1")
    first.kernel.assign(first.kernel / 1000.0)
    report = diagnose(model, x * 1000.0, y)
    assert "exploding" in report.kinds and report.first_to_output_ratio > 100
    huge = _model(0, depth=2, activation="linear", initializer="random_normal")
    huge.get_layer("hidden_1").kernel.assign(np.full((2, 5), 1e300))
    huge.get_layer("hidden_2").kernel.assign(np.full((5, 5), 1e300))
    report = diagnose(huge, x, y)
    assert "exploding" in report.kinds and "NaN or infinite" in str(report.findings[0])


def test_diagnose_flags_gradients_that_are_huge_in_every_layer(circles):
    """A ReLU net whose every layer amplifies (variance 16 / fan_in) has huge gradients in
    all layers: the ratio to the output layer is unremarkable, the absolute size is not."""
    (x, y), _ = circles
    for seed in (3, 7, 8):  # in float64, seeds 0 to 2 draw a network dead at initialization
        seed_everything(seed)
        init = lambda: keras.initializers.VarianceScaling(16.0, "fan_in", "uniform")  # noqa: E731
        model = keras.Sequential([keras.Input(shape=(2,))]
                                 + [keras.layers.Dense(5, "relu", kernel_initializer=init())
                                    for _ in range(20)]
                                 + [keras.layers.Dense(1, "sigmoid", kernel_initializer=init())])
        report = diagnose(model, x, y)
        assert np.nanmax(report.table["grad_mean_abs"]) > EXPLODING_ABS
        assert "exploding" in report.kinds


def test_diagnosis_reprs_are_readable(circles):
    (x, y), _ = circles
    report = diagnose(_model(0), x, y)
    assert isinstance(report, Diagnosis)
    text = repr(report)
    assert "0x" not in text and "object at" not in text
    assert "hidden_1" in text and "Findings:" in text
    assert "<table" in report._repr_html_() and "<li><b>" in report._repr_html_()
    for f in report.findings:
        assert f.kind in ("vanishing", "saturated") and f.message and f.fix
    healthy = diagnose(_model(1, **RELU_HE), x, y)
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
    with pytest.raises(ValueError, match="must be built"):
        diagnose(keras.Sequential([keras.layers.Dense(1, activation="sigmoid")]), x, y)
    linear_out = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, "tanh"),
                                   keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="one probability per row.*last layer gives linear"):
        diagnose(linear_out, x, y)  # its cross-entropy would be computed on non-probabilities
    separate = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, "tanh"),
                                 keras.layers.Dense(1), keras.layers.Activation("sigmoid")])
    assert diagnose(separate, x, y).table["layer"].size == 2  # a sigmoid layer of its own
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


def test_layer_outputs_and_pre_activations(circles):
    (x, _), _ = circles
    model = _model(0, depth=3)
    outs = layer_outputs(model, x)
    assert list(outs) == ["hidden_1", "hidden_2", "hidden_3", "output"]
    assert outs["hidden_1"].shape == (500, 5)
    z = layer_outputs(model, x, pre_activation=True)
    np.testing.assert_allclose(np.tanh(z["hidden_2"]), outs["hidden_2"], atol=1e-12)


def test_gradient_plots_draw(circles):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.plots import (
        plot_activation_histograms,
        plot_gradient_heatmap,
        plot_layer_gradients,
        plot_per_layer,
        plot_update_ratio,
    )

    (x, y), test = circles
    model = _model(0, depth=3)
    mon = GradientMonitor(x, y)
    train(model, (x, y), test, epochs=3, callbacks=[mon, NoOp()])
    ax = plot_layer_gradients(mon, title="t")
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 4
    ax = plot_gradient_heatmap(mon.table, vmin=1e-6, vmax=1)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "hidden_1"
    ax = plot_update_ratio(mon)
    assert any(np.allclose(line.get_ydata(), 1e-3) for line in ax.get_lines())
    outs = layer_outputs(model, x)
    fig = plot_activation_histograms({"a": outs, "b": outs, "c": outs})
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    ax = plot_per_layer({"m": [1.0, 0.0, 2.0]}, {"m": [1.0, 1.0, 1.0]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["m: measured", "m: predicted"]
    assert np.isnan(ax.get_lines()[0].get_ydata()[1])  # a zero cannot be drawn on a log scale
    assert ax.get_lines()[1].get_xdata().tolist() == [2]  # so it is marked on the axis
    assert len(plot_per_layer({"m": [1.0, 2.0]}).get_lines()) == 1  # no marks without zeros
    with pytest.raises(TypeError, match="GradientMonitor"):
        plot_layer_gradients([1, 2])
    with pytest.raises(ValueError, match="empty"):
        plot_layer_gradients(GradientMonitor(x, y))
    with pytest.raises(ValueError, match="non-empty"):
        plot_per_layer({})
    plt.close("all")
