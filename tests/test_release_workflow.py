"""The release: .github/workflows/release.yml, its build and check steps run here, the wheel
they build installed into a fresh virtual environment, and scripts/release.py in a clone.

The workflow itself runs only on GitHub (on a tag v<version>). Here its file is checked (trigger,
jobs, trusted publishing), its build and check steps are run as written on a clone of the
repository (committed state), and the wheel they build is installed `--no-deps` into a new
virtual environment, where the stored tables of notebooks 06 and 10 must load from the wheel.
That environment sees this one's packages (TensorFlow, pandas...) through a `.pth` line to
its site-packages, whose own `.pth` files (this checkout's editable helpers) are then not run:
`helpers` there can only be the wheel's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml
from nbchecks import REPO, distribution

sys.path.insert(0, str(REPO / "scripts"))
import release  # noqa: E402

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def _run_lines(job: str) -> str:
    return "\n".join(step.get("run", "") for step in _steps(job))


def _step(job: str, name_part: str) -> dict:
    found = [s for s in _steps(job) if name_part in s.get("name", "")]
    assert len(found) == 1, f"job {job} needs one step named ...{name_part}..."
    return found[0]


def test_workflow_runs_on_version_tags_only():
    wf = _workflow()
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on == {"push": {"tags": ["v*"]}}, on
    assert wf["permissions"] == {"contents": "read"}


def test_workflow_tests_before_it_builds_and_publishes_what_it_checked():
    jobs = _workflow()["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["publish"]["needs"] == "build"
    checkout = [s for s in _steps("test") if s.get("uses", "").startswith("actions/checkout")]
    assert checkout and checkout[0]["with"]["fetch-depth"] == 0, "the tests need every tag"
    tests = _run_lines("test")
    assert 'scripts/release.py --check-tag "$GITHUB_REF_NAME"' in tests
    for command in ("make site", "make test", "make compat"):  # as .ci/run
        assert re.search(rf"^\s*{command}\b", tests, re.MULTILINE), command
        assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    build = _run_lines("build")
    assert "python -m build --outdir dist ." in build
    assert "twine check --strict dist/*" in build
    assert "scripts/release.py --check-dist dist" in build
    for tool in ("build", "twine"):  # the versions pinned for the tests run them here
        pin = re.search(rf"^{tool}==(\S+)", (REPO / "requirements-dev.txt").read_text(), re.M)
        assert pin and f"{tool}=={pin.group(1)}" in build, f"{tool} pinned as requirements-dev"


def test_workflow_publishes_by_trusted_publishing():
    job = _workflow()["jobs"]["publish"]
    assert job["permissions"] == {"id-token": "write"}
    assert job["environment"]["name"] == "pypi"
    assert distribution()[0] in job["environment"]["url"]
    action = "pypa/gh-action-pypi-publish"
    publish = [s for s in job["steps"] if s.get("uses", "").startswith(action)]
    assert len(publish) == 1
    assert not {"password", "user"} & set(publish[0].get("with", {})), "trusted: no token"
    assert not re.search(r"secrets\.", WORKFLOW.read_text(encoding="utf-8"))


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_RESULTS_DIR")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _bash(script: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{script}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A clone of the repository with dist/ built and checked by the workflow's own steps."""
    clone = tmp_path_factory.mktemp("release") / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", head], check=True)
    for name in ("Build the sdist and the wheel", "Check them"):
        _bash(_step("build", name)["run"], cwd=clone)
    return clone


def test_build_steps_make_a_checked_sdist_and_wheel_with_the_tables(built):
    dist = built / "dist"
    name, version = distribution()
    stem = f"{name.replace('-', '_')}-{version}"
    assert sorted(p.name for p in dist.iterdir()) == [f"{stem}-py3-none-any.whl",
                                                       f"{stem}.tar.gz"]
    tables = sorted(p.name for p in (REPO / "helpers" / "results").glob("*.*")
                    if p.suffix in (".csv", ".json"))
    assert {"06_five_extensions.csv", "10_recurrent.csv", "10_recurrent.json"} <= set(tables)
    with zipfile.ZipFile(dist / f"{stem}-py3-none-any.whl") as whl:
        names = set(whl.namelist())
        meta = whl.read(f"{stem}.dist-info/METADATA").decode()
    assert {f"helpers/results/{t}" for t in tables} <= names
    assert f"Version: {version}" in meta and "Requires-Dist: tensorflow" in meta  # the extra
    assert not re.search(r"^Requires-Dist: (tensorflow|keras)[^;]*$", meta, re.M), "TF is extra"
    with tarfile.open(dist / f"{stem}.tar.gz") as sdist:
        assert {f"{stem}/helpers/results/{t}" for t in tables} <= set(sdist.getnames())


def test_check_dist_refuses_a_wheel_without_a_table(built, tmp_path):
    dist = built / "dist"
    wheel = next(dist.glob("*.whl"))
    bad = tmp_path / "dist"
    bad.mkdir()
    (bad / next(dist.glob("*.tar.gz")).name).write_bytes(next(dist.glob("*.tar.gz")).read_bytes())
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(bad / wheel.name, "w") as dst:
        for item in src.infolist():
            if item.filename != "helpers/results/10_recurrent.csv":
                dst.writestr(item, src.read(item))
    with pytest.raises(release.ReleaseError, match="wheel lacks helpers/results/10_recurrent.csv"):
        release.check_dist(bad)
    assert release.check_dist(dist) == [wheel.name, next(dist.glob("*.tar.gz")).name]


def test_check_tag_wants_the_version():
    release.check_tag(f"v{distribution()[1]}")
    with pytest.raises(release.ReleaseError, match="not v<version>"):
        release.check_tag("v9.9.9")


# The script run inside the fresh environment: notebooks 06 and 10 ask load_or_train for their
# runs (the configurations and seeds of their stored tables); a trainer that refuses proves that
# every run is read from the installed wheel, none trained.
_READ_TABLES = textwrap.dedent("""
    import sys
    from pathlib import Path

    import helpers
    from helpers.store import RESULTS_DIR, Table, load_or_train

    def refuse(config, seeds):
        raise AssertionError(f"would train {config} {seeds}: the table is not in the wheel")

    assert Path(helpers.__file__).is_relative_to(sys.prefix), helpers.__file__
    assert RESULTS_DIR.is_relative_to(sys.prefix), RESULTS_DIR
    print("helpers", helpers.__version__, "from the wheel")
    for name in ("06_five_extensions", "10_recurrent"):
        tab = Table(name)
        rows, keys = tab.rows(), tab.meta()["columns"]
        keys = keys[: keys.index("seed")]
        configs = list({tuple((k, r[k]) for k in keys): None for r in rows})
        seeds = sorted({int(r["seed"]) for r in rows})
        configs = [{k: v for k, v in c} for c in configs]
        runs = load_or_train(name, configs, seeds, refuse, progress=False)
        assert len(runs) == len(rows) == tab.meta()["rows"], (len(runs), len(rows))
""")


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_serves_the_tables(built, tmp_path):
    """The built wheel, installed alone into a new venv: notebooks 06 and 10's stored runs load
    from it (importing helpers imports TensorFlow: about 20 s)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    wheel = next((built / "dist").glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, env=_clean_env(),
                   timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    assert (site / "helpers" / "results" / "10_recurrent.csv").is_file()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "course_dependencies.pth").write_text("\n".join(sorted(outer)) + "\n")
    done = subprocess.run([str(python), "-c", _READ_TABLES], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600,
                          env=_clean_env(TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0"))
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert f"helpers {distribution()[1]} from the wheel" in out
    for name in ("06_five_extensions", "10_recurrent"):
        assert re.search(rf"^\d+ runs read from results/{name}\.csv", out, re.M), out


def _git(clone: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()


def test_release_script_bumps_pins_tags_and_returns_to_main(tmp_path):
    """scripts/release.py in a clone (notebooks not re-executed): the tag holds the version in
    its four places and notebooks pinned to it on PyPI; main installs @main again after it."""
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    _git(clone, "checkout", "-q", "-B", "main", _git(REPO, "rev-parse", "HEAD"))
    _git(clone, "config", "user.email", "test@example.invalid")
    _git(clone, "config", "user.name", "release test")
    changelog = clone / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    top = re.search(r"^## \[(\d+\.\d+\.\d+)\] - (.*)$", text, re.M)
    version = top.group(1)  # the unreleased top entry is what gets released
    if top.group(2).strip() != "unreleased":  # the current version is out: open the next one
        major, minor, _ = map(int, version.split("."))
        version = f"{major}.{minor + 1}.0"
        text = text.replace(top.group(0), f"## [{version}] - unreleased\n\n{top.group(0)}", 1)
        changelog.write_text(text, encoding="utf-8")
        _git(clone, "commit", "-qam", "an unreleased entry")
    with pytest.raises(release.ReleaseError, match="lower than the current"):
        release.release("0.0.1", execute=False, date="2030-01-02", root=clone)
    assert not _git(clone, "status", "--porcelain")

    release.release(version, execute=False, date="2030-01-02", root=clone)

    assert _git(clone, "tag", "-l").splitlines().count(f"v{version}") == 1
    assert _git(clone, "rev-parse", f"v{version}^{{commit}}") == _git(clone, "rev-parse", "HEAD~1")
    show = lambda path: _git(clone, "show", f"v{version}:{path}")  # noqa: E731
    assert f'version = "{version}"' in show("pyproject.toml")
    assert f'__version__ = "{version}"' in show("helpers/__init__.py")
    assert f"version: {version}" in show("CITATION.cff")
    assert f"## [{version}] - 2030-01-02" in show("CHANGELOG.md")
    name = distribution()[0]
    for path in sorted((clone / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        at_tag = show(f"notebooks/{path.name}")
        assert f'\\"{name}=={version}\\"' in at_tag, path.name
        now = path.read_text(encoding="utf-8")
        assert f'\\"{release.main_spec(clone)}\\"' in now, path.name
        # only the install line differs from the tag's notebook
        assert [a for a, b in zip(at_tag.splitlines(), now.splitlines()) if a != b] == [
            ln for ln in at_tag.splitlines() if f"{name}=={version}" in ln]
    assert not _git(clone, "status", "--porcelain")
    with pytest.raises(release.ReleaseError, match="exists already"):
        release.release(version, execute=False, root=clone)
