"""Experiments over many seeds: grid sweeps (``sweep``), success rates with Wilson intervals
(``summarize``), networks dead at initialization, per-layer weight norms during training."""

from __future__ import annotations

import dataclasses
import itertools
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
from scipy.stats import binomtest

from helpers.data import load_circles
from helpers.gradients import dead_network
from helpers.models import MLPConfig, build_mlp, make_initializer
from helpers.seeding import seed_everything
from helpers.store import load_or_train, progress_enabled
from helpers.training import train_many
from helpers.validation import check_float, check_floatx, check_int, check_seeds

#: The grid keys ``sweep`` accepts: the fields of :class:`helpers.models.MLPConfig`.
GRID_KEYS = tuple(f.name for f in dataclasses.fields(MLPConfig))
# the fields' defaults, in their order (the column order of stored tables; depth comes last)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(MLPConfig)
             if f.default is not dataclasses.MISSING and "if_set" not in f.metadata}
# fields stored only in the tables of grids that set them (added after the first tables)
_IF_SET = {f.name: f.default for f in dataclasses.fields(MLPConfig) if "if_set" in f.metadata}
_RESULTS = ["train_accuracy", "test_accuracy", "train_loss", "test_loss", "learned"]


def _as_list(name: str, values: Any, check: Callable[[Any], Any]) -> list:
    """``values`` as a non-empty list, each value checked; refuses a bare value (TypeError)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of values (e.g. [{values!r}]), got {values!r}")
    if not (values := list(values)):
        raise ValueError(f"{name} must not be empty")
    for v in values:
        try:
            check(v)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{name} value {v!r}: {err}") from None
    return values


def grid_configs(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]]
                 ) -> list[dict[str, Any]]:
    """The configurations (dicts) a grid spans: ``grid`` maps keys of :data:`GRID_KEYS`
    (``depth`` required) to lists of values, or is a list of such dicts; the last key varies
    fastest. Refuses empty grids, unknown keys, bare values, any value :class:`MLPConfig` refuses
    (naming the grid key) and any combination it refuses (residual with depth 1, linear with
    batch_norm); ``train_many`` refuses optimizers other than SGD and Adam when it trains."""
    grids = [grid] if isinstance(grid, Mapping) else grid
    if not isinstance(grids, (list, tuple)) or not all(isinstance(g, Mapping) for g in grids):
        raise TypeError(f"grid must be a dict of lists (or a list of such dicts), got {grid!r}")
    if not grids or not all(grids):
        raise ValueError("grid must not be empty: give at least one key, e.g. {'depth': [1, 5]}")
    configs = []
    for g in grids:
        if unknown := [k for k in g if k not in GRID_KEYS]:
            raise ValueError(f"unknown grid key(s) {unknown}; allowed: {', '.join(GRID_KEYS)} "
                             "(epochs and seeds are arguments of sweep)")
        if "depth" not in g:
            raise ValueError("grid must give 'depth' (a list of hidden-layer counts)")
        values = [_as_list(f"grid[{k!r}]", v, lambda x, k=k: MLPConfig.check_field(k, x))
                  for k, v in g.items()]
        configs += [dict(zip(g, combo)) for combo in itertools.product(*values)]
    for c in configs:  # the combinations, before anything trains
        try:
            MLPConfig(**c)
        except ValueError as err:
            raise ValueError(f"grid configuration {c}: {err}") from None
    return configs


def train_config(config: Mapping[str, Any], seeds: list[int]) -> pd.DataFrame:
    """Train one stored-table configuration (:data:`GRID_KEYS`, ``epochs``, ``floatx``) for
    ``seeds`` with ``train_many``: a row per seed with ``seed`` and the results. Refuses a
    ``floatx`` other than Keras' current one."""
    config = dict(config)
    check_floatx(config.pop("floatx"))
    return train_many(**config, seeds=seeds)[["seed", *_RESULTS]]


def sweep(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]],
          seeds: Iterable[int] = range(20), epochs: int = 500, *, table: str | None = None,
          progress: bool | None = None) -> pd.DataFrame:
    """Train every configuration of :func:`grid_configs` (keys left out: MLPConfig's defaults)
    once per seed with ``train_many``; one row per run: the grid keys, ``seed``, ``epochs``, the
    final accuracies and losses, ``learned``. ``table``: read the runs that stored table holds,
    train and add the others (:func:`helpers.store.load_or_train`). Refuses bad grids, seeds,
    epochs, progress values and table names before training."""
    configs, seed_list = grid_configs(grid), check_seeds(seeds)
    epochs = check_int("epochs", epochs, minimum=1)
    progress_enabled(progress)  # refuses anything but True, False or None
    if_set = {k: v for c in configs for k, v in _IF_SET.items() if k in c}
    full = [{**_DEFAULTS, **if_set, **c, "epochs": epochs, "floatx": keras.config.floatx()}
            for c in configs]
    runs = (pd.concat([train_config(c, seed_list) for c in full], ignore_index=True)
            if table is None else load_or_train(table, full, seed_list, train_config, progress))
    keys = dict.fromkeys(k for c in configs for k in c)  # (a key some grids omit: its default)
    given = pd.DataFrame([{k: f[k] for k in keys} for f in full for _ in seed_list])
    return pd.concat([given, runs[["seed"]].assign(epochs=epochs), runs[_RESULTS]], axis=1)


def wilson_ci(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes out of ``n`` (scipy's binomtest);
    refuses n < 1, k outside [0, n] and a confidence outside (0, 1)."""
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=0, maximum=n)
    confidence = check_float("confidence", confidence)
    if not 0.0 < confidence < 1.0:  # 1: an interval of certainty, scipy gives NaN
        raise ValueError(f"confidence must be between 0 and 1 (both excluded), got {confidence}")
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def summarize(results: pd.DataFrame, by: str | Sequence[str] | None = None,
              outcome: str = "learned", confidence: float = 0.95) -> pd.DataFrame:
    """One row per configuration (the ``by`` columns; default: all but ``seed``, ``epochs`` and
    the per-run results), in
    order of first appearance: ``n``, ``n_<outcome>``, ``share_<outcome>``, its Wilson interval
    ``ci_low``, ``ci_high`` and the quartiles of ``test_accuracy`` if present (``median_``,
    ``q25_``, ``q75_accuracy``). Refuses empty frames, unknown columns."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a DataFrame (from sweep), got {type(results).__name__}")
    if results.empty:
        raise ValueError("results is empty")
    skip = {"seed", "epochs", "history", "dead_layer", "hidden_spread", outcome, *_RESULTS}
    by = [c for c in results if c not in skip] if by is None else [by] if isinstance(
        by, str) else list(by)
    if missing := [c for c in [*by, outcome] if c not in results.columns]:
        raise ValueError(f"by or outcome: unknown column(s) {missing}; results has "
                         f"{list(results.columns)}")
    rows = []
    for key, g in results.groupby(by, sort=False, dropna=False) if by else [((), results)]:
        n, k = len(g), int(g[outcome].astype(bool).sum())
        lo, hi = wilson_ci(k, n, confidence)
        row = {**dict(zip(by, key)), "n": n, f"n_{outcome}": k, f"share_{outcome}": k / n,
               "ci_low": lo, "ci_high": hi}  # (grouped by a list, pandas' keys are tuples)
        if "test_accuracy" in g:
            q25, med, q75 = np.percentile(g["test_accuracy"], [25, 50, 75])
            row.update(median_accuracy=med, q25_accuracy=q25, q75_accuracy=q75)
        rows.append(row)
    return pd.DataFrame(rows)


def _positive_ints(name: str, value: Any) -> list[int]:
    value = [value] if isinstance(value, numbers.Integral) else value
    return _as_list(name, value, lambda v: check_int(name, v, minimum=1))


def dead_at_init(depth: int | Sequence[int], width: int | Sequence[int] = 5,
                 seeds: Iterable[int] = range(100), activation: str = "relu",
                 initializer: str = "he_uniform", x: np.ndarray | None = None,
                 tol: float = 1e-6) -> pd.DataFrame:
    """Which freshly initialized networks are constant functions of their input (*dead*): per seed,
    ``seed_everything(seed); build_mlp(...)`` and ``x`` (default: the 1000 circles inputs) through
    its hidden layers. One row per (depth, width, seed): ``activation``, ``initializer``, ``dead``,
    ``dead_layer`` (the first hidden layer :func:`helpers.gradients.dead_network` finds constant,
    0 if none), ``hidden_spread`` (largest unit spread of the last hidden layer). Refuses
    depth/width < 1, what ``build_mlp`` refuses, bad seeds and x."""
    depths, widths = _positive_ints("depth", depth), _positive_ints("width", width)
    seed_list, tol = check_seeds(seeds), check_float("tol", tol, minimum=0.0)
    if x is None:
        x = np.concatenate([data[0] for data in load_circles()])
    x = np.asarray(x, dtype=keras.config.floatx())
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"x must have shape (n_samples, n_features), got {x.shape}")
    rows = []
    for w in widths:  # the deepest network: its first layers are the shallower ones'
        model = build_mlp(max(depths), w, activation, initializer, n_inputs=x.shape[1])
        hidden = model.layers[:-1]
        probe = keras.Model(model.inputs[0], [layer.output for layer in hidden])
        for s in seed_list:
            seed_everything(s)  # then build_mlp's draws (fast): a new initializer per kernel,
            for layer in hidden:  # in layer order (its bias initializer, zeros, draws nothing)
                layer.kernel.assign(make_initializer(initializer)(layer.kernel.shape))
            outputs = [np.asarray(h) for h in probe(x)]  # per hidden layer, a row per input
            first = next((i + 1 for i, h in enumerate(outputs) if dead_network(h, tol)), 0)
            rows += [{"depth": d, "width": w, "activation": activation, "initializer": initializer,
                      "seed": s, "dead": 0 < first <= d, "dead_layer": first if first <= d else 0,
                      "hidden_spread": float(np.ptp(outputs[d - 1], axis=0).max())}
                     for d in depths]
    return pd.DataFrame(rows).sort_values(["depth", "width"], kind="stable", ignore_index=True)


def weight_l1_history(config: MLPConfig | int, *args: Any, seeds: Iterable[int] = range(20),
                      epochs: int = 500, **changes: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer kernel L1 norms after every epoch, seeds trained at once by ``train_many``.
    Returns ``(norms, results)``: ``norms`` a row per seed, ``epoch`` (0: at initialization),
    ``layer`` (``hidden_1`` ... ``output``) with ``l1``; ``results`` a row per seed with
    ``train_accuracy``, ``test_accuracy``, ``learned``. Refuses what ``train_many`` refuses."""
    config = MLPConfig.of(config, *args, **changes)
    runs = train_many(config, seeds=seeds, epochs=epochs, kernel_l1=True)
    names = [f"hidden_{i}" for i in range(1, config.depth + 1)] + ["output"]
    norms = np.stack(runs["kernel_l1"].to_list(), axis=1)  # [epochs + 1, seeds, layers]
    ep, sd, ly = np.meshgrid(np.arange(norms.shape[0]), runs["seed"], names, indexing="ij")
    table = pd.DataFrame({"seed": sd.ravel(), "epoch": ep.ravel(), "layer": ly.ravel(),
                          "l1": norms.ravel()})
    return table, runs[["seed", "train_accuracy", "test_accuracy", "learned"]]
