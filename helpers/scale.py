"""The course's experiments at real scale: scikit-learn's handwritten digits (8x8 images, 10
classes, bundled, no download), multilayer perceptrons 64-256 units wide trained with
``model.fit``, and per-layer diagnostics (gradient norms, saturation, update-to-weight ratio)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers.models import make_initializer
from helpers.seeding import seed_everything
from helpers.validation import check_choice, check_float, check_int, check_seeds

#: Ten classes: a guess scores 0.1; a run "learned" at test accuracy >= 0.8.
CHANCE, LEARNED_ACCURACY = 0.1, 0.8

#: Recipes: an activation, an initializer ("uniform_0_1" is the course's all-positive U(0, 1)
#: start), and optionally batch normalization and residual connections. Keras' default
#: initializer is Glorot uniform: the matched one for sigmoid and tanh, He for ReLU.
RECIPES: dict[str, dict] = {
    "sigmoid_glorot": {"activation": "sigmoid", "initializer": "glorot_uniform"},
    "tanh_glorot": {"activation": "tanh", "initializer": "glorot_uniform"},
    "relu_glorot": {"activation": "relu", "initializer": "glorot_uniform"},
    "relu_he": {"activation": "relu", "initializer": "he_uniform"},
    "gelu_he": {"activation": "gelu", "initializer": "he_uniform"},
    "relu_uniform01": {"activation": "relu", "initializer": "uniform_0_1"},
    "relu_he_bn": {"activation": "relu", "initializer": "he_uniform", "batch_norm": True},
    "relu_he_res_bn": {"activation": "relu", "initializer": "he_uniform", "batch_norm": True,
                       "residual": True},
}

#: The setting at which the notebook states its headline contrast (sigmoid vs ReLU + He).
HEADLINE = {"depth": 20, "width": 128}

#: Default training settings of a run (SGD with momentum, as most courses use); a call may
#: override them (notebook 11's Adam runs pass optimizer="adam", learning_rate=0.001).
DEFAULT_SETTINGS = {"epochs": 10, "batch_size": 32, "learning_rate": 0.01, "momentum": 0.9,
                    "optimizer": "sgd"}

#: The train/test split every sweep uses (the seed of a run changes the weights only).
SPLIT_SEED = 0


def load_digits_split(seed: int = SPLIT_SEED, test_size: float = 0.25
                      ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``(x_train, y_train), (x_test, y_test)``: scikit-learn's 1,797 digits, 64 pixel
    features standardized with the training set's mean and spread, labels 0-9, a stratified
    split drawn with ``seed``. Refuses a negative seed and a test_size outside (0, 1)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    seed = check_int("seed", seed, minimum=0)
    test_size = check_float("test_size", test_size, 0.0, 1.0, strict_min=True)
    if test_size >= 1.0:
        raise ValueError(f"test_size must be below 1, got {test_size}")
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, random_state=seed,
                                              stratify=y)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0  # the always-blank corner pixels
    return ((x_tr - mean) / std, y_tr.astype("int64")), ((x_te - mean) / std, y_te.astype("int64"))


def build_digits_mlp(depth: int, width: int = 128, activation: str = "relu",
                     initializer: str = "he_uniform", batch_norm: bool = False,
                     residual: bool = False) -> keras.Model:
    """Return an uncompiled model: 64 inputs, ``depth`` hidden blocks ``hidden_i`` (Dense of
    ``width`` units; with ``batch_norm`` Dense -> BatchNormalization -> activation; with
    ``residual`` blocks 2... add their input, h = h + block(h)), then ``Dense(10, "softmax")``
    ``output`` (Glorot). Call :func:`helpers.seed_everything` first for reproducible weights.
    Refuses depth or width below 1, unknown activations or initializers, residual at depth 1."""
    depth, width = check_int("depth", depth, minimum=1), check_int("width", width, minimum=1)
    check_choice("activation", activation, ("sigmoid", "tanh", "relu", "gelu", "elu", "selu"))
    if residual and depth < 2:
        raise ValueError("residual=True needs depth >= 2 (the first layer changes the width)")
    inputs = keras.Input(shape=(64,))
    h = inputs
    for i in range(1, depth + 1):
        dense = keras.layers.Dense(width, kernel_initializer=make_initializer(initializer),
                                   activation=None if batch_norm else activation,
                                   name=f"hidden_{i}")
        a = dense(h)
        if batch_norm:
            a = keras.layers.BatchNormalization(name=f"hidden_{i}_bn")(a)
            a = keras.layers.Activation(activation, name=f"hidden_{i}_act")(a)
        h = keras.layers.Add(name=f"hidden_{i}_add")([h, a]) if residual and i > 1 else a
    outputs = keras.layers.Dense(10, activation="softmax", name="output")(h)
    return keras.Model(inputs, outputs, name=f"digits_{depth}x{width}_{activation}")


def build_recipe(recipe: str, depth: int, width: int = 128) -> keras.Model:
    """:func:`build_digits_mlp` with a recipe of :data:`RECIPES`; refuses unknown recipes."""
    return build_digits_mlp(depth, width, **RECIPES[check_choice("recipe", recipe, RECIPES)])


def compile_for_digits(model: keras.Model, optimizer: str = "sgd", learning_rate: float = 0.01,
                       momentum: float = 0.9) -> keras.Model:
    """Compile ``model`` for the ten digit classes (sparse cross-entropy, accuracy): SGD with
    ``momentum`` or Adam. Returns the model. Refuses another optimizer name."""
    check_choice("optimizer", optimizer, ("sgd", "adam"))
    opt = (keras.optimizers.SGD(learning_rate, momentum=momentum) if optimizer == "sgd"
           else keras.optimizers.Adam(learning_rate))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _check_settings(settings: dict) -> dict:
    if unknown := sorted(set(settings) - set(DEFAULT_SETTINGS)):
        raise TypeError(f"unknown setting(s) {unknown}; allowed: {', '.join(DEFAULT_SETTINGS)}")
    s = {**DEFAULT_SETTINGS, **settings}
    s["epochs"] = check_int("epochs", s["epochs"], minimum=1)
    s["batch_size"] = check_int("batch_size", s["batch_size"], minimum=1)
    s["learning_rate"] = check_float("learning_rate", s["learning_rate"], minimum=0.0,
                                     strict_min=True)
    s["momentum"] = check_float("momentum", s["momentum"], 0.0, 1.0)
    s["optimizer"] = check_choice("optimizer", s["optimizer"], ("sgd", "adam"))
    return s


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """The share of rows whose most probable class is the label."""
    p = model(x, training=False).numpy()  # (predict would retrace for every new model)
    return float(np.mean(p.argmax(axis=1) == y))


def _fit_seeds(recipe: str, depth: int, width: int, seeds: list[int], settings: dict,
               floatx: str) -> list[dict]:
    """The loop of :func:`train_digits_many`, in this process: a row per seed."""
    keras.config.set_floatx(floatx)  # a fresh worker process starts at Keras' float32
    (x, y), (x_test, y_test) = load_digits_split(SPLIT_SEED)
    rows = []
    for seed in seeds:
        seed_everything(seed)
        model = compile_for_digits(build_recipe(recipe, depth, width), settings["optimizer"],
                                   settings["learning_rate"], settings["momentum"])
        model.fit(x, y, epochs=settings["epochs"], batch_size=settings["batch_size"], verbose=0)
        acc = accuracy(model, x_test, y_test)
        rows.append({"seed": seed, "train_accuracy": accuracy(model, x, y),
                     "test_accuracy": acc, "learned": acc >= LEARNED_ACCURACY})
    return rows


def train_digits_many(recipe: str, depth: int, width: int, seeds: Iterable[int],
                      workers: int = 1, **settings: float | int | str) -> pd.DataFrame:
    """Train one model per seed on the digits; return one row per seed: ``seed``,
    ``train_accuracy``, ``test_accuracy``, ``learned`` (test accuracy >= LEARNED_ACCURACY).

    Per seed: ``seed_everything(seed)``, :func:`build_recipe`, :func:`compile_for_digits`,
    ``model.fit`` on the split of :data:`SPLIT_SEED`; ``settings`` override
    :data:`DEFAULT_SETTINGS`. With ``workers`` > 1 the seeds are shared out between this process
    and ``workers - 1`` fresh ones (each run is seeded on its own, so the rows are the same
    as with one worker, only sooner on a machine with that many cores). Refuses unknown
    recipes or settings, bad seeds, workers below 1."""
    check_choice("recipe", recipe, RECIPES)
    seeds, s = check_seeds(seeds), _check_settings(settings)
    # plain ints (a worker gets them as JSON); build_digits_mlp checks them again, cheaply
    depth, width = check_int("depth", depth, minimum=1), check_int("width", width, minimum=1)
    workers = min(check_int("workers", workers, minimum=1), len(seeds))
    args, floatx = (recipe, depth, width), keras.config.floatx()
    if workers == 1:
        rows = _fit_seeds(*args, seeds, s, floatx)
    else:
        shares = [seeds[i::workers] for i in range(workers)]
        others = [_start_worker([*args, share, s, floatx]) for share in shares[1:]]
        try:
            rows = _fit_seeds(*args, shares[0], s, floatx)
            rows += [row for worker in others for row in _rows_of(*worker)]
        finally:  # also after an error or an interrupt: no worker left running, no file open
            for proc, log in others:
                if proc.returncode is None:  # not collected by _rows_of
                    proc.kill()
                    proc.communicate()
                log.close()
        rows.sort(key=lambda row: seeds.index(row["seed"]))
    return pd.DataFrame(rows, columns=["seed", "train_accuracy", "test_accuracy", "learned"])


# A worker is a fresh Python running _fit_seeds on the JSON of its command line and writing the
# rows to stdout as JSON (floats survive JSON exactly). A subprocess rather than multiprocessing:
# no fork of a process running TensorFlow, and no re-import of the caller's script or notebook.
_WORKER = ("import json, sys; from helpers.scale import _fit_seeds; "
           "json.dump(_fit_seeds(*json.loads(sys.argv[1])), sys.stdout)")


def _start_worker(args: list) -> tuple[subprocess.Popen, IO[str]]:
    root = str(Path(__file__).resolve().parent.parent)  # where `helpers` can be imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    log = tempfile.TemporaryFile("w+")  # its stderr: TensorFlow's start-up lines, or an error
    proc = subprocess.Popen([sys.executable, "-c", _WORKER, json.dumps(args)],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    return proc, log


def _rows_of(proc: subprocess.Popen, log: IO[str]) -> list[dict]:
    out = proc.communicate()[0]
    if proc.returncode != 0:
        log.seek(0)
        raise RuntimeError(f"a training worker failed (exit {proc.returncode}):\n"
                           f"{log.read()[-2000:]}")
    return json.loads(out)


def train_config(config: dict, seeds: list[int]) -> pd.DataFrame:
    """:func:`train_digits_many` for one configuration dict (``recipe``, ``depth``, ``width``
    and settings): the trainer ``helpers.store.load_or_train`` calls. It shares the seeds out
    over up to two processes (one per core, two cores at most: Colab's and Binder's count).
    Refuses to run unless Keras computes in float64, the precision of the stored tables."""
    if keras.config.floatx() != "float64":
        raise ValueError("train_config adds runs to a stored table, computed in float64, but Keras "
                         f"computes in {keras.config.floatx()}: call keras.config.set_floatx("
                         "'float64') first (train_digits_many trains in any precision)")
    config = dict(config)
    workers = min(2, os.cpu_count() or 1)
    return train_digits_many(config.pop("recipe"), config.pop("depth"), config.pop("width"),
                             seeds, workers=workers, **config)


def sweep_configs(recipes: Iterable[str], depths: Iterable[int], width: int = 128,
                  **settings: float | int | str) -> list[dict]:
    """One configuration dict per (recipe, depth), every setting spelled out."""
    s, depths = _check_settings(settings), list(depths)  # read once per recipe
    return [{"recipe": check_choice("recipe", r, RECIPES),
             "depth": check_int("depth", d, minimum=1),
             "width": check_int("width", width, minimum=1), **s}
            for r in recipes for d in depths]


def _hidden_dense(model: keras.Model) -> list[keras.layers.Dense]:
    layers = [lay for lay in model.layers if lay.name.startswith("hidden_")
              and isinstance(lay, keras.layers.Dense)]
    if not layers:
        raise ValueError("model has no Dense layers named hidden_<i> (use build_digits_mlp)")
    return layers


def gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The norm ||d loss / d kernel|| of every hidden Dense layer (first to last) on
    ``(x, y)``, sparse cross-entropy, inference mode (the model is left unchanged)."""
    layers = _hidden_dense(model)
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy()(y, model(x, training=False))
    grads = tape.gradient(loss, [lay.kernel for lay in layers])
    return np.array([float(tf.norm(g)) for g in grads])


def hidden_activations(model: keras.Model, x: np.ndarray) -> list[np.ndarray]:
    """Every hidden block's output after its activation (before a residual add), first to
    last, rows = inputs."""
    names = [lay.name for lay in _hidden_dense(model)]
    outs = [model.get_layer(f"{n}_act") if f"{n}_act" in [lay.name for lay in model.layers]
            else model.get_layer(n) for n in names]
    probe = keras.Model(model.inputs[0], [lay.output for lay in outs])
    found = probe(x, training=False)  # one hidden block: a tensor, not a list of one
    return [np.asarray(a) for a in (found if isinstance(found, (list, tuple)) else [found])]


def saturated_share(activations: np.ndarray, activation: str, tol: float = 0.03) -> float:
    """The share of values within ``tol`` of a flat end: sigmoid near 0 or 1, tanh near -1 or
    1 (the slope is then at most about ``tol`` for sigmoid, ``2 * tol`` for tanh); ReLU exactly 0
    (no gradient); GELU 0 or below, i.e. a negative input (its slope there lies between about
    -0.13 and 0.5: small far from 0, not near it). Refuses other activations."""
    check_choice("activation", activation, ("sigmoid", "tanh", "relu", "gelu"))
    a = np.asarray(activations)
    if activation == "sigmoid":
        return float(np.mean((a < tol) | (a > 1 - tol)))
    if activation == "tanh":
        return float(np.mean(np.abs(a) > 1 - tol))
    return float(np.mean(a <= 0.0))


class UpdateRatio(keras.callbacks.Callback):
    """Per hidden layer, ||kernel change of one step|| / ||kernel|| (Karpathy's update-to-data
    ratio), averaged over each epoch: ``ratios`` holds one array per epoch (first to last
    layer)."""

    def __init__(self):
        super().__init__()
        self.ratios: list[np.ndarray] = []
        self._sum, self._n, self._before = None, 0, None

    def _kernels(self) -> list[np.ndarray]:
        return [lay.kernel.numpy().copy() for lay in _hidden_dense(self.model)]

    def on_epoch_begin(self, epoch, logs=None):
        self._sum, self._n = 0.0, 0

    def on_train_batch_begin(self, batch, logs=None):
        self._before = self._kernels()

    def on_train_batch_end(self, batch, logs=None):
        after = self._kernels()
        self._sum = self._sum + np.array([np.linalg.norm(a - b) / np.linalg.norm(b)
                                          for a, b in zip(after, self._before)])
        self._n += 1

    def on_epoch_end(self, epoch, logs=None):
        self.ratios.append(self._sum / self._n)
