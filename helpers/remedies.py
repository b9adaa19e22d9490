"""Remedies for vanishing and exploding gradients, and the measured "what fixes what" table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_data, check_int, check_seeds
from helpers.gradients import dead_network, exploding, layer_gradients, vanishing
from helpers.models import build_mlp
from helpers.seeding import seed_everything

#: Each remedy as ``build_mlp`` / ``train_many`` arguments, with where it comes from.
REMEDIES: dict[str, dict[str, Any]] = {
    "ReLU + He (baseline)": dict(activation="relu", initializer="he_uniform"),
    "leaky ReLU + He": dict(activation="leaky_relu", initializer="he_uniform"),
    "ELU + He": dict(activation="elu", initializer="he_uniform"),
    "SELU + LeCun normal": dict(activation="selu", initializer="lecun_normal"),
    "GELU + He": dict(activation="gelu", initializer="he_uniform"),
    "tanh + orthogonal": dict(activation="tanh", initializer="orthogonal"),
    "ReLU + He + Adam": dict(activation="relu", initializer="he_uniform", optimizer="adam"),
    "ReLU + He + batch norm": dict(activation="relu", initializer="he_uniform",
                                   batch_norm=True),
    "ReLU + He + residual + batch norm": dict(activation="relu", initializer="he_uniform",
                                              batch_norm=True, residual=True),
}

SOURCES: dict[str, str] = {
    "ReLU + He (baseline)": "Nair & Hinton 2010; He et al. 2015",
    "leaky ReLU + He": "Maas, Hannun & Ng 2013",
    "ELU + He": "Clevert, Unterthiner & Hochreiter 2016",
    "SELU + LeCun normal": "Klambauer et al. 2017",
    "GELU + He": "Hendrycks & Gimpel 2016",
    "tanh + orthogonal": "Saxe, McClelland & Ganguli 2014",
    "ReLU + He + Adam": "Kingma & Ba 2015",
    "ReLU + He + batch norm": "Ioffe & Szegedy 2015",
    "ReLU + He + residual + batch norm": "He et al. 2016",
    "gradient clipping": "Pascanu, Mikolov & Bengio 2013",
}

_BUILD_KEYS = ("activation", "initializer", "batch_norm", "residual", "width",
               "output_initializer")


def build_kwargs(remedy: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a remedy that ``build_mlp`` takes (drops training settings)."""
    return {k: v for k, v in remedy.items() if k in _BUILD_KEYS}


def init_checks(remedy: Mapping[str, Any], depth: int, seeds: Iterable[int],
                data: tuple, width: int = 5) -> pd.DataFrame:
    """Check freshly built networks of one remedy as the first training step sees them.

    One row per seed, from :func:`helpers.gradients.layer_gradients` with ``training=True``
    on ``data`` = ``(x, y)``: ``ratio`` (first hidden layer's mean |kernel gradient| over the
    output layer's), ``vanishing``, ``exploding`` (:func:`helpers.gradients.vanishing`,
    :func:`helpers.gradients.exploding`) and ``dead`` (:func:`helpers.gradients.dead_network`).
    """
    depth = check_int("depth", depth, minimum=1)
    x, y = check_data("data", data)
    rows = []
    for s in check_seeds(seeds):
        seed_everything(s)
        model = build_mlp(depth, width=width, **build_kwargs(remedy))
        g = layer_gradients(model, x, y, training=True)
        grads = np.array([float(tf.reduce_mean(tf.abs(k))) for k in g.kernel])
        rows.append({"seed": s, "ratio": grads[0] / grads[-1] if grads[-1] > 0 else np.nan,
                     "vanishing": vanishing(grads) is not None,
                     "exploding": exploding(grads) is not None,
                     "dead": dead_network(g.features)})
    return pd.DataFrame(rows)


def what_fixes_what(results: pd.DataFrame, checks: Mapping[str, pd.DataFrame],
                    deep: int, deepest: int) -> pd.DataFrame:
    """The measured comparison table, one row per remedy.

    ``results``: sweep rows with a ``remedy`` column (width-5 runs); ``checks``: remedy ->
    :func:`init_checks` table at depth ``deep``. Columns: success rate at ``deep`` and
    ``deepest`` hidden layers, the deepest depth learned by at least 80% of seeds, the share
    of runs whose training loss ended non-finite, the share of seeds flagged vanishing /
    exploding / dead at initialization at depth ``deep``, and the source.
    """
    rows = []
    for name, runs in results.groupby("remedy", sort=False):
        rate = runs.groupby("depth")["learned"].mean()
        reliable = [d for d, r in rate.items() if r >= 0.8]
        chk = checks[name]
        rows.append({
            "remedy": name,
            f"learned @{deep}": rate.get(deep, np.nan),
            f"learned @{deepest}": rate.get(deepest, np.nan),
            "deepest ≥80%": max(reliable) if reliable else 0,
            "loss NaN/inf": float((~np.isfinite(runs["train_loss"])).mean()),
            f"vanishing @{deep} (init)": float(chk["vanishing"].mean()),
            f"exploding @{deep} (init)": float(chk["exploding"].mean()),
            f"dead @{deep} (init)": float(chk["dead"].mean()),
            "source": SOURCES.get(name, ""),
        })
    return pd.DataFrame(rows).set_index("remedy")
