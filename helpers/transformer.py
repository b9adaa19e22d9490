"""Deep transformers on a sequence task: data, Post-LN / Pre-LN / ReZero blocks from Keras
layers, the gradient per block at initialization and training over seeds (``model.fit``).
The task: reverse a sequence of ``length`` tokens drawn from a vocabulary of ``vocab``."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers.seeding import seed_everything
from helpers.validation import check_choice, check_int, check_seeds

#: Where the normalization sits: after the residual sum (the 2017 transformer), before the
#: branch (Xiong et al. 2020), or none with a residual gate that starts at 0 (ReZero).
PLACEMENTS = ("post", "pre", "rezero")

#: The depth (number of blocks) at which the notebook states its headline contrast.
HEADLINE_DEPTH = 6

#: Settings shared by every run of the notebook's sweeps.
DEFAULT_SETTINGS = {"length": 8, "vocab": 8, "width": 32, "heads": 2, "n_train": 2000,
                    "epochs": 3, "batch_size": 32, "learning_rate": 0.003}

#: The warm-up of the notebook's comparison: 60 of a run's 189 optimizer steps (just under one
#: epoch of 63).
WARMUP_STEPS = 60

#: A run "learned" when at least this share of the test tokens is right (chance: 1 / vocab).
LEARNED_ACCURACY = 0.9

#: Test sequences per run, and how many of them the gradient measurement uses.
N_TEST, N_GRADIENT = 500, 100


def make_reversal(n: int, length: int, vocab: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x, y)``, both (n, length) integer tokens in [0, vocab): y is x reversed. The
    same arguments give the same arrays. Refuses n < 1, length < 2, vocab < 2, a bad seed."""
    n, length = check_int("n", n, minimum=1), check_int("length", length, minimum=2)
    vocab = check_int("vocab", vocab, minimum=2)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0, maximum=2**32 - 1))
    x = rng.integers(0, vocab, size=(n, length))
    return x, x[:, ::-1].copy()


class ResidualGate(keras.layers.Layer):
    """ReZero's gate: ``x + alpha * branch`` with one trainable scalar ``alpha`` starting at 0."""

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), initializer="zeros", name="alpha")

    def call(self, x, branch):
        return x + self.alpha * branch


def transformer_block(x, placement: str, width: int, heads: int, name: str):
    """One block (attention, then a two-layer feed-forward net), each with a residual path;
    the normalization after the sum (``post``), before the branch (``pre``) or none (``rezero``)."""
    attention = keras.layers.MultiHeadAttention(heads, width // heads, name=f"{name}_attention")
    ffn = keras.Sequential([keras.layers.Dense(2 * width, activation="relu", name=f"{name}_up"),
                            keras.layers.Dense(width, name=f"{name}_down")], name=f"{name}_ffn")
    if placement == "post":
        x = keras.layers.LayerNormalization(name=f"{name}_norm1")(x + attention(x, x))
        return keras.layers.LayerNormalization(name=f"{name}_norm2")(x + ffn(x))
    if placement == "pre":
        h = keras.layers.LayerNormalization(name=f"{name}_norm1")(x)
        x = x + attention(h, h)
        return x + ffn(keras.layers.LayerNormalization(name=f"{name}_norm2")(x))
    x = ResidualGate(name=f"{name}_gate1")(x, attention(x, x))
    return ResidualGate(name=f"{name}_gate2")(x, ffn(x))


def positions(length: int, width: int) -> np.ndarray:
    """Vaswani et al.'s sinusoidal position code, shape (length, width), in Keras' float type:
    sines and cosines of the position at ``width / 2`` wavelengths."""
    angle = np.arange(length)[:, None] / 10_000 ** (np.arange(0, width, 2)[None, :] / width)
    code = np.zeros((length, width))
    code[:, 0::2], code[:, 1::2] = np.sin(angle), np.cos(angle[:, :width // 2])
    return code.astype(keras.config.floatx())


def build_transformer(placement: str, depth: int, length: int = 8, vocab: int = 8,
                      width: int = 32, heads: int = 2) -> keras.Model:
    """Return an uncompiled model: token embeddings plus :func:`positions`, ``depth`` blocks
    (:func:`transformer_block`; Pre-LN ends with one more normalization, as Xiong et al.),
    then a softmax over the vocabulary at every position. Refuses a placement not in
    :data:`PLACEMENTS`, depth < 1, and a width that ``heads`` does not divide."""
    placement = check_choice("placement", placement, PLACEMENTS)
    depth, length = check_int("depth", depth, minimum=1), check_int("length", length, minimum=2)
    vocab, width = check_int("vocab", vocab, minimum=2), check_int("width", width, minimum=1)
    heads = check_int("heads", heads, minimum=1)
    if width % heads:
        raise ValueError(f"width must be a multiple of heads: width={width}, heads={heads}")
    tokens = keras.Input(shape=(length,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab, width, name="token_embedding")(tokens)
    x = x + positions(length, width)
    for i in range(depth):
        x = transformer_block(x, placement, width, heads, name=f"block{i + 1}")
    if placement == "pre":
        x = keras.layers.LayerNormalization(name="final_norm")(x)
    outputs = keras.layers.Dense(vocab, activation="softmax", name="output")(x)
    return keras.Model(tokens, outputs, name=f"{placement}_ln_{depth}")


def block_gradients(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return, for every block in order, the norm of the loss gradient with respect to the
    kernel of its feed-forward net's last layer (mean cross-entropy over the tokens),
    shape (depth,). Refuses a model without blocks."""
    ffns = [layer for layer in model.layers if layer.name.endswith("_ffn")]
    if not ffns:
        raise ValueError("model has no transformer blocks (layers named 'blockK_ffn')")
    kernels = [ffn.layers[-1].kernel for ffn in ffns]
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
            y, model(x, training=False)))
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate rising linearly from ``rate / steps`` to ``rate`` over ``steps``
    optimizer steps, then constant."""

    def __init__(self, rate: float, steps: int):
        self.rate, self.steps = rate, steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32") + 1.0
        return self.rate * keras.ops.minimum(1.0, step / self.steps)

    def get_config(self):
        return {"rate": self.rate, "steps": self.steps}


def data_seeds(seed: int) -> tuple[int, int]:
    """The seeds of run ``seed``'s training and test sequences (different from each other);
    refuses a seed above (2**32 - 2_000_002) // 2, whose data seeds would not be valid seeds."""
    seed = check_int("seed", seed, minimum=0, maximum=(2**32 - 2_000_002) // 2)
    return 2 * seed + 2_000_000, 2 * seed + 2_000_001


def _check_settings(settings: dict) -> dict:
    if unknown := sorted(set(settings) - set(DEFAULT_SETTINGS)):
        raise TypeError(f"unknown setting(s) {unknown}; allowed: {', '.join(DEFAULT_SETTINGS)}")
    s = {**DEFAULT_SETTINGS, **settings}
    for k in DEFAULT_SETTINGS:
        if k != "learning_rate":
            s[k] = check_int(k, s[k], minimum=2 if k in ("length", "vocab") else 1)
    if not isinstance(s["learning_rate"], (int, float)) or s["learning_rate"] <= 0:
        raise ValueError(f"learning_rate must be a number > 0, got {s['learning_rate']!r}")
    return s


def _no_retracing_notice(record: logging.LogRecord) -> bool:
    return "triggered tf.function retracing" not in record.getMessage()


def train_transformer_many(placement: str, depth: int, seeds: Iterable[int],
                           warmup_steps: int = 0, **settings: float | int) -> pd.DataFrame:
    """Train one model per seed on the reversal task; return one row per seed.

    Per seed: sequences from :func:`data_seeds`, ``seed_everything(seed)``,
    :func:`build_transformer`, Adam on the cross-entropy with ``model.fit`` (the learning rate
    warmed up over ``warmup_steps`` steps when > 0); ``settings`` override
    :data:`DEFAULT_SETTINGS`. Columns: ``seed``, ``train_loss`` (last epoch), ``test_accuracy``
    (share of the tokens of :data:`N_TEST` new sequences), ``learned``, and
    ``grad_last_over_first`` (last block's gradient over the first's at initialization; NaN
    when the first is 0, as in ReZero).
    Refuses an unknown placement or setting, depth < 1, warmup_steps < 0 and bad seeds."""
    placement = check_choice("placement", placement, PLACEMENTS)
    depth, seeds = check_int("depth", depth, minimum=1), check_seeds(seeds)
    for seed in seeds:  # refuses a seed too large for data_seeds before any training
        data_seeds(seed)
    warmup_steps, s = check_int("warmup_steps", warmup_steps, minimum=0), _check_settings(settings)
    rows, model = [], None
    tf.get_logger().addFilter(_no_retracing_notice)
    try:
        for seed in seeds:
            x, y = make_reversal(s["n_train"], s["length"], s["vocab"], data_seeds(seed)[0])
            x_test, y_test = make_reversal(N_TEST, s["length"], s["vocab"], data_seeds(seed)[1])
            seed_everything(seed)
            fresh = build_transformer(placement, depth, s["length"], s["vocab"], s["width"],
                                      s["heads"])
            g = block_gradients(fresh, x_test[:N_GRADIENT], y_test[:N_GRADIENT])
            if model is None:  # one model per call: its training function is traced once
                model, rate = fresh, s["learning_rate"]
                model.compile(optimizer=keras.optimizers.Adam(
                    LinearWarmup(rate, warmup_steps) if warmup_steps else rate),
                    loss="sparse_categorical_crossentropy")
            else:  # the same start as a new model and a new optimizer
                start = {w.path: w for w in fresh.weights}
                for w in model.weights:
                    w.assign(start[w.path])
                for v in model.optimizer.variables:  # step count and moments, not the rate
                    if v.name != "learning_rate":
                        v.assign(keras.ops.zeros_like(v))
            seed_everything(seed)
            history = model.fit(x, y, batch_size=s["batch_size"], epochs=s["epochs"], verbose=0)
            p = model(x_test, training=False).numpy().argmax(-1)
            accuracy = float(np.mean(p == y_test))
            rows.append({"seed": seed, "train_loss": float(history.history["loss"][-1]),
                         "test_accuracy": accuracy, "learned": accuracy >= LEARNED_ACCURACY,
                         "grad_last_over_first": float(g[-1] / g[0]) if g[0] else np.nan})
    finally:
        tf.get_logger().removeFilter(_no_retracing_notice)
    return pd.DataFrame(rows, columns=["seed", "train_loss", "test_accuracy", "learned",
                                       "grad_last_over_first"])


def train_config(config: dict, seeds: list[int]) -> pd.DataFrame:
    """:func:`train_transformer_many` for one configuration dict (``placement``, ``depth``,
    ``warmup_steps`` and settings): the trainer ``helpers.store.load_or_train`` calls."""
    config = dict(config)
    return train_transformer_many(config.pop("placement"), config.pop("depth"), seeds,
                                  **config)


def sweep_configs(placements: Iterable[str], depths: Iterable[int], warmup_steps: int = 0,
                  **settings: float | int) -> list[dict]:
    """One configuration dict per (placement, depth), every setting spelled out."""
    s, depths = _check_settings(settings), list(depths)  # read once per placement
    return [{"placement": check_choice("placement", p, PLACEMENTS),
             "depth": check_int("depth", d, minimum=1),
             "warmup_steps": check_int("warmup_steps", warmup_steps, minimum=0), **s}
            for p in placements for d in depths]


def profile_config(config: dict, seeds: list[int]) -> pd.DataFrame:
    """The gradient per block at initialization (:func:`block_gradients` on :data:`N_GRADIENT`
    test sequences of each seed), no training: one row per seed, ``gradients`` the blocks'
    norms from the first block to the last as text (``" ".join``; read back with
    :func:`profile_array`). ``config``: ``placement``, ``depth`` and the settings; the trainer
    ``helpers.store.load_or_train`` calls for the profile table."""
    config = dict(config)
    placement = check_choice("placement", config.pop("placement"), PLACEMENTS)
    depth, s = check_int("depth", config.pop("depth"), minimum=1), _check_settings(config)
    rows = []
    for seed in check_seeds(seeds):
        x, y = make_reversal(N_GRADIENT, s["length"], s["vocab"], data_seeds(seed)[1])
        seed_everything(seed)
        model = build_transformer(placement, depth, s["length"], s["vocab"], s["width"],
                                  s["heads"])
        rows.append({"seed": seed, "gradients": " ".join(
            repr(float(g)) for g in block_gradients(model, x, y))})
    return pd.DataFrame(rows, columns=["seed", "gradients"])


def profile_array(gradients: str) -> np.ndarray:
    """A stored ``gradients`` text of :func:`profile_config` as an array (first block first)."""
    return np.array([float(g) for g in str(gradients).split()])
