"""The dataset, accuracy curves, and results over many seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

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
