"""scripts/compat_run.py (make compat) judges a notebook as promised, on tiny notebooks."""

from __future__ import annotations

import re
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
        ("import time\ntime.sleep(60)", "over its 10 s budget"),
    ],
    ids=["error", "warning", "stderr", "over budget"],
)
def test_a_bad_notebook_fails_naming_the_cell(tmp_path, source, says):
    good = _notebook(tmp_path / "01_good.ipynb", "x = 1")
    bad = _notebook(tmp_path / "02_bad.ipynb", "y = 1", source)
    # 10 s: the good notebook's kernel must start and run inside it on a loaded machine too
    # (with 3 s it once went over while another test run shared the two cores)
    result = _run(good, bad, "--budget", "10" if "sleep" in source else "60")
    assert result.returncode == 1
    assert says in result.stdout, result.stdout
    assert "cell 3" in result.stdout  # the markdown title is cell 1
    assert "FAILED: 02_bad.ipynb" in result.stdout


def test_jobs_run_notebooks_at_once_and_report_them_in_order(tmp_path):
    """--jobs 2 (make compat's): two notebooks run at the same time (each writes when it ran;
    the two spans overlap); a failure is still named, and the table keeps the given order."""
    def timed(i):
        span = tmp_path / f"span{i}.txt"
        return _notebook(tmp_path / f"0{i}_slow.ipynb", "import time\nstart = time.time()\n"
                         f"time.sleep(5)\nopen({str(span)!r}, 'w').write(f'{{start}} "
                         "{time.time()}')")
    slow = [timed(i) for i in (1, 2)]
    bad = _notebook(tmp_path / "03_bad.ipynb", "1 / 0")
    result = _run(*slow, bad, "--budget", "60", "--jobs", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED: 03_bad.ipynb" in result.stdout
    table = [line.split("|")[1].strip() for line in result.stdout.splitlines()
             if line.startswith("| 0")]
    assert table == ["01_slow.ipynb", "02_slow.ipynb", "03_bad.ipynb"]
    spans = [[float(t) for t in (tmp_path / f"span{i}.txt").read_text().split()] for i in (1, 2)]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans
    assert "2 at once" in result.stdout


def test_bad_arguments_are_refused(tmp_path):
    nb = _notebook(tmp_path / "01_a.ipynb", "x = 1")
    assert "--budget must be a positive" in _run(nb, "--budget", "0").stderr
    assert "--jobs must be 1 or more" in _run(nb, "--jobs", "0").stderr
    assert "not a notebook file" in _run(tmp_path / "missing.ipynb").stderr


def test_report_names_each_notebooks_status_and_the_versions(tmp_path):
    """--report (make canary's) writes the run as Markdown: per notebook clean / error / stderr
    and time, every problem in full, and the versions the run got."""
    clean = _notebook(tmp_path / "01_clean.ipynb", "x = 1")
    error = _notebook(tmp_path / "02_error.ipynb", "raise RuntimeError('broken ' * 100 + 'cause')")
    noisy = _notebook(tmp_path / "03_noisy.ipynb", "import warnings\nwarnings.warn('deprecated')")
    report = tmp_path / "out" / "report.md"
    result = _run(clean, error, noisy, "--budget", "60", "--title", "Canary: test",
                  "--report", report)
    assert result.returncode == 1, result.stdout + result.stderr
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Canary: test\n")
    assert "FAILED: 02_error.ipynb, 03_noisy.ipynb" in text
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in text.splitlines() if line.startswith("| 0")}
    assert rows == {"01_clean.ipynb": "clean", "02_error.ipynb": "error",
                    "03_noisy.ipynb": "stderr"}, rows
    # A long error keeps its end, where a wrapped error (StagingError) names its cause.
    assert "RuntimeError: broken" in text and "cause" in text
    assert "UserWarning: deprecated" in text
    versions = re.search(r"## Versions\n\n```\n(.*?)```", text, re.DOTALL).group(1).split()
    assert versions[0].startswith("python==") and any(v.startswith("nbclient==") for v in versions)
    assert "| 01_clean.ipynb | clean  |" in result.stdout  # the same table on the console
    assert "Report: " in result.stdout


def test_report_must_name_a_file(tmp_path):
    nb = _notebook(tmp_path / "01_a.ipynb", "x = 1")
    assert "--report must name a file" in _run(nb, "--report", tmp_path).stderr
    assert "--title must not be empty" in _run(nb, "--title", " ").stderr


def test_deprecations_from_the_helpers_are_shown_only_with_the_option(tmp_path):
    """Python hides a DeprecationWarning raised from the helpers; --deprecations (the canary's)
    shows it, so it counts as stderr. One raised from another package stays hidden."""
    nb = _notebook(
        tmp_path / "01_dep.ipynb",
        "import warnings\n"
        "warnings.warn_explicit('old api', DeprecationWarning, 'data.py', 1,\n"
        "                       module='helpers.data')",
        "warnings.warn_explicit('other', DeprecationWarning, 'x.py', 1, module='somewhere.else')",
    )
    assert _run(nb).returncode == 0
    shown = _run(nb, "--deprecations")
    assert shown.returncode == 1
    assert "cell 2 wrote to stderr: 'data.py:1: DeprecationWarning: old api'" in shown.stdout
    assert "other" not in shown.stdout
