"""Speed of many seeds at once (``train_many``, what a sweep runs) against plain ``model.fit``.

Prints models trained per second by ``train_many`` (20 seeds of the tutorial's 5-layer tanh
MLP, 500 epochs) and by plain ``model.fit`` (one model, timed for 100 epochs with validation
every epoch and scaled to 500: ``fit`` costs the same per epoch throughout), their ratio
(target: >= 100x), and the wall time of training notebook 07's grids from scratch (30 seeds
of each configuration). No pass/fail thresholds: timings on a shared machine are noisy.
Run: ``make bench`` or ``python -m benchmarks.bench_sweep [--skip-notebook]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from helpers import seed_everything  # noqa: E402
from helpers.data import load_circles  # noqa: E402
from helpers.models import build_mlp  # noqa: E402
from helpers.training import train_many  # noqa: E402

DEPTH, ACT, INIT, EPOCHS, N_SEEDS, FIT_EPOCHS = 5, "tanh", "uniform_0_1", 500, 20, 100

#: Notebook 07's configurations (keep in step with notebooks/07_where_depth_breaks.ipynb):
#: its depth sweep for three recipes, then its 5-layer activation x initializer grid (three
#: of whose configurations the depth sweep already trained).
NB07_DEPTHS = [1, 2, 3, 5, 10, 15, 20, 30]
NB07_RECIPES = [("tanh", "uniform_0_1"), ("tanh", "glorot_uniform"), ("relu", "he_uniform")]
NB07_CONFIGS = ([dict(depth=d, activation=a, initializer=i) for a, i in NB07_RECIPES
                 for d in NB07_DEPTHS]
                + [dict(depth=5, activation=a, initializer=i) for a in ("tanh", "relu")
                   for i in ("uniform_0_1", "glorot_uniform", "he_uniform")
                   if (a, i) not in NB07_RECIPES])
NB07_SEEDS = range(30)


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_fit_per_model(data) -> float:
    """Seconds for one model.fit of EPOCHS epochs, measured over FIT_EPOCHS and scaled."""
    seed_everything(0)
    model = build_mlp(DEPTH, activation=ACT, initializer=INIT)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="binary_crossentropy", metrics=["accuracy"])
    (x_tr, y_tr), test = data
    model.fit(x_tr, y_tr, validation_data=test, epochs=1, batch_size=32, verbose=0)  # warm-up
    seconds = _time(lambda: model.fit(x_tr, y_tr, validation_data=test, epochs=FIT_EPOCHS,
                                      batch_size=32, verbose=0))
    return seconds * EPOCHS / FIT_EPOCHS


def time_train_many_per_model(first_seed: int) -> float:
    """Seconds per model for train_many over N_SEEDS seeds (its tracing included)."""
    seeds = range(first_seed, first_seed + N_SEEDS)
    return _time(lambda: train_many(DEPTH, activation=ACT, initializer=INIT, seeds=seeds,
                                    epochs=EPOCHS)) / N_SEEDS


def time_notebook_07() -> float:
    """Wall time of training every configuration of notebook 07 for its 30 seeds, as with
    an empty results store."""
    return sum(_time(lambda c=c: train_many(**c, seeds=NB07_SEEDS, epochs=EPOCHS))
               for c in NB07_CONFIGS)


def main(skip_notebook: bool = False) -> dict[str, float]:
    """Run the comparison, print a table, and return the timings (seconds)."""
    keras.config.set_floatx("float64")
    data = load_circles()
    many_s = time_train_many_per_model(0)
    fit_s = time_fit_per_model(data)
    print(f"{DEPTH}-layer {ACT} MLP, {EPOCHS} epochs, batch 32, validation every epoch, float64")
    print(f"{'method':<44}{'models/second':>15}{'ratio':>10}")
    print(f"{f'plain model.fit (1 model, {FIT_EPOCHS} epochs x {EPOCHS // FIT_EPOCHS})':<44}"
          f"{1 / fit_s:>15.3f}{1.0:>9.1f}x")
    print(f"{f'train_many ({N_SEEDS} seeds of one configuration)':<44}{1 / many_s:>15.3f}"
          f"{fit_s / many_s:>9.1f}x   (target >= 100x)")
    out = {"fit_per_model": fit_s, "train_many_per_model": many_s}
    if not skip_notebook:
        nb07 = time_notebook_07()
        n_models = len(NB07_CONFIGS) * len(NB07_SEEDS)
        print(f"notebook 07's grids from scratch: {nb07:.0f} s for {n_models} networks "
              f"(plain model.fit: about {n_models * fit_s / 3600:.1f} h)")
        out["notebook_07"] = nb07
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebook", action="store_true",
                        help="skip training notebook 07's grids (several minutes)")
    main(parser.parse_args().skip_notebook)
