"""Helper package shared by the vanishing-gradients course notebooks.

Importing it quietens TensorFlow's C++ logging (unless the caller already chose
otherwise); the modules are imported on demand: ``from helpers.data import load_circles``.
"""

import os as _os

# Must happen before TensorFlow is imported anywhere. setdefault: a learner's own
# choice wins. TF_ENABLE_ONEDNN_OPTS=0 also makes results identical across CPUs.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from helpers.seeding import seed_everything  # noqa: E402

__all__ = ["seed_everything"]
__version__ = "0.2.0"
