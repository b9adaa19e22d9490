"""Write student versions of the notebooks: no worked solutions, empty exercise cells' outputs.

Usage (normally `make student`):
    python scripts/student.py                       # every notebooks/NN_*.ipynb -> build/student/
    python scripts/student.py notebooks/03_*.ipynb --out build/class-a

A student version keeps everything a learner reads and runs, the concept questions and the
checks included, and drops the cells tagged ``solution`` (the folded worked solutions). The
scaffold (``exercise``) and ``check`` cells lose their saved outputs, so a handed-in notebook
shows only what the student ran. The output folder must not exist yet, or be empty: a class's
earlier build is never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
CLEARED = {"exercise", "check"}


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solution cells, its exercise and check cells unexecuted."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if "solution" in tags:
            continue
        if cell.cell_type == "code" and tags & CLEARED:
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "student",
                        help="output folder (default build/student); must be new or empty")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.out.exists() and any(args.out.iterdir()):
        print(f"error: --out {args.out} already holds files; choose a new folder or empty it "
              "(an earlier build is never overwritten)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_version(nb)
        removed = len(nb.cells) - len(student.cells)
        nbformat.write(student, args.out / path.name)
        print(f"{path.name}: {removed} solution cell(s) removed")
    print(f"{len(paths)} student notebook(s) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
