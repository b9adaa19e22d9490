"""Figures of the gradient-flow lab (notebook 08): one run's accuracy, gradient flow, decision
boundary and seeds, in one Figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots.basics import (
    _axes,
    plot_accuracy,
    plot_decision_boundary,
    plot_seed_accuracies,
)
from helpers.plots.gradients import _layer_order


def plot_gradient_flow(table: object, ax: Axes | None = None,
                       epochs: Sequence[int] | None = None, title: str | None = None) -> Axes:
    """Mean |kernel gradient| per Dense layer (x: first hidden layer ... output layer, log y),
    one line per recorded epoch (at most five, spread over the run, unless ``epochs`` says
    which). ``table``: a GradientMonitor or its ``.table``. Layers whose gradient is exactly 0
    are marked on the bottom edge (nothing flows back to them). Refuses other tables."""
    table = getattr(table, "table", table)
    if not isinstance(table, pd.DataFrame) or not {"epoch", "layer", "parameter",
                                                   "grad_mean_abs"} <= set(table.columns):
        raise TypeError("table must be a GradientMonitor or its .table DataFrame")
    rows = table[table["parameter"] == "kernel"]
    if rows.empty:
        raise ValueError("table is empty: train with the monitor first")
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
    from helpers.widgets import LabResult

    if not isinstance(result, LabResult):
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
