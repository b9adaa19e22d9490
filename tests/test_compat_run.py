"""scripts/compat_run.py (make compat) judges a notebook as promised, on tiny notebooks."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbchecks import REPO
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.slow  # each case starts kernels
SCRIPT = REPO / "scripts" / "compat_run.py"


def _notebook(path, *sources):
    cells = [new_markdown_cell(f"# {path.stem}")] + [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_clean_notebooks_pass_and_are_not_saved(tmp_path):
    a = _notebook(tmp_path / "01_a.ipynb", "x = 2", "print(x * 21)")
    b = _notebook(tmp_path / "02_b.ipynb", "import sys\nsys.stdout.write('fine\\n')")
    before = a.read_bytes()
    result = _run(a, b, "--budget", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| 01_a.ipynb |" in result.stdout and "| 02_b.ipynb |" in result.stdout
    assert "all passed" in result.stdout
    assert a.read_bytes() == before  # nothing is saved


@pytest.mark.parametrize(
    "source, says",
    [
        ("1 / 0", "raised: ZeroDivisionError"),
        ("import warnings\nwarnings.warn('careful')", "wrote to stderr"),
        ("import sys\nprint('log line', file=sys.stderr)", "wrote to stderr: 'log line'"),
        ("import time\ntime.sleep(30)", "over its 3 s budget"),
    ],
    ids=["error", "warning", "stderr", "over budget"],
)
def test_a_bad_notebook_fails_naming_the_cell(tmp_path, source, says):
    good = _notebook(tmp_path / "01_good.ipynb", "x = 1")
    bad = _notebook(tmp_path / "02_bad.ipynb", "y = 1", source)
    result = _run(good, bad, "--budget", "3" if "sleep" in source else "60")
    assert result.returncode == 1
    assert says in result.stdout, result.stdout
    assert "cell 3" in result.stdout  # the markdown title is cell 1
    assert "FAILED: 02_bad.ipynb" in result.stdout


def test_bad_arguments_are_refused(tmp_path):
    nb = _notebook(tmp_path / "01_a.ipynb", "x = 1")
    assert "--budget must be a positive" in _run(nb, "--budget", "0").stderr
    assert "not a notebook file" in _run(tmp_path / "missing.ipynb").stderr
