"""Cost of GradientMonitor: helpers.training.train (500 epochs, 5-layer tanh U(0, 1) model)
with a no-op callback, and with the monitor (and the no-op callback) added: train then calls
callbacks between epochs as model.fit does. Target: ratio <= 1.5.
Run: ``python benchmarks/bench_monitor.py``. Also shown: the monitor writing TensorBoard logs,
and train without any callback."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import keras  # noqa: E402

from helpers import seed_everything  # noqa: E402
from helpers.data import load_circles  # noqa: E402
from helpers.gradients import GradientMonitor  # noqa: E402
from helpers.models import build_mlp  # noqa: E402
from helpers.training import train  # noqa: E402

TARGET_RATIO = 1.5


class _NoOp(keras.callbacks.Callback):
    """A callback that does nothing: isolates train's own per-epoch callback path."""


def _time_train(make_callbacks, train_data, test_data, epochs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one ``train`` call."""
    seed_everything(0)
    model = build_mlp(5)
    callbacks = make_callbacks(train_data)
    wall, cpu = time.perf_counter(), time.process_time()
    train(model, train_data, test_data, epochs=epochs, seed=0, callbacks=callbacks)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(repeats: int = 5, epochs: int = 500) -> dict[str, float]:
    """Print and return the median seconds of ``train`` without callbacks, with a no-op
    callback, and with a GradientMonitor on the training set (and the no-op callback), and
    the monitor's ratio to the no-op callback alone."""
    train_data, test_data = load_circles()
    logs = tempfile.mkdtemp(prefix="bench_monitor_")  # each run writes a new sub-folder
    variants = {
        "train": lambda d: None,
        "train + no-op callback": lambda d: [_NoOp()],
        "train + GradientMonitor": lambda d: [GradientMonitor(*d), _NoOp()],
        "train + monitor, TB logs": lambda d: [GradientMonitor(*d, log_dir=logs), _NoOp()],
    }
    for make in variants.values():  # warm-up: tracing and compiling are not measured
        _time_train(make, train_data, test_data, 2)
    wall: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):  # interleaved, so background load hits every variant alike
        for name, make in variants.items():
            w, c = _time_train(make, train_data, test_data, epochs)
            wall[name].append(w)
            cpu[name].append(c)
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"GradientMonitor benchmark: 5-layer tanh MLP, {epochs} epochs, "
          f"median of {repeats} runs (wall clock; CPU time of this process)")
    for name in variants:
        print(f"  {name:26s} {med[name]:6.2f} s   CPU {med_cpu[name]:6.2f} s")
    base = "train + no-op callback"
    ratio = med["train + GradientMonitor"] / med[base]
    ratio_cpu = med_cpu["train + GradientMonitor"] / med_cpu[base]
    callback_path = med[base] / med["train"]
    with_logs = med["train + monitor, TB logs"] / med[base]
    print(f"  ratio monitor / no-op callback: {ratio:.2f} (CPU {ratio_cpu:.2f}; "
          f"target <= {TARGET_RATIO})")
    print(f"  for context: no-op callback / no callback: {callback_path:.2f}; "
          f"monitor with TensorBoard logs / no-op callback: {with_logs:.2f}")
    print(f"  (TensorBoard logs of this benchmark: {logs})")
    return {**med, "ratio": ratio, "ratio_cpu": ratio_cpu, "callback_path_ratio": callback_path,
            "with_logs_ratio": with_logs}


if __name__ == "__main__":
    main()
