"""The two-circles dataset, scaled and split as in the 2019 tutorial."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_circles
from sklearn.preprocessing import MinMaxScaler

from helpers.validation import check_float, check_int

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_circles(n_samples: int = 1000, noise: float = 0.1, random_state: int = 1,
                 n_train: int = 500, leak_free: bool = False) -> Split:
    """Return ``(x_train, y_train), (x_test, y_test)``: ``make_circles`` (the defaults are the
    tutorial's) scaled to [-1, 1] by a MinMaxScaler fitted on *all* points (``leak_free``: on the
    training rows, so test points may fall slightly outside), the first ``n_train`` rows for
    training. x: float64 (n, 2); y: int64 (n,), 1 for the inner circle. Refuses n_samples < 2,
    noise < 0 and n_train outside (0, n_samples)."""
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    random_state = check_int("random_state", random_state, minimum=0, maximum=2**32 - 1)
    n_train = check_int("n_train", n_train, minimum=1, maximum=n_samples - 1)  # two non-empty parts
    if not isinstance(leak_free, bool):
        raise TypeError(f"leak_free must be True or False, got {leak_free!r}")

    x, y = make_circles(n_samples=n_samples, noise=noise, random_state=random_state)
    x = MinMaxScaler(feature_range=(-1, 1)).fit(x[:n_train] if leak_free else x).transform(x)
    y = y.astype(np.int64)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
