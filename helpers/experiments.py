"""Experiments over many seeds: grid sweeps, success rates with confidence intervals,
ReLU networks dead at initialization, and per-layer weight norms during training.

``sweep`` trains every configuration of a grid for every seed with
:func:`helpers.training.train_many`; ``summarize`` turns its rows into success rates
(``learned`` means test accuracy >= :data:`helpers.training.LEARNED_THRESHOLD`).
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
from helpers.models import (
    ACTIVATIONS,
    INITIALIZERS,
    TUTORIAL_INITIALIZER,
    make_initializer,
)
from helpers.seeding import seed_everything
from helpers.store import load_or_train, progress_enabled
from helpers.training import LEARNED_THRESHOLD, resolve_optimizer, train_many

__all__ = [
    "GRID_KEYS",
    "LEARNED_THRESHOLD",
    "WeightL1",
    "dead_at_init",
    "grid_configs",
    "success_rate",
    "summarize",
    "sweep",
    "weight_l1_history",
    "wilson_ci",
]

#: The grid keys ``sweep`` accepts: arguments of ``build_mlp`` / ``train_many``.
GRID_KEYS = ("depth", "width", "activation", "initializer", "output_initializer",
             "optimizer", "learning_rate", "batch_size", "clipnorm", "clipvalue",
             "batch_norm", "residual")

_DEFAULTS = {k: v.default for k, v in inspect.signature(train_many).parameters.items()
             if k in GRID_KEYS and v.default is not inspect.Parameter.empty}
_RESULT_COLUMNS = ("seed", "epochs", "train_accuracy", "test_accuracy", "train_loss",
                   "test_loss", "learned", "history")
_HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
_CACHE_FORMAT = 1


# --------------------------------------------------------------------------- the grid


def _check_value(key: str, value: Any) -> None:
    """Validate one grid value with the same checks build_mlp/train_many apply."""
    if key in ("depth", "width"):
        check_int(key, value, minimum=1)
    elif key == "batch_size":
        check_int(key, value, minimum=1)
    elif key == "activation":
        check_choice(key, value, ACTIVATIONS)
    elif key == "initializer":
        check_choice(key, value, INITIALIZERS)
    elif key == "output_initializer":
        if value is not None:
            check_choice(key, value, INITIALIZERS)
    elif key == "optimizer":
        if value is not None and not isinstance(value, str):
            raise TypeError("optimizer in a grid must be None, 'sgd' or 'adam' (use the "
                            "learning_rate / clipnorm / clipvalue keys for other settings), "
                            f"got {type(value).__name__}")
        resolve_optimizer(value)
    elif key == "learning_rate":
        if value is not None:
            check_float(key, value, minimum=0.0, strict_min=True)
    elif key in ("clipnorm", "clipvalue"):
        if value is not None:
            check_float(key, value, minimum=0.0, strict_min=True)
    elif key in ("batch_norm", "residual"):
        if not isinstance(value, bool):
            raise TypeError(f"{key} must be True or False, got {value!r}")


def _as_values(key: str, values: Any) -> list:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"grid[{key!r}] must be a list of values, e.g. {{{key!r}: "
                        f"[{values!r}]}}; got {type(values).__name__}")
    values = list(values)
    if not values:
        raise ValueError(f"grid[{key!r}] must not be empty")
    for v in values:
        try:
            _check_value(key, v)
        except (TypeError, ValueError) as err:
            raise type(err)(f"grid[{key!r}] value {v!r}: {err}") from None
    return values


def grid_configs(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]]
                 ) -> list[dict[str, Any]]:
    """Return the list of configurations (dicts) a grid spans, like sklearn's ParameterGrid.

    ``grid`` maps keys of :data:`GRID_KEYS` to non-empty lists of values, or is a list of
    such dicts (their configurations concatenated). Order: the dict's own key order, the
    last key varying fastest. Every value is checked before anything is trained.
    Refuses an empty grid, unknown keys, a bare value instead of a list (TypeError) and
    any value ``build_mlp``/``train_many`` would refuse; the error names the grid key.
    """
    grids = [grid] if isinstance(grid, Mapping) else grid
    if isinstance(grids, (str, bytes)) or not isinstance(grids, Iterable):
        raise TypeError(f"grid must be a dict of lists (or a list of such dicts), "
                        f"got {type(grid).__name__}")
    grids = list(grids)
    if not grids:
        raise ValueError("grid must not be empty")
    configs: list[dict[str, Any]] = []
    for g in grids:
        if not isinstance(g, Mapping):
            raise TypeError(f"grid must be a dict of lists (or a list of such dicts), "
                            f"got an element of type {type(g).__name__}")
        if not g:
            raise ValueError("grid must not be empty: give at least one key, e.g. "
                             "{'depth': [1, 5]}")
        unknown = [k for k in g if k not in GRID_KEYS]
        if unknown:
            hint = " (epochs and seeds are arguments of sweep)" if set(unknown) & {
                "epochs", "seed", "seeds"} else ""
            raise ValueError(f"unknown grid key(s) {unknown}; allowed: "
                             f"{', '.join(GRID_KEYS)}{hint}")
        if "depth" not in g:
            raise ValueError("grid must give 'depth' (a list of hidden-layer counts)")
        keys = list(g)
        values = [_as_values(k, g[k]) for k in keys]
        configs.extend(dict(zip(keys, combo)) for combo in itertools.product(*values))
    return configs


def _full_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration with every train_many argument filled in (defaults for the rest)."""
    full = dict(_DEFAULTS)
    full.update(config)
    return full


# --------------------------------------------------------------------------- sweep


def train_config(config: Mapping[str, Any], seeds: list[int]) -> pd.DataFrame:
    """Train one stored-table configuration (every :data:`GRID_KEYS` key, ``epochs`` and
    ``floatx``) for ``seeds`` with ``train_many``; one row per seed with the final
    accuracies and losses and ``learned``. Refuses a ``floatx`` other than Keras' current
    one (the numbers would not be the stored kind)."""
    config = dict(config)
    floatx = config.pop("floatx")
    if floatx != keras.config.floatx():
        raise ValueError(f"this configuration was stored in {floatx}, but Keras computes in "
                         f"{keras.config.floatx()}: call keras.config.set_floatx({floatx!r})")
    with _quiet_tensorflow():
        df = train_many(**config, seeds=seeds)
    return df[["seed", "train_accuracy", "test_accuracy", "train_loss", "test_loss",
               "learned"]]


def sweep(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]],
          seeds: Iterable[int] = range(20), epochs: int = 500, *,
          table: str | None = None, train_data: tuple | None = None,
          test_data: tuple | None = None, history: bool = False,
          progress: bool | None = None) -> pd.DataFrame:
    """Train every configuration of ``grid`` once per seed; return one row per run.

    ``grid`` is as in :func:`grid_configs` (keys: :data:`GRID_KEYS`); keys left out take
    ``train_many``'s defaults (width 5, tanh, the tutorial's U(0, 1) initializer, SGD
    0.01 with momentum 0.9, batch 32). Each configuration is one
    :func:`helpers.training.train_many` call, so a row is exactly the run
    ``seed_everything(seed); build_mlp(...); train(...)`` would give.

    Returns a DataFrame with a column per grid key (the values given), then ``seed``,
    ``epochs``, ``train_accuracy``, ``test_accuracy``, ``train_loss``, ``test_loss``,
    ``learned`` (test accuracy >= LEARNED_THRESHOLD) and, with ``history=True``, a
    ``history`` column of per-epoch arrays (keys as in Keras' History).

    ``table``: the name of a stored table (:func:`helpers.store.load_or_train`): runs it
    holds are read, the others trained and added, and one line says which. Tables hold
    final numbers for the course's data only, so ``table`` refuses ``train_data`` and
    ``history``. ``progress``: see :func:`helpers.store.progress_enabled`.

    Refuses (before training anything) an empty grid, unknown keys, invalid values,
    seeds that are empty, repeated or outside [0, 2**32), and epochs < 1.
    """
    configs = grid_configs(grid)
    seed_list = check_seeds(seeds)
    epochs = check_int("epochs", epochs, minimum=1)
    if not isinstance(history, bool):
        raise TypeError(f"history must be True or False, got {history!r}")
    progress_enabled(progress)  # refuses anything but True, False or None
    if (train_data is None) != (test_data is None):
        raise ValueError("give both train_data and test_data, or neither")
    if table is not None:
        if train_data is not None or history:
            raise ValueError("table: stored tables hold final numbers on the course's data; "
                             "leave train_data/test_data and history out, or table=None")
        full = [{**_full_config(c), "epochs": epochs, "floatx": keras.config.floatx()}
                for c in configs]
        rows = load_or_train(table, full, seed_list, train_config, progress)
        given = pd.DataFrame([c for c in configs for _ in seed_list])
        results = rows[["seed", "epochs", "train_accuracy", "test_accuracy", "train_loss",
                        "test_loss", "learned"]]
        result = pd.concat([given, results], axis=1)
    else:
        result = _train_grid(configs, seed_list, epochs, train_data, test_data, history)
    # keys missing from some grids of a list: the value train_many used
    for key in result.columns.intersection(GRID_KEYS):
        if result[key].isna().any() and _DEFAULTS.get(key) is not None:
            default = _DEFAULTS[key]  # (fillna would warn when it downcasts booleans)
            result[key] = pd.Series([default if pd.isna(v) else v for v in result[key]],
                                    index=result.index).infer_objects()
    return result


def _train_grid(configs: list[dict], seed_list: list[int], epochs: int,
                train_data: tuple | None, test_data: tuple | None,
                history: bool) -> pd.DataFrame:
    """sweep's rows for configurations trained now (no table)."""
    if train_data is None:
        from helpers.data import load_circles
        train_data, test_data = load_circles()
    frames = []
    with _quiet_tensorflow():
        for config in configs:
            df = train_many(**_full_config(config), seeds=seed_list, epochs=epochs,
                            train_data=train_data, test_data=test_data)
            out = pd.DataFrame({k: [v] * len(df) for k, v in config.items()})
            out["seed"] = df["seed"].to_numpy()
            out["epochs"] = epochs
            for col in ("train_accuracy", "test_accuracy", "train_loss", "test_loss",
                        "learned"):
                out[col] = df[col].to_numpy()
            if history:
                out["history"] = list(df["history"])
            frames.append(out)
    return pd.concat(frames, ignore_index=True)


@contextlib.contextmanager
def _quiet_tensorflow() -> Iterator[None]:
    """Hide TensorFlow's Python-side retracing warnings (stderr) while a sweep runs."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# --------------------------------------------------------------------------- summaries


def wilson_ci(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval for ``k`` successes out of ``n`` (scipy's binomtest)."""
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=0, maximum=n)
    confidence = check_float("confidence", confidence, minimum=0.0, maximum=1.0,
                             strict_min=True)
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def summarize(results: pd.DataFrame, by: str | Sequence[str] | None = None,
              outcome: str = "learned", confidence: float = 0.95) -> pd.DataFrame:
    """Per configuration: how many runs, the share with ``outcome`` and its Wilson CI.

    ``by``: the columns that define a configuration (default: every column of
    ``results`` that is not a per-run result: grid keys, depth, width ...). Returns one
    row per configuration, in order of first appearance, with ``n``,
    ``n_<outcome>``, ``share_<outcome>``, ``ci_low``, ``ci_high`` and, when ``results``
    has ``test_accuracy``, ``median_accuracy``, ``q25_accuracy``, ``q75_accuracy``
    (its median and inter-quartile range). Refuses unknown columns and an empty frame.
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a DataFrame (from sweep), got {type(results).__name__}")
    if results.empty:
        raise ValueError("results is empty")
    if outcome not in results.columns:
        raise ValueError(f"results has no column {outcome!r}")
    skip = set(_RESULT_COLUMNS) | {outcome, "dead_layer", "hidden_spread"}
    if by is None:
        by = [c for c in results.columns if c not in skip]
    elif isinstance(by, str):
        by = [by]
    by = list(by)
    missing = [c for c in by if c not in results.columns]
    if missing:
        raise ValueError(f"by: unknown column(s) {missing}; results has "
                         f"{list(results.columns)}")
    rows = []
    groups = results.groupby(by, sort=False, dropna=False) if by else [((), results)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        flags = g[outcome].astype(bool)
        n, k = len(g), int(flags.sum())
        lo, hi = wilson_ci(k, n, confidence)
        row = dict(zip(by, key))
        row.update({"n": n, f"n_{outcome}": k, f"share_{outcome}": k / n,
                    "ci_low": lo, "ci_high": hi})
        if "test_accuracy" in g:
            q25, med, q75 = np.percentile(g["test_accuracy"], [25, 50, 75])
            row.update({"median_accuracy": med, "q25_accuracy": q25, "q75_accuracy": q75})
        rows.append(row)
    return pd.DataFrame(rows)


def success_rate(results: pd.DataFrame, by: str | Sequence[str] | None = None,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Share of runs that learned per configuration, with its Wilson CI (see summarize)."""
    return summarize(results, by=by, outcome="learned", confidence=confidence)


# --------------------------------------------------------------------------- dead at init


def _as_int_list(name: str, value: Any) -> list[int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [check_int(name, value, minimum=1)]
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be an integer or a list of integers, got {value!r}")
    out = [check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value)]
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


_NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "linear": lambda z: z,
    "sigmoid": expit,
}


def dead_at_init(depth: int | Sequence[int], width: int | Sequence[int] = 5,
                 seeds: Iterable[int] = range(100), activation: str = "relu",
                 initializer: str = "he_uniform", x: np.ndarray | None = None,
                 tol: float = 1e-6) -> pd.DataFrame:
    """Which freshly initialized networks are already constant functions of their input.

    For each width and seed, draws exactly the hidden-layer weights of
    ``seed_everything(seed); build_mlp(depth, width, activation, initializer)`` (the
    same initializer calls in the same order; biases start at zero) and runs ``x``
    (default: all 1000 inputs of the circles data) through them. A network is *dead at
    initialization* when :func:`helpers.gradients.dead_network` says so of its last hidden
    layer's outputs over ``x`` (with ``tol``), or of an earlier hidden layer's: for ReLU,
    some hidden layer outputs 0 in every unit for every input, nothing after it depends on
    the input, and no gradient reaches the layers before it, so training cannot revive it.

    Hidden layer i is the same draw for every depth >= i, so each (width, seed) is drawn
    once, to the largest depth. Returns one row per (depth, width, seed): ``depth``,
    ``width``, ``activation``, ``initializer``, ``seed``, ``dead`` (bool),
    ``dead_layer`` (the first hidden layer constant over ``x``, 0 if none) and
    ``hidden_spread`` (the largest spread of a unit of the last hidden layer).
    Summarize with ``summarize(df, outcome="dead")``. Supports the activations relu,
    tanh, linear and sigmoid. Refuses depth/width < 1, unknown names and bad seeds.
    """
    depths = _as_int_list("depth", depth)
    widths = _as_int_list("width", width)
    seed_list = check_seeds(seeds)
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
    act = _NUMPY_ACTIVATIONS[activation]
    max_depth = max(depths)
    rows = []
    for w in widths:
        for s in seed_list:
            seed_everything(s)
            h = x
            fan_in = x.shape[1]
            dead = []  # per hidden layer: dead_network over x, and the largest spread
            for _ in range(max_depth):
                kernel = np.asarray(make_initializer(initializer)((fan_in, w)),
                                    dtype=np.float64)
                h = act(h @ kernel)
                fan_in = w
                dead.append((dead_network(h, tol), float(np.ptp(h, axis=0).max())))
            constant = [i + 1 for i, (is_dead, _) in enumerate(dead) if is_dead]
            first = constant[0] if constant else 0
            for d in depths:
                dead_layer = first if 0 < first <= d else 0
                rows.append({"depth": d, "width": w, "activation": activation,
                             "initializer": initializer, "seed": s,
                             "dead": dead[d - 1][0] or dead_layer > 0,
                             "dead_layer": dead_layer, "hidden_spread": dead[d - 1][1]})
    df = pd.DataFrame(rows)
    return df.sort_values(["depth", "width"], kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- weight norms


class WeightL1(keras.callbacks.Callback):
    """Record the L1 norm (sum of absolute values) of every Dense kernel after each epoch.

    Works with ``model.fit`` and :func:`helpers.training.train`. ``table`` is a tidy
    DataFrame with ``epoch`` (0 = before training), ``layer`` (the layer's name) and
    ``l1``. Only kernels are counted, not biases.
    """

    #: Read-only: helpers.training.train need not read the weights back after each epoch.
    changes_weights = False

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    def _record(self, epoch: int) -> None:
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.Dense):
                l1 = float(np.abs(keras.ops.convert_to_numpy(layer.kernel)).sum())
                self.rows.append({"epoch": epoch, "layer": layer.name, "l1": l1})

    def on_train_begin(self, logs: Mapping | None = None) -> None:
        self.rows = []
        self._record(0)

    def on_epoch_end(self, epoch: int, logs: Mapping | None = None) -> None:
        self._record(epoch + 1)

    @property
    def table(self) -> pd.DataFrame:
        """The recorded norms, one row per epoch and layer."""
        return pd.DataFrame(self.rows, columns=["epoch", "layer", "l1"])


def weight_l1_history(depth: int, width: int = 5, activation: str = "tanh",
                      initializer: str = TUTORIAL_INITIALIZER,
                      seeds: Iterable[int] = range(20), epochs: int = 500,
                      train_data: tuple | None = None,
                      test_data: tuple | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer kernel L1 norms every epoch for many seeds, trained all at once.

    Each seed's run is the one ``train_many`` (and ``train(..., seed=seed)``) gives, with
    the tutorial's SGD (``train_many(..., kernel_l1=True)``). Returns ``(norms, results)``:
    ``norms`` has one row per seed, epoch (0 = at initialization) and layer (``hidden_1``
    ... ``output``) with ``l1``; ``results`` has one row per seed with ``train_accuracy``,
    ``test_accuracy`` and ``learned``. Refuses what ``train_many`` refuses.
    """
    seed_list = check_seeds(seeds)
    runs = train_many(depth, width, activation, initializer, seed_list, epochs,
                      train_data=train_data, test_data=test_data, kernel_l1=True)
    names = [f"hidden_{i}" for i in range(1, depth + 1)] + ["output"]
    norms = np.stack(runs["kernel_l1"].to_list(), axis=1)  # [epochs + 1, seeds, layers]
    ep, sd, ly = np.meshgrid(np.arange(norms.shape[0]), seed_list, names, indexing="ij")
    table = pd.DataFrame({"seed": sd.ravel(), "epoch": ep.ravel(), "layer": ly.ravel(),
                          "l1": norms.ravel()})
    results = runs[["seed", "train_accuracy", "test_accuracy", "learned"]].reset_index(drop=True)
    return table, results
