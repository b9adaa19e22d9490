"""The README's learner paths without make, run for real in a throwaway copy of the repository.

- pip: `python -m venv .venv`, `pip install -r requirements.txt`, `pip install -e .`,
  `jupyter lab` (started, asked for the notebooks folder, stopped);
- conda: `conda env create -f environment.yml`, `pip install --no-deps -e .` (where conda exists).

Slow (a few minutes: a full TensorFlow install, from pip's cache when it has one). Skipped, with
the reason, only when no package index can be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from nbchecks import REPO

pytestmark = pytest.mark.slow

# What a fresh clone has, without this checkout's environments and build leftovers.
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".venv-*", "build", "dist", "logs", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".cache", "cache",
)
OFFLINE = ("Failed to establish a new connection", "Temporary failure in name resolution",
           "Network is unreachable", "NewConnectionError", "ConnectTimeoutError")
INSTALL_TIMEOUT_S = 1800


def _project() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _env() -> dict[str, str]:
    """This process's environment without what would leak the test's own Python into the venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CONDA_PREFIX")}
    env.update(PIP_NO_INPUT="1", PIP_PROGRESS_BAR="off", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(args: list[str], cwd: Path, timeout: float = INSTALL_TIMEOUT_S) -> str:
    """Run one of the README's commands; skip if the index is unreachable, fail on any error."""
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        if any(s in out for s in OFFLINE):
            pytest.skip(f"no package index reachable (offline?): `{' '.join(args)}` failed")
        tail = "\n".join(out.strip().splitlines()[-25:])
        pytest.fail(f"`{' '.join(map(str, args))}` exited {proc.returncode}:\n{tail}")
    return out


@pytest.fixture
def clone():
    """A copy of the checkout as a learner's clone has it, removed afterwards (GBs of venv)."""
    with tempfile.TemporaryDirectory(prefix="vg-install-") as tmp:
        repo = Path(tmp) / "vanishing-gradients"
        shutil.copytree(REPO, repo, ignore=IGNORE, symlinks=True)
        yield repo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_installed(python: Path, repo: Path) -> None:
    """`import helpers` works from elsewhere, with pyproject's version; pip knows the name."""
    project = _project()
    out = _run([str(python), "-c", "import helpers; print(helpers.__version__, helpers.__file__)"],
               cwd=repo.parent, timeout=120)
    version, location = out.split()[:2]
    assert version == project["version"]
    assert Path(location).resolve().is_relative_to(repo.resolve()), location
    show = _run([str(python), "-m", "pip", "show", project["name"]], cwd=repo, timeout=120)
    assert f"Name: {project['name']}" in show
    assert f"Version: {project['version']}" in show
    assert str(repo) in show  # "Editable project location: <the clone>"


def _check_jupyter_lab(jupyter: Path, repo: Path) -> None:
    """`jupyter lab` starts on the clone and serves the notebooks folder."""
    port, token = _free_port(), "install-test"
    args = [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={repo}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    server = subprocess.Popen(args, cwd=repo, env=_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"jupyter lab did not serve {url}:\n{server.communicate()[1]}")
                time.sleep(1)
        assert listing["type"] == "directory"
        names = {item["name"] for item in listing["content"]}
        assert {p.name for p in (repo / "notebooks").glob("*.ipynb")} <= names
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_pip_path_without_make(clone):
    """README "Without make": venv, pip install -r requirements.txt and -e ., jupyter lab."""
    _run([sys.executable, "-m", "venv", ".venv"], cwd=clone, timeout=300)
    bin_dir = clone / ".venv" / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bin_dir / "python"), "-m", "pip"]
    _run([*pip, "install", "-r", "requirements.txt"], cwd=clone)
    _run([*pip, "install", "-e", "."], cwd=clone)
    _check_installed(bin_dir / "python", clone)
    _check_jupyter_lab(bin_dir / "jupyter", clone)


@pytest.mark.skipif(shutil.which("conda") is None,
                    reason="conda is not installed on this machine: the conda path "
                           "(conda env create -f environment.yml) is tested only where conda is")
def test_conda_path(clone):
    """README "With conda": conda env create -f environment.yml, then pip install --no-deps -e ."""
    prefix = clone.parent / "conda-env"
    _run(["conda", "env", "create", "--yes", "-p", str(prefix), "-f", "environment.yml"],
         cwd=clone)
    python = prefix / ("python.exe" if os.name == "nt" else "bin/python")
    _run([str(python), "-m", "pip", "install", "--no-deps", "-e", "."], cwd=clone)
    _check_installed(python, clone)
    _run([str(python), "-m", "pytest", "--version"], cwd=clone, timeout=120)
    _run([str(python), "-c", "import nbval"], cwd=clone, timeout=120)
