"""The notebook checks of tests/nbchecks.py catch what they claim to, on synthetic notebooks."""

from __future__ import annotations

import copy
import subprocess
import sys

import nbchecks
import nbformat
import pytest
from nbchecks import CHECKS, REPO, binder_url, colab_url, pip_spec, release_spec
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

URL = "https://github.com/owner/repo"
NAME = "01_demo.ipynb"

_COMMENT = "Colab, Kaggle, a JupyterHub...: install it, keep the installed TensorFlow"
SETUP = f"""\
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
try:
    import helpers  # the course's helper package (installed by `make lab`, Binder or pip)
except ModuleNotFoundError:  # {_COMMENT}
    %pip install -q "{pip_spec(URL)}"

import keras
import tensorflow as tf

keras.config.set_floatx("float64")
print(f"TensorFlow {{tf.__version__}}, Keras {{keras.__version__}}")"""


# The setup cell of version 0.1.0: installs only on Colab, from `main`, under PyPI's taken name.
_OLD_SETUP = f"""\
import os
import sys

if "google.colab" in sys.modules:  # on Colab only
    %pip install -q "helpers @ git+{URL}@main"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import keras"""


def good_notebook():
    title = (
        "# 01 · A demo\n\n"
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(URL, NAME)})\n"
        f"[![Binder](https://mybinder.org/badge_logo.svg)]"
        f"({binder_url(URL, 'lab/tree/notebooks/' + NAME)})"
    )
    cells = [
        new_markdown_cell(title),
        new_markdown_cell("## Overview\n\n- one\n- two\n- three"),
        new_markdown_cell("## Setup"),
        new_code_cell(SETUP, execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="TensorFlow 2.21.0\n")]),
        new_markdown_cell("## Train it\n\nSome text."),
        new_code_cell("# NBVAL_IGNORE_OUTPUT\nx = 1\nx", execution_count=2,
                      outputs=[new_output("execute_result", data={"text/plain": "1"},
                                          execution_count=2)]),
        new_markdown_cell("## Summary\n\n- we saw"),
        new_markdown_cell(
            "## Exercises\n\n1. Do it.\n\n<details><summary>Solution</summary>\n\n"
            "```python\n# a comment, not a heading\nx = 2\n```\n</details>"
        ),
        new_markdown_cell("## Further reading\n\n- Glorot & Bengio (2010)."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def problems(nb, name=NAME):
    return {c.__name__: c(nb, name, URL) for c in CHECKS if c(nb, name, URL)}


def test_good_notebook_passes_every_check():
    assert problems(good_notebook()) == {}


def test_a_release_commit_may_install_its_own_release():
    """scripts/release.py pins the notebooks of the release commit to `<name>==<version>`."""
    nb = good_notebook()
    nb.cells[3].source = SETUP.replace(pip_spec(URL), release_spec())
    assert problems(nb) == {}
    assert nbchecks.install_spec(nb) == release_spec()


@pytest.mark.parametrize("spec, ref", [
    (pip_spec(URL), "main"),
    (pip_spec(URL, ref="v1.2.3"), "v1.2.3"),
    (release_spec(version="1.2.3"), "v1.2.3"),
])
def test_spec_ref_names_the_git_reference_installed(spec, ref):
    assert nbchecks.spec_ref(spec, URL) == ref


@pytest.mark.parametrize("spec", [
    pip_spec("https://github.com/x/y"),
    pip_spec(URL).replace("@main", ""),
    release_spec().split("==")[0],
    release_spec(version="1.2"),
    "helpers==1.2.3",
])
def test_spec_ref_refuses_other_requirements(spec):
    with pytest.raises(ValueError, match="neither"):
        nbchecks.spec_ref(spec, URL)


def _set(index, source):
    def mutate(nb):
        nb.cells[index].source = source
    return mutate


def _add_output(index, output):
    def mutate(nb):
        nb.cells[index].outputs.append(output)
    return mutate


def _stderr(text):
    return new_output("stream", name="stderr", text=text)


def _stdout(text):
    return new_output("stream", name="stdout", text=text)


def _count(index, value):
    def mutate(nb):
        nb.cells[index].execution_count = value
    return mutate


def _delete(index):
    def mutate(nb):
        del nb.cells[index]
    return mutate


def _insert(index, cell):
    def mutate(nb):
        nb.cells.insert(index, cell)
    return mutate


def _kernel(nb):
    nb.metadata["kernelspec"]["name"] = "tf-venv"


def _third_ignore(nb):
    for _ in range(2):
        nb.cells.insert(5, new_code_cell("# NBVAL_IGNORE_OUTPUT\n1", execution_count=2))
    for n, (_, cell) in enumerate(nbchecks._code_cells(nb), start=1):
        cell.execution_count = n


BAD = {
    "unexecuted cell": (_count(5, None), "check_executed_in_order"),
    "out of order": (_count(5, 7), "check_executed_in_order"),
    "empty code cell": (_insert(4, new_code_cell("", execution_count=None)),
                        "check_executed_in_order"),
    "error output": (_add_output(5, new_output("error", ename="ValueError", evalue="x",
                                               traceback=[])), "check_no_errors"),
    "oneDNN banner": (_add_output(3, _stderr("I0000 00:00 oneDNN custom operations are on")),
                      "check_no_tf_noise"),
    "absl warning": (_add_output(3, _stderr("WARNING: All log messages before absl::...")),
                     "check_no_tf_noise"),
    "python warning": (_add_output(5, _stderr("<ipython-input>:1: UserWarning: careful\n")),
                       "check_no_warnings"),
    "tmp path": (_add_output(5, _stdout("saved to /tmp/run1/log\n")), "check_no_machine_details"),
    "home path": (_add_output(5, _stdout("/home/ann/x.csv\n")), "check_no_machine_details"),
    "root path": (_add_output(5, _stdout("at /root\n")), "check_no_machine_details"),
    "work path": (_add_output(5, _stdout('"/work/main/notebooks"\n')),
                  "check_no_machine_details"),
    "memory address": (_add_output(5, _stdout("<object at 0x7f3a2b1c9d40>\n")),
                       "check_no_machine_details"),
    "two H1": (_set(0, "# 01 · A\n# Another\n"), "check_title_and_badges"),
    "H1 later": (_set(4, "# Train it"), "check_title_and_badges"),
    "wrong number in H1": (_set(0, "# 02 · A demo"), "check_title_and_badges"),
    "no badges": (_set(0, "# 01 · A demo"), "check_title_and_badges"),
    "Colab badge of another notebook": (
        lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace(NAME, "02_x.ipynb")),
        "check_title_and_badges"),
    "badge on another branch": (
        lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace("/main", "/dev")),
        "check_title_and_badges"),
    "no Overview": (_set(1, "## Goals"), "check_sections"),
    "no Summary": (_set(6, "## Recap"), "check_sections"),
    "no Further reading": (_set(8, "## References"), "check_sections"),
    "no install guard": (_set(3, SETUP.replace("try:\n    import helpers", "if True:\n    pass")),
                         "check_setup_cell"),
    "guard imports something else": (_set(3, SETUP.replace("    import helpers", "    import x")),
                                     "check_setup_cell"),
    "guard catches another error": (_set(3, SETUP.replace("except ModuleNotFoundError:",
                                                          "except KeyError:")),
                                    "check_setup_cell"),
    "Colab-only guard (0.1.0 shape)": (_set(3, _OLD_SETUP), "check_setup_cell"),
    "Colab test inside the guard": (
        _set(3, SETUP.replace("    %pip", '    if "google.colab" in sys.modules:\n        %pip')),
        "check_setup_cell"),
    "pip outside guard": (_set(3, SETUP.replace("    %pip", "%pip")), "check_setup_cell"),
    "pip in the try block": (
        _set(3, SETUP.replace("    import helpers  #",
                              "    %pip install -q x\n    import helpers  #")),
        "check_setup_cell"),
    "pip of another repo": (_set(3, SETUP.replace(URL, "https://github.com/x/y")),
                            "check_setup_cell"),
    "pip of a tag on main": (_set(3, SETUP.replace(pip_spec(URL), pip_spec(URL, ref="v0.2.0"))),
                             "check_setup_cell"),
    "pip of another branch": (_set(3, SETUP.replace("@main", "@dev")), "check_setup_cell"),
    "pip of git without a reference": (_set(3, SETUP.replace("@main", "")), "check_setup_cell"),
    "pip of another release": (
        _set(3, SETUP.replace(pip_spec(URL), release_spec(version="0.0.1"))), "check_setup_cell"),
    "pip of the release, unpinned": (
        _set(3, SETUP.replace(pip_spec(URL), release_spec().split("==")[0])), "check_setup_cell"),
    "pip of PyPI's unrelated `helpers`": (
        _set(3, SETUP.replace(pip_spec(URL), pip_spec(URL, name="helpers"))), "check_setup_cell"),
    "!pip": (_set(3, SETUP.replace("%pip", "!pip")), "check_setup_cell"),
    "env after import": (
        _set(3, SETUP.replace("import keras\n", "").replace(
            "import os\n", "import os\nimport keras\n")), "check_setup_cell"),
    "no ONEDNN env": (_set(3, SETUP.replace('os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"', "")),
                      "check_setup_cell"),
    "env after import helpers (it imports TensorFlow)": (
        _set(3, SETUP.replace('os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"\n', "").replace(
            "\nimport keras\n", '\nos.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"\nimport keras\n')),
        "check_setup_cell"),
    "no float64": (_set(3, SETUP.replace('keras.config.set_floatx("float64")\n', "")),
                   "check_setup_cell"),
    "two setup cells": (_insert(4, new_code_cell("x = 0", execution_count=2)),
                        "check_setup_cell"),
    "no solution": (_set(7, "## Exercises\n\n1. Do it."), "check_exercises_have_solutions"),
    "NBVAL_SKIP": (_set(5, "# NBVAL_SKIP\nx = 1"), "check_nbval_markers"),
    "NBVAL_CHECK_OUTPUT": (_set(5, "# NBVAL_CHECK_OUTPUT\nx = 1"), "check_nbval_markers"),
    "raises tag": (lambda nb: nb.cells[5].metadata.update(tags=["raises-exception"]),
                   "check_nbval_markers"),
    "three ignored cells": (_third_ignore, "check_nbval_markers"),
    "kernelspec": (_kernel, "check_kernelspec"),
}


@pytest.mark.parametrize("mutate, check", BAD.values(), ids=BAD.keys())
def test_bad_notebook_is_caught(mutate, check):
    nb = copy.deepcopy(good_notebook())
    mutate(nb)
    found = problems(nb)
    assert check in found, f"{check} missed it; found {found}"


@pytest.mark.parametrize("name", ["1_demo.ipynb", "01-demo.ipynb", "01_Demo.ipynb"])
def test_bad_file_name_is_caught(name):
    assert "check_file_name" in problems(good_notebook(), name)


@pytest.mark.parametrize("text", ["<Figure size 640x480 with 1 Axes>",
                                  "see https://example.org/home/page", "step 0x10"])
def test_harmless_text_is_not_flagged(text):
    nb = good_notebook()
    nb.cells[5].outputs.append(_stdout(text))
    assert problems(nb) == {}


# ---------------------------------------------------------------------------------------------
# scripts/execute_notebooks.py, on tiny notebooks without TensorFlow


def _run_script(*paths):
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "execute_notebooks.py"), *map(str, paths)],
        capture_output=True, text=True, timeout=300,
    )


def test_execute_script_saves_outputs_in_order(tmp_path):
    path = tmp_path / "01_tiny.ipynb"
    nb = new_notebook(cells=[new_markdown_cell("# 01 · Tiny"),
                             new_code_cell("import os\nx = 20"),
                             new_code_cell("print(x + 1, os.getcwd() == %r)" % str(tmp_path))])
    nbformat.write(nb, path)
    result = _run_script(path)
    assert result.returncode == 0, result.stderr
    assert "01_tiny.ipynb" in result.stdout and "Total:" in result.stdout
    saved = nbformat.read(path, as_version=4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[1].outputs[0]["text"] == "21 True\n"
    assert all("execution" not in c.metadata for c in saved.cells)
    assert saved.metadata["kernelspec"]["name"] == "python3"


def test_execute_script_names_failing_cell_and_keeps_file(tmp_path):
    path = tmp_path / "02_fails.ipynb"
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0  # boom")])
    nbformat.write(nb, path)
    before = path.read_bytes()
    result = _run_script(path)
    assert result.returncode == 1
    assert "02_fails.ipynb" in result.stderr and "cell 2" in result.stderr
    assert "ZeroDivisionError" in result.stderr and "not overwritten" in result.stderr
    assert path.read_bytes() == before


def test_execute_script_saves_a_cells_printed_lines_as_one_stream(tmp_path):
    # a flush between prints makes the kernel send two messages; the saved cell has one stream
    # (its stdout text in order) and the stderr stream apart, so a re-run does not re-split it
    path = tmp_path / "03_streams.ipynb"
    code = ("import sys, time\nprint('a', flush=True)\ntime.sleep(0.3)\nprint('b', flush=True)\n"
            "print('c', file=sys.stderr)")
    nbformat.write(new_notebook(cells=[new_code_cell(code)]), path)
    result = _run_script(path)
    assert result.returncode == 0, result.stderr
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [(o["name"], o["text"]) for o in outputs] == [("stdout", "a\nb\n"), ("stderr", "c\n")]
