"""One call that makes a run reproducible."""

from __future__ import annotations

import keras
import tensorflow as tf

from helpers.validation import check_int


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy and TensorFlow/Keras, make TensorFlow's ops deterministic; return
    the seed. Two fresh processes that call ``seed_everything(s)`` and then build and train the
    same model get bit-identical results (with ``TF_ENABLE_ONEDNN_OPTS=0`` set before
    TensorFlow is imported, as every notebook's setup cell does)."""
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return seed
