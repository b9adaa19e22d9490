"""Shared fixtures; TensorFlow quiet and identical on every CPU, as in the notebooks."""

import json
import os
from pathlib import Path

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


# make test runs two pytest processes, each taking one file (or notebook) at a time in the order
# collected (--dist loadfile --no-loadscope-reorder). The files go longest first, by the seconds
# measured in tests/durations.json (scripts/test_durations.py), so that no long file is left
# running alone at the end; a file not listed goes last. Each file's tests keep their order.
DURATIONS = json.loads(Path(__file__).with_name("durations.json").read_text(encoding="utf-8"))


def file_of(item: pytest.Item) -> str:
    """The file an item comes from, as its node id names it (tests/test_x.py, notebooks/...)."""
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first_seen = {}
    for item in items:
        first_seen.setdefault(file_of(item), len(first_seen))
    items.sort(key=lambda item: (-DURATIONS.get(file_of(item), 0), first_seen[file_of(item)]))
