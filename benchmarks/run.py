"""Run every benchmark of the course in one process: ``make bench``.

Each benchmark prints its own side-by-side table (medians and ratios against plain Keras).
"""

from __future__ import annotations

import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

BENCHMARKS = ["bench_train", "bench_monitor", "bench_sweep", "bench_lab", "bench_notebooks"]


def main() -> int:
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"benchmarks.{name}":
                print(f"\n== {name}: not present, skipped")
                continue
            raise
        print(f"\n== {name}")
        start = time.perf_counter()
        module.main()
        print(f"({name} took {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
