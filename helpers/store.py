"""Stored results: one plain CSV table per sweep, rows only ever added, every row checked.

A table ``helpers/results/<name>.csv`` has one row per configuration x seed: the
configuration as columns, then ``seed`` and the results. Beside it, ``<name>.json`` says
which function trains a row (so ``make results`` can recompute the table), how many rows
the table holds, and who made them (date, commit, versions, CPU): provenance sits beside
the rows, never in their key. Each row ends with a check that chains it to the row before,
so a truncated or hand-edited table is refused with an error naming the file and the row.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import importlib
import io
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from helpers._validate import check_seeds

#: Where the course's tables live (package data: a pip install from git brings them).
RESULTS_DIR = Path(__file__).resolve().parent / "results"

Trainer = Callable[[dict, list], pd.DataFrame]


class TableError(ValueError):
    """A stored table cannot be trusted (damaged, truncated, edited by hand)."""


def results_dir() -> Path:
    """The folder tables are read from and written to: ``$COURSE_RESULTS_DIR`` if set
    (``make results`` uses it to recompute into a new folder), else :data:`RESULTS_DIR`."""
    return Path(os.environ.get("COURSE_RESULTS_DIR") or RESULTS_DIR)


def _text(value: Any) -> str:
    """A value as it is written in a table: exact for floats (repr), '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return str(bool(value))
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return repr(float(value))
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return str(int(value))
    if isinstance(value, str):
        return value
    raise TypeError(f"table values must be None, bool, int, float or str, got {value!r}")


def _value(text: str) -> Any:
    """A cell read back: bool, int, float or str ('' is None)."""
    if text in ("True", "False"):
        return text == "True"
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check(previous: str, cells: list[str]) -> str:
    return hashlib.sha256("\x1f".join([previous, *cells]).encode()).hexdigest()[:16]


def _provenance() -> dict[str, str]:
    """Who made the rows: date, commit (if a git checkout), versions, CPU."""
    import keras
    import numpy as np
    import tensorflow as tf

    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit or "unknown", "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "cpu": cpu}


class Table:
    """One stored table: ``Table(name).rows()`` reads and checks it, ``append`` adds rows."""

    def __init__(self, name: str, folder: Path | None = None):
        if not isinstance(name, str) or not name or not all(
                c.isalnum() or c in "_-" for c in name):
            raise ValueError(f"table must be a name of letters, digits, '_' or '-', got {name!r}")
        self.name = name
        folder = results_dir() if folder is None else Path(folder)
        self.csv, self.meta_path = folder / f"{name}.csv", folder / f"{name}.json"

    def meta(self) -> dict | None:
        if not self.meta_path.exists():
            return None
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def rows(self) -> list[dict[str, str]]:
        """Every row as text, checked; raises TableError naming the file and row."""
        meta = self.meta()
        if meta is None:
            if self.csv.exists():
                raise TableError(f"{self.csv}: its description {self.meta_path.name} is "
                                 "missing, so the table cannot be checked")
            return []
        raw = self.csv.read_bytes().decode("utf-8") if self.csv.exists() else ""
        if raw and not raw.endswith("\n"):
            raise TableError(f"{self.csv}: the last row is incomplete (an interrupted write?); "
                             "remove that line by hand, the rows before it are kept")
        lines = list(csv.reader(io.StringIO(raw)))
        columns = meta["columns"] + ["check"]
        if not lines or lines[0] != columns:
            raise TableError(f"{self.csv}: the header is not {columns}")
        out, previous = [], ""
        for i, cells in enumerate(lines[1:], start=2):
            if len(cells) != len(columns) or _check(previous, cells[:-1]) != cells[-1]:
                raise TableError(f"{self.csv}: row {i} fails its check (edited by hand, "
                                 "reordered or damaged); recompute the table with "
                                 "`make results` instead of editing it")
            previous = cells[-1]
            out.append(dict(zip(meta["columns"], cells[:-1])))
        if len(out) < meta["rows"]:
            raise TableError(f"{self.csv}: holds {len(out)} rows but {self.meta_path.name} "
                             f"records {meta['rows']}: the table was truncated")
        return out

    def records(self) -> list[dict[str, Any]]:
        """Every row with its values read back (bool, int, float, str or None), checked."""
        return [{k: _value(v) for k, v in row.items()} for row in self.rows()]

    @contextlib.contextmanager
    def _locked(self):
        """One writer at a time (two notebooks, or two processes, filling one table)."""
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(self.csv.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, rows: list[dict[str, Any]], columns: list[str], trainer: str) -> None:
        """Add rows (never rewrites one; a row whose configuration and seed another writer
        stored meanwhile is skipped); record their provenance beside the table."""
        with self._locked():
            self._append(rows, columns, trainer)

    def _append(self, rows: list[dict[str, Any]], columns: list[str], trainer: str) -> None:
        meta = self.meta() or {"table": self.name, "trainer": trainer, "columns": columns,
                               "rows": 0, "runs": []}
        if meta["columns"] != columns:
            raise TableError(f"{self.csv}: stored columns {meta['columns']} differ from "
                             f"{columns}; use another table name")
        stored = self.rows()
        key = columns[:columns.index("seed") + 1]
        have = {tuple(r[k] for k in key) for r in stored}
        rows = [r for r in rows if tuple(_text(r.get(k)) for k in key) not in have]
        if not rows:
            return
        previous = stored and self._last_check() or ""
        mine = [r["run"] for r in meta["runs"] if r.get("process") == os.getpid()]
        run = mine[-1] if mine else len(meta["runs"]) + 1
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        if not self.csv.exists():
            writer.writerow(columns + ["check"])
        for row in rows:
            cells = [_text(row.get(c)) if c != "run" else str(run) for c in columns]
            previous = _check(previous, cells)
            writer.writerow(cells + [previous])
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(self.csv, "a", encoding="utf-8", newline="") as f:
            f.write(text.getvalue())
            f.flush()
            os.fsync(f.fileno())
        meta["rows"] = len(stored) + len(rows)
        if not mine:
            meta["runs"].append({"run": run, **_provenance(), "process": os.getpid()})
        tmp = self.meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.meta_path)

    def _last_check(self) -> str:
        last = self.csv.read_text(encoding="utf-8").rstrip("\n").rsplit("\n", 1)[-1]
        return next(csv.reader([last]))[-1]


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether training shows a progress bar (with the time left).

    ``True``/``False`` decide. ``None`` (auto) shows one unless a test runner or CI is
    detected (``PYTEST_CURRENT_TEST``, inherited by nbval's kernels, ``NBVAL``, ``CI`` or
    ``TQDM_DISABLE`` set): nbval compares stderr, where the bar is drawn.
    """
    if progress is not None:
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {progress!r}")
        return progress
    return not any(os.environ.get(v) for v in
                   ("PYTEST_CURRENT_TEST", "NBVAL", "CI", "TQDM_DISABLE"))


def trainer_name(train: Trainer) -> str:
    """``module:qualname`` of a module-level function (refuses lambdas and closures)."""
    name = f"{getattr(train, '__module__', '')}:{getattr(train, '__qualname__', '')}"
    if not callable(train) or "<" in name or name.startswith(":"):
        raise TypeError("train must be a module-level function (so `make results` can call "
                        f"it again), got {train!r}")
    return name


def import_trainer(name: str) -> Trainer:
    """The function ``trainer_name`` wrote."""
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def load_or_train(table: str, configs: Iterable[Mapping[str, Any]], seeds: Iterable[int],
                  train: Trainer, progress: bool | None = None) -> pd.DataFrame:
    """Return one row per configuration x seed: stored rows where the table has them,
    the rest trained now by ``train(config, missing_seeds)`` and added to the table.

    Every configuration must have the same keys. ``train`` returns one row per seed: a
    ``seed`` column and result columns. The returned frame has the configuration columns,
    ``seed`` and the results, in the order of ``configs`` then ``seeds``. A finished
    configuration is stored at once, so an interrupted call keeps all it finished.
    Prints one line saying where the numbers came from. Refuses configurations with
    differing keys, repeated or empty seeds, and damaged tables (TableError).
    """
    configs = [dict(c) for c in configs]
    seed_list = check_seeds(seeds)
    if not configs:
        raise ValueError("configs must not be empty")
    keys = list(configs[0])
    if any(list(c) != keys for c in configs) or "seed" in keys:
        raise ValueError("configs must all have the same keys, in the same order (and no "
                         f"'seed'); the first has {keys}")
    tab, trainer = Table(table), trainer_name(train)
    stored = {}
    for row in tab.rows():
        stored[tuple(row.get(k, "") for k in keys + ["seed"])] = row
    todo = []
    for c in configs:
        key = [_text(c[k]) for k in keys]
        missing = [s for s in seed_list if (*key, str(s)) not in stored]
        if missing:
            todo.append((c, missing))
    from tqdm.auto import tqdm

    bar = tqdm(todo, desc=f"training {table}", unit="config", disable=not todo or
               not progress_enabled(progress), leave=False)
    start, n_new, unstored = time.perf_counter(), 0, 0
    for c, missing in bar:
        if len(todo) > 1:  # another process may have stored some meanwhile
            now = {tuple(r.get(k, "") for k in keys + ["seed"]) for r in tab.rows()}
            key = [_text(c[k]) for k in keys]
            missing = [s for s in missing if (*key, str(s)) not in now]
            if not missing:
                continue
        df = train(dict(c), list(missing))
        results = [col for col in df.columns if col != "seed"]
        columns = keys + ["seed"] + results + ["run"]
        rows = [{**c, **rec} for rec in df.to_dict("records")]
        if set(df["seed"]) != set(missing):
            raise RuntimeError(f"train returned seeds {sorted(df['seed'])}, asked {missing}")
        try:
            tab.append(rows, columns, trainer)
        except PermissionError as err:  # a read-only install (a shared JupyterHub): keep going
            if not unstored:
                print(f"note: cannot add rows to {tab.csv} ({err.strerror}); set "
                      "COURSE_RESULTS_DIR to a writable folder to keep them", file=sys.stderr)
            unstored += len(rows)
        for row in rows:
            stored[tuple(_text(row[k]) for k in keys + ["seed"])] = {
                k: _text(v) for k, v in row.items()}
        n_new += len(rows)
    if todo:  # rows another process added meanwhile
        for row in tab.rows():
            stored.setdefault(tuple(row.get(k, "") for k in keys + ["seed"]), row)
    out = []
    for c in configs:
        key = [_text(c[k]) for k in keys]
        for s in seed_list:
            row = stored[(*key, str(s))]
            out.append({**c, "seed": s, **{k: _value(v) for k, v in row.items()
                                           if k not in keys and k not in ("seed", "run")}})
    meta = tab.meta() or {}
    last = (meta.get("runs") or [{}])[-1]
    n_all = len(configs) * len(seed_list)
    where = f"{tab.csv.parent.name}/{tab.csv.name}"
    made = (f"made {last.get('date', '?')[:10]} with Python {last.get('python')}, "
            f"TensorFlow {last.get('tensorflow')}, Keras {last.get('keras')}")
    if n_new:
        print(f"{n_all - n_new} of {n_all} runs read from {where}, {n_new} trained now "
              f"({time.perf_counter() - start:.0f} s){' and added' if not unstored else ''}; "
              "recompute all: make results")
    else:
        print(f"{n_all} runs read from {where} ({made}); recompute: make results")
    sys.stdout.flush()
    return pd.DataFrame(out)
