"""Remedies for vanishing and exploding gradients, and the measured "what fixes what" table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_data, check_int, check_seeds
from helpers.gradients import EXPLODING_RATIO, VANISHING_RATIO
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


def gradient_profile(model: keras.Model, x: np.ndarray,
                     y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean |kernel gradient| of every Dense layer (input side first), and the features.

    Computed as the first training step sees it: ``training=True``, so batch normalization
    uses the statistics of ``(x, y)`` (``helpers.gradients.diagnose`` looks at the model in
    inference mode instead). BatchNormalization's moving averages, which such a call
    updates, are restored afterwards: the model is left unchanged. Returns
    ``(per_layer_gradient, features)``, the features being the output layer's input,
    one row per sample.
    """
    x, y = check_data("data", (x, y))
    dense = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    if not dense:
        raise ValueError("model has no Dense layers")
    probe = keras.Model(model.inputs, [dense[-1].input, model.outputs[0]])
    saved = [(v, v.numpy()) for v in model.non_trainable_variables]
    try:
        with tf.GradientTape() as tape:
            features, out = probe(tf.constant(x), training=True)
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(tf.constant(y), out))
        grads = tape.gradient(loss, [lay.kernel for lay in dense])
    finally:
        for var, value in saved:
            var.assign(value)
    sizes = np.array([float(tf.reduce_mean(tf.abs(g))) if g is not None else 0.0
                      for g in grads])
    return sizes, np.asarray(features)


def init_checks(remedy: Mapping[str, Any], depth: int, seeds: Iterable[int],
                data: tuple, width: int = 5) -> pd.DataFrame:
    """Check freshly built networks of one remedy as training will first see them.

    One row per seed: ``ratio`` (first hidden layer's mean |kernel gradient| over the
    output layer's), ``vanishing`` (that ratio below ``helpers.gradients.VANISHING_RATIO``),
    ``exploding`` (above ``EXPLODING_RATIO``, or a non-finite gradient) and
    ``collapsed`` (the last hidden layer gives the same values, to 1e-6, for every input:
    the dead network of Lu et al. 2020). Uses :func:`gradient_profile`. ``data``: ``(x, y)``.
    """
    depth = check_int("depth", depth, minimum=1)
    x, y = check_data("data", data)
    rows = []
    for s in check_seeds(seeds):
        seed_everything(s)
        model = build_mlp(depth, width=width, **build_kwargs(remedy))
        grads, features = gradient_profile(model, x, y)
        hidden, last = grads[:-1], grads[-1]
        finite = bool(np.all(np.isfinite(grads)))
        ratio = float(hidden[0] / last) if last > 0 else np.nan
        rows.append({"seed": s, "ratio": ratio,
                     "vanishing": bool(finite and ratio < VANISHING_RATIO),
                     "exploding": bool(not finite or ratio > EXPLODING_RATIO),
                     "collapsed": bool(np.max(np.ptp(features, axis=0)) < 1e-6)})
    return pd.DataFrame(rows)


def what_fixes_what(results: pd.DataFrame, checks: Mapping[str, pd.DataFrame],
                    deep: int, deepest: int) -> pd.DataFrame:
    """The measured comparison table, one row per remedy.

    ``results``: sweep rows with a ``remedy`` column (width-5 runs); ``checks``: remedy ->
    :func:`init_checks` table at depth ``deep``. Columns: success rate at ``deep`` and
    ``deepest`` hidden layers, the deepest depth learned by at least 80% of seeds, the share
    of runs whose training loss ended non-finite, the share of seeds flagged vanishing /
    exploding / collapsed at initialization at depth ``deep``, and the source.
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
            f"dead @{deep} (init)": float(chk["collapsed"].mean()),
            "source": SOURCES.get(name, ""),
        })
    return pd.DataFrame(rows).set_index("remedy")
