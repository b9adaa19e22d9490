"""Speed of helpers.experiments.sweep against plain ``model.fit``, and notebook 07's sweep time.

Prints models trained per second by ``sweep`` (20 seeds of the tutorial's 5-layer tanh MLP,
500 epochs) and by plain ``model.fit`` (ONE model, timed for 100 epochs with validation every
epoch and scaled to 500: ``fit`` costs the same per epoch throughout), their ratio (target:
>= 100x), and the wall time of notebook 07's sweeps (its depth sweep and its 5-layer
activation x initializer grid, with a cold cache). No pass/fail thresholds: timings on a shared
2-core machine are noisy.
Run: ``make bench`` or ``python -m benchmarks.bench_sweep [--skip-notebook]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from helpers import seed_everything  # noqa: E402
from helpers.data import load_circles  # noqa: E402
from helpers.experiments import sweep  # noqa: E402
from helpers.models import build_mlp  # noqa: E402

DEPTH, ACT, INIT, EPOCHS, N_SEEDS = 5, "tanh", "uniform_0_1", 500, 20
FIT_EPOCHS = 100

# Notebook 07's sweeps (keep in step with notebooks/07_where_depth_breaks.ipynb).
NB07_DEPTHS = [1, 2, 3, 5, 10, 15, 20, 30]
NB07_GRIDS = [
    [{"depth": NB07_DEPTHS, "activation": ["tanh"],
      "initializer": ["uniform_0_1", "glorot_uniform"]},
     {"depth": NB07_DEPTHS, "activation": ["relu"], "initializer": ["he_uniform"]}],
    {"depth": [5], "activation": ["tanh", "relu"],
     "initializer": ["uniform_0_1", "glorot_uniform", "he_uniform"]},
]
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


def time_sweep_per_model(first_seed: int) -> float:
    """Seconds per model for a sweep of N_SEEDS seeds (one configuration, no cache)."""
    seeds = range(first_seed, first_seed + N_SEEDS)
    grid = {"depth": [DEPTH], "activation": [ACT], "initializer": [INIT]}
    return _time(lambda: sweep(grid, seeds=seeds, epochs=EPOCHS, progress=False)) / N_SEEDS


def time_notebook_07() -> float:
    """Wall time of notebook 07's sweeps with a cold cache, as on a first run or in CI: every
    network is trained once (the 5-layer grid reuses three configurations of the depth sweep
    through the cache, as the notebook does). The temporary cache is removed afterwards."""
    with tempfile.TemporaryDirectory() as cache:
        return sum(_time(lambda g=g: sweep(g, seeds=NB07_SEEDS, epochs=500, progress=False,
                                           cache_dir=cache))
                   for g in NB07_GRIDS)


def main(skip_notebook: bool = False) -> dict[str, float]:
    """Run the comparison, print a table, and return the timings (seconds)."""
    data = load_circles()
    time_sweep_per_model(1000)  # warm-up: tracing is paid once per process
    sweep_s = time_sweep_per_model(0)
    fit_s = time_fit_per_model(data)
    print(f"{DEPTH}-layer {ACT} MLP, {EPOCHS} epochs, batch 32, validation every epoch")
    print(f"{'method':<44}{'models/second':>15}{'ratio':>10}")
    print(f"{f'plain model.fit (1 model, {FIT_EPOCHS} epochs x {EPOCHS // FIT_EPOCHS})':<44}"
          f"{1 / fit_s:>15.3f}{1.0:>9.1f}x")
    print(f"{f'sweep ({N_SEEDS} seeds of one configuration)':<44}{1 / sweep_s:>15.3f}"
          f"{fit_s / sweep_s:>9.1f}x   (target >= 100x)")
    out = {"fit_per_model": fit_s, "sweep_per_model": sweep_s}
    if not skip_notebook:
        nb07 = time_notebook_07()
        n_models = (3 * len(NB07_DEPTHS) + 3) * len(NB07_SEEDS)
        print(f"notebook 07 sweeps, cold cache: {nb07:.0f} s for {n_models} networks "
              f"(plain model.fit: about {n_models * fit_s / 3600:.1f} h)")
        out["notebook_07_sweeps"] = nb07
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebook", action="store_true",
                        help="skip timing notebook 07's sweeps (about 4 minutes)")
    main(parser.parse_args().skip_notebook)
