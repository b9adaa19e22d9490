"""Experiments over many seeds: grid sweeps, success rates with Wilson intervals, ReLU
networks dead at initialization, and per-layer weight norms during training.

``sweep`` trains every configuration of a grid for every seed with
:func:`helpers.training.train_many`; ``summarize`` turns its rows into success rates
(``learned``: test accuracy >= :data:`helpers.training.LEARNED_THRESHOLD`).
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import logging
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from scipy.special import expit
from scipy.stats import binomtest

from helpers._validate import check_choice, check_float, check_int, check_seeds
from helpers.gradients import dead_network
from helpers.models import ACTIVATIONS, INITIALIZERS, TUTORIAL_INITIALIZER, make_initializer
from helpers.seeding import seed_everything
from helpers.store import load_or_train, progress_enabled
from helpers.training import train_many

#: The grid keys ``sweep`` accepts: arguments of ``build_mlp`` / ``train_many``.
GRID_KEYS = ("depth", "width", "activation", "initializer", "output_initializer",
             "optimizer", "learning_rate", "batch_size", "clipnorm", "clipvalue",
             "batch_norm", "residual")
# train_many's defaults, in its signature's order (the column order of stored tables)
_DEFAULTS = {k: v.default for k, v in inspect.signature(train_many).parameters.items()
             if k in GRID_KEYS and v.default is not inspect.Parameter.empty}
_RESULTS = ["train_accuracy", "test_accuracy", "train_loss", "test_loss", "learned"]


def _check_value(key: str, value: Any) -> None:
    """Check one grid value as build_mlp / train_many would."""
    if key in ("depth", "width", "batch_size"):
        check_int(key, value, minimum=1)
    elif key == "activation":
        check_choice(key, value, ACTIVATIONS)
    elif key == "initializer" or key == "output_initializer" and value is not None:
        check_choice(key, value, INITIALIZERS)
    elif key == "optimizer" and value is not None:
        check_choice(key, value.lower() if isinstance(value, str) else value, ("sgd", "adam"))
    elif key in ("learning_rate", "clipnorm", "clipvalue") and value is not None:
        check_float(key, value, minimum=0.0, strict_min=True)
    elif key in ("batch_norm", "residual") and not isinstance(value, bool):
        raise TypeError(f"{key} must be True or False, got {value!r}")


def grid_configs(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]]
                 ) -> list[dict[str, Any]]:
    """The configurations (dicts) a grid spans, checked before anything is trained.

    ``grid`` maps keys of :data:`GRID_KEYS` (``depth`` required) to non-empty lists of
    values, or is a list of such dicts (their configurations concatenated); the last key
    varies fastest. Refuses empty grids, unknown keys, a bare value instead of a list and
    any value ``build_mlp``/``train_many`` would refuse, naming the grid key.
    """
    grids = [grid] if isinstance(grid, Mapping) else None if isinstance(grid, (str, bytes)) \
        or not isinstance(grid, Iterable) else list(grid)
    if grids is None or not all(isinstance(g, Mapping) for g in grids):
        raise TypeError(f"grid must be a dict of lists (or a list of such dicts), got {grid!r}")
    if not grids or not all(grids):
        raise ValueError("grid must not be empty: give at least one key, e.g. {'depth': [1, 5]}")
    configs = []
    for g in grids:
        unknown = [k for k in g if k not in GRID_KEYS]
        if unknown:
            hint = " (epochs and seeds are arguments of sweep)" if set(unknown) & {
                "epochs", "seed", "seeds"} else ""
            raise ValueError(f"unknown grid key(s) {unknown}; allowed: {', '.join(GRID_KEYS)}"
                             + hint)
        if "depth" not in g:
            raise ValueError("grid must give 'depth' (a list of hidden-layer counts)")
        values = []
        for key, vals in g.items():
            if isinstance(vals, (str, bytes, Mapping)) or not isinstance(vals, Iterable):
                raise TypeError(f"grid[{key!r}] must be a list of values, e.g. {{{key!r}: "
                                f"[{vals!r}]}}; got {type(vals).__name__}")
            values.append(list(vals))
            if not values[-1]:
                raise ValueError(f"grid[{key!r}] must not be empty")
            for v in values[-1]:
                try:
                    _check_value(key, v)
                except (TypeError, ValueError) as err:
                    raise type(err)(f"grid[{key!r}] value {v!r}: {err}") from None
        configs += [dict(zip(g, combo)) for combo in itertools.product(*values)]
    return configs


@contextlib.contextmanager
def _quiet_tensorflow() -> Iterator[None]:
    """Hide TensorFlow's retracing warnings (stderr) while a sweep trains."""
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def train_config(config: Mapping[str, Any], seeds: list[int]) -> pd.DataFrame:
    """Train one stored-table configuration (:data:`GRID_KEYS` keys, ``epochs``, ``floatx``)
    for ``seeds`` with ``train_many``: one row per seed with ``seed``, the final accuracies
    and losses and ``learned``. Refuses a ``floatx`` other than Keras' current one."""
    config = dict(config)
    floatx = config.pop("floatx")
    if floatx != keras.config.floatx():
        raise ValueError(f"this configuration was stored in {floatx}, but Keras computes in "
                         f"{keras.config.floatx()}: call keras.config.set_floatx({floatx!r})")
    with _quiet_tensorflow():
        return train_many(**config, seeds=seeds)[["seed", *_RESULTS]]


def sweep(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]],
          seeds: Iterable[int] = range(20), epochs: int = 500, *, table: str | None = None,
          progress: bool | None = None) -> pd.DataFrame:
    """Train every configuration of ``grid`` (see :func:`grid_configs`) once per seed.

    Keys left out take ``train_many``'s defaults (width 5, tanh, U(0, 1) weights, SGD 0.01
    with momentum 0.9, batch 32); a row is the run ``seed_everything(seed); build_mlp(...);
    train(...)`` gives. Returns one row per run: a column per grid key, ``seed``, ``epochs``,
    ``train_accuracy``, ``test_accuracy``, ``train_loss``, ``test_loss`` and ``learned``.
    ``table``: a stored table's name (:func:`helpers.store.load_or_train`): the runs it holds
    are read, the others trained and added. ``progress``: see
    :func:`helpers.store.progress_enabled`. Refuses, before training, bad grids, seeds that
    are empty, repeated or outside [0, 2**32), epochs < 1 and bad table names.
    """
    configs, seed_list = grid_configs(grid), check_seeds(seeds)
    epochs = check_int("epochs", epochs, minimum=1)
    progress_enabled(progress)  # refuses anything but True, False or None
    full = [{**_DEFAULTS, **c, "epochs": epochs, "floatx": keras.config.floatx()}
            for c in configs]
    if table is None:
        runs = pd.concat([train_config(c, seed_list) for c in full], ignore_index=True)
    else:
        runs = load_or_train(table, full, seed_list, train_config, progress)
    result = pd.DataFrame([c for c in configs for _ in seed_list])
    for key in result.columns:  # a key missing from some grids of a list: its default
        if result[key].isna().any() and _DEFAULTS.get(key) is not None:
            result[key] = pd.Series([_DEFAULTS[key] if pd.isna(v) else v for v in result[key]])
    return pd.concat([result, runs[["seed"]].assign(epochs=epochs), runs[_RESULTS]], axis=1)


def wilson_ci(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes out of ``n`` (scipy's binomtest);
    refuses n < 1, k outside [0, n] and a confidence outside (0, 1]."""
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=0, maximum=n)
    confidence = check_float("confidence", confidence, 0.0, 1.0, strict_min=True)
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def summarize(results: pd.DataFrame, by: str | Sequence[str] | None = None,
              outcome: str = "learned", confidence: float = 0.95) -> pd.DataFrame:
    """Per configuration: how many runs, the share with ``outcome`` and its Wilson interval.

    ``by``: the columns that define a configuration (default: every column that is not a
    per-run result). Returns one row per configuration, in order of first appearance, with
    ``n``, ``n_<outcome>``, ``share_<outcome>``, ``ci_low``, ``ci_high`` and, if ``results``
    has ``test_accuracy``, its ``median_accuracy``, ``q25_accuracy`` and ``q75_accuracy``.
    Refuses a non-DataFrame, an empty one and unknown columns.
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a DataFrame (from sweep), got {type(results).__name__}")
    if results.empty:
        raise ValueError("results is empty")
    if outcome not in results.columns:
        raise ValueError(f"results has no column {outcome!r}")
    skip = {"seed", "epochs", "history", "dead_layer", "hidden_spread", outcome, *_RESULTS}
    by = [c for c in results if c not in skip] if by is None else [by] if isinstance(
        by, str) else list(by)
    missing = [c for c in by if c not in results.columns]
    if missing:
        raise ValueError(f"by: unknown column(s) {missing}; results has {list(results.columns)}")
    rows = []
    for key, g in results.groupby(by, sort=False, dropna=False) if by else [((), results)]:
        n, k = len(g), int(g[outcome].astype(bool).sum())
        lo, hi = wilson_ci(k, n, confidence)
        row = {**dict(zip(by, key if isinstance(key, tuple) else (key,))), "n": n,
               f"n_{outcome}": k, f"share_{outcome}": k / n, "ci_low": lo, "ci_high": hi}
        if "test_accuracy" in g:
            q25, med, q75 = np.percentile(g["test_accuracy"], [25, 50, 75])
            row.update(median_accuracy=med, q25_accuracy=q25, q75_accuracy=q75)
        rows.append(row)
    return pd.DataFrame(rows)


_NUMPY_ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
                      "linear": lambda z: z, "sigmoid": expit}


def _int_list(name: str, value: Any) -> list[int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be an integer or a list of integers, got {value!r}")
    if not (value := list(value)):
        raise ValueError(f"{name} must not be empty")
    return [check_int(name, v, minimum=1) for v in value]


def dead_at_init(depth: int | Sequence[int], width: int | Sequence[int] = 5,
                 seeds: Iterable[int] = range(100), activation: str = "relu",
                 initializer: str = "he_uniform", x: np.ndarray | None = None,
                 tol: float = 1e-6) -> pd.DataFrame:
    """Which freshly initialized networks are already constant functions of their input.

    For each width and seed, draws exactly the hidden-layer kernels of ``seed_everything(seed);
    build_mlp(depth, width, activation, initializer)`` (biases start at zero) and runs ``x``
    (default: all 1000 circles inputs) through them. A network is *dead at initialization*
    when :func:`helpers.gradients.dead_network` says so of a hidden layer's outputs over ``x``:
    nothing after it depends on the input and, for ReLU, no gradient reaches the layers before
    it, so training cannot revive it. Returns one row per (depth, width, seed) with
    ``activation``, ``initializer``, ``dead``, ``dead_layer`` (the first constant hidden layer,
    0 if none) and ``hidden_spread`` (the largest spread of a last-hidden-layer unit).
    Activations: relu, tanh, linear, sigmoid. Refuses depth/width < 1, unknown names, bad seeds.
    """
    depths, widths, seed_list = _int_list("depth", depth), _int_list("width", width), \
        check_seeds(seeds)
    check_choice("activation", activation, tuple(_NUMPY_ACTIVATIONS))
    check_choice("initializer", initializer, INITIALIZERS)
    tol = check_float("tol", tol, minimum=0.0)
    if x is None:
        from helpers.data import load_circles
        (x_tr, _), (x_te, _) = load_circles()
        x = np.concatenate([x_tr, x_te])
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"x must have shape (n_samples, n_features), got {x.shape}")
    rows = []
    for w, s in itertools.product(widths, seed_list):
        seed_everything(s)  # hidden layer i is the same draw for every depth >= i
        h, layers = x, []   # per hidden layer: (constant over x, largest unit spread)
        for _ in range(max(depths)):
            kernel = make_initializer(initializer)((h.shape[1], w))
            h = _NUMPY_ACTIVATIONS[activation](h @ np.asarray(kernel, dtype=np.float64))
            layers.append((dead_network(h, tol), float(np.ptp(h, axis=0).max())))
        first = next((i + 1 for i, (dead, _) in enumerate(layers) if dead), 0)
        for d in depths:
            rows.append({"depth": d, "width": w, "activation": activation,
                         "initializer": initializer, "seed": s, "dead": layers[d - 1][0] or
                         0 < first <= d, "dead_layer": first if first <= d else 0,
                         "hidden_spread": layers[d - 1][1]})
    return pd.DataFrame(rows).sort_values(["depth", "width"], kind="stable", ignore_index=True)


def weight_l1_history(depth: int, width: int = 5, activation: str = "tanh",
                      initializer: str = TUTORIAL_INITIALIZER, seeds: Iterable[int] = range(20),
                      epochs: int = 500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer kernel L1 norms every epoch for many seeds, trained all at once with
    ``train_many(..., kernel_l1=True)`` (each seed's run is ``train(..., seed=seed)``'s).

    Returns ``(norms, results)``: ``norms`` has one row per seed, epoch (0: at initialization)
    and layer (``hidden_1`` ... ``output``) with ``l1``; ``results`` one row per seed with
    ``train_accuracy``, ``test_accuracy`` and ``learned``. Refuses what ``train_many`` refuses.
    """
    seed_list = check_seeds(seeds)
    runs = train_many(depth, width, activation, initializer, seed_list, epochs, kernel_l1=True)
    names = [f"hidden_{i}" for i in range(1, depth + 1)] + ["output"]
    norms = np.stack(runs["kernel_l1"].to_list(), axis=1)  # [epochs + 1, seeds, layers]
    ep, sd, ly = np.meshgrid(np.arange(norms.shape[0]), seed_list, names, indexing="ij")
    table = pd.DataFrame({"seed": sd.ravel(), "epoch": ep.ravel(), "layer": ly.ravel(),
                          "l1": norms.ravel()})
    return table, runs[["seed", "train_accuracy", "test_accuracy", "learned"]].reset_index(
        drop=True)
