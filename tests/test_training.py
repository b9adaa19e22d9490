import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

from helpers import seed_everything
from helpers.models import build_mlp
from helpers.training import LEARNED_THRESHOLD, evaluate, train, train_many

CONFIGS = [
    dict(depth=5, activation="tanh", initializer="uniform_0_1"),
    dict(depth=5, activation="relu", initializer="he_uniform"),
    dict(depth=1, activation="tanh", initializer="uniform_0_1"),
]


def _fit_twin(model, circles, epochs, optimizer):
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    (x_tr, y_tr), test = circles
    hist = twin.fit(x_tr, y_tr, validation_data=test, epochs=epochs, batch_size=32,
                    shuffle=False, verbose=0)
    return twin, hist


def _assert_train_equals_fit(model, circles, epochs):
    """train (SGD 0.01, momentum 0.9, no shuffling) and model.fit from the same weights give
    the same per-epoch history and the same final weights."""
    twin, fit_hist = _fit_twin(model, circles, epochs,
                               keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    ours = train(model, *circles, epochs=epochs, shuffle=False)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(ours.history[key], fit_hist.history[key], rtol=1e-4,
                                   atol=1e-5, err_msg=key)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_same_maths_as_model_fit(cfg, circles):
    """train and model.fit from identical weights and batch order agree epoch by epoch."""
    seed_everything(7)
    model = build_mlp(**cfg)
    _assert_train_equals_fit(model, circles, epochs=8)


def test_same_maths_with_adam_and_clipping(circles):
    seed_everything(3)
    model = build_mlp(4, activation="relu", initializer="he_uniform")
    opt = keras.optimizers.Adam(learning_rate=0.01, clipnorm=0.5)
    twin, fit_hist = _fit_twin(model, circles, 5, opt)
    ours = train(model, *circles, epochs=5, shuffle=False,
                 optimizer=keras.optimizers.Adam(learning_rate=0.01, clipnorm=0.5))
    np.testing.assert_allclose(ours.history["loss"], fit_hist.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(ours.history["val_loss"], fit_hist.history["val_loss"],
                               rtol=1e-4)


def test_history_shape_and_evaluate(circles):
    seed_everything(1)
    model = build_mlp(1)
    hist = train(model, *circles, epochs=30, seed=1)
    assert isinstance(hist, keras.callbacks.History)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 30 for v in hist.history.values())
    assert hist.epoch == list(range(30))
    # the model is compiled afterwards and agrees with our evaluation
    loss, acc = model.evaluate(*circles[1], verbose=0)
    ours = evaluate(model, circles[1])
    assert ours[1] == pytest.approx(acc, abs=1e-6)
    assert ours[1] == pytest.approx(hist.history["val_accuracy"][-1], abs=1e-6)


def test_shuffle_seed_controls_order(circles):
    runs = []
    for seed in (1, 1, 2):
        seed_everything(0)
        model = build_mlp(2)
        runs.append(train(model, *circles, epochs=5, seed=seed).history["loss"])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


class EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events, self.kernels = [], []

    def on_train_begin(self, logs=None):
        self.events.append("begin")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append((epoch, round(logs["val_accuracy"], 6)))
        self.kernels.append(self.model.layers[0].kernel.numpy().copy())

    def on_train_end(self, logs=None):
        self.events.append("end")


def test_callbacks_see_current_weights_and_same_result(circles):
    seed_everything(5)
    model = build_mlp(3)
    w0 = model.get_weights()
    rec = EpochRecorder()
    with_cb = train(model, *circles, epochs=6, seed=5, callbacks=[rec])
    assert rec.events[0] == "begin" and rec.events[-1] == "end"
    assert [e[0] for e in rec.events[1:-1]] == list(range(6))
    assert not np.allclose(rec.kernels[0], rec.kernels[-1])
    np.testing.assert_allclose(rec.kernels[-1], model.layers[0].kernel.numpy())
    model.set_weights(w0)
    without = train(model, *circles, epochs=6, seed=5)
    np.testing.assert_allclose(with_cb.history["loss"], without.history["loss"], rtol=1e-5)


def test_early_stopping_works(circles):
    seed_everything(0)
    model = build_mlp(5)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=10.0)
    hist = train(model, *circles, epochs=50, callbacks=[stop])
    assert len(hist.history["loss"]) < 50


def test_batch_level_callbacks_are_refused(circles):
    class Batchy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    with pytest.raises(ValueError, match="on_train_batch_end"):
        train(build_mlp(1), *circles, epochs=1, callbacks=[Batchy()])


def test_train_many_matches_single_runs(circles):
    df = train_many(3, activation="relu", initializer="he_uniform", seeds=[4, 9], epochs=40)
    assert isinstance(df, pd.DataFrame)
    assert list(df["seed"]) == [4, 9]
    for col in ("seed", "train_accuracy", "test_accuracy", "learned", "history"):
        assert col in df.columns
    for _, row in df.iterrows():
        seed_everything(int(row.seed))
        model = build_mlp(3, activation="relu", initializer="he_uniform")
        hist = train(model, *circles, epochs=40, seed=int(row.seed))
        np.testing.assert_allclose(row.history["loss"], hist.history["loss"], rtol=1e-4)
        assert row.test_accuracy == pytest.approx(evaluate(model, circles[1])[1], abs=0.005)
        assert row.train_accuracy == pytest.approx(evaluate(model, circles[0])[1], abs=0.005)
        assert row.learned == (row.test_accuracy >= LEARNED_THRESHOLD)
        assert len(row.history["val_accuracy"]) == 40


def test_train_many_initial_weights_equal_build_mlp(circles):
    # one epoch at learning rate ~0 leaves the weights as built: the first loss must match
    df = train_many(4, seeds=[11], epochs=1, learning_rate=1e-12)
    seed_everything(11)
    model = build_mlp(4)
    loss, _ = evaluate(model, circles[1])
    assert df.loc[0, "test_loss"] == pytest.approx(loss, rel=1e-5)


def test_reproducible_in_two_fresh_processes(tmp_path):
    script = textwrap.dedent("""
        import json, helpers
        from helpers import seed_everything
        from helpers.data import load_circles
        from helpers.models import build_mlp
        from helpers.training import train
        seed_everything(123)
        model = build_mlp(5, activation="relu", initializer="he_uniform")
        h = train(model, *load_circles(), epochs=60)
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
    ({"optimizer": keras.optimizers.RMSprop()}, ValueError, "RMSprop"),
    ({"learning_rate": -1}, ValueError, "learning_rate"),
    ({"seed": -3}, ValueError, "seed"),
    ({"callbacks": ["x"]}, TypeError, "callbacks"),
])
def test_train_bad_input(kwargs, exc, words, circles):
    with pytest.raises(exc, match=words):
        train(build_mlp(1), *circles, **kwargs)


def test_train_bad_data(circles):
    (x_tr, y_tr), test = circles
    with pytest.raises(ValueError, match="same length"):
        train(build_mlp(1), (x_tr, y_tr[:-1]), test, epochs=1)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        train(build_mlp(1), (x_tr, y_tr * 2), test, epochs=1)
    with pytest.raises(ValueError, match="features"):
        train(build_mlp(1), (x_tr[:, :1], y_tr), test, epochs=1)
    with pytest.raises(TypeError, match="train_data"):
        train(build_mlp(1), x_tr, test, epochs=1)


def test_train_refuses_models_it_cannot_run(circles):
    inp = keras.Input(shape=(2,))
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.BatchNormalization()(inp))
    with pytest.raises(ValueError, match="Dense"):
        train(keras.Model(inp, out), *circles, epochs=1)
    softmax = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, "softmax")])
    with pytest.raises(ValueError, match="sigmoid"):
        train(softmax, *circles, epochs=1)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"seeds": []}, ValueError, "seeds must not be empty"),
    ({"seeds": 5}, TypeError, "seeds"),
    ({"seeds": [1, 1]}, ValueError, "repeat"),
    ({"seeds": [-1]}, ValueError, "seeds"),
    ({"depth": 0}, ValueError, "depth"),
    ({"activation": "nope"}, ValueError, "activation"),
    ({"kernel_l1": "yes"}, TypeError, "kernel_l1"),
])
def test_train_many_bad_input(kwargs, exc, words):
    args = {"depth": 1, "epochs": 1, **kwargs}
    with pytest.raises(exc, match=words):
        train_many(**args)


@pytest.mark.parametrize("kw", [dict(batch_norm=True), dict(residual=True),
                                dict(batch_norm=True, residual=True)])
def test_same_maths_as_fit_with_batch_norm_and_residual(kw, circles):
    seed_everything(3)
    model = build_mlp(6, activation="relu", initializer="he_uniform", **kw)
    # kernels, biases, BN gammas/betas AND the BN moving statistics are compared
    _assert_train_equals_fit(model, circles, epochs=4)


def test_train_many_with_batch_norm_matches_single_run(circles):
    df = train_many(4, activation="relu", initializer="he_uniform", seeds=[2], epochs=20,
                    batch_norm=True)
    assert bool(df.loc[0, "batch_norm"]) and not bool(df.loc[0, "residual"])
    seed_everything(2)
    model = build_mlp(4, activation="relu", initializer="he_uniform", batch_norm=True)
    hist = train(model, *circles, epochs=20, seed=2)
    np.testing.assert_allclose(df.loc[0, "history"]["val_loss"], hist.history["val_loss"],
                               rtol=1e-4)
    assert df.loc[0, "test_accuracy"] == pytest.approx(evaluate(model, circles[1])[1],
                                                       abs=0.005)


def test_models_the_engine_would_misread_are_refused(circles):
    # a custom leaky slope looks like 'leaky_relu' by name but computes something else
    model = keras.Sequential([keras.Input(shape=(2,)),
                              keras.layers.Dense(4, activation=keras.layers.LeakyReLU(0.01)),
                              keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="cannot run this model"):
        train(model, *circles, epochs=1)
