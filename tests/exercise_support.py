"""Shared test support for the checked exercises: a notebook's setup namespace, the solution run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def notebook_path(number: str) -> Path:
    """The notebook file ``notebooks/NN_*.ipynb``."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def setup_source(number: str) -> str:
    """The setup cell's code (the first code cell), without IPython magics (the Colab install)."""
    nb = json.loads(notebook_path(number).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(cell["source"])
    return "\n".join(line if not line.lstrip().startswith("%") else
                     re.sub(r"%.*", "pass", line) for line in source.splitlines())


def notebook_namespace(number: str) -> dict[str, Any]:
    """A fresh namespace in which the notebook's setup cell has run (what a solution may use)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(setup_source(number), f"<setup of notebook {number}>", "exec"), namespace)
    return namespace


def run_solution(number: str, exercise: Any) -> dict[str, Any]:
    """Run ``exercise.solution_code`` after the setup cell; returns the namespace."""
    namespace = notebook_namespace(number)
    exec(compile(exercise.solution_code, f"<solution {exercise.name}>", "exec"), namespace)
    return namespace
