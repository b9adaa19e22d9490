"""Recurrent networks on a long-range memory task: data, models, training over seeds, and
the gradient through time.

The task: a sequence of ``length`` steps with two inputs each, a value and a marker. The
marker is 1 at the first step and 0 afterwards; the value is +1 or -1 at the first step
and Gaussian noise afterwards. The label says which sign the marked value had. Only the
first step carries information, so a network must carry it through ``length - 1`` steps
of noise to the end, where it answers. Chance is 0.5.

Everything is built from Keras' own recurrent layers and trained with ``model.fit`` in
Keras' float type (``keras.config.floatx()``; the course uses float64).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_choice, check_float, check_int, check_seeds
from helpers.seeding import seed_everything

#: The recurrent cells :func:`build_recurrent` knows.
CELLS = ("simple_rnn", "lstm", "gru", "irnn")

#: A guess scores 0.5 on the balanced labels.
CHANCE = 0.5

#: A run "learned" the task when its test accuracy reaches this (chance is 0.5; on the
#: 1,000 test sequences one standard deviation of a guess is about 0.016).
LEARNED_ACCURACY = 0.9

#: The sequence length at which the notebook states its headline comparison.
HEADLINE_LENGTH = 50

#: Training settings shared by every run of the notebook's sweeps.
DEFAULT_SETTINGS = {"units": 16, "n_train": 8_000, "epochs": 3, "batch_size": 100,
                    "learning_rate": 0.01, "noise": 1.0, "gate_bias": None, "clipnorm": None}

#: The gate bias the notebook gives LSTM and GRU so that their memory gate starts open:
#: sigmoid(3) = 0.95 of the old state is kept per step (Keras' defaults: 1 for the LSTM's
#: forget gate, sigmoid(1) = 0.73; 0 for the GRU's update gate, 0.5).
OPEN_GATE_BIAS = 3.0

N_TEST = 1000


def make_sequences(n: int, length: int, seed: int, noise: float = 1.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x, y)``: x of shape (n, length, 2) in Keras' float type, y of shape (n,).

    Channel 0 is the value: ``x[:, 0, 0]`` is +1 where ``y`` is 1 and -1 where ``y`` is 0,
    every later value is drawn from N(0, noise**2). Channel 1 is the marker: 1 at the
    first step, 0 elsewhere. The same ``(n, length, seed, noise)`` always gives the same
    arrays. Refuses n < 1, length < 1, a seed outside [0, 2**32) and noise < 0.
    """
    n = check_int("n", n, minimum=1)
    length = check_int("length", length, minimum=1)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    noise = check_float("noise", noise, minimum=0.0)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(0.0, noise, size=(n, length, 1))
    x[:, 0, 0] = 2.0 * y - 1.0
    marker = np.zeros((n, length, 1))
    marker[:, 0, 0] = 1.0
    x = np.concatenate([x, marker], axis=-1)
    return x.astype(keras.config.floatx()), y.astype(keras.config.floatx())


def _layer(cell: str, units: int) -> keras.layers.Layer:
    if cell == "simple_rnn":
        return keras.layers.SimpleRNN(units, name="recurrent")
    if cell == "lstm":
        return keras.layers.LSTM(units, name="recurrent")
    if cell == "gru":
        return keras.layers.GRU(units, name="recurrent")
    # IRNN (Le, Jaitly & Hinton 2015): ReLU units, identity recurrent matrix, small inputs.
    return keras.layers.SimpleRNN(
        units, activation="relu", recurrent_initializer=keras.initializers.Identity(),
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.001), name="recurrent")


def set_gate_bias(model: keras.Model, gate_bias: float) -> None:
    """Set the bias of the gate that keeps the old state: the LSTM's forget gate, the GRU's
    update gate. ``gate_bias = 1`` is Keras' LSTM default, 0 its GRU default. Refuses a
    model whose ``recurrent`` layer is neither."""
    layer = model.get_layer("recurrent")
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        raise ValueError(f"gate_bias applies to lstm and gru only, not {model.name!r}")
    gate_bias = check_float("gate_bias", gate_bias)
    bias = layer.cell.bias.numpy()
    units = layer.cell.units
    if isinstance(layer, keras.layers.LSTM):  # gates in Keras' order: input, forget, cell, output
        bias[units:2 * units] = gate_bias
    else:  # GRU, Keras' order: update, reset, candidate (input bias in row 0)
        bias[..., :units] = 0.0
        bias.reshape(-1, bias.shape[-1])[0, :units] = gate_bias
    layer.cell.bias.assign(bias)


def build_recurrent(cell: str, units: int = 16, length: int | None = None) -> keras.Model:
    """Return an uncompiled model: one recurrent layer (named ``recurrent``) of ``units``
    units reading sequences of two features (value, marker), then a sigmoid unit on its last state.

    ``cell`` is one of :data:`CELLS`: Keras' SimpleRNN, LSTM, GRU with their default
    initializers, or the IRNN (SimpleRNN with ReLU, identity recurrent matrix, input weights
    from N(0, 0.001**2)). ``length`` fixes the input's time axis (None: any length).
    Refuses an unknown cell and units < 1.
    """
    cell = check_choice("cell", cell, CELLS)
    units = check_int("units", units, minimum=1)
    if length is not None:
        length = check_int("length", length, minimum=1)
    inputs = keras.Input(shape=(length, 2), name="sequence")
    state = _layer(cell, units)(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(state)
    return keras.Model(inputs, outputs, name=cell)


def _check_settings(settings: dict) -> dict:
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise TypeError(f"unknown setting(s) {unknown}; allowed: {', '.join(DEFAULT_SETTINGS)}")
    out = {**DEFAULT_SETTINGS, **settings}
    for key in ("units", "n_train", "epochs", "batch_size"):
        out[key] = check_int(key, out[key], minimum=1)
    out["learning_rate"] = check_float("learning_rate", out["learning_rate"], minimum=0.0,
                                       strict_min=True)
    out["noise"] = check_float("noise", out["noise"], minimum=0.0)
    if out["gate_bias"] is not None:
        out["gate_bias"] = check_float("gate_bias", out["gate_bias"])
    if out["clipnorm"] is not None:
        out["clipnorm"] = check_float("clipnorm", out["clipnorm"], minimum=0.0,
                                      strict_min=True)
    return out


def data_seeds(seed: int) -> tuple[int, int]:
    """The seeds of run ``seed``'s training and test sequences (different from each other)."""
    return 2 * seed + 1_000_000, 2 * seed + 1_000_001


GATED = ("lstm", "gru")

#: How many test sequences the gradient measurements of :func:`train_recurrent_many` use.
N_GRADIENT = 200


def recurrent_radius(model: keras.Model) -> float | None:
    """Spectral radius (largest |eigenvalue|) of a SimpleRNN's or IRNN's recurrent matrix;
    None for the gated cells, whose recurrent kernel holds one matrix per gate."""
    layer = model.get_layer("recurrent")
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return None
    u = np.asarray(layer.cell.recurrent_kernel.numpy(), dtype=np.float64)
    return float(np.max(np.abs(np.linalg.eigvals(u))))


def _log10_ratio(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    g = gradient_through_time(model, x, y)
    with np.errstate(divide="ignore"):
        return float(np.log10(g[0]) - np.log10(g[-1]))


class _NoRetracingNotice(logging.Filter):
    """Drops TensorFlow's "... triggered tf.function retracing" notice: every model here gets
    its own training function on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _quiet_retracing() -> Iterator[None]:
    notice, logger = _NoRetracingNotice(), tf.get_logger()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def train_recurrent_many(cell: str, length: int, seeds: Iterable[int],
                         **settings: float | int | None) -> pd.DataFrame:
    """Train one model per seed on the memory task and return one row per seed.

    For each seed: fresh training and test sequences (:func:`data_seeds`),
    ``seed_everything(seed)``, ``build_recurrent(cell, units, length)`` (with
    :func:`set_gate_bias` when ``gate_bias`` is given), Adam on binary cross-entropy with
    ``model.fit``. ``settings`` override :data:`DEFAULT_SETTINGS` (units, n_train, epochs,
    batch_size, learning_rate, noise, gate_bias, clipnorm).

    Columns: ``seed``; ``train_loss`` (last epoch); ``test_accuracy`` (1,000 new
    sequences); ``learned`` (test accuracy >= :data:`LEARNED_ACCURACY`);
    ``log10_grad_ratio_init`` and ``log10_grad_ratio_trained``: log10 of
    ||dL/dx_1|| / ||dL/dx_length|| (:func:`gradient_through_time` on the first 200 test
    sequences) before and after training; ``radius_init`` and ``radius_trained``
    (:func:`recurrent_radius`, None for lstm and gru). Refuses an unknown cell or setting,
    a gate_bias for a cell without gates, length < 2 and bad seeds.
    """
    cell = check_choice("cell", cell, CELLS)
    length = check_int("length", length, minimum=2)
    seeds = check_seeds(seeds)
    s = _check_settings(settings)
    if s["gate_bias"] is not None and cell not in GATED:
        raise ValueError(f"gate_bias applies to the cells {', '.join(GATED)} only, not {cell!r}")
    rows = []
    for seed in seeds:
        train_seed, test_seed = data_seeds(seed)
        x, y = make_sequences(s["n_train"], length, train_seed, s["noise"])
        x_test, y_test = make_sequences(N_TEST, length, test_seed, s["noise"])
        x_grad, y_grad = x_test[:N_GRADIENT], y_test[:N_GRADIENT]
        seed_everything(seed)
        model = build_recurrent(cell, s["units"], length)
        if s["gate_bias"] is not None:
            set_gate_bias(model, s["gate_bias"])
        row = {"seed": seed, "log10_grad_ratio_init": _log10_ratio(model, x_grad, y_grad),
               "radius_init": recurrent_radius(model)}
        model.compile(optimizer=keras.optimizers.Adam(s["learning_rate"],
                                                      clipnorm=s["clipnorm"]),
                      loss="binary_crossentropy")
        with _quiet_retracing():
            history = model.fit(x, y, batch_size=s["batch_size"], epochs=s["epochs"],
                                verbose=0)
        p = model(x_test, training=False).numpy()[:, 0]  # (predict would retrace per model)
        accuracy = float(np.mean((p > 0.5) == (y_test > 0.5)))
        row.update({"train_loss": float(history.history["loss"][-1]),
                    "test_accuracy": accuracy, "learned": accuracy >= LEARNED_ACCURACY,
                    "log10_grad_ratio_trained": _log10_ratio(model, x_grad, y_grad),
                    "radius_trained": recurrent_radius(model)})
        rows.append(row)
    columns = ["seed", "train_loss", "test_accuracy", "learned", "log10_grad_ratio_init",
               "log10_grad_ratio_trained", "radius_init", "radius_trained"]
    return pd.DataFrame(rows)[columns]


def train_config(config: dict, seeds: list[int]) -> pd.DataFrame:
    """``train_recurrent_many`` for one stored configuration (``cell``, ``length`` and
    settings as keys): the trainer ``helpers.store.load_or_train`` calls."""
    config = dict(config)
    return train_recurrent_many(config.pop("cell"), config.pop("length"), seeds, **config)


def sweep_configs(cells: Iterable[str], lengths: Iterable[int],
                  **settings: float | int | None) -> list[dict]:
    """One configuration dict per (cell, length), every setting spelled out (``gate_bias``
    only for lstm and gru, None for the others)."""
    s = _check_settings(settings)
    out = []
    for c in cells:
        c = check_choice("cell", c, CELLS)
        for n in lengths:
            config = {"cell": c, "length": check_int("length", n, minimum=2), **s}
            if c not in GATED:
                config["gate_bias"] = None
            out.append(config)
    return out


def gradient_through_time(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return, for every time step t, the mean over sequences of ||dL/dx_t||.

    L is the sum of the sequences' binary cross-entropies, so each sequence contributes
    the gradient of its own loss. The result has shape (length,). Refuses x that is not
    (n, length, features) or a y whose length differs.
    """
    x = tf.convert_to_tensor(x, dtype=keras.config.floatx())
    y = tf.reshape(tf.convert_to_tensor(y, dtype=keras.config.floatx()), (-1, 1))
    if x.shape.rank != 3:
        raise ValueError(f"x must have shape (n, length, features), got {tuple(x.shape)}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one label per sequence: {y.shape[0]} != {x.shape[0]}")
    with tf.GradientTape() as tape:
        tape.watch(x)
        p = model(x, training=False)
        loss = tf.reduce_sum(keras.losses.binary_crossentropy(y, p))
    grad = tape.gradient(loss, x)  # (n, length, features)
    return tf.reduce_mean(tf.norm(grad, axis=-1), axis=0).numpy()
