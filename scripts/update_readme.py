"""Rewrite the README's table of notebooks (Colab and Binder link per notebook) from notebooks/.

Usage: python scripts/update_readme.py [--check] [--tracked]

The table sits between the `<!-- notebooks:start -->` and `<!-- notebooks:end -->` lines of
README.md; each notebook's title is its H1 without the `NN ·` prefix. Links are built from the
Repository URL in pyproject.toml and branch `main`. With --check nothing is written and the exit
status is 1 when the table is out of date. With --tracked only notebooks known to git are listed
(for committing the README while other notebooks are still in progress).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
BRANCH = "main"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def repository_slug() -> tuple[str, str]:
    """(Repository URL, 'owner/repo') from pyproject.toml."""
    with open(REPO / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")
    return url, url.removeprefix("https://github.com/").removesuffix(".git")


def notebook_title(path: Path) -> str:
    """The notebook's H1 without its `NN ·` prefix (the file name if there is no H1)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell.get("source", ""))
            m = re.search(r"^#\s+(.+?)\s*$", src, re.MULTILINE)
            if m:
                return re.sub(r"^\d+\s*·\s*", "", m.group(1))
            break
    return path.stem


def notebooks(tracked: bool = False) -> list[Path]:
    paths = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if tracked:
        out = subprocess.run(
            ["git", "ls-files", "notebooks"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        known = {REPO / line for line in out.splitlines()}
        paths = [p for p in paths if p in known]
    return paths


def table(tracked: bool = False) -> str:
    _, slug = repository_slug()
    rows = [
        "| # | Notebook | Colab | Binder |",
        "| --- | --- | --- | --- |",
    ]
    for path in notebooks(tracked):
        name = path.name
        colab = f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/notebooks/{name}"
        binder = f"https://mybinder.org/v2/gh/{slug}/{BRANCH}?urlpath=lab/tree/notebooks/{name}"
        rows.append(
            f"| {name[:2]} | [{notebook_title(path)}](notebooks/{name}) "
            f"| [![Open In Colab]({COLAB_BADGE})]({colab}) "
            f"| [![Binder]({BINDER_BADGE})]({binder}) |"
        )
    if len(rows) == 2:
        rows = ["_No notebook is published yet._"]
    return "\n".join(rows)


def updated(readme: str, tracked: bool = False) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README.md lacks the {START} ... {END} lines")
    return pattern.sub(lambda _: f"{START}\n{table(tracked)}\n{END}", readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is stale")
    parser.add_argument("--tracked", action="store_true", help="list only notebooks known to git")
    args = parser.parse_args(argv)
    old = README.read_text(encoding="utf-8")
    new = updated(old, args.tracked)
    if args.check:
        if new != old:
            print("README.md's notebook table is out of date: run `make readme`.")
            return 1
        return 0
    if new != old:
        README.write_text(new, encoding="utf-8")
        print("README.md: notebook table updated.")
    else:
        print("README.md: notebook table already up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
