"""Figures for experiments over many seeds: success rates with confidence bands, heatmaps of
success rate, and per-layer weight norms over training."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from helpers.plots.basics import _axes


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} has no column(s) {missing}; it has {list(df.columns)}")


def plot_success_rate(summary: pd.DataFrame, x: str = "depth", hue: str | None = None,
                      outcome: str = "learned", ax: Axes | None = None,
                      title: str | None = None, ylabel: str | None = None) -> Axes:
    """Share of seeds with ``outcome`` against ``x``, one line per ``hue`` value, with the
    Wilson 95% confidence band (``ci_low`` .. ``ci_high``) shaded.

    ``summary`` is a :func:`helpers.experiments.summarize` DataFrame. Returns the Axes.
    """
    share = f"share_{outcome}"
    _check_columns(summary, [x, share, "ci_low", "ci_high"] + ([hue] if hue else []), "summary")
    ax = _axes(ax, (6.5, 4.0))
    groups = summary.groupby(hue, sort=False) if hue else [("", summary)]
    for label, g in groups:
        g = g.sort_values(x)
        line, = ax.plot(g[x], g[share], marker="o", ms=4, label=str(label) or None)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.18,
                        lw=0)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel or f"share of seeds: {outcome}")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    if hue:
        ax.legend(fontsize=8, title=hue.replace("_", " "), title_fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_rate_heatmap(summary: pd.DataFrame, x: str = "depth", y: str = "width",
                      outcome: str = "learned", ax: Axes | None = None,
                      title: str | None = None, cmap: str = "viridis") -> Axes:
    """Heatmap of the share of seeds with ``outcome``: ``x`` across, ``y`` down, each cell
    annotated with its share. Returns the Axes."""
    share = f"share_{outcome}"
    _check_columns(summary, [x, y, share], "summary")
    table = summary.pivot_table(index=y, columns=x, values=share, aggfunc="first")
    ax = _axes(ax, (0.6 * table.shape[1] + 2.5, 0.5 * table.shape[0] + 1.5))
    im = ax.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=0, vmax=1, aspect="auto",
                   origin="lower")
    ax.set_xticks(range(table.shape[1]))
    ax.set_xticklabels(table.columns)
    ax.set_yticks(range(table.shape[0]))
    ax.set_yticklabels(table.index)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if v > 0.6 else "white")
    ax.figure.colorbar(im, ax=ax, label=f"share of seeds: {outcome}")
    if title:
        ax.set_title(title)
    return ax


def plot_layer_norms(norms: pd.DataFrame, ax: Axes | None = None, relative: bool = True,
                     title: str | None = None) -> Axes:
    """Per-layer kernel L1 norm over epochs: the median over seeds as a line, the
    inter-quartile range shaded, one line per layer.

    ``norms`` has columns ``epoch``, ``layer``, ``l1`` (and ``seed``), as from
    :func:`helpers.experiments.weight_l1_history` or ``WeightL1.table``. With
    ``relative=True`` each run's norm is divided by its value at epoch 0, so the curves
    show how much each layer has changed. Returns the Axes.
    """
    _check_columns(norms, ["epoch", "layer", "l1"], "norms")
    df = norms.copy()
    if "seed" not in df:
        df["seed"] = 0
    if relative:
        start = df[df["epoch"] == 0].set_index(["seed", "layer"])["l1"]
        df["l1"] = df["l1"].to_numpy() / start.loc[list(zip(df["seed"], df["layer"]))].to_numpy()
    ax = _axes(ax, (6.0, 4.0))
    colors = plt.cm.viridis(np.linspace(0, 0.9, df["layer"].nunique()))
    for color, (layer, g) in zip(colors, df.groupby("layer", sort=False)):
        q = g.groupby("epoch")["l1"].quantile([0.25, 0.5, 0.75]).unstack()
        ax.plot(q.index, q[0.5], color=color, label=layer)
        ax.fill_between(q.index, q[0.25], q[0.75], color=color, alpha=0.15, lw=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("L1 norm / L1 norm at start" if relative else "L1 norm of the kernel")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
