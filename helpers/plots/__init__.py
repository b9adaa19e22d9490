"""Figures for the course notebooks. Each function draws on a Matplotlib Axes and returns it
(or a Figure when it makes several panels); the notebook calls ``plt.show()``."""

from helpers.plots.basics import (
    plot_accuracy,
    plot_circles,
    plot_decision_boundary,
    plot_seed_accuracies,
)

__all__ = [
    "plot_accuracy",
    "plot_circles",
    "plot_decision_boundary",
    "plot_seed_accuracies",
]
