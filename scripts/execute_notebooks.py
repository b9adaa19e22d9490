"""Run course notebooks top to bottom in a fresh kernel and save them in place with their outputs.

Usage:
    python scripts/execute_notebooks.py                 # every notebooks/NN_*.ipynb, in order
    python scripts/execute_notebooks.py notebooks/05_*.ipynb

Each notebook runs in a new `python3` kernel of the interpreter that runs this script (the venv),
with notebooks/ as working directory, at most an hour per cell, and TensorFlow silenced
(TF_CPP_MIN_LOG_LEVEL=3, TF_ENABLE_ONEDNN_OPTS=0). A notebook is written back only when every
cell succeeded; on the first failure the script names the notebook and the cell, leaves that
notebook untouched on disk, and exits with status 1. Volatile metadata (per-cell timings) is not
saved, so a re-run changes only what the notebook computes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
CELL_TIMEOUT_S = 3600  # a cold sweep cache (notebook 09) takes about half an hour
KERNEL = "python3"
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}
# Set before any kernel starts; kernels inherit them.
KERNEL_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger banner on the kernel's stderr
    "JUPYTER_PREFER_ENV_PATH": "1",  # the venv's python3 kernelspec before a user-wide one
}


class NotebookFailed(Exception):
    """A cell failed: the message names the notebook and the cell."""


def default_notebooks() -> list[Path]:
    """Every notebooks/NN_*.ipynb, in file-name (= course) order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _describe_cell(nb, index: int | None) -> str:
    if index is None:
        return "before the first cell (kernel start)"
    cell = nb.cells[index]
    code_no = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index + 1} (code cell {code_no}): {first[:80]!r}"


def _strip_volatile(nb) -> None:
    """Drop metadata that changes on every run and that no reader needs."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # nbclient's per-cell timestamps
        cell.metadata.pop("ExecuteTime", None)  # jupyterlab-execute-time extension
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.pop("transient", None)
            cell.outputs = _merge_streams(cell.get("outputs", []))


def _merge_streams(outputs: list) -> list:
    """Consecutive stream outputs of one stream as one, as a cell prints them: the kernel may
    send a cell's printed lines in several messages depending on timing, so a re-run would
    otherwise change how its text is split."""
    merged = []
    for output in outputs:
        prev = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == output.get("name")):
            prev["text"] = prev["text"] + output["text"]
        else:
            merged.append(output)
    return merged


def execute(path: Path) -> float:
    """Execute one notebook in place; return its wall time in seconds. Raise NotebookFailed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    current: dict[str, int | None] = {"index": None}

    def on_cell_start(cell, cell_index, **_kwargs):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.resolve().parent)}},
        record_timing=False,
        allow_errors=False,
        on_cell_start=on_cell_start,
        # The kernel's own log (e.g. ipykernel's "running over TCP" notice) is console noise.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        where = _describe_cell(nb, current["index"])
        raise NotebookFailed(f"{_display(path)}: {where} raised an error:\n{exc}") from None
    except CellTimeoutError:
        where = _describe_cell(nb, current["index"])
        raise NotebookFailed(
            f"{_display(path)}: {where} ran longer than {CELL_TIMEOUT_S} s"
        ) from None
    except DeadKernelError as exc:
        where = _describe_cell(nb, current["index"])
        raise NotebookFailed(f"{_display(path)}: the kernel died in {where}: {exc}") from None
    elapsed = time.perf_counter() - start
    _strip_volatile(nb)
    nbformat.validate(nb)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # atomic: the notebook on disk is either the old one or the new one
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="notebooks to run (default: notebooks/NN_*.ipynb)"
    )
    args = parser.parse_args(argv)
    paths = args.paths or default_notebooks()
    missing = [p for p in paths if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        parser.error("not a notebook file: " + ", ".join(map(str, missing)))
    if not paths:
        print("No notebooks found in notebooks/ (expected NN_*.ipynb): nothing to run.")
        return 0

    os.environ.update(KERNEL_ENV)
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, as in JupyterLab and nbval

    total = 0.0
    for path in paths:
        print(f"{_display(path)} ...", end=" ", flush=True)
        try:
            elapsed = execute(path)
        except NotebookFailed as exc:
            print("FAILED")
            print(f"\nerror: {exc}\n", file=sys.stderr)
            print(f"{_display(path)} was not overwritten.", file=sys.stderr)
            return 1
        total += elapsed
        print(f"{elapsed:.1f} s")
    print(f"Total: {total:.1f} s for {len(paths)} notebook(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
