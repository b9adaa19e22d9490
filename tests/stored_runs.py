"""Runs the claim tests judge, kept in stored tables like the notebooks' own runs.

``mlp_runs(seeds, depth=5, ...)`` returns what ``train_many(depth=5, ..., seeds=seeds)`` returns
(``learned``, ``test_accuracy`` and the other results, a row per seed), read from
``helpers/results/mlp_unseen_seeds.csv``; ``recurrent_runs`` does the same for
``train_recurrent_many`` in float32 (``10_unseen_seeds_float32.csv``). A run not stored yet is
trained and added. The tables key on Keras' precision (``floatx``), so float32 and float64 runs
are kept apart. ``tests/test_store.py`` retrains a sample of their rows to check they still come
out of today's code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import pandas as pd

from helpers.experiments import sweep
from helpers.recurrent import sweep_configs, train_config
from helpers.store import load_or_train

MLP_TABLE, RECURRENT_TABLE = "mlp_unseen_seeds", "10_unseen_seeds_float32"


@contextlib.contextmanager
def precision(floatx: str) -> Iterator[None]:
    """Keras computes in ``floatx`` inside the block, float64 (the tests' precision) after it.
    The dtype policy too: Keras fixes it when the first layer is built, so floatx alone would
    leave every new layer in float64."""
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(floatx)
    try:
        yield
    finally:
        keras.config.set_floatx("float64")
        keras.config.set_dtype_policy("float64")


def mlp_runs(seeds, **config) -> pd.DataFrame:
    """``train_many(**config, seeds=seeds)``'s results for one configuration, from the table."""
    return sweep({k: [v] for k, v in config.items()}, seeds=seeds, table=MLP_TABLE,
                 progress=False)


def recurrent_runs(seeds, cell: str, length: int, **settings) -> pd.DataFrame:
    """``train_recurrent_many(cell, length, seeds, **settings)``'s rows, from the table."""
    configs = [{**c, "floatx": keras.config.floatx()}
               for c in sweep_configs([cell], [length], **settings)]
    return load_or_train(RECURRENT_TABLE, configs, seeds, train_config, progress=False)
