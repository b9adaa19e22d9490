"""Shared fixtures; TensorFlow quiet and identical on every CPU, as in the notebooks."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import pytest  # noqa: E402

# The course trains in float64, as every notebook's setup cell does: rounding far below the
# printed digits.
keras.config.set_floatx("float64")


@pytest.fixture(scope="session")
def circles():
    """The tutorial's split: (x_train, y_train), (x_test, y_test)."""
    from helpers.data import load_circles

    return load_circles()
