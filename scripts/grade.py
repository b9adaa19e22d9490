"""Grade a folder of handed-in notebooks: one CSV row per student and exercise.

Usage (normally `make grade SUBMISSIONS=path/to/folder`):
    python scripts/grade.py SUBMISSIONS [--out grades.csv] [--timeout 600]

SUBMISSIONS holds one folder per student, each with that student's notebooks
(``SUBMISSIONS/<student>/03_deep_tanh_fails.ipynb``); a notebook directly inside SUBMISSIONS
counts as the student named by its file name's stem. Each notebook runs top to bottom in a
fresh kernel (cells that raise do not stop the run). Then the course's own checks judge the
answer variables the notebook left behind, so a deleted or edited check cell changes nothing.
Each exercise gets one status: correct, incorrect, not attempted, or error (its scaffold cell
raised, or the notebook could not run; the message says which). The CSV (columns student,
notebook, exercise, status, message) is written to --out, default SUBMISSIONS/grades.csv; an
existing file is never overwritten. The submitted files are not modified.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
              "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PREFER_ENV_PATH": "1"}
MARKER = "@@course-grades@@"
COLUMNS = ("student", "notebook", "exercise", "status", "message")
_GRADE_CELL = """\
import dataclasses as _dc, json as _json
from helpers.checking import grade as _grade
from helpers.exercises import ex{number} as _ex
print({marker!r} + _json.dumps([_dc.asdict(f) for f in _grade(_ex.EXERCISES, globals())]))
"""


def submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs found in ``folder``, sorted."""
    found = [(p.stem, p) for p in folder.glob("*.ipynb")]
    found += [(d.name, p) for d in folder.iterdir() if d.is_dir() for p in d.glob("*.ipynb")]
    return sorted(found)


def _number(path: Path) -> str | None:
    match = re.match(r"(\d\d)_", path.name)
    return match.group(1) if match else None


def _errored_exercises(nb) -> dict[str, str]:
    """Exercise number -> "Name: message" for scaffold cells that raised."""
    errors = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "exercise" not in cell.metadata.get("tags", []):
            continue
        # The number from the scaffold's comment, or else from the check cell right after it.
        following = nb.cells[i + 1].source if i + 1 < len(nb.cells) else ""
        match = (re.search(r"#\s*Exercise\s+(\d+)", cell.source)
                 or re.search(r"\.q(\d+)\.check\(", following))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and match:
                errors[match.group(1)] = f"{output['ename']}: {output['evalue']}"[:200]
    return errors


def grade_notebook(path: Path, timeout: int) -> list[dict[str, str]]:
    """Run one notebook and judge its exercises; one dict per exercise (status and message)."""
    import nbformat
    from nbclient import NotebookClient

    number = _number(path)
    if number is None:
        return [{"exercise": "", "status": "error",
                 "message": "file name does not start with a notebook number (NN_...)"}]
    try:
        module = importlib.import_module(f"helpers.exercises.ex{number}")
    except ModuleNotFoundError:
        return [{"exercise": "", "status": "error",
                 "message": f"notebook {number} has no checked exercises"}]
    names = [exercise.name for exercise in module.EXERCISES.values()]
    try:
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(_GRADE_CELL.format(number=number, marker=MARKER)))
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    except Exception as error:  # noqa: BLE001 - one broken notebook must not stop the class
        message = f"the notebook could not run: {type(error).__name__}: {str(error)[:200]}"
        return [{"exercise": name, "status": "error", "message": message} for name in names]
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    if MARKER not in printed:
        message = "the checks could not run after the notebook (did it restart or exit the kernel?)"
        return [{"exercise": name, "status": "error", "message": message} for name in names]
    rows = json.loads(printed.split(MARKER, 1)[1])
    errors = _errored_exercises(nb)
    for row in rows:
        number_in_notebook = row["exercise"].split(".")[1]
        if row["status"] != "correct" and number_in_notebook in errors:
            row["status"] = "error"
            row["message"] = f"the exercise cell raised {errors[number_in_notebook]}"
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of handed-in notebooks")
    parser.add_argument("--out", type=Path, help="CSV to write (default SUBMISSIONS/grades.csv)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"error: submissions folder {args.submissions} does not exist", file=sys.stderr)
        return 2
    out = args.out or args.submissions / "grades.csv"
    if out.exists():
        print(f"error: --out {out} exists; grades are never overwritten, choose another file",
              file=sys.stderr)
        return 2
    found = submissions(args.submissions)
    if not found:
        print(f"error: no .ipynb files in {args.submissions} or its subfolders", file=sys.stderr)
        return 2
    os.environ.update(KERNEL_ENV)
    sys.path.insert(0, str(REPO))
    rows = []
    for student, path in found:
        for row in grade_notebook(path, args.timeout):
            rows.append({"student": student, "notebook": path.name, **row})
            print(f"{student:>16} {path.name:<40} {row['exercise']:>6} {row['status']}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} row(s) for {len({s for s, _ in found})} student(s) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
