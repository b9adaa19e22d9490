"""Notebook 09's remedies for vanishing and exploding gradients, and its "what fixes what" table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from helpers.gradients import dead_network, exploding, layer_gradients, vanishing
from helpers.models import MLPConfig, build_mlp
from helpers.seeding import seed_everything
from helpers.validation import check_data, check_seeds

_TABLE = [  # name, activation, initializer, other settings, source
    ("ReLU + He (baseline)", "relu", "he_uniform", {}, "Nair & Hinton 2010; He et al. 2015"),
    ("leaky ReLU + He", "leaky_relu", "he_uniform", {}, "Maas, Hannun & Ng 2013"),
    ("ELU + He", "elu", "he_uniform", {}, "Clevert, Unterthiner & Hochreiter 2016"),
    ("SELU + LeCun normal", "selu", "lecun_normal", {}, "Klambauer et al. 2017"),
    ("GELU + He", "gelu", "he_uniform", {}, "Hendrycks & Gimpel 2016"),
    ("tanh + orthogonal", "tanh", "orthogonal", {}, "Saxe, McClelland & Ganguli 2014"),
    ("ReLU + He + Adam", "relu", "he_uniform", {"optimizer": "adam"}, "Kingma & Ba 2015"),
    ("ReLU + He + batch norm", "relu", "he_uniform", {"batch_norm": True}, "Ioffe & Szegedy 2015"),
    ("ReLU + He + residual + batch norm", "relu", "he_uniform",
     {"batch_norm": True, "residual": True}, "He et al. 2016"),
]
#: Each remedy as :class:`MLPConfig` fields (checked when used: :func:`build_kwargs`,
#: :func:`init_checks`); ``SOURCES``: where it comes from.
REMEDIES: dict[str, dict[str, Any]] = {name: dict(activation=act, initializer=init, **more)
                                       for name, act, init, more, _ in _TABLE}
SOURCES: dict[str, str] = {name: source for name, *_, source in _TABLE}


def build_kwargs(remedy: Mapping[str, Any]) -> dict[str, Any]:
    """``remedy``'s fields, checked by :class:`MLPConfig` (``build_mlp`` takes them all)."""
    MLPConfig.of(remedy, depth=2)
    return dict(remedy)


def init_checks(remedy: MLPConfig | Mapping[str, Any], depth: int, seeds: Iterable[int],
                data: tuple, width: int = 5) -> pd.DataFrame:
    """Per seed, a new network of ``remedy`` (a configuration or its fields, at ``depth`` and
    ``width``; ``seed_everything(seed)`` first): its gradients on all of ``data`` = (x, y) in
    training mode (batch normalization with these rows' statistics):
    first/output layer ``ratio``, and ``vanishing``, ``exploding``, ``dead`` as
    ``helpers.gradients`` defines them. Refuses what :class:`MLPConfig` refuses."""
    config, (x, y) = MLPConfig.of(remedy, depth=depth, width=width), check_data("data", data)
    rows = []
    for s in check_seeds(seeds):
        seed_everything(s)
        g = layer_gradients(build_mlp(config), x, y, training=True)
        grads = np.array(g.sizes())
        rows.append({"seed": s, "ratio": grads[0] / grads[-1] if grads[-1] > 0 else np.nan,
                     "vanishing": vanishing(grads) is not None,
                     "exploding": exploding(grads) is not None, "dead": dead_network(g.inputs[-1])})
    return pd.DataFrame(rows)


def what_fixes_what(results: pd.DataFrame, checks: Mapping[str, pd.DataFrame],
                    deep: int, deepest: int) -> pd.DataFrame:
    """Per remedy: shares learned at ``deep`` and ``deepest``, deepest depth learned by 80%, runs
    whose loss ended non-finite (``results``: sweep rows with a ``remedy`` column), and seeds
    flagged at initialization (``checks``: remedy -> :func:`init_checks` at ``deep``)."""
    rows = []
    for name, runs in results.groupby("remedy", sort=False):
        rate, chk = runs.groupby("depth")["learned"].mean(), checks[name]
        rows.append({
            "remedy": name, f"learned @{deep}": rate.get(deep, np.nan),
            f"learned @{deepest}": rate.get(deepest, np.nan),
            "deepest ≥80%": max([d for d, r in rate.items() if r >= 0.8], default=0),
            "loss NaN/inf": float((~np.isfinite(runs["train_loss"])).mean()),
            **{f"{k} @{deep} (init)": float(chk[k].mean())
               for k in ("vanishing", "exploding", "dead")},
            "source": SOURCES.get(name, "")})
    return pd.DataFrame(rows).set_index("remedy")
