"""Recurrent networks on a memory task: data, Keras models, training over seeds (``model.fit``)
and the gradient through time. The task: ``length`` steps of (value, marker); the marker is 1 at
the first step only, the first value is +1 or -1 (the label says which), later values noise."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers.seeding import seed_everything
from helpers.validation import check_choice, check_float, check_floatx, check_int, check_seeds

#: The recurrent cells :func:`build_recurrent` knows; the gated ones have a memory gate.
CELLS = ("simple_rnn", "lstm", "gru", "irnn")
GATED = ("lstm", "gru")

#: A guess scores 0.5; a run "learned" at test accuracy >= 0.9 (a guess: sd 0.016 on 1,000).
CHANCE, LEARNED_ACCURACY = 0.5, 0.9

#: The sequence length at which the notebook states its headline comparison.
HEADLINE_LENGTH = 50

#: Training settings shared by every run of the notebook's sweeps.
DEFAULT_SETTINGS = {"units": 16, "n_train": 8_000, "epochs": 3, "batch_size": 100,
                    "learning_rate": 0.01, "noise": 1.0, "gate_bias": None, "clipnorm": None}

#: The gate bias that starts LSTM and GRU with their memory gate open: sigmoid(3) = 0.95 of
#: the state kept per step (Keras: LSTM forget bias 1, sigmoid(1) = 0.73; GRU update bias 0).
OPEN_GATE_BIAS = 3.0

#: Test sequences per run, and how many of them the gradient measurements use.
N_TEST, N_GRADIENT = 1000, 200


def make_sequences(n: int, length: int, seed: int, noise: float = 1.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x, y)``: x (n, length, 2) (value, marker) and y (n,) of 0/1 labels, in Keras'
    float type; the same arguments give the same arrays. Values after the first are drawn
    from N(0, noise**2). Refuses n < 1, length < 1, a seed outside [0, 2**32), noise < 0."""
    n, length = check_int("n", n, minimum=1), check_int("length", length, minimum=1)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0, maximum=2**32 - 1))
    y = rng.integers(0, 2, size=n)
    x = np.zeros((n, length, 2))
    x[:, :, :1] = rng.normal(0.0, check_float("noise", noise, minimum=0.0), size=(n, length, 1))
    x[:, 0] = np.stack([2.0 * y - 1.0, np.ones(n)], axis=1)
    return x.astype(keras.config.floatx()), y.astype(keras.config.floatx())


def build_recurrent(cell: str, units: int = 16, length: int | None = None) -> keras.Model:
    """Return an uncompiled model: a recurrent layer ``recurrent`` (Keras' SimpleRNN, LSTM or
    GRU, or the IRNN of Le, Jaitly & Hinton 2015: SimpleRNN with ReLU, identity recurrent
    matrix, input weights from N(0, 0.001**2)) on ``length`` steps (None: any) of 2 features,
    then a sigmoid unit. Refuses a cell not in :data:`CELLS`, units or length < 1."""
    cell, units = check_choice("cell", cell, CELLS), check_int("units", units, minimum=1)
    if length is not None:
        length = check_int("length", length, minimum=1)
    inputs = keras.Input(shape=(length, 2), name="sequence")
    if cell == "irnn":
        layer = keras.layers.SimpleRNN(
            units, activation="relu", recurrent_initializer=keras.initializers.Identity(),
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.001), name="recurrent")
    else:
        layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
                 "gru": keras.layers.GRU}[cell](units, name="recurrent")
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(layer(inputs))
    return keras.Model(inputs, outputs, name=cell)


def set_gate_bias(model: keras.Model, gate_bias: float) -> None:
    """Set the bias of the gate that keeps the old state (the LSTM's forget gate, the GRU's
    update gate) to ``gate_bias``. Refuses a model whose ``recurrent`` layer is neither."""
    layer = model.get_layer("recurrent")
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        raise ValueError(f"gate_bias applies to lstm and gru only, not {model.name!r}")
    gate_bias = check_float("gate_bias", gate_bias)
    bias, units = layer.cell.bias.numpy(), layer.cell.units
    if isinstance(layer, keras.layers.LSTM):  # Keras' gate order: input, forget, cell, output
        bias[units:2 * units] = gate_bias
    else:  # GRU: update, reset, candidate; the input bias in row 0
        bias[..., :units] = 0.0
        bias.reshape(-1, bias.shape[-1])[0, :units] = gate_bias
    layer.cell.bias.assign(bias)


def recurrent_radius(model: keras.Model) -> float | None:
    """Spectral radius (largest |eigenvalue|) of a SimpleRNN's or IRNN's recurrent matrix;
    None for LSTM and GRU (one matrix per gate)."""
    layer = model.get_layer("recurrent")
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return None
    u = np.asarray(layer.cell.recurrent_kernel.numpy(), dtype=np.float64)
    return float(np.max(np.abs(np.linalg.eigvals(u))))


def gradient_through_time(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return, for every time step t, the mean over sequences of ||dL/dx_t||, shape (length,);
    L sums the sequences' binary cross-entropies, so each gets the gradient of its own loss.
    Refuses x that is not (n, length, features) and y of another length."""
    x = tf.convert_to_tensor(x, dtype=keras.config.floatx())
    y = tf.reshape(tf.convert_to_tensor(y, dtype=keras.config.floatx()), (-1, 1))
    if x.shape.rank != 3:
        raise ValueError(f"x must have shape (n, length, features), got {tuple(x.shape)}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one label per sequence: {y.shape[0]} != {x.shape[0]}")
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(keras.losses.binary_crossentropy(y, model(x, training=False)))
    return tf.reduce_mean(tf.norm(tape.gradient(loss, x), axis=-1), axis=0).numpy()


def data_seeds(seed: int) -> tuple[int, int]:
    """The seeds of run ``seed``'s training and test sequences (different from each other);
    refuses a seed above (2**32 - 1_000_002) // 2, whose data seeds would not be valid seeds."""
    seed = check_int("seed", seed, minimum=0, maximum=(2**32 - 1_000_002) // 2)
    return 2 * seed + 1_000_000, 2 * seed + 1_000_001


def _check_settings(settings: dict) -> dict:
    if unknown := sorted(set(settings) - set(DEFAULT_SETTINGS)):
        raise TypeError(f"unknown setting(s) {unknown}; allowed: {', '.join(DEFAULT_SETTINGS)}")
    s = {**DEFAULT_SETTINGS, **settings}
    for key in ("units", "n_train", "epochs", "batch_size"):
        s[key] = check_int(key, s[key], minimum=1)
    s["learning_rate"] = check_float("learning_rate", s["learning_rate"], minimum=0.0,
                                     strict_min=True)
    s["noise"] = check_float("noise", s["noise"], minimum=0.0)
    for key, low in (("gate_bias", None), ("clipnorm", 0.0)):
        if s[key] is not None:
            s[key] = check_float(key, s[key], minimum=low, strict_min=low is not None)
    return s


def _no_retracing_notice(record: logging.LogRecord) -> bool:
    """A log filter: TensorFlow's retracing notice goes (every model has its own function)."""
    return "triggered tf.function retracing" not in record.getMessage()


def _log10_ratio(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    g = gradient_through_time(model, x, y)
    with np.errstate(divide="ignore"):
        return float(np.log10(g[0]) - np.log10(g[-1]))


def train_recurrent_many(cell: str, length: int, seeds: Iterable[int],
                         **settings: float | int | None) -> pd.DataFrame:
    """Train one model per seed on the memory task (sequences from :func:`data_seeds`,
    ``seed_everything(seed)``, ``build_recurrent``, ``set_gate_bias``, Adam with ``model.fit``;
    ``settings`` override :data:`DEFAULT_SETTINGS`). One row per seed: ``seed``, ``train_loss``,
    ``test_accuracy``, ``learned``, ``log10_grad_ratio_init``/``_trained`` (log10 ||dL/dx_1|| /
    ||dL/dx_length||) and ``radius_init``/``_trained`` (:func:`recurrent_radius`). Refuses an
    unknown cell or setting, a gate_bias for a cell without gates, length < 2, bad seeds."""
    cell, length = check_choice("cell", cell, CELLS), check_int("length", length, minimum=2)
    seeds, s = check_seeds(seeds), _check_settings(settings)
    for seed in seeds:  # refuses a seed too large for data_seeds before any training
        data_seeds(seed)
    if s["gate_bias"] is not None and cell not in GATED:
        raise ValueError(f"gate_bias applies to the cells {', '.join(GATED)} only, not {cell!r}")
    rows = []
    tf.get_logger().addFilter(_no_retracing_notice)
    try:
        for seed in seeds:
            x, y = make_sequences(s["n_train"], length, data_seeds(seed)[0], s["noise"])
            x_test, y_test = make_sequences(N_TEST, length, data_seeds(seed)[1], s["noise"])
            x_grad, y_grad = x_test[:N_GRADIENT], y_test[:N_GRADIENT]
            seed_everything(seed)
            model = build_recurrent(cell, s["units"], length)
            if s["gate_bias"] is not None:
                set_gate_bias(model, s["gate_bias"])
            ratio_init, radius_init = _log10_ratio(model, x_grad, y_grad), recurrent_radius(model)
            model.compile(optimizer=keras.optimizers.Adam(s["learning_rate"],
                                                          clipnorm=s["clipnorm"]),
                          loss="binary_crossentropy")
            history = model.fit(x, y, batch_size=s["batch_size"], epochs=s["epochs"], verbose=0)
            p = model(x_test, training=False).numpy()[:, 0]  # (predict would retrace per model)
            accuracy = float(np.mean((p > 0.5) == (y_test > 0.5)))
            rows.append({"seed": seed, "train_loss": float(history.history["loss"][-1]),
                         "test_accuracy": accuracy, "learned": accuracy >= LEARNED_ACCURACY,
                         "log10_grad_ratio_init": ratio_init,
                         "log10_grad_ratio_trained": _log10_ratio(model, x_grad, y_grad),
                         "radius_init": radius_init, "radius_trained": recurrent_radius(model)})
    finally:
        tf.get_logger().removeFilter(_no_retracing_notice)
    return pd.DataFrame(rows)


def train_config(config: dict, seeds: list[int]) -> pd.DataFrame:
    """:func:`train_recurrent_many` for one configuration dict (``cell``, ``length``, settings
    and optionally ``floatx``): the trainer ``helpers.store.load_or_train`` calls. Refuses a
    ``floatx`` other than Keras' current one."""
    config = dict(config)
    check_floatx(config.pop("floatx", keras.config.floatx()))
    return train_recurrent_many(config.pop("cell"), config.pop("length"), seeds, **config)


def sweep_configs(cells: Iterable[str], lengths: Iterable[int],
                  **settings: float | int | None) -> list[dict]:
    """One configuration dict per (cell, length), every setting spelled out (``gate_bias``
    None for the cells without gates)."""
    s, lengths = _check_settings(settings), list(lengths)  # read once per cell
    return [{"cell": c, "length": check_int("length", n, minimum=2), **s,
             **({} if c in GATED else {"gate_bias": None})}
            for c in (check_choice("cell", c, CELLS) for c in cells) for n in lengths]
