"""Responsiveness of the gradient-flow lab (notebook 08): one Train click with the default
settings (5 x 5 tanh, RandomUniform(0, 1), SGD, 500 epochs, one seed), from click to figure.
Target: under 3 s on an idle machine. The click handler trains without a thread (the lab's
design rests on this number staying a few seconds). Run: ``python benchmarks/bench_lab.py``.

On a shared machine the wall time measures the other load too, so the process CPU time is
printed next to it: on an idle machine the wall time is at most about that (TensorFlow may
use both cores, which makes it shorter).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from helpers.widgets import Lab, run_lab  # noqa: E402

TARGET_S = 3.0


def main(repeats: int = 5) -> dict[str, float]:
    """Print and return the median wall and CPU seconds of a default Train click, and of
    ``run_lab`` alone (without drawing)."""
    lab = Lab()
    lab.train_button.click()  # warm-up: tracing and compiling happen once per architecture
    run_lab()
    clicks, cpus, runs = [], [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        lab.train_button.click()
        clicks.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        assert lab.error is None, lab.status.value
        w0 = time.perf_counter()
        run_lab()
        runs.append(time.perf_counter() - w0)
    out = {"click_wall": statistics.median(clicks), "click_cpu": statistics.median(cpus),
           "run_lab_wall": statistics.median(runs),
           "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")}
    print(f"Lab, default settings, median of {repeats} (load average {out['load_1min']:.1f} "
          f"on {os.cpu_count()} cores):")
    print(f"  Train click, wall  {out['click_wall']:5.2f} s")
    print(f"  Train click, CPU   {out['click_cpu']:5.2f} s   (target on an idle machine: "
          f"< {TARGET_S:g} s)")
    print(f"  run_lab alone      {out['run_lab_wall']:5.2f} s wall")
    return out


if __name__ == "__main__":
    main()
