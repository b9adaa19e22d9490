"""Each notebook's install line resolves, to helpers that have what the notebook uses.

A learner who opens a notebook alone (the Colab badge, Kaggle, VS Code) gets its helpers from the
setup cell's `%pip install` line only. Here the repository is cloned as it stands (committed
state, tags included), the exact line is read from each notebook of the clone, and the helpers
are installed from the clone with the same reference (`git+file://...@<ref>`, `--no-deps`,
into a fresh folder). `<name>==<version>` (a release commit) installs from the tag
`v<version>`, which the release workflow builds and publishes. The installed files must then
define every name the notebook imports from `helpers` and hold every stored result table it
reads. Read with `ast`: nothing is imported, so no TensorFlow is needed.

The commit under test plays the branch `main` in the clone: the notebooks on `main` install
`@main`, the commit the Colab badge opened (on CI, a clone of `main`, it is `main`).

pip builds the package in its usual isolated build environment (setuptools from the package
index or pip's cache), as it does on Colab.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbchecks import REPO, install_spec, pip_spec, repository_url, spec_ref

pytestmark = pytest.mark.skipif(
    not (REPO / ".git").exists(), reason="not a git checkout: nothing to clone"
)
CONSUMERS = ("load_or_train", "Table", "sweep")


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def clone_repository(dest: Path) -> Path:
    """A clone of REPO with all its tags, where `main` is the commit under test."""
    head = _git("rev-parse", "HEAD", cwd=REPO)
    _git("clone", "-q", "--no-checkout", str(REPO), str(dest), cwd=dest.parent)
    _git("fetch", "-q", "--tags", str(REPO), cwd=dest)
    _git("checkout", "-q", "-B", "main", head, cwd=dest)
    _git("config", "user.email", "test@example.invalid", cwd=dest)
    _git("config", "user.name", "install-line test", cwd=dest)
    return dest


def pip_install(clone: Path, ref: str, target: Path) -> subprocess.CompletedProcess:
    """pip install --no-deps the course from `clone` at `ref` into the folder `target`."""
    spec = f"vanishing-gradients-course @ git+file://localhost{clone}@{ref}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), spec],
        cwd=clone.parent, capture_output=True, text=True, timeout=300, env=env,
    )


def _code(nb) -> ast.Module:
    """The notebook's code cells as one module (IPython `%` / `!` lines made `pass`)."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines += [ln[: len(ln) - len(ln.lstrip())] + "pass"
                      if ln.lstrip().startswith(("%", "!")) else ln
                      for ln in cell.source.splitlines()]
            lines.append("")
    return ast.parse("\n".join(lines))


def notebook_needs(nb) -> tuple[set[tuple[str, str]], set[str]]:
    """({(module, name) imported from helpers}, {stored tables read}) of a notebook."""
    names, tables = set(), set()
    for node in ast.walk(_code(nb)):
        if isinstance(node, ast.ImportFrom) and node.module and (
            node.module == "helpers" or node.module.startswith("helpers.")
        ):
            names |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {(a.name, "") for a in node.names if a.name.split(".")[0] == "helpers"}
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            args = [kw.value for kw in node.keywords if kw.arg == "table"]
            if func in CONSUMERS[:2] and node.args:
                args.append(node.args[0])
            tables |= {a.value for a in args
                       if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return names, tables


def _module_file(site: Path, module: str) -> Path | None:
    base = site.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _defined(path: Path) -> set[str]:
    """Top-level names a module defines (functions, classes, assignments, imports)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                found |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return found


def missing_in_install(nb, site: Path) -> list[str]:
    """What the notebook uses that the helpers installed in `site` lack (empty: nothing)."""
    names, tables = notebook_needs(nb)
    problems = []
    for module, name in sorted(names):
        path = _module_file(site, module)
        if path is None:
            problems.append(f"module {module}")
        elif name and name not in _defined(path) and _module_file(site, f"{module}.{name}") is None:
            problems.append(f"{module}.{name}")
    results = site / "helpers" / "results"
    for table in sorted(tables):
        problems += [f"stored table helpers/results/{table}{suffix}"
                     for suffix in (".csv", ".json")
                     if not (results / f"{table}{suffix}").is_file()]
    return problems


def check_notebooks(clone: Path, work: Path, only: str = "[0-9][0-9]_*") -> dict[str, list[str]]:
    """For each notebook of the clone (those matching the glob `only`): the problems of
    installing its own install line. One install per distinct reference."""
    url = repository_url()
    installs: dict[str, tuple[Path | None, str]] = {}
    report = {}
    for path in sorted((clone / "notebooks").glob(f"{only}.ipynb")):
        nb = nbformat.read(path, as_version=4)
        spec = install_spec(nb)
        if spec is None:
            report[path.name] = ["no `%pip install` line"]
            continue
        try:
            ref = spec_ref(spec, url)
        except ValueError as exc:
            report[path.name] = [str(exc)]
            continue
        if ref not in installs:
            target = work / f"site-{len(installs)}"
            done = pip_install(clone, ref, target)
            said = [ln for ln in (done.stderr or done.stdout).splitlines()
                    if ln.strip() and "is ignored" not in ln]  # pip's notes on its index
            installs[ref] = (target if done.returncode == 0 else None, " | ".join(said[-6:]))
        site, error = installs[ref]
        if site is None:
            report[path.name] = [f"`{spec}` does not install (ref {ref!r}): {error}"]
        else:
            report[path.name] = [f"`{spec}` lacks {what}" for what in missing_in_install(nb, site)]
    return report


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    return clone_repository(tmp_path_factory.mktemp("install-line") / "repo")


def test_every_notebook_installs_helpers_that_have_what_it_uses(clone, tmp_path):
    report = check_notebooks(clone, tmp_path)
    assert len(report) >= 10, sorted(report)
    bad = {name: problems for name, problems in report.items() if problems}
    assert not bad, bad


def _set_line(clone: Path, notebook: str, spec: str) -> None:
    path = clone / "notebooks" / notebook
    text = path.read_text(encoding="utf-8")
    old = install_spec(nbformat.reads(text, as_version=4))
    path.write_text(text.replace(f'\\"{old}\\"', f'\\"{spec}\\"'), encoding="utf-8")
    assert install_spec(nbformat.read(path, as_version=4)) == spec
    _git("commit", "-q", "-am", f"{notebook} installs {spec}", cwd=clone)


def test_a_reference_the_repository_lacks_is_caught(clone, tmp_path):
    """A tampered line naming a tag that does not exist: the notebook would stop at its first
    cell on Colab, and the check says so."""
    _set_line(clone, "06_five_extensions.ipynb", pip_spec(repository_url(), ref="v9.9.9"))
    try:
        report = check_notebooks(clone, tmp_path, only="06_*")
    finally:
        _git("reset", "-q", "--hard", "HEAD~1", cwd=clone)
    assert list(report) == ["06_five_extensions.ipynb"], report
    problems = report["06_five_extensions.ipynb"]
    assert len(problems) == 1 and "does not install (ref 'v9.9.9')" in problems[0], problems


def test_older_helpers_than_the_notebook_needs_are_caught(clone, tmp_path):
    """A tag whose helpers lack a function and a stored table notebook 10 uses (as a release
    made before they were added would): the check names both."""
    _git("rm", "-q", "helpers/results/10_recurrent.csv", cwd=clone)
    init = clone / "helpers" / "recurrent.py"
    init.write_text(init.read_text(encoding="utf-8").replace("def make_sequences(", "def _old("),
                    encoding="utf-8")
    _git("commit", "-q", "-am", "an older state of the helpers", cwd=clone)
    _git("tag", "v0.0.1", cwd=clone)
    _git("reset", "-q", "--hard", "HEAD~1", cwd=clone)
    _set_line(clone, "10_recurrent_networks.ipynb", pip_spec(repository_url(), ref="v0.0.1"))
    try:
        report = check_notebooks(clone, tmp_path, only="10_*")
    finally:
        _git("reset", "-q", "--hard", "HEAD~1", cwd=clone)
        _git("tag", "-d", "v0.0.1", cwd=clone)
    problems = "\n".join(report["10_recurrent_networks.ipynb"])
    assert "helpers.recurrent.make_sequences" in problems, problems
    assert "helpers/results/10_recurrent.csv" in problems, problems
    assert "helpers/results/10_recurrent.json" not in problems, problems


def test_notebook_needs_reads_imports_and_tables():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        '%pip install -q "x"\nimport helpers.store\nfrom helpers import a, b as c\n'
        'from helpers.experiments import sweep\nsweep(cfg, table="06_x")\n'
        'load_or_train("10_y", configs, seeds, f)\nprint("11_not_a_table")')])
    names, tables = notebook_needs(nb)
    assert names == {("helpers.store", ""), ("helpers", "a"), ("helpers", "b"),
                     ("helpers.experiments", "sweep")}
    assert tables == {"06_x", "10_y"}
