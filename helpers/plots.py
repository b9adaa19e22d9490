"""Figures for the course notebooks. Each function draws on ``ax`` (default: a new figure's Axes)
and returns it, or returns the Figure it makes; the notebook calls ``plt.show()``. A table of the
wrong kind, or without the columns a figure needs, gets a TypeError or ValueError naming the
argument; other inputs go to Matplotlib unchecked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.data import load_circles
from helpers.training import LEARNED_THRESHOLD


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def _table(df: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    """``df`` (or its ``.table``: a GradientMonitor's) if it is a DataFrame with ``columns``."""
    df = getattr(df, "table", df)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame, got {type(df).__name__}")
    if missing := [c for c in columns if c not in df.columns]:
        raise ValueError(f"{what} has no column(s) {missing}; it has {list(df.columns)}")
    return df


def plot_circles(x: np.ndarray, y: np.ndarray, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """Scatter the points ``x`` (n, 2) coloured by their 0/1 label ``y``."""
    ax = _axes(ax, (4.5, 4.5))
    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    for label, name in enumerate(("outer", "inner")):
        ax.scatter(*x[y == label].T, s=10, alpha=0.7, color=f"C{label}",
                   label=f"class {label}: {name} circle")
    ax.set(xlabel="x", ylabel="y", aspect="equal", title=title)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_accuracy(history: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Train and test accuracy per epoch from a Keras History (or its ``.history`` dict)."""
    hist = getattr(history, "history", history)
    if not isinstance(hist, Mapping) or "accuracy" not in hist:
        raise ValueError("history must be a Keras History (or its dict) with 'accuracy': "
                         "train with metrics=['accuracy']")
    ax = _axes(ax, (5.5, 4.0))
    epochs = np.arange(1, len(hist["accuracy"]) + 1)
    ax.plot(epochs, hist["accuracy"], label="train")
    if "val_accuracy" in hist:
        ax.plot(epochs, hist["val_accuracy"], label="test")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="chance (0.5)")
    ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0.3, 1.0), title=title)
    ax.legend(loc="lower right")
    return ax


def plot_decision_boundary(model: keras.Model, x: np.ndarray, y: np.ndarray,
                           ax: Axes | None = None, title: str | None = None,
                           resolution: int = 200) -> Axes:
    """Shade the model's predicted probability of class 1 over the plane, with the points."""
    ax = _axes(ax, (4.5, 4.5))
    g = np.linspace(-1.15, 1.15, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(g, g)
    prob = np.asarray(model(np.c_[gx.ravel(), gy.ravel()], training=False)).reshape(gx.shape)
    ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1)
    plot_circles(x, y, ax=ax, title=title)
    ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15))
    return ax


def plot_seed_accuracies(results: pd.DataFrame | Mapping[str, pd.DataFrame],
                         ax: Axes | None = None, title: str | None = None) -> Axes:
    """Final test accuracy, one dot per seed, one column per ``{label: train_many table}`` (or one
    table), with the median, LEARNED_THRESHOLD (dashed), chance (dotted) and how many learned."""
    results = {"": results} if isinstance(results, pd.DataFrame) else results
    ax = _axes(ax, (1.6 + 1.6 * len(results), 4.0))
    rng = np.random.default_rng(0)  # horizontal jitter, so dots don't overlap
    labels = []
    for i, (label, df) in enumerate(results.items()):
        acc = _table(df, ["test_accuracy"], f"results[{label!r}]")["test_accuracy"].to_numpy()
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(acc)), acc, s=18, alpha=0.7)
        ax.hlines(np.median(acc), i - 0.3, i + 0.3, color="black", lw=1.5)
        labels.append(f"{label}\n{(acc >= LEARNED_THRESHOLD).sum()}/{len(acc)} learned".strip())
    ax.axhline(LEARNED_THRESHOLD, color="grey", ls="--", lw=0.8)
    ax.axhline(0.5, color="grey", ls=":", lw=0.8)
    ax.set_xticks(range(len(results)), labels)
    ax.set(xlim=(-0.6, len(results) - 0.4), ylim=(0.3, 1.0), title=title,
           ylabel="final test accuracy (one dot per seed)")
    return ax


def plot_success_rate(summary: pd.DataFrame, x: str = "depth", hue: str | None = None,
                      outcome: str = "learned", ax: Axes | None = None,
                      title: str | None = None, ylabel: str | None = None) -> Axes:
    """Share of seeds with ``outcome`` against ``x`` (a line per ``hue``), Wilson 95% band shaded.
    ``summary``: a helpers.experiments.summarize table."""
    share = f"share_{outcome}"
    _table(summary, [x, share, "ci_low", "ci_high"] + ([hue] if hue else []), "summary")
    ax = _axes(ax, (6.5, 4.0))
    for label, g in summary.groupby(hue, sort=False) if hue else [("", summary)]:
        g = g.sort_values(x)
        line, = ax.plot(g[x], g[share], marker="o", ms=4, label=str(label) or None)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.18, lw=0)
    ax.set(xlabel=x.replace("_", " "), ylabel=ylabel or f"share of seeds: {outcome}",
           ylim=(-0.03, 1.03), title=title)
    ax.grid(alpha=0.3)
    if hue:
        ax.legend(fontsize=8, title=hue.replace("_", " "), title_fontsize=8)
    return ax


def plot_rate_heatmap(summary: pd.DataFrame, x: str = "depth", y: str = "width",
                      ax: Axes | None = None, title: str | None = None) -> Axes:
    """Share of seeds that learned as colour, ``x`` across and ``y`` up, each cell annotated.
    ``summary``: a helpers.experiments.summarize table."""
    grid = _table(summary, [x, y, "share_learned"], "summary").pivot_table(
        index=y, columns=x, values="share_learned", aggfunc="first")
    ax = _axes(ax, (0.6 * grid.shape[1] + 2.5, 0.5 * grid.shape[0] + 1.5))
    im = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, aspect="auto", origin="lower")
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.set(xlabel=x.replace("_", " "), ylabel=y.replace("_", " "), title=title)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="black" if v > 0.6 else "white")
    ax.figure.colorbar(im, ax=ax, label="share of seeds: learned")
    return ax


def plot_layer_norms(norms: pd.DataFrame, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Each layer's kernel L1 norm / its L1 norm at epoch 0: median over seeds, quartiles shaded.
    ``norms``: a helpers.experiments.weight_l1_history table (epoch, layer, l1, seed)."""
    df = _table(norms, ["epoch", "layer", "l1"], "norms").sort_values("epoch", kind="stable")
    start = df.groupby([c for c in ("seed", "layer") if c in df])["l1"].transform("first")
    q = (df["l1"] / start).groupby([df["layer"], df["epoch"]], sort=False).quantile(
        [0.25, 0.5, 0.75]).unstack()
    ax = _axes(ax, (6.0, 4.0))
    layers = df["layer"].unique()
    for color, layer in zip(plt.cm.viridis(np.linspace(0, 0.9, len(layers))), layers):
        g = q.loc[layer]
        ax.plot(g.index, g[0.5], color=color, label=layer)
        ax.fill_between(g.index, g[0.25], g[0.75], color=color, alpha=0.15, lw=0)
    ax.set(xlabel="epoch", ylabel="L1 norm / L1 norm at start", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def _per_epoch(monitor: Any, value: str) -> pd.DataFrame:
    """``value`` of each kernel in a GradientMonitor's table: rows epochs, columns layers."""
    t = _table(monitor, ["epoch", "layer", "parameter", value],
               "table (a GradientMonitor or its .table)")
    t = t[t["parameter"] == "kernel"]
    if t.empty:
        raise ValueError("table is empty: train with callbacks=[monitor] first")
    return t.pivot(index="epoch", columns="layer", values=value)[t["layer"].unique()]


def plot_layer_gradients(table: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Mean |kernel gradient| per epoch, one line per layer, log y (unless every one is 0).
    ``table``: a GradientMonitor or its ``.table``."""
    grid = _per_epoch(table, "grad_mean_abs")
    ax = grid.plot(ax=_axes(ax, (6.0, 4.0)), colormap="viridis", lw=1.4, xlabel="epoch",
                   logy=bool((grid > 0).any().any()), ylabel="kernel mean |gradient|", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_update_ratio(table: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Each kernel's ||update|| / ||weights|| per training step (an epoch's change over its
    steps), log y, one line per layer, with CS231n's rule of thumb 1e-3 dashed."""
    grid = _per_epoch(table, "update_ratio_per_step").dropna(how="all")
    ax = grid.plot(ax=_axes(ax, (6.0, 4.0)), colormap="viridis", lw=1.2, logy=True,
                   xlabel="epoch", ylabel="||update|| / ||weights|| per step", title=title)
    ax.axhline(1e-3, color="red", ls="--", lw=1, label="rule of thumb 0.001")
    ax.legend(fontsize=8)
    return ax


def plot_gradient_heatmap(table: Any, ax: Axes | None = None, title: str | None = None,
                          vmin: float | None = None, vmax: float | None = None) -> Axes:
    """Mean |kernel gradient| as colour on a log scale, one row per layer (first at the top),
    one column per epoch. Give two plots the same ``vmin``/``vmax`` to compare them by colour."""
    grid = _per_epoch(table, "grad_mean_abs").T
    ax = _axes(ax, (7.0, 3.2))
    epochs = grid.columns.to_numpy()
    mesh = ax.pcolormesh(np.r_[epochs - 0.5, epochs[-1] + 0.5], np.arange(len(grid) + 1),
                         np.ma.masked_invalid(grid.where(grid > 0).to_numpy(dtype=float)),
                         norm=LogNorm(vmin, vmax), cmap="magma")
    ax.set_yticks(np.arange(len(grid)) + 0.5, grid.index)
    ax.invert_yaxis()
    ax.set(xlabel="epoch", title=title)
    ax.figure.colorbar(mesh, ax=ax, label="kernel mean |gradient|")
    return ax


def plot_activation_histograms(panels: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """One panel per ``{title: {layer: activations}}``, two per row: each layer's share of values
    per bin (over [-1, 1] when they lie in it). Returns the Figure; refuses empty ``panels``."""
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty dict {title: {layer: activations}}")
    ncols, nrows = min(2, len(panels)), -(-len(panels) // 2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.2 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (name, layers) in zip(axes.flat, panels.items()):
        values = [np.ravel(v).astype(float) for v in layers.values()]
        ax.hist(values, bins=40, range=(-1, 1) if max(abs(v).max() for v in values) <= 1 else None,
                weights=[np.full(v.size, 1 / v.size) for v in values], histtype="step", lw=1.3,
                color=plt.cm.viridis(np.linspace(0, 1, len(values))), label=list(layers))
        ax.set(xlabel="activation value", ylabel="share of values")
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=7, loc="upper center")
    fig.tight_layout()
    return fig


def plot_per_layer(values: Mapping[str, Sequence[float]], predicted: Mapping | None = None,
                   ax: Axes | None = None, ylabel: str = "mean |gradient|",
                   title: str | None = None,
                   xlabel: str = "layer (1 = first hidden layer)") -> Axes:
    """Log-scale lines of a per-layer quantity (layer 1 first), one per ``{label: values}``;
    ``predicted`` (same labels) adds dashed lines. Zeros are marked x on the bottom edge (a log
    scale cannot show them), negative and non-finite values left out. Refuses an empty
    ``values``."""
    if not isinstance(values, Mapping) or not values:
        raise ValueError("values must be a non-empty dict {label: per-layer values}")
    ax, zeros = _axes(ax, (6.5, 4.0)), False
    for i, (label, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        x, pred = np.arange(1, len(v) + 1), (predicted or {}).get(label)
        ax.plot(x, np.where(np.isfinite(v) & (v > 0), v, np.nan), "o-", ms=3, color=f"C{i}",
                label=label if pred is None else f"{label}: measured")
        if (v == 0).any():
            zeros = True
            ax.plot(x[v == 0], 0 * x[v == 0], "x", color=f"C{i}", ms=7, clip_on=False,
                    transform=ax.get_xaxis_transform())
        if pred is not None:
            ax.plot(np.arange(1, len(pred) + 1), np.asarray(pred, dtype=float), "--",
                    color=f"C{i}", label=f"{label}: predicted")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8, title="x on the axis: zero" if zeros else None, title_fontsize=7)
    return ax


def plot_lab(result: Any, fig: Figure | None = None) -> Figure:
    """Draw a helpers.widgets.LabResult on ``fig`` (default: a new one), 2 x 2: seed 0's accuracy,
    gradient per layer and decision boundary, every seed's final test accuracy. Returns the
    Figure; refuses anything but a LabResult."""
    if not all(hasattr(result, a) for a in ("settings", "seeds", "monitor_table", "model")):
        raise TypeError(f"result must be a LabResult (from run_lab), got {type(result).__name__}")
    s, fig = result.settings, plt.figure() if fig is None else fig
    fig.set_size_inches(11.0, 8.5)
    axes = fig.subplots(2, 2)
    for h in result.seeds["history"].iloc[1:]:
        axes[0, 0].plot(np.arange(1, len(h["val_accuracy"]) + 1), h["val_accuracy"],
                        color="grey", lw=0.6, alpha=0.5)
    plot_accuracy(result.seeds["history"].iloc[0], ax=axes[0, 0], title="Accuracy, seed 0"
                  + (" (grey: test, other seeds)" if s.n_seeds > 1 else ""))
    recorded = sorted(result.monitor_table["epoch"].unique())
    picks = sorted({recorded[i] for i in np.linspace(0, len(recorded) - 1, 5).round().astype(int)})
    plot_per_layer({"before training" if e == 0 else f"after epoch {e}": result.gradient_flow(e)
                    for e in picks}, ax=axes[0, 1], ylabel="kernel mean |gradient|",
                   xlabel="layer (1 = first hidden layer, out = output layer)",
                   title="Gradient flow, seed 0")
    ticks = [*range(1, s.depth + 1, max(1, (s.depth + 1) // 10)), s.depth + 1]
    axes[0, 1].set_xticks(ticks, [*map(str, ticks[:-1]), "out"])
    plot_decision_boundary(result.model, *load_circles()[1], ax=axes[1, 0], resolution=120,
                           title="Decision boundary, seed 0 (test points)")
    axes[1, 0].legend(loc="upper right", fontsize=7)
    plot_seed_accuracies(result.seeds, ax=axes[1, 1], title=f"Final test accuracy, "
                         f"{s.n_seeds} seed" + ("s" if s.n_seeds > 1 else ""))
    fig.suptitle(s.describe())
    fig.tight_layout()
    return fig
