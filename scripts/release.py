"""Prepare a release: bump the version, pin the notebooks to it, re-run them, commit and tag.

    python scripts/release.py 0.3.0            # on a clean `main`
    git push origin main v0.3.0                # .github/workflows/release.yml then publishes

Steps, in the working tree (which must be a clean checkout of the branch `main`):

1. The version goes into its four places: pyproject.toml, helpers/__init__.py (`__version__`),
   CITATION.cff, and the top entry of CHANGELOG.md, whose `## [x.y.z] - unreleased` header
   becomes `## [<version>] - <today>`.
2. Every notebook's install line becomes `%pip install -q "<name>==<version>"`: a copy saved
   from the release installs the release from PyPI, and keeps working when `main` moves on.
3. The notebooks are re-executed (scripts/execute_notebooks.py; `--no-execute` skips it).
4. One commit, "Release <version>", tagged `v<version>` (annotated).
5. The install lines go back to `<name> @ git+<Repository URL>@main` in a second commit, so
   the notebooks on `main` install the helpers of `main` again.

Nothing is pushed. The workflow run on the tag checks that the tag is the version
(`--check-tag`), runs the tests, builds the sdist and wheel, checks them (`twine check` and
`--check-dist`: the stored result tables are inside) and publishes them to PyPI.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"\d+\.\d+\.\d+")
PIP_LINE = re.compile(r'^(\s*%pip install -q )"([^"]+)"(.*)$', re.MULTILINE)
TABLE_SUFFIXES = (".csv", ".json")


class ReleaseError(RuntimeError):
    """The release cannot go ahead (the message says why and what to do)."""


def project(root: Path = ROOT) -> dict:
    """pyproject.toml's [project] table."""
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def main_spec(root: Path = ROOT) -> str:
    """The install requirement of the notebooks on `main`: the helpers of `main` itself."""
    proj = project(root)
    return f"{proj['name']} @ git+{proj['urls']['Repository'].rstrip('/')}@main"


def release_spec(version: str, root: Path = ROOT) -> str:
    """The install requirement of the notebooks in the release commit: PyPI's `<version>`."""
    return f"{project(root)['name']}=={version}"


def _check_version(version: str) -> str:
    if not VERSION.fullmatch(version):
        raise ReleaseError(f"version must be MAJOR.MINOR.PATCH (digits), got {version!r}")
    return version


def _sub_once(pattern: str, repl: str, text: str, where: str) -> str:
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise ReleaseError(f"{where}: found no line matching {pattern!r} to write the version")
    return new


def bump_version(version: str, date: str, root: Path = ROOT) -> None:
    """Write `version` into its four places; CHANGELOG's unreleased top entry gets `date`.

    Refuses a version lower than the current one, and a CHANGELOG whose top entry is not
    marked `unreleased` (there is nothing to release).
    """
    _check_version(version)
    current = project(root)["version"]
    if tuple(map(int, version.split("."))) < tuple(map(int, current.split("."))):
        raise ReleaseError(f"version {version} is lower than the current {current}")
    edits = {
        "pyproject.toml": (r'^version = "\d+\.\d+\.\d+"', f'version = "{version}"'),
        "helpers/__init__.py": (r'^__version__ = "\d+\.\d+\.\d+"', f'__version__ = "{version}"'),
        "CITATION.cff": (r"^version: \d+\.\d+\.\d+", f"version: {version}"),
        "CHANGELOG.md": (r"^## \[\d+\.\d+\.\d+\] - unreleased\s*$", f"## [{version}] - {date}"),
    }
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    top = re.search(r"^## \[.*$", changelog, re.MULTILINE)
    if not top or not top.group(0).rstrip().endswith("- unreleased"):
        raise ReleaseError(
            "CHANGELOG.md's top entry must be `## [x.y.z] - unreleased` (what this release "
            f"brings); it is {top.group(0) if top else 'missing'!r}"
        )
    for name, (pattern, repl) in edits.items():
        path = root / name
        path.write_text(_sub_once(pattern, repl, path.read_text(encoding="utf-8"), name),
                        encoding="utf-8")


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def set_install_lines(spec: str, root: Path = ROOT) -> int:
    """Make every notebook's `%pip install -q "..."` line install `spec`; returns how many
    notebooks changed. Only the line's source changes (outputs do not depend on it); the
    file is written as scripts/execute_notebooks.py writes it. A notebook without the line
    is refused."""
    import nbformat  # here, not at the top: the workflow's checks run without it

    changed = 0
    for path in notebooks(root):
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        hits = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            new, n = PIP_LINE.subn(lambda m: f'{m.group(1)}"{spec}"{m.group(3)}', cell.source)
            hits += n
            if new != cell.source:
                cell.source = new
                changed += 1
        if hits != 1:
            raise ReleaseError(f"{path.name}: expected one `%pip install -q \"...\"` line, "
                               f"found {hits}")
        nbformat.write(nb, path)
    return changed


def _git(*args: str, root: Path = ROOT) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if done.returncode:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def release(version: str, *, execute: bool = True, date: str | None = None,
            root: Path = ROOT) -> None:
    """Steps 1-5 of this module's docstring, in `root` (a clean checkout of `main`)."""
    _check_version(version)
    if _git("rev-parse", "--abbrev-ref", "HEAD", root=root) != "main":
        raise ReleaseError("release from the branch `main` (git switch main)")
    if _git("status", "--porcelain", root=root):
        raise ReleaseError("the working tree has uncommitted changes: commit or stash them")
    if _git("tag", "-l", f"v{version}", root=root):
        raise ReleaseError(f"the tag v{version} exists already")
    bump_version(version, date or datetime.date.today().isoformat(), root=root)
    set_install_lines(release_spec(version, root), root=root)
    if execute:
        subprocess.run([sys.executable, str(root / "scripts" / "execute_notebooks.py")],
                       cwd=root, check=True)
    _git("commit", "-q", "-am", f"Release {version}", root=root)
    _git("tag", "-a", f"v{version}", "-m", f"Release {version}", root=root)
    set_install_lines(main_spec(root), root=root)
    _git("commit", "-q", "-am",
         f"Notebooks install the helpers of main again (after v{version})", root=root)


def check_tag(tag: str, root: Path = ROOT) -> None:
    """The tag a release workflow runs on must be `v<pyproject version>`."""
    version = project(root)["version"]
    if tag != f"v{version}":
        raise ReleaseError(f"the tag {tag!r} is not v<version> of pyproject.toml (v{version})")


def check_dist(dist: Path, root: Path = ROOT) -> list[str]:
    """The sdist and wheel in `dist` are this version's and hold every stored result table
    (helpers/results/*.csv and .json) byte for byte; returns the files checked, raises
    ReleaseError naming what is missing or different."""
    proj = project(root)
    stem = f"{proj['name'].replace('-', '_')}-{proj['version']}"
    wheels = list(dist.glob(f"{stem}-*.whl"))
    sdists = list(dist.glob(f"{stem}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise ReleaseError(f"{dist} must hold one {stem} wheel and one sdist, found "
                           f"{sorted(p.name for p in dist.iterdir())}")
    tables = sorted(p for p in (root / "helpers" / "results").iterdir()
                    if p.suffix in TABLE_SUFFIXES)
    if not tables:
        raise ReleaseError("helpers/results holds no stored tables")
    with zipfile.ZipFile(wheels[0]) as whl, tarfile.open(sdists[0]) as sdist:
        for table in tables:
            data = table.read_bytes()
            for kind, read in (
                ("wheel", lambda n: whl.read(n)),
                ("sdist", lambda n: sdist.extractfile(f"{stem}/{n}").read()),
            ):
                name = f"helpers/results/{table.name}"
                try:
                    packed = read(name)
                except KeyError:
                    raise ReleaseError(f"the {kind} lacks {name}") from None
                if packed != data:
                    raise ReleaseError(f"the {kind}'s {name} differs from the repository's")
    return [wheels[0].name, sdists[0].name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", nargs="?", help="the version to release, MAJOR.MINOR.PATCH")
    parser.add_argument("--no-execute", action="store_true",
                        help="do not re-execute the notebooks (their outputs stay as committed)")
    parser.add_argument("--check-tag", metavar="TAG",
                        help="only check that TAG is v<pyproject version> (release workflow)")
    parser.add_argument("--check-dist", metavar="DIR", type=Path,
                        help="only check the built sdist and wheel in DIR (release workflow)")
    args = parser.parse_args(argv)
    try:
        if args.check_tag:
            check_tag(args.check_tag)
            print(f"{args.check_tag} is pyproject.toml's version")
        elif args.check_dist:
            files = check_dist(args.check_dist)
            print(f"{', '.join(files)}: every stored result table is inside")
        elif args.version:
            release(args.version, execute=not args.no_execute)
            print(f"Tagged v{args.version}; main installs @main again. Publish with:\n"
                  f"    git push origin main v{args.version}")
        else:
            parser.error("give a version, --check-tag TAG or --check-dist DIR")
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
