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

# Experiments over many seeds (notebooks 06 and 07).
from helpers.plots.experiments import (  # noqa: E402
    plot_layer_norms,
    plot_rate_heatmap,
    plot_success_rate,
)

__all__ += ["plot_layer_norms", "plot_rate_heatmap", "plot_success_rate"]

# Per-layer gradients, activations and update sizes (notebook 05).
from helpers.plots.gradients import (  # noqa: E402
    plot_activation_histograms,
    plot_gradient_heatmap,
    plot_layer_gradients,
    plot_update_ratio,
    plot_variance_by_layer,
)

__all__ += ["plot_activation_histograms", "plot_gradient_heatmap", "plot_layer_gradients",
            "plot_update_ratio", "plot_variance_by_layer"]

# The gradient-flow lab (notebook 08).
from helpers.plots.lab import plot_gradient_flow, plot_lab  # noqa: E402

__all__ += ["plot_gradient_flow", "plot_lab"]

# Per-layer gradient profiles of the remedies (notebook 09).
from helpers.plots.remedies import plot_gradient_profile  # noqa: E402

__all__ += ["plot_gradient_profile"]
