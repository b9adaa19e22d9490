"""Speed of helpers.training: against plain ``model.fit`` and the previous engine, in one run.

The previous engine is main at commit 5bd0450 (``git archive`` of its ``helpers`` package,
imported under its own module names); it is skipped, saying why, where git cannot provide
it. Prints medians and ratios; no pass/fail thresholds (timings on a shared machine are
noisy). Targets (issue 11): ``train`` >= 1.5x the previous ``train`` and >= 15x plain
``fit``; ``train_many`` >= 100x plain ``fit`` per model. Also timed: the issue's reference
design, a Keras training loop written by hand (what a Keras-native ``train`` can hope for).
Run: ``make bench`` or ``python -m benchmarks.bench_train [--repeats N]``.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import seed_everything  # noqa: E402
from helpers.data import load_circles  # noqa: E402
from helpers.models import build_mlp  # noqa: E402
from helpers.training import train, train_many  # noqa: E402

DEPTH, ACT, INIT, EPOCHS, N_SEEDS, FIT_EPOCHS = 5, "tanh", "uniform_0_1", 500, 20, 100
PREVIOUS = "5bd0450"


def previous_training(commit: str = PREVIOUS):
    """The ``helpers.training`` module of ``commit``, or a string saying why it is missing.

    Its package is unpacked into a temporary folder and imported with the current
    ``helpers`` modules set aside, so the old module keeps its own imports."""
    root = Path(__file__).resolve().parent.parent
    try:
        tar = subprocess.run(["git", "-C", str(root), "archive", commit, "helpers"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        return f"git archive {commit} failed ({err})"
    folder = tempfile.mkdtemp(prefix=f"helpers-{commit}-")
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(folder, filter="data")
    ours = {k: sys.modules.pop(k) for k in list(sys.modules)
            if k == "helpers" or k.startswith("helpers.")}
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("helpers.training")
    finally:
        sys.path.remove(folder)
        for k in [k for k in sys.modules if k == "helpers" or k.startswith("helpers.")]:
            del sys.modules[k]
        sys.modules.update(ours)


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _model(seed: int) -> keras.Model:
    seed_everything(seed)
    return build_mlp(DEPTH, activation=ACT, initializer=INIT)


def time_fit(data, seed: int) -> float:
    """Seconds for plain model.fit of EPOCHS epochs (timed over FIT_EPOCHS, scaled: fit
    costs the same per epoch throughout) with validation every epoch."""
    model = _model(seed)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="binary_crossentropy", metrics=["accuracy"])
    (x_tr, y_tr), test = data
    return _time(lambda: model.fit(x_tr, y_tr, validation_data=test, epochs=FIT_EPOCHS,
                                   batch_size=32, verbose=0)) * EPOCHS / FIT_EPOCHS


def time_keras_loop(data, seed: int) -> float:
    """Seconds for issue 11's reference: a plain ``tf.function`` loop around the Keras model
    (``model(x, training=True)``, BinaryCrossentropy, SGD(0.01, 0.9), ``tape.gradient``,
    ``optimizer.apply``), all epochs in one compiled call, validation loss every epoch, no
    training metrics: less work than ``train``, the floor of a loop written with Keras."""
    def run_all():
        model = _model(seed)
        (x, y), (x_te, y_te) = [(tf.constant(a), tf.constant(b.reshape(-1, 1).astype(a.dtype)))
                                for a, b in data]
        loss_fn, opt = keras.losses.BinaryCrossentropy(), keras.optimizers.SGD(0.01, momentum=0.9)
        n, bs = len(x), 32

        @tf.function
        def run(orders):
            out = tf.TensorArray(x.dtype, size=tf.shape(orders)[0])
            for e in tf.range(tf.shape(orders)[0]):
                for i in tf.range((n + bs - 1) // bs):
                    rows = orders[e, i * bs:(i + 1) * bs]
                    with tf.GradientTape() as tape:
                        loss = loss_fn(tf.gather(y, rows), model(tf.gather(x, rows), training=True))
                    grads = tape.gradient(loss, model.trainable_variables)
                    opt.apply(grads, model.trainable_variables)
                out = out.write(e, loss_fn(y_te, model(x_te)))
            return out.stack()

        rng = np.random.default_rng([seed, 0x5EED])
        run(tf.constant(np.stack([rng.permutation(n) for _ in range(EPOCHS)]), tf.int32)).numpy()
    return _time(run_all)


def main(repeats: int = 3) -> dict[str, float]:
    """Run the comparison, print a table, and return the medians (seconds per model)."""
    keras.config.set_floatx("float64")
    data = load_circles()
    old = previous_training()
    runners = {
        "plain model.fit": lambda r: time_fit(data, r),
        "Keras loop by hand (issue 11's reference)": lambda r: time_keras_loop(data, r),
        "helpers.training.train": lambda r: _time(
            lambda: train(_model(r), *data, epochs=EPOCHS, seed=r)),
        f"train_many ({N_SEEDS} seeds), per model": lambda r: _time(
            lambda: train_many(DEPTH, activation=ACT, initializer=INIT, epochs=EPOCHS,
                               seeds=range(100 * r, 100 * r + N_SEEDS))) / N_SEEDS,
    }
    if not isinstance(old, str):
        def old_first(r):  # the previous engine reused one compiled runner per architecture
            old._RUNNERS.clear()
            return _time(lambda: old.train(_model(r), *data, epochs=EPOCHS, seed=r))

        runners[f"previous train ({PREVIOUS}), first call"] = old_first
        runners[f"previous train ({PREVIOUS}), runner reused"] = lambda r: _time(
            lambda: old.train(_model(r), *data, epochs=EPOCHS, seed=r))
        runners[f"previous train_many ({PREVIOUS}), per model"] = lambda r: _time(
            lambda: old.train_many(DEPTH, activation=ACT, initializer=INIT, epochs=EPOCHS,
                                   seeds=range(100 * r, 100 * r + N_SEEDS),
                                   train_data=data[0], test_data=data[1])) / N_SEEDS
    times: dict[str, list[float]] = {name: [] for name in runners}
    load = os.getloadavg()[0]
    for r in range(repeats):  # interleaved, so every method sees the same machine load
        for name, run in runners.items():
            times[name].append(run(r + 1))
    med = {name: statistics.median(t) for name, t in times.items()}
    fit = med["plain model.fit"]
    print(f"{DEPTH}-layer {ACT} MLP, {EPOCHS} epochs, batch 32, validation every epoch, "
          f"float64; medians of {repeats} runs (each includes its own tracing); load average "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    if isinstance(old, str):
        print(f"previous engine not measured: {old}")
    print(f"{'method':<56}{'s/model':>9}{'vs fit':>9}")
    for name, seconds in med.items():
        print(f"{name:<56}{seconds:>9.3f}{fit / seconds:>8.1f}x")
    ratios = {"train vs fit (>= 15x)": fit / med["helpers.training.train"],
              "train_many vs fit (>= 100x)": fit / med[f"train_many ({N_SEEDS} seeds), per model"]}
    ratios["train vs Keras loop by hand"] = (med["Keras loop by hand (issue 11's reference)"]
                                             / med["helpers.training.train"])
    if not isinstance(old, str):
        ratios["Keras loop by hand vs previous train, first call"] = (
            med[f"previous train ({PREVIOUS}), first call"]
            / med["Keras loop by hand (issue 11's reference)"])
        for case in ("first call", "runner reused"):
            ratios[f"train vs previous train, {case} (>= 1.5x)"] = (
                med[f"previous train ({PREVIOUS}), {case}"] / med["helpers.training.train"])
        ratios["train_many vs previous train_many"] = (
            med[f"previous train_many ({PREVIOUS}), per model"]
            / med[f"train_many ({N_SEEDS} seeds), per model"])
    for name, ratio in ratios.items():
        print(f"{name:<56}{ratio:>9.2f}x")
    return med


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
