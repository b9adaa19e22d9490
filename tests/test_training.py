import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from helpers import seed_everything
from helpers.models import MLPConfig, build_mlp
from helpers.training import LEARNED_THRESHOLD, resolve_optimizer, train, train_many

KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
TIGHT = dict(rtol=1e-12, atol=1e-14)


def _fit_same_order(model, circles, epochs, seed, optimizer):
    """model.fit on a copy of ``model``, one epoch at a time on the rows in train's order
    for ``seed`` (shuffle=False); returns (copy, per-epoch history)."""
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=optimizer or resolve_optimizer(), loss="binary_crossentropy",
                 metrics=["accuracy"])
    (x, y), test = circles
    rng, history = np.random.default_rng([seed, 0x5EED]), {k: [] for k in KEYS}
    for epoch in range(epochs):
        rows = rng.permutation(len(x))
        h = twin.fit(x[rows], y[rows], validation_data=test, batch_size=32, shuffle=False,
                     initial_epoch=epoch, epochs=epoch + 1, verbose=0)
        for k in KEYS:
            history[k] += h.history[k]
    return twin, history


def _assert_same_as_fit(model, circles, epochs=4, seed=3, fit_optimizer=None, **train_kwargs):
    twin, fit_history = _fit_same_order(model, circles, epochs, seed, fit_optimizer)
    ours = train(model, *circles, epochs=epochs, seed=seed, **train_kwargs)
    for k in KEYS:
        np.testing.assert_allclose(ours.history[k], fit_history[k], **TIGHT, err_msg=k)
    for a, b in zip(model.get_weights(), twin.get_weights()):  # BN moving statistics too
        np.testing.assert_allclose(a, b, **TIGHT)


@pytest.mark.parametrize("kwargs", [
    dict(depth=5), dict(depth=1), dict(depth=5, activation="relu", initializer="he_uniform"),
    dict(depth=6, activation="relu", initializer="he_uniform", batch_norm=True),
    dict(depth=6, activation="relu", initializer="he_uniform", batch_norm=True, residual=True),
])
def test_train_is_model_fit_in_the_same_batch_order(kwargs, circles):
    seed_everything(7)
    _assert_same_as_fit(build_mlp(**kwargs), circles)


def test_train_is_model_fit_with_adam_and_clipnorm(circles):
    seed_everything(3)
    model = build_mlp(4, activation="relu", initializer="he_uniform")
    _assert_same_as_fit(model, circles, fit_optimizer=keras.optimizers.Adam(0.01, clipnorm=0.5),
                        optimizer=keras.optimizers.Adam(0.01, clipnorm=0.5))


def test_tutorial_sgd_is_exact_in_float64(circles):
    """Two full-batch steps equal the update written out with momentum exactly 0.9 (Keras
    casts a Python-float momentum through float32: 0.8999999762)."""
    (x, y), test = circles
    seed_everything(1)
    model = build_mlp(1)
    weights, velocity = model.get_weights(), [0.0] * 4
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:, None], model(x)))
        grads = tape.gradient(loss, model.trainable_variables)
        for i, (v, g) in enumerate(zip(model.trainable_variables, grads)):
            velocity[i] = velocity[i] * 0.9 - g.numpy() * 0.01
            v.assign(v.numpy() + velocity[i])
    by_hand = model.get_weights()
    model.set_weights(weights)
    train(model, (x, y), test, epochs=2, batch_size=len(x), shuffle=False)
    for a, b in zip(model.get_weights(), by_hand):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-17)


class Scale(keras.layers.Layer):
    """A custom layer: multiplies its input by a trained scalar."""

    def build(self, input_shape):
        self.s = self.add_weight(shape=(), initializer="ones")

    def call(self, x):
        return x * self.s


def _functional_model():
    inputs = keras.Input(shape=(2,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    z = keras.layers.BatchNormalization()(keras.layers.Dense(8)(h))
    h = keras.layers.Add()([h, keras.layers.Activation("relu")(z)])
    h = keras.layers.Dropout(0.2, seed=5)(Scale()(h))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))


def test_train_runs_a_functional_model_with_dropout_bn_residual_and_custom_layer(circles):
    seed_everything(2)
    _assert_same_as_fit(_functional_model(), circles, epochs=3)


def test_train_honours_compile(circles):
    seed_everything(1)
    model = build_mlp(2)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    h = train(model, *circles, epochs=3, seed=1)
    assert set(h.history) == set(KEYS) | {"auc", "val_auc"}
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert int(model.optimizer.iterations) == 3 * 16  # 500 rows in batches of 32


def test_history(circles):
    seed_everything(1)
    model = build_mlp(1)
    h = train(model, *circles, epochs=30, seed=1)
    assert isinstance(h, keras.callbacks.History)
    assert h.epoch == list(range(30)) and all(len(h.history[k]) == 30 for k in KEYS)
    loss, acc = model.evaluate(*circles[1], verbose=0)  # compiled by train
    assert loss == pytest.approx(h.history["val_loss"][-1], rel=1e-12)
    assert acc == pytest.approx(h.history["val_accuracy"][-1], abs=1e-12)


def test_seed_fixes_the_batch_order(circles):
    runs = []
    for seed in (1, 1, 2):
        seed_everything(0)
        runs.append(train(build_mlp(2), *circles, epochs=3, seed=seed).history["loss"])
    assert runs[0] == runs[1] != runs[2]


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events, self.kernels = [], []

    def on_train_begin(self, logs=None):
        self.events.append("begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(tuple(sorted(logs)))
        self.kernels.append(self.model.layers[0].kernel.numpy().copy())

    def on_train_end(self, logs=None):
        self.events.append("end")


def test_callbacks_are_called_between_epochs_with_current_weights(circles):
    seed_everything(5)
    model = build_mlp(3)
    rec = Recorder()
    train(model, *circles, epochs=2, seed=5, callbacks=[rec])
    logs = tuple(sorted(KEYS))
    assert rec.events == ["begin", ("epoch", 0), logs, ("epoch", 1), logs, "end"]
    assert not np.allclose(rec.kernels[0], rec.kernels[1])
    np.testing.assert_array_equal(rec.kernels[-1], model.layers[0].kernel.numpy())


def test_weights_a_callback_sets_are_the_ones_trained_on(circles):
    class Zero(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])

    seed_everything(0)
    model = build_mlp(2)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    train(model, *circles, epochs=2, seed=0, callbacks=[Zero()])
    # from all-zero weights (plain SGD) only the output bias can learn
    assert all(np.all(w == 0) for w in model.get_weights()[:-1])
    assert model.get_weights()[-1] != 0


def test_one_call_for_all_epochs_equals_one_call_per_epoch(circles):
    """Without callbacks train runs every epoch in one compiled call, with callbacks one call
    per epoch: the digits are the same."""
    runs = []
    for callbacks in ([], [keras.callbacks.Callback()]):
        seed_everything(4)
        model = build_mlp(3, activation="relu", initializer="he_uniform", batch_norm=True)
        h = train(model, *circles, epochs=3, seed=4, callbacks=callbacks)
        runs.append((h.epoch, h.history, model.get_weights()))
    assert runs[0][:2] == runs[1][:2]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_early_stopping_stops(circles):
    seed_everything(0)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0)
    h = train(build_mlp(2), *circles, epochs=50, seed=0, callbacks=[stop])
    assert len(h.history["loss"]) == 2


def test_no_retracing_notice_when_called_often(circles, caplog):
    for seed in range(6):
        train(build_mlp(1), *circles, epochs=1, seed=seed)
        train_many(1, seeds=[seed], epochs=1)
    assert "retracing" not in caplog.text


def test_reproducible_in_two_fresh_processes():
    script = textwrap.dedent("""
        import json, keras, helpers
        keras.config.set_floatx("float64")
        from helpers import seed_everything
        from helpers.data import load_circles
        from helpers.models import build_mlp
        from helpers.training import train
        seed_everything(123)
        h = train(build_mlp(5, activation="relu", initializer="he_uniform"),
                  *load_circles(), epochs=20)
        print(json.dumps(h.history))
    """)
    outs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    a, b = (json.loads(o.strip().splitlines()[-1]) for o in outs)
    assert a == b  # bit-identical, not merely close


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer.*adam"),
    ({"optimizer": 0.1}, TypeError, "optimizer"),
    ({"learning_rate": -1}, ValueError, "learning_rate"),
    ({"clipnorm": 0}, ValueError, "clipnorm"),
    ({"seed": -3}, ValueError, "seed"),
    ({"shuffle": "yes"}, TypeError, "shuffle"),
    ({"callbacks": ["x"]}, TypeError, "callbacks"),
    ({"callbacks": [keras.callbacks.TerminateOnNaN()]}, ValueError, "callbacks.*batch"),
])
def test_train_bad_input(kwargs, exc, words, circles):
    with pytest.raises(exc, match=words):
        train(build_mlp(1), *circles, **kwargs)


def test_train_bad_data(circles):
    (x, y), test = circles
    for data, exc, words in [((x, y[:-1]), ValueError, "train_data.*same length"),
                             ((x, y * 2), ValueError, "labels must be 0 or 1"),
                             ((x[:, :1], y), ValueError, "train_data.*features"),
                             (x, TypeError, "train_data")]:
        with pytest.raises(exc, match=words):
            train(build_mlp(1), data, test, epochs=1)
    with pytest.raises(TypeError, match="model"):
        train("model", (x, y), test)


def test_resolve_optimizer():
    sgd = resolve_optimizer()
    assert isinstance(sgd, keras.optimizers.SGD)
    assert (float(sgd.learning_rate), sgd.momentum) == (0.01, 0.9)
    adam = keras.optimizers.Adam(0.1)
    assert resolve_optimizer(adam) is adam
    copy = resolve_optimizer(adam, clipnorm=1.0)
    assert copy is not adam and copy.clipnorm == 1.0 and float(copy.learning_rate) == 0.1


# --------------------------------------------------------------------------- train_many


@pytest.mark.parametrize("kwargs", [
    dict(depth=3), dict(depth=3, activation="relu", initializer="he_uniform"),
    dict(depth=3, optimizer="adam", learning_rate=0.01),
    dict(depth=4, activation="relu", initializer="he_uniform", batch_norm=True),
    dict(depth=4, activation="relu", initializer="he_uniform", batch_norm=True,
         residual=True),
    dict(depth=4, activation="relu", initializer="he_uniform", residual=True),
    dict(depth=6, activation="relu", initializer="he_uniform", clipnorm=0.05),
])
def test_every_stacked_seed_is_train_on_that_seed(kwargs, circles):
    train_kwargs = {k: kwargs.pop(k) for k in ("optimizer", "learning_rate", "clipnorm")
                    if k in kwargs}
    df = train_many(**kwargs, **train_kwargs, seeds=[4, 9], epochs=6)
    assert list(df["seed"]) == [4, 9]
    for row in df.itertuples():
        seed_everything(row.seed)
        model = build_mlp(**kwargs)
        h = train(model, *circles, epochs=6, seed=row.seed, **train_kwargs)
        for k in KEYS:
            np.testing.assert_allclose(row.history[k], h.history[k], rtol=1e-10, err_msg=k)
        for part, data in (("train", circles[0]), ("test", circles[1])):
            loss, acc = model.evaluate(*data, verbose=0)
            assert getattr(row, f"{part}_accuracy") == acc
            assert getattr(row, f"{part}_loss") == pytest.approx(loss, rel=1e-10)
        assert row.learned == (row.test_accuracy >= LEARNED_THRESHOLD)


def test_train_many_kernel_l1(circles):
    df = train_many(3, seeds=[2], epochs=3, kernel_l1=True)
    norms = df.loc[0, "kernel_l1"]
    assert norms.shape == (4, 4)  # before training + 3 epochs, 3 hidden layers + output
    seed_everything(2)
    model = build_mlp(3)
    np.testing.assert_allclose(norms[0], [np.abs(w).sum() for w in model.get_weights()[::2]])
    train(model, *circles, epochs=3, seed=2)
    np.testing.assert_allclose(norms[-1], [np.abs(w).sum() for w in model.get_weights()[::2]],
                               rtol=1e-10)


def test_train_many_in_chunks_equals_epoch_by_epoch():
    """train_many runs 100 epochs per compiled call (one per epoch with kernel_l1)."""
    chunked, by_epoch = (train_many(1, seeds=[3, 8], epochs=103, kernel_l1=k)
                         for k in (False, True))
    for a, b in zip(chunked.itertuples(), by_epoch.itertuples()):
        assert a.test_loss == b.test_loss and a.train_accuracy == b.train_accuracy
        assert all(np.array_equal(a.history[k], b.history[k]) for k in KEYS)


def test_train_many_columns(circles):
    df = train_many(1, seeds=[0], epochs=2)
    assert isinstance(df, pd.DataFrame)
    assert {"depth", "width", "activation", "initializer", "optimizer", "learning_rate",
            "batch_norm", "residual", "epochs", "seed", "train_accuracy", "test_accuracy",
            "train_loss", "test_loss", "learned", "history"} == set(df.columns)
    assert df.loc[0, "optimizer"] == "sgd" and df.loc[0, "learning_rate"] == 0.01


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"seeds": []}, ValueError, "seeds must not be empty"),
    ({"seeds": 5}, TypeError, "seeds"),
    ({"seeds": [1, 1]}, ValueError, "repeat"),
    ({"seeds": [-1]}, ValueError, "seeds"),
    ({"depth": 0}, ValueError, "depth"),
    ({"activation": "nope"}, ValueError, "activation"),
    ({"kernel_l1": "yes"}, TypeError, "kernel_l1"),
    ({"optimizer": keras.optimizers.RMSprop()}, ValueError, "optimizer.*RMSprop"),
    ({"optimizer": keras.optimizers.SGD(global_clipnorm=1.0)}, ValueError, "global_clipnorm"),
    ({"clipnorm": -1.0}, ValueError, "clipnorm"),
    ({"train_data": ([[0.0, 0.0]], [0])}, ValueError, "both train_data and test_data"),
])
def test_train_many_bad_input(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        train_many(**{"depth": 1, "epochs": 1, **kwargs})


def test_train_many_trains_the_bias_initializer_it_is_given(circles):
    """A new MLPConfig field reaches the stacked models through build_mlp's weights."""
    df = train_many(2, bias_initializer="random_normal", seeds=[3], epochs=2)
    seed_everything(3)
    model = build_mlp(2, bias_initializer="random_normal")
    h = train(model, *circles, epochs=2, seed=3)
    np.testing.assert_allclose(df.loc[0, "history"]["loss"], h.history["loss"], rtol=1e-10)
    seed_everything(3)
    zeros = train_many(2, seeds=[3], epochs=2)
    assert df.loc[0, "train_loss"] != zeros.loc[0, "train_loss"]


@pytest.mark.slow
def test_train_many_recomputes_the_previous_engines_numbers_exactly():
    """train_many through MLPConfig and the stacked Keras layers gives, to the last bit, what
    the engine before them (commit a579040: NumPy-stacked variables, layers looked up by
    name) gave for 8 configurations (batch norm, residual, Adam, clipnorm, clipvalue,
    batch_size, output_initializer), 2 seeds, 60 epochs: final accuracies and losses and the
    per-epoch validation loss. (The stored tables' losses were made by an earlier engine
    still and repeat only to the last bits: tests/test_store.py.)"""
    reference = json.loads((Path(__file__).parent / "train_many_a579040.json").read_text())
    assert keras.config.floatx() == "float64"
    for ref in reference:
        df = train_many(MLPConfig.of(ref["config"]), seeds=ref["seeds"], epochs=ref["epochs"])
        for col in ("train_accuracy", "test_accuracy", "train_loss", "test_loss"):
            assert df[col].tolist() == ref[col], (ref["config"], col)
        assert [h["val_loss"].tolist() for h in df["history"]] == ref["val_loss"], ref["config"]
