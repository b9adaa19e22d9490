"""Per-layer gradient profiles: one line per network, layers along the x axis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from helpers.plots.basics import _axes


def plot_gradient_profile(profiles: Mapping[str, Sequence[float]], ax: Axes | None = None,
                          ylabel: str = "mean |gradient|", title: str | None = None) -> Axes:
    """Log-scale line plot of a per-layer quantity, layer 1 (input side) to the output.

    ``profiles`` maps a label to one value per Dense layer (hidden_1 ... output). Values
    that are zero or not finite are left out of the line (a log scale cannot show them).
    """
    if not isinstance(profiles, Mapping) or not profiles:
        raise ValueError("profiles must be a non-empty dict {label: per-layer values}")
    ax = _axes(ax, (6.5, 4.0))
    for label, values in profiles.items():
        v = np.asarray(values, dtype=float)
        v = np.where(np.isfinite(v) & (v > 0), v, np.nan)
        ax.plot(np.arange(1, len(v) + 1), v, marker="o", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = first hidden layer; last = output)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
