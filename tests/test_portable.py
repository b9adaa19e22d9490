"""The course on every learner's machine: the helpers need nothing POSIX-only (Windows has no
fcntl, pwd, resource, ... and no /proc), two processes can fill one stored table, and the
Windows/macOS workflow runs the README's own install commands."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from nbchecks import NOTEBOOKS, REPO

# Standard-library modules that exist only on POSIX systems (and msvcrt only on Windows).
POSIX_ONLY = ("fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "syslog")
PLATFORM_ONLY = (*POSIX_ONLY, "msvcrt", "winreg", "_winapi")
WORKFLOW = REPO / ".github" / "workflows" / "portable.yml"

# Runs in a fresh interpreter (so the hiding cannot leak into this test session). argv[1]: the
# modules to hide. Then /proc is made to look absent to Python code, open() without an encoding
# inside helpers is an error (Windows' default encoding is not UTF-8), every helpers module is
# imported, rows are stored and read back, and a short sweep is trained, stored and read again.
WITHOUT_POSIX = textwrap.dedent(r'''
    import builtins, importlib, io, json, os, pkgutil, sys, warnings

    hidden = sys.argv[1].split(",")
    for name in hidden:
        sys.modules[name] = None  # `import name` now fails as on Windows (ModuleNotFoundError)

    def _no_proc(function):
        def refuse(path, *args, **kwargs):
            if isinstance(path, (str, bytes, os.PathLike)) and \
                    os.fsdecode(path).replace("\\", "/").startswith("/proc"):
                raise FileNotFoundError(2, "No such file or directory", os.fsdecode(path))
            return function(path, *args, **kwargs)
        return refuse

    for module, name in [(builtins, "open"), (io, "open"), (os, "open"), (os, "stat"),
                         (os, "lstat"), (os, "listdir"), (os, "scandir"), (os, "access")]:
        setattr(module, name, _no_proc(getattr(module, name)))
    assert not os.path.exists("/proc/self") and not os.path.exists("/proc/cpuinfo")
    warnings.filterwarnings("error", category=EncodingWarning, module=r"helpers(\..*)?$")

    import keras

    keras.config.set_floatx("float64")
    import helpers

    modules = sorted(m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers."))
    for name in modules:
        importlib.import_module(name)
    from helpers.experiments import sweep
    from helpers.store import Table

    table = Table("portable")
    columns = ["depth", "rate", "seed", "score", "ok", "run"]
    rows = [{"depth": 3, "rate": 0.1, "seed": s, "score": s / 3, "ok": s == 0} for s in range(4)]
    table.append(rows, columns, "tests:portable")
    back = table.records()
    assert [r["score"] for r in back] == [s / 3 for s in range(4)], back
    assert [r["ok"] for r in back] == [True, False, False, False], back
    cpu = table.meta()["runs"][0]["cpu"]

    grid = {"depth": [2], "activation": ["tanh", "relu"], "width": [3]}
    first = sweep(grid, seeds=[0, 1], epochs=3, table="portable_sweep", progress=False)
    again = sweep(grid, seeds=[0, 1], epochs=3, table="portable_sweep", progress=False)
    assert first.equals(again) and len(first) == 4, (first, again)
    assert [sys.modules[name] for name in hidden] == [None] * len(hidden)  # still hidden
    runs = len(Table("portable_sweep").records())
    print(json.dumps({"modules": modules, "cpu": cpu, "helpers": helpers.__file__, "runs": runs}))
''')


def _env(tmp_path: Path) -> dict[str, str]:
    """This checkout's helpers first, results into tmp_path, TensorFlow quiet."""
    env = {**os.environ, "COURSE_RESULTS_DIR": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3",
           "TF_ENABLE_ONEDNN_OPTS": "0"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("MPLBACKEND", None)
    return env


@pytest.mark.slow  # a fresh TensorFlow and a short sweep: half a minute on a busy machine
def test_helpers_work_without_posix_only_modules_or_proc(tmp_path):
    """Every helpers module imports, the store keeps rows and a sweep trains, stores and reads
    back, with fcntl, pwd, resource, ... hidden and /proc absent (as on Windows)."""
    proc = subprocess.run([sys.executable, "-X", "warn_default_encoding", "-c", WITHOUT_POSIX,
                           ",".join(POSIX_ONLY)], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    on_disk = sorted(".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
                     for p in (REPO / "helpers").rglob("*.py") if p.parent != REPO / "helpers"
                     or p.stem != "__init__")
    assert report["modules"] == on_disk
    assert report["cpu"]  # found without /proc/cpuinfo
    assert report["runs"] == 4
    assert any("4 trained now" in line for line in lines)
    assert any(line.startswith(f"4 runs read from {tmp_path.name}/portable_sweep.csv")
               for line in lines), lines
    assert Path(report["helpers"]).is_relative_to(REPO / "helpers")  # this checkout's


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside `try: ... except ImportError` or under an `if` on sys.platform / os.name."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try) and any(
                h.type is not None and re.search(r"\b(ModuleNotFound|Import)Error\b",
                                                 ast.unparse(h.type)) for h in node.handlers):
            return True
        if isinstance(node, ast.If) and re.search(r"sys\.platform|os\.name",
                                                  ast.unparse(node.test)):
            return True
    return False


def test_platform_only_modules_are_imported_only_where_guarded():
    """No helpers module imports fcntl, msvcrt, ... unconditionally, even inside a function
    the sweep above does not reach: each such import sits in a try/except ImportError or under
    a test of the platform."""
    bare = []
    for path in sorted((REPO / "helpers").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in PLATFORM_ONLY for n in names) and not _guarded(node,
                                                                                      parents):
                bare.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert not bare, f"platform-only imports without a guard: {bare}"


WRITER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from helpers.store import Table

    table, start = Table("shared"), int(sys.argv[1])
    Path(f"ready-{start}").touch()
    while len(list(Path().glob("ready-*"))) < 2:  # both imported: start appending together
        time.sleep(0.01)
    columns = ["worker", "seed", "score", "run"]
    for seed in range(start, start + 30):
        table.append([{"worker": 0, "seed": seed, "score": seed / 7}], columns, "tests:writer")
''')


@pytest.mark.slow  # two fresh TensorFlows
def test_two_processes_filling_one_table_keep_it_intact(tmp_path):
    """Two processes appending to one table at once (two notebooks sharing a table): the lock
    (filelock's, on any OS) keeps every row and the chain of checks intact."""
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(start)], cwd=tmp_path,
                                env=_env(tmp_path), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for start in (0, 1000)]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, out + err
    from helpers.store import Table

    records = Table("shared", tmp_path).records()  # checked: a broken chain raises TableError
    assert sorted(r["seed"] for r in records) == [*range(30), *range(1000, 1030)]
    assert json.loads((tmp_path / "shared.json").read_text(encoding="utf-8"))["rows"] == 60


# ----------------------------------------------------------------- the Windows/macOS workflow


def _readme_without_make() -> list[str]:
    """The commands of README's "Without make (Windows too)" block, comments removed."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^### Without make \(Windows too\)\s*$(.*?)(?=^##)", readme,
                  re.MULTILINE | re.DOTALL)
    assert m, 'README.md needs a "### Without make (Windows too)" section'
    block = re.search(r"^```bash\n(.*?)^```", m.group(1), re.MULTILINE | re.DOTALL)
    assert block, 'README\'s "Without make" section needs a ```bash block'
    return [ln.rstrip() for ln in block.group(1).splitlines() if ln.strip()]


def _readme_commands(windows: bool) -> list[str]:
    """The README's commands as a learner on Windows (PowerShell/cmd) or macOS types them; the
    clone is the workflow's checkout, and `jupyter lab` (a server) is tests/test_install.py's."""
    commands = []
    for line in _readme_without_make():
        command, _, comment = (part.strip() for part in line.partition("#"))
        if command.startswith(("git clone", "cd ")) or command == "jupyter lab":
            continue
        if windows and comment.startswith("Windows:"):
            command = comment.removeprefix("Windows:").strip()
        commands.append(command)
    return commands


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_readme_without_make_block_is_what_the_workflow_expects():
    assert _readme_commands(windows=False) == [
        "python -m venv .venv", "source .venv/bin/activate", "pip install -r requirements.txt",
        "pip install -e ."]
    assert _readme_commands(windows=True)[1] == r".venv\Scripts\activate"


def test_workflow_runs_the_readmes_commands_on_windows_and_macos():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    entries = job["strategy"]["matrix"]["include"]
    assert {e["os"] for e in entries} == {"windows-latest", "macos-latest"}
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["defaults"]["run"]["shell"] == "${{ matrix.shell }}"
    assert job["env"]["TF_CPP_MIN_LOG_LEVEL"] == "3" and job["env"]["TF_ENABLE_ONEDNN_OPTS"] == "0"
    setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
    assert setup and str(setup[0]["with"]["python-version"]) == "3.11"  # the README's default
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert len(runs) == 3, "install, fast tests, notebooks 01-04"
    for entry in entries:
        windows = entry["os"].startswith("windows")
        shell = entry["shell"]
        assert shell.split()[0] == ("pwsh" if windows else "bash") and "{0}" in shell
        if windows:  # a failing native command must fail the step, as `bash -e` does
            assert "$PSNativeCommandUseErrorActionPreference = $true" in shell
        else:
            assert re.search(r"\s-\w*e", shell), shell  # bash -e
        readme = _readme_commands(windows)
        activate = readme[1]
        assert entry["activate"] == activate
        steps = [[ln.strip().replace("${{ matrix.activate }}", entry["activate"])
                  for ln in run.splitlines() if ln.strip()] for run in runs]
        assert steps[0] == [*readme, "pip install -r requirements-dev.txt"], (entry["os"], steps)
        assert all(step[0] == activate for step in steps[1:]), steps
    tests, notebooks = ([ln.strip() for ln in run.splitlines()[1:]] for run in runs[1:])
    assert tests == ['python -m pytest -m "not slow" tests/ --ignore=tests/e2e',
                     "python -m pytest tests/test_portable.py"]  # its slow tests too
    notebooks = " ".join(notebooks)
    expected = sorted(f"notebooks/{p.name}" for p in NOTEBOOKS.glob("0[1-4]_*.ipynb"))
    assert len(expected) == 4
    assert notebooks.split() == ["python", "-m", "pytest", "--nbval", "--nbval-current-env",
                                 "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", *expected]


def test_readme_says_what_is_tested_where():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^### What is tested where\s*$(.*?)(?=^##)", readme, re.MULTILINE | re.DOTALL)
    assert m, 'README.md needs a "### What is tested where" section'
    section = m.group(1)
    assert ".github/workflows/portable.yml" in section and ".ci/run" in section
    for system in ("Linux", "Windows", "macOS"):
        assert system in section


@pytest.mark.skipif(sys.platform != "linux", reason=".ci/run is the Linux CI entry point")
def test_ci_run_is_valid_bash():
    proc = subprocess.run(["bash", "-n", str(REPO / ".ci" / "run")], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- .ci/run


def _fake_machine(tmp_path: Path, uid: int, python313: bool) -> tuple[Path, dict[str, str]]:
    """A copy of .ci/run on a fake fresh machine: make, apt-get, apt-cache, sudo and id record
    their calls; python3 lacks ensurepip (Debian without python3-venv); python3.13 exists or not.
    """
    repo, bin_dir, log = tmp_path / "repo", tmp_path / "bin", tmp_path / "calls.log"
    (repo / ".ci").mkdir(parents=True)
    bin_dir.mkdir()
    (repo / ".ci" / "run").write_text((REPO / ".ci" / "run").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    fakes = {
        # a make that fails for the target named in $FAIL_MAKE (after saying so)
        "make": f'echo "make $* PYTHON313=$PYTHON313" >> {log}; echo "making $1"; '
                '[ "$1" != "$FAIL_MAKE" ] || { echo "pip: no matching distribution"; exit 2; }',
        "apt-get": f'echo "apt-get $*" >> {log}',
        "apt-cache": "exit 1",  # this release packages no python3.13
        "sudo": f'echo "sudo $*" >> {log}; exec "$@"',
        "id": f'echo {uid}',
        "python3": 'case "$*" in *ensurepip*) exit 1;; *) echo "Python 3.11.9";; esac',
    }
    if python313:
        fakes["python3.13"] = "exit 0"
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "CI": "",
           "LOG": str(log)}
    return repo / ".ci" / "run", env


def _calls(env: dict[str, str]) -> list[str]:
    path = Path(env["LOG"])
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _run_ci(tmp_path: Path, uid: int = 0, python313: bool = True,
            **extra_env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """.ci/run on :func:`_fake_machine` (with ``extra_env``): the finished process and the
    calls the fake commands recorded."""
    script, env = _fake_machine(tmp_path, uid, python313)
    proc = subprocess.run(["bash", str(script)], env={**env, **extra_env}, capture_output=True,
                          text=True, timeout=60)
    return proc, _calls(env)


@pytest.mark.skipif(sys.platform != "linux", reason=".ci/run is the Linux CI entry point")
@pytest.mark.parametrize("uid", [0, 1000])
def test_ci_run_on_a_fresh_machine(tmp_path, uid):
    """sudo only when not root; the venv module installed when missing; Python 3.13 found on
    PATH and passed to make; the three stages in order, each timed, and the total."""
    proc, calls = _run_ci(tmp_path, uid)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    install = "env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends"
    assert any(c.startswith("apt-get install") and c.endswith("python3-venv") for c in calls)
    sudo = [c for c in calls if c.startswith("sudo ")]
    if uid == 0:
        assert not sudo, calls
    else:
        assert f"sudo {install} python3-venv" in sudo, calls
    makes = [c for c in calls if c.startswith("make ")]
    python313 = str(tmp_path / "bin" / "python3.13")
    # compat's venv installs in the background while the site builds, so those two in any order
    want = [f"make {t} PYTHON313={python313}" for t in ("site", "compat-install", "test", "compat")]
    assert sorted(makes[:2]) == sorted(want[:2]) and makes[2:] == want[2:], makes
    out = proc.stdout
    for stage in ("machine setup", "make site", "make test", "make compat"):
        assert re.search(rf"^== {stage}: \d+ s$", out, re.MULTILINE), out
    assert re.search(r"^== total: \d+ s$", out, re.MULTILINE), out
    assert "over its budget" not in out


@pytest.mark.skipif(sys.platform != "linux", reason=".ci/run is the Linux CI entry point")
def test_ci_run_fails_with_the_log_when_compat_venv_install_fails(tmp_path):
    proc, calls = _run_ci(tmp_path, FAIL_MAKE="compat-install")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pip: no matching distribution" in proc.stdout  # the background install's log
    assert "installing make compat's venv failed" in proc.stdout
    makes = [c.split()[1] for c in calls if c.startswith("make ")]
    assert "test" not in makes and "compat" not in makes  # stopped before the long stages
    assert "== total:" in proc.stdout


@pytest.mark.skipif(sys.platform != "linux", reason=".ci/run is the Linux CI entry point")
def test_ci_run_says_when_it_is_over_its_time_budget(tmp_path):
    proc, _ = _run_ci(tmp_path, CI_BUDGET_S="-1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^warning: the run took \d+ s, over its budget of -1 s$", proc.stdout,
                     re.MULTILINE), proc.stdout


@pytest.mark.skipif(sys.platform != "linux", reason=".ci/run is the Linux CI entry point")
def test_ci_run_without_python_313_stops_before_the_long_stages(tmp_path):
    proc, calls = _run_ci(tmp_path, python313=False)
    assert proc.returncode == 1
    assert "needs Python 3.13" in proc.stdout and "PYTHON313=" in proc.stdout
    assert not [c for c in calls if c.startswith("make ")]
    assert "== total:" in proc.stdout  # the time is printed on failure too


def test_no_machine_specific_paths_in_ci_or_makefile():
    for name in (".ci/run", "Makefile"):
        text = (REPO / name).read_text(encoding="utf-8")
        assert not re.search(r"/root/|/home/\w", text), f"{name} names a path of one machine"
