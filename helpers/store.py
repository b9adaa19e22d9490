"""Stored results: ``results/<name>.csv``, a row per configuration x seed, only ever added to,
each row's check chained to the row before (a truncated or edited table is refused); beside
it ``<name>.json``: the function that trains a row (for ``make results``), who made the rows."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib
import io
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from helpers.validation import check_seeds

#: Where the course's tables live (package data: a pip install from git brings them).
RESULTS_DIR = Path(__file__).resolve().parent / "results"

Trainer = Callable[[dict, list], pd.DataFrame]
PROCESS = f"{os.getpid()}@{time.time_ns()}"  #: this process (a later one may get its PID)


class TableError(ValueError):
    """A stored table cannot be trusted (damaged, truncated, edited by hand)."""


def _text(value: Any) -> str:
    """A value as a table cell: exact for floats (repr), '' for None; refuses other types."""
    value = value.item() if hasattr(value, "item") else value  # numpy scalars
    if value is None or isinstance(value, (bool, int, float, str)):
        return "" if value is None else repr(value) if isinstance(value, float) else str(value)
    raise TypeError(f"table values must be None, bool, int, float or str, got {value!r}")


def _value(text: str) -> Any:
    """A cell read back: bool, int, float, str, or None for ''."""
    if text in ("True", "False", ""):
        return {"True": True, "False": False}.get(text)
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text)
    return text


def _check(previous: str, cells: list[str]) -> str:
    return hashlib.sha256("\x1f".join([previous, *cells]).encode()).hexdigest()[:16]


def _provenance() -> dict[str, str]:
    """Who made the rows: date, commit (if a git checkout), versions, CPU."""
    commit, cpu = "", platform.processor() or platform.machine()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(["git", "-C", str(RESULTS_DIR.parent), "rev-parse", "--short",
                                 "HEAD"], capture_output=True, text=True, encoding="utf-8",
                                errors="replace", timeout=10).stdout
    with contextlib.suppress(OSError, TypeError):  # TypeError: no "model name" line
        cpu = re.search(r"^model name[^:\n]*:(.*)", Path("/proc/cpuinfo").read_text(
            encoding="utf-8", errors="replace"), re.M)[1].strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": commit.strip() or "unknown", "python": platform.python_version(),
            **{m: importlib.import_module(m).__version__ for m in ("tensorflow", "keras", "numpy")},
            "cpu": cpu}


class Table:
    """One stored table in ``folder``: by default ``$COURSE_RESULTS_DIR`` if set (``make results``
    recomputes into a new folder), else :data:`RESULTS_DIR`."""

    def __init__(self, name: str, folder: Path | None = None):
        if not isinstance(name, str) or not re.fullmatch(r"[\w-]+", name):
            raise ValueError(f"table must be a name of letters, digits, '_' or '-', got {name!r}")
        self.name = name
        folder = Path(folder or os.environ.get("COURSE_RESULTS_DIR") or RESULTS_DIR)
        self.csv, self.meta_path = folder / f"{name}.csv", folder / f"{name}.json"

    def meta(self) -> dict | None:
        """The table's .json description, or None if it has none."""
        exists = self.meta_path.exists()
        return json.loads(self.meta_path.read_text(encoding="utf-8")) if exists else None

    def _read(self) -> tuple[dict | None, list[dict[str, str]], str]:
        """(description, every row as text, the last row's check); raises TableError naming
        the file and the row when a row fails its check or rows are missing."""
        if (meta := self.meta()) is None:
            if self.csv.exists():
                raise TableError(f"{self.csv}: its description {self.meta_path.name} is "
                                 "missing, so the table cannot be checked")
            return None, [], ""
        raw = self.csv.read_bytes().decode("utf-8") if self.csv.exists() else ""
        if raw and not raw.endswith("\n"):
            raise TableError(f"{self.csv}: the last row is incomplete (an interrupted write?); "
                             "remove that line by hand, the rows before it are kept")
        lines = list(csv.reader(io.StringIO(raw)))
        columns = meta["columns"] + ["check"]
        if not lines or lines[0] != columns:
            raise TableError(f"{self.csv}: the header is not {columns}")
        rows, previous = [], ""
        for i, cells in enumerate(lines[1:], start=2):
            if len(cells) != len(columns) or _check(previous, cells[:-1]) != cells[-1]:
                raise TableError(f"{self.csv}: row {i} fails its check (edited by hand, "
                                 "reordered or damaged); recompute the table with "
                                 "`make results` instead of editing it")
            previous = cells[-1]
            rows.append(dict(zip(meta["columns"], cells[:-1])))
        if len(rows) < meta["rows"]:
            raise TableError(f"{self.csv}: holds {len(rows)} rows but {self.meta_path.name} "
                             f"records {meta['rows']}: the table was truncated")
        return meta, rows, previous

    def rows(self) -> list[dict[str, str]]:
        """Every row as text, checked (TableError names the file and the row)."""
        return self._read()[1]

    def records(self) -> list[dict[str, Any]]:
        """Every row with its values read back (bool, int, float, str or None), checked."""
        return [{k: _value(v) for k, v in row.items()} for row in self.rows()]

    def append(self, rows: list[dict[str, Any]], columns: list[str], trainer: str) -> None:
        """Add ``rows`` at the end, one process at a time (a lock: two notebooks appending at
        once would break the chain of checks), skipping those whose configuration and seed are
        stored; records who made them. Refuses columns other than the stored ones (TableError)."""
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(self.csv.with_suffix(".lock")):
            meta, stored, previous = self._read()
            meta = meta or {"table": self.name, "trainer": trainer, "columns": columns,
                            "rows": 0, "runs": []}
            if meta["columns"] != columns:
                raise TableError(f"{self.csv}: stored columns {meta['columns']} differ from "
                                 f"{columns}; use another table name")
            key = columns[:columns.index("seed") + 1]
            have = {tuple(r[k] for k in key) for r in stored}
            if not (rows := [r for r in rows if tuple(_text(r.get(k)) for k in key) not in have]):
                return
            mine = [r["run"] for r in meta["runs"] if r.get("process") == PROCESS]
            run = mine[-1] if mine else len(meta["runs"]) + 1
            lines = [] if self.csv.exists() else [columns + ["check"]]
            for row in rows:
                cells = [str(run) if c == "run" else _text(row.get(c)) for c in columns]
                previous = _check(previous, cells)
                lines.append(cells + [previous])
            with open(self.csv, "a", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows(lines)
                f.flush()
                os.fsync(f.fileno())
            meta["rows"] = len(stored) + len(rows)
            if not mine:
                meta["runs"].append({"run": run, **_provenance(), "process": PROCESS})
            tmp = self.meta_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.meta_path)


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to show a progress bar (with the time left); ``None``: yes unless a test runner
    or CI is detected (nbval compares stderr, where the bar is drawn). Refuses non-bools."""
    if progress is None:
        return not any(os.environ.get(v) for v in
                       ("PYTEST_CURRENT_TEST", "NBVAL", "CI", "TQDM_DISABLE"))
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    return progress


def load_or_train(table: str, configs: Iterable[Mapping[str, Any]], seeds: Iterable[int],
                  train: Trainer, progress: bool | None = None) -> pd.DataFrame:
    """One row per configuration x seed (configuration columns, ``seed``, results): read from
    the table where it has them, the rest trained by ``train(config, missing_seeds)`` (a row
    per seed: ``seed`` and results) and added, each configuration once trained, so an
    interrupted call keeps what it finished. Prints where the numbers came from. Refuses
    configurations with differing keys, empty or repeated seeds, damaged tables (TableError)."""
    configs, seed_list = [dict(c) for c in configs], check_seeds(seeds)
    if not configs:
        raise ValueError("configs must not be empty")
    keys = list(configs[0])
    if any(list(c) != keys for c in configs) or "seed" in keys:
        raise ValueError("configs must all have the same keys, in the same order (and no "
                         f"'seed'); the first has {keys}")
    trainer = f"{getattr(train, '__module__', '')}:{getattr(train, '__qualname__', '')}"
    if not callable(train) or "<" in trainer or trainer.startswith(":"):
        raise TypeError("train must be a module-level function (so `make results` can call "
                        f"it again), got {train!r}")
    tab = Table(table)

    def key(row: Mapping[str, Any]) -> tuple[str, ...]:  # configuration and seed, as text
        return tuple(_text(row.get(k)) for k in [*keys, "seed"])

    stored = {key(row): row for row in tab.rows()}
    todo = [(c, missing) for c in configs if (missing := [
        s for s in seed_list if key({**c, "seed": s}) not in stored])]
    from tqdm.auto import tqdm

    start, unstored = time.perf_counter(), 0
    for c, missing in tqdm(todo, desc=f"training {table}", unit="config", leave=False,
                           disable=not todo or not progress_enabled(progress)):
        df = train(dict(c), list(missing))
        if set(df["seed"]) != set(missing):
            raise RuntimeError(f"train returned seeds {sorted(df['seed'])}, asked {missing}")
        rows = [{**c, **rec} for rec in df.to_dict("records")]
        try:
            tab.append(rows, keys + ["seed", *df.columns.drop("seed"), "run"], trainer)
        except PermissionError as err:  # a read-only install (a shared JupyterHub): keep going
            if not unstored:
                print(f"note: cannot add rows to {tab.csv} ({err.strerror}); set "
                      "COURSE_RESULTS_DIR to a writable folder to keep them", file=sys.stderr)
            unstored += len(rows)
        # as text, like the rows read: the same values come back whether trained or stored
        stored.update({key(row): {k: _text(v) for k, v in row.items()} for row in rows})
    out = [{**c, "seed": s, **{k: _value(v) for k, v in stored[key({**c, "seed": s})].items()
                               if k not in [*keys, "seed", "run"]}}
           for c in configs for s in seed_list]
    last = ((tab.meta() or {}).get("runs") or [{}])[-1]
    n_all, n_new = len(out), sum(len(missing) for _, missing in todo)
    where = f"{tab.csv.parent.name}/{tab.csv.name}"
    print(f"{n_all - n_new} of {n_all} runs read from {where}, {n_new} trained now "
          f"({time.perf_counter() - start:.0f} s){' and added' if not unstored else ''}; "
          "recompute all: make results" if n_new else
          f"{n_all} runs read from {where} (made {last.get('date', '?')[:10]} with Python "
          f"{last.get('python')}, TensorFlow {last.get('tensorflow')}, Keras "
          f"{last.get('keras')}); recompute: make results", flush=True)
    return pd.DataFrame(out)
