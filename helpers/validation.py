"""Argument checks shared by the helpers: clear errors that name the argument."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import keras
import numpy as np


def _bounds(name: str, value: float, minimum: float | None, maximum: float | None,
            strict_min: bool = False) -> None:
    if minimum is not None and (value <= minimum if strict_min else value < minimum):
        raise ValueError(f"{name} must be {'greater than' if strict_min else 'at least'} "
                         f"{minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")


def check_int(name: str, value: object, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an int; refuses non-integers and values out of bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    _bounds(name, int(value), minimum, maximum)
    return int(value)


def check_float(name: str, value: object, minimum: float | None = None,
                maximum: float | None = None, strict_min: bool = False) -> float:
    """Return ``value`` as a float; refuses non-numbers, NaN/infinity and values out of bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    _bounds(name, value, minimum, maximum, strict_min)
    return value


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` (strings); the error lists the options."""
    allowed = list(allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}; got {value!r}")
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")
    return value


def check_seeds(seeds: object, name: str = "seeds") -> list[int]:
    """Return ``seeds`` as a list of ints in [0, 2**32); refuses empty or repeated seeds."""
    if isinstance(seeds, (numbers.Integral, str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"{name} must be a list or range of integers, got {seeds!r}")
    out = [check_int(f"{name}[{i}]", s, 0, 2**32 - 1) for i, s in enumerate(seeds)]
    if not out:
        raise ValueError(f"{name} must not be empty")
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat a seed, got {out}")
    return out


def check_xy(x: object, y: object, what: str = "data",
             n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) as arrays of Keras' float type, shapes (n, d) and (n, 1); refuses other
    shapes, d other than ``n_features`` (if given), empty or non-finite x, labels but 0/1."""
    try:
        x, y = (np.asarray(v, dtype=keras.config.floatx()) for v in (x, y))
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what}: x and y must be numeric arrays ({err})") from None
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if x.ndim != 2:
        raise ValueError(f"{what}: x must have shape (n_samples, n_features), got {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{what}: x has {x.shape[1]} features, the model expects {n_features}")
    if y.ndim != 1:
        raise ValueError(f"{what}: y must have shape (n_samples,) or (n_samples, 1), got {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"{what}: x and y must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{what}: x and y must not be empty")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: x must not contain NaN or infinity")
    if not (binary := np.isin(y, (0.0, 1.0))).all():
        raise ValueError(f"{what}: labels must be 0 or 1, got {np.unique(y[~binary])[:5].tolist()}")
    return x, y.reshape(-1, 1)


def check_floatx(floatx: object) -> str:
    """Return ``floatx`` (a stored run's precision) if Keras computes in it; refuses another."""
    if floatx != keras.config.floatx():
        raise ValueError(f"this configuration was stored in {floatx}, but Keras computes in "
                         f"{keras.config.floatx()}: call keras.config.set_floatx({floatx!r})")
    return floatx


def check_data(name: str, data: object,
               n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unpack an ``(x, y)`` pair named ``name`` and check it with :func:`check_xy`."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (x, y), got {type(data).__name__}")
    return check_xy(data[0], data[1], name, n_features)
