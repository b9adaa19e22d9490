"""Figures for the course notebooks. Each function draws on a Matplotlib Axes and returns it
(or a Figure when it makes several panels); the notebook calls ``plt.show()``.

The dataset and accuracy curves (notebooks 01-04), results over many seeds (06, 07), per-layer
gradients from a GradientMonitor (05, 09), per-layer values of several networks (05, 09) and
the gradient-flow lab (08).
"""

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

CLASS_COLORS = ("#1f77b4", "#ff7f0e")  # class 0 (outer circle), class 1 (inner circle)
CLASS_NAMES = ("class 0: outer circle", "class 1: inner circle")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.5, 4.0)) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize`` when it is None (all plot modules)."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_circles(x: np.ndarray, y: np.ndarray, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """Scatter the points ``x`` (n, 2) coloured by their 0/1 label ``y``; returns the Axes."""
    ax = _axes(ax, (4.5, 4.5))
    y = np.asarray(y).reshape(-1)
    for label in (0, 1):
        pts = np.asarray(x)[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=10, alpha=0.7, color=CLASS_COLORS[label],
                   label=CLASS_NAMES[label])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _history_dict(history: Any) -> Mapping[str, Sequence[float]]:
    if isinstance(history, keras.callbacks.History):
        return history.history
    if isinstance(history, Mapping):
        return history
    raise TypeError("history must be a keras History (from model.fit or helpers.training.train) "
                    f"or a dict of per-epoch lists, got {type(history).__name__}")


def plot_accuracy(history: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Line plot of train and test accuracy per epoch from a History (or its dict)."""
    hist = _history_dict(history)
    if "accuracy" not in hist:
        raise ValueError("history has no 'accuracy': compile/train with metrics=['accuracy']")
    ax = _axes(ax)
    epochs = np.arange(1, len(hist["accuracy"]) + 1)
    ax.plot(epochs, hist["accuracy"], label="train")
    if "val_accuracy" in hist:
        ax.plot(epochs, hist["val_accuracy"], label="test")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="chance (0.5)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.3, 1.0)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def plot_seed_accuracies(results: pd.DataFrame | Mapping[str, pd.DataFrame],
                         ax: Axes | None = None, threshold: float | None = None,
                         title: str | None = None) -> Axes:
    """Strip plot of final test accuracy, one dot per seed, one column per configuration.

    ``results`` is a ``train_many`` DataFrame or a dict ``{label: DataFrame}``. A dashed
    line marks ``threshold`` (default: helpers.training.LEARNED_THRESHOLD); each column is
    labelled with how many seeds reached it.
    """
    from helpers.training import LEARNED_THRESHOLD

    threshold = LEARNED_THRESHOLD if threshold is None else threshold
    if isinstance(results, pd.DataFrame):
        results = {"": results}
    ax = _axes(ax, (1.6 + 1.6 * len(results), 4.0))
    rng = np.random.default_rng(0)  # horizontal jitter only, so dots don't overlap
    labels = []
    for i, (label, df) in enumerate(results.items()):
        acc = df["test_accuracy"].to_numpy()
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(acc)), acc, s=18, alpha=0.7)
        ax.hlines(np.median(acc), i - 0.3, i + 0.3, color="black", lw=1.5)
        ok = int((acc >= threshold).sum())
        labels.append(f"{label}\n{ok}/{len(acc)} learned".strip())
    ax.axhline(threshold, color="grey", ls="--", lw=0.8)
    ax.axhline(0.5, color="grey", ls=":", lw=0.8)
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels(labels)
    ax.set_xlim(-0.6, len(results) - 0.4)
    ax.set_ylim(0.3, 1.0)
    ax.set_ylabel("final test accuracy (one dot per seed)")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(model: keras.Model, x: np.ndarray, y: np.ndarray,
                           ax: Axes | None = None, title: str | None = None,
                           resolution: int = 200) -> Axes:
    """Shade the model's predicted probability of class 1 over the plane, with the points."""
    ax = _axes(ax, (4.5, 4.5))
    lim = 1.15
    g = np.linspace(-lim, lim, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(g, g)
    grid = np.c_[gx.ravel(), gy.ravel()]
    prob = np.asarray(model(grid, training=False)).reshape(gx.shape)
    ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1)
    plot_circles(x, y, ax=ax, title=title)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    return ax


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
    :func:`helpers.experiments.weight_l1_history`. With
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
    if (rows[value] > 0).any():  # a dead network's gradients are all zero: no log scale then
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


def plot_per_layer(values: Mapping[str, Sequence[float]],
                   predicted: Mapping[str, Sequence[float]] | None = None,
                   ax: Axes | None = None, ylabel: str = "mean |gradient|",
                   title: str | None = None,
                   xlabel: str = "layer (1 = first hidden layer)") -> Axes:
    """Log-scale lines of a per-layer quantity, one per network: ``values`` maps a label to
    one value per layer (layer 1 first); ``predicted`` (same labels, optional) adds dashed
    lines in the same colours. Values that are zero or not finite are left out (a log scale
    cannot show them). Refuses an empty ``values``."""
    if not isinstance(values, Mapping) or not values:
        raise ValueError("values must be a non-empty dict {label: per-layer values}")
    ax = _axes(ax, (6.5, 4.0))
    for i, (label, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        pred = None if predicted is None else predicted.get(label)
        ax.plot(np.arange(1, len(v) + 1), np.where(np.isfinite(v) & (v > 0), v, np.nan),
                "o-", ms=3, color=f"C{i}", label=label if pred is None else f"{label}: measured")
        if pred is not None:
            ax.plot(np.arange(1, len(pred) + 1), np.asarray(pred, dtype=float), "--",
                    color=f"C{i}", label=f"{label}: predicted")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_gradient_flow(table: object, ax: Axes | None = None,
                       epochs: Sequence[int] | None = None, title: str | None = None) -> Axes:
    """Mean |kernel gradient| per Dense layer (x: first hidden layer ... output layer, log y),
    one line per recorded epoch (at most five, spread over the run, unless ``epochs`` says
    which). ``table``: a GradientMonitor or its ``.table``. Layers whose gradient is exactly 0
    are marked on the bottom edge (nothing flows back to them). Refuses other tables."""
    rows = _monitor_table(table, "grad_mean_abs", "kernel")
    recorded = sorted(rows["epoch"].unique().tolist())
    if epochs is None:
        picks = np.unique(np.round(np.linspace(0, len(recorded) - 1,
                                               min(5, len(recorded)))).astype(int))
        epochs = [recorded[i] for i in picks]
    missing = [e for e in epochs if e not in recorded]
    if missing:
        raise ValueError(f"epochs {missing} were not recorded; recorded: {recorded[:10]}...")
    ax = _axes(ax, (6.0, 4.0))
    layers = _layer_order(rows)
    x = np.arange(1, len(layers) + 1)
    cmap = plt.get_cmap("plasma")
    any_zero = False
    for i, epoch in enumerate(epochs):
        r = rows[rows["epoch"] == epoch].set_index("layer").loc[layers]
        g = r["grad_mean_abs"].to_numpy(dtype=float)
        color = cmap(0.85 * i / max(len(epochs) - 1, 1))
        label = "before training" if epoch == 0 else f"after epoch {epoch}"
        ax.plot(x, np.where(g > 0, g, np.nan), "o-", color=color, ms=3.5, lw=1.4, label=label)
        zero = ~(g > 0)
        if zero.any():
            any_zero = True
            ax.plot(x[zero], np.zeros(zero.sum()), "x", color=color, ms=7,
                    transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_yscale("log")
    step = max(1, len(layers) // 10)
    ticks = list(x[:-1:step]) + [x[-1]]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t) if t < x[-1] else "out" for t in ticks])
    ax.set_xlabel("layer (1 = first hidden layer, out = output layer)")
    ax.set_ylabel("kernel mean |gradient|")
    ax.legend(fontsize=8, loc="best", title="x on the axis: zero gradient" if any_zero else None,
              title_fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def plot_lab(result: Any, fig: Figure | None = None) -> Figure:
    """Draw a :class:`helpers.widgets.LabResult` on a 2 x 2 Figure: the first seed's train and
    test accuracy per epoch (other seeds' test accuracy as thin lines), its gradient flow per
    layer, its decision boundary over the test points, and every seed's final test accuracy.
    ``fig``: draw on this Figure (e.g. ``matplotlib.figure.Figure()`` outside pyplot);
    default: a new pyplot figure. Returns the Figure."""
    wanted = ("settings", "history", "histories", "monitor_table", "model", "seeds")
    if not all(hasattr(result, a) for a in wanted):
        raise TypeError(f"result must be a LabResult (from run_lab), got "
                        f"{type(result).__name__}")
    from helpers.data import load_circles

    if fig is None:
        fig = plt.figure()
    fig.set_size_inches(11.0, 8.5)
    axes = fig.subplots(2, 2)
    s = result.settings
    ax = axes[0, 0]
    for h in result.histories[1:]:
        ax.plot(np.arange(1, len(h["val_accuracy"]) + 1), h["val_accuracy"], color="grey",
                lw=0.6, alpha=0.5)
    plot_accuracy(result.history, ax=ax,
                  title=f"Accuracy, seed {s.first_seed}"
                  + (" (grey: test, other seeds)" if s.n_seeds > 1 else ""))
    plot_gradient_flow(result.monitor_table, ax=axes[0, 1],
                       title=f"Gradient flow, seed {s.first_seed}")
    _, (x_te, y_te) = load_circles()
    plot_decision_boundary(result.model, x_te, y_te, ax=axes[1, 0], resolution=120,
                           title=f"Decision boundary, seed {s.first_seed} (test points)")
    axes[1, 0].legend(loc="upper right", fontsize=7)
    plot_seed_accuracies(result.seeds, ax=axes[1, 1],
                         title=f"Final test accuracy, {s.n_seeds} seed"
                         + ("s" if s.n_seeds > 1 else ""))
    fig.suptitle(s.describe())
    fig.tight_layout()
    return fig
