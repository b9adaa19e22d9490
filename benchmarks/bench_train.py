"""Speed of helpers.training against plain ``model.fit``, side by side in one run.

Prints medians and ratios; there are no pass/fail thresholds here (the machines are
noisy). Targets from the course's foundation issue: ``train`` >= 10x faster than
``model.fit``; ``train_many`` over 20 seeds >= 100x faster per model.
Run: ``make bench`` or ``python -m benchmarks.bench_train [--repeats N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from helpers import seed_everything  # noqa: E402
from helpers.data import load_circles  # noqa: E402
from helpers.models import build_mlp  # noqa: E402
from helpers.training import train, train_many  # noqa: E402

DEPTH, ACT, INIT, EPOCHS = 5, "tanh", "uniform_0_1", 500


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_fit(data, seed: int) -> float:
    """Seconds for plain model.fit with the tutorial's settings (validation every epoch)."""
    seed_everything(seed)
    model = build_mlp(DEPTH, activation=ACT, initializer=INIT)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="binary_crossentropy", metrics=["accuracy"])
    (x_tr, y_tr), test = data
    return _time(lambda: model.fit(x_tr, y_tr, validation_data=test, epochs=EPOCHS,
                                   batch_size=32, verbose=0))


def time_train(data, seed: int) -> float:
    seed_everything(seed)
    model = build_mlp(DEPTH, activation=ACT, initializer=INIT)
    return _time(lambda: train(model, *data, epochs=EPOCHS, seed=seed))


def time_train_many(n_seeds: int, first_seed: int) -> float:
    seeds = range(first_seed, first_seed + n_seeds)
    return _time(lambda: train_many(DEPTH, activation=ACT, initializer=INIT, seeds=seeds,
                                    epochs=EPOCHS))


def main(repeats: int = 3) -> dict[str, float]:
    """Run the comparison, print a table, and return the medians (seconds)."""
    data = load_circles()
    # warm-up: tracing and first-call costs are paid once per process, for both sides
    time_train(data, 999)
    time_train_many(20, 1000)
    fit_t, train_t, many_t = [], [], []
    for r in range(repeats):
        fit_t.append(time_fit(data, r))
        train_t.append(time_train(data, r))
        many_t.append(time_train_many(20, 100 * (r + 1)))
    fit_m, train_m, many_m = (statistics.median(t) for t in (fit_t, train_t, many_t))
    per_model = many_m / 20
    print(f"5-layer tanh MLP, {EPOCHS} epochs, batch 32, validation every epoch; "
          f"medians of {repeats} runs")
    print(f"{'method':<34}{'seconds/model':>14}{'speed-up vs fit':>18}")
    print(f"{'plain model.fit':<34}{fit_m:>14.3f}{1.0:>17.1f}x")
    print(f"{'helpers.training.train':<34}{train_m:>14.3f}{fit_m / train_m:>17.1f}x"
          "   (target >= 10x)")
    print(f"{'helpers.training.train_many (20)':<34}{per_model:>14.3f}"
          f"{fit_m / per_model:>17.1f}x   (target >= 100x)")
    return {"fit": fit_m, "train": train_m, "train_many_per_model": per_model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
