"""Per-layer gradients, activations and update sizes over training (from GradientMonitor)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.plots.basics import _axes

_COLUMNS = ("epoch", "layer", "parameter")


def _monitor_table(table: object, value: str, parameter: str) -> pd.DataFrame:
    """Accept a GradientMonitor or its table; return the rows of one parameter."""
    table = getattr(table, "table", table)
    if not isinstance(table, pd.DataFrame):
        raise TypeError("table must be a GradientMonitor or its .table DataFrame, got "
                        f"{type(table).__name__}")
    missing = [c for c in (*_COLUMNS, value) if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}: pass GradientMonitor.table")
    if parameter not in ("kernel", "bias"):
        raise ValueError(f"parameter must be 'kernel' or 'bias', got {parameter!r}")
    rows = table[table["parameter"] == parameter]
    if rows.empty:
        raise ValueError("table is empty: train with callbacks=[monitor] first")
    return rows


def _layer_order(rows: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(rows["layer"]))


def _plot_per_layer(ax: Axes, rows: pd.DataFrame, value: str, lw: float) -> None:
    """One line of ``value`` over epochs per layer, coloured input (dark) to output (light)."""
    layers = _layer_order(rows)
    cmap = plt.get_cmap("viridis")
    for i, layer in enumerate(layers):
        r = rows[rows["layer"] == layer]
        ax.plot(r["epoch"], r[value], color=cmap(i / max(len(layers) - 1, 1)), lw=lw,
                label=layer)


def plot_layer_gradients(table: object, ax: Axes | None = None, parameter: str = "kernel",
                         value: str = "grad_mean_abs", title: str | None = None) -> Axes:
    """Line plot, log y: ``value`` (default mean |gradient|) per epoch, one line per layer.

    ``table``: a GradientMonitor or its ``.table``. Refuses tables without those columns.
    """
    rows = _monitor_table(table, value, parameter)
    ax = _axes(ax, (6.0, 4.0))
    _plot_per_layer(ax, rows, value, lw=1.4)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    label = {"grad_mean_abs": "mean |gradient|", "grad_norm": "gradient norm"}.get(value, value)
    ax.set_ylabel(f"{parameter} {label}")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def plot_gradient_heatmap(table: object, ax: Axes | None = None, parameter: str = "kernel",
                          value: str = "grad_mean_abs", title: str | None = None,
                          vmin: float | None = None, vmax: float | None = None) -> Axes:
    """Heatmap of ``value`` (log colour scale): one row per layer (first at the top), one
    column per epoch. Pass the same ``vmin``/``vmax`` to compare two models by colour."""
    rows = _monitor_table(table, value, parameter)
    grid = rows.pivot(index="layer", columns="epoch", values=value).loc[_layer_order(rows)]
    data = grid.to_numpy(dtype=float)
    positive = data[np.isfinite(data) & (data > 0)]
    lo = vmin if vmin is not None else (positive.min() if positive.size else 1e-8)
    hi = vmax if vmax is not None else (positive.max() if positive.size else 1.0)
    ax = _axes(ax, (7.0, 3.2))
    epochs = grid.columns.to_numpy()
    mesh = ax.pcolormesh(np.r_[epochs - 0.5, epochs[-1] + 0.5], np.arange(len(grid) + 1),
                         np.where(data > 0, data, np.nan),
                         norm=LogNorm(vmin=lo, vmax=hi), cmap="magma", shading="flat")
    ax.set_yticks(np.arange(len(grid)) + 0.5)
    ax.set_yticklabels(grid.index)
    ax.invert_yaxis()
    ax.set_xlabel("epoch")
    ax.figure.colorbar(mesh, ax=ax, label=f"{parameter} mean |gradient|"
                       if value == "grad_mean_abs" else value)
    if title:
        ax.set_title(title)
    return ax


def plot_update_ratio(table: object, ax: Axes | None = None, parameter: str = "kernel",
                      per_step: bool = True, target: float = 1e-3,
                      title: str | None = None) -> Axes:
    """Update-to-weight ratio per epoch, log y, one line per layer, with the ``target``
    rule-of-thumb line (CS231n: about 1e-3 per update step). ``per_step=True`` divides each
    epoch's change by the number of steps in the epoch (an average step)."""
    value = "update_ratio_per_step" if per_step else "update_ratio"
    rows = _monitor_table(table, value, parameter)
    rows = rows[rows[value].notna()]
    ax = _axes(ax, (6.0, 4.0))
    _plot_per_layer(ax, rows, value, lw=1.2)
    ax.axhline(target, color="red", ls="--", lw=1, label=f"rule of thumb {target:g}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("||update|| / ||weights||" + (" per step" if per_step else " per epoch"))
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def plot_activation_histograms(panels: Mapping[str, Mapping[str, np.ndarray]],
                               ncols: int = 2, bins: int = 40,
                               title: str | None = None) -> Figure:
    """One panel per entry of ``panels`` ({panel title: {layer name: activations}}), each
    with a density line per hidden layer (the Glorot & Bengio 2010 picture). Panels whose
    values lie in [-1, 1] share that range; others use their own. Returns the Figure."""
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty dict {title: {layer: activations}}")
    n = len(panels)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.2 * nrows), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, (name, layers) in zip(axes.flat, panels.items()):
        values = [np.asarray(v, dtype=float).ravel() for v in layers.values()]
        lo = min(v.min() for v in values)
        hi = max(v.max() for v in values)
        if lo >= -1.0 and hi <= 1.0:
            lo, hi = -1.0, 1.0
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        for i, (layer, v) in enumerate(zip(layers, values)):
            counts, _ = np.histogram(v, bins=edges)
            share = counts / max(v.size, 1)
            centres = (edges[:-1] + edges[1:]) / 2
            ax.plot(centres, share, color=cmap(i / max(len(layers) - 1, 1)), lw=1.3,
                    label=layer)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("activation value")
        ax.set_ylabel("share of values")
        ax.legend(fontsize=7, loc="upper center")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_variance_by_layer(measured: Mapping[str, Sequence[float]],
                           predicted: Mapping[str, Sequence[float]] | None = None,
                           ax: Axes | None = None, ylabel: str = "variance",
                           title: str | None = None) -> Axes:
    """Per-layer values (log y) for several models: ``measured`` as solid lines with dots,
    ``predicted`` (same keys, optional) as dashed lines in the same colour. Layer 1 is the
    first hidden layer."""
    ax = _axes(ax, (6.0, 4.0))
    for i, (label, values) in enumerate(measured.items()):
        color = f"C{i}"
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, "o-", color=color,
                label=f"{label}: measured")
        if predicted is not None and label in predicted:
            pred = np.asarray(predicted[label], dtype=float)
            ax.plot(np.arange(1, len(pred) + 1), pred, "--", color=color,
                    label=f"{label}: predicted")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hidden layer")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
