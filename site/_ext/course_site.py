"""Build-time edits that make the committed notebooks read well as web pages.

Nothing here changes a file in the repository: Sphinx hands each source to ``source-read``
and we edit the text it is about to parse.

- README.md (the landing page) gets the table of contents, notebooks/NN_*.ipynb in course
  order, and its links to repository files that are not pages (CONTRIBUTING.md, ...) point to
  the file on GitHub.
- index.html is a copy of the landing page, so the site's address opens on it.
- The Colab and Binder badge images are served from the site itself (site/badges/), so a page
  loads no third-party image; the badges' links are unchanged.
- A notebook with widget outputs (the gradient-flow lab) gets a note under its title saying
  that the widgets need a live kernel, with its Colab and Binder links, and the widget's
  (empty, on a static page) output is replaced by a pointer to that note.
- Code cells lose their test markers (a first line ``# NBVAL_...``), which mean nothing to a
  reader; the code itself is shown as committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LIVE_KERNEL_CLASS = "live-kernel-note"
NBVAL_MARKER = re.compile(r"\A#\s*NBVAL_[A-Z_]+[^\n]*\n?")
BADGES = {
    "https://colab.research.google.com/assets/colab-badge.svg": "/site/badges/colab-badge.svg",
    "https://mybinder.org/badge_logo.svg": "/site/badges/binder-badge.svg",
}
TOCTREE = """

```{toctree}
:hidden:
:caption: Notebooks
:glob:

notebooks/[0-9][0-9]_*
```
"""
# A Markdown link or image target that is a relative path: ](path) or ](path "title").
LOCAL_LINK = re.compile(r"\]\((?!https?:|mailto:|#|/)([^)\s]+)(\s+\"[^\"]*\")?\)")


def _local_badges(text: str) -> str:
    for remote, local in BADGES.items():
        text = text.replace(f"]({remote})", f"]({local})")
    return text


def _launch_urls(app: Sphinx, path: str) -> tuple[str, str]:
    """(Colab URL, Binder URL) of a repository file, e.g. notebooks/08_x.ipynb."""
    url = app.config.course_repository_url.rstrip("/")
    owner_repo = url.removeprefix("https://github.com/")
    branch = app.config.course_branch
    return (f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}",
            f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{path}")


def _readme(app: Sphinx, text: str) -> str:
    srcdir = Path(app.srcdir)
    blob = f"{app.config.course_repository_url.rstrip('/')}/blob/{app.config.course_branch}/"

    def relink(m: re.Match) -> str:
        target = m.group(1)
        path = target.split("#", 1)[0]
        if path.endswith(".ipynb") or not (srcdir / path).exists():
            return m.group(0)  # a page of the site (or not a file: left to Sphinx to warn)
        return f"]({blob}{target}{m.group(2) or ''})"

    return _local_badges(LOCAL_LINK.sub(relink, text)) + TOCTREE


def _md_cell(text: str, cell_id: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _notebook(app: Sphinx, docname: str, text: str) -> str:
    nb = json.loads(text)
    cells = []
    has_widgets = False
    for cell in nb["cells"]:
        src = cell["source"]
        src = "".join(src) if isinstance(src, list) else src
        if cell["cell_type"] == "markdown":
            cell["source"] = _local_badges(src)
        elif cell["cell_type"] == "code":
            cell["source"] = NBVAL_MARKER.sub("", src)
        outputs = cell.get("outputs", [])
        kept = [o for o in outputs if WIDGET_MIME not in o.get("data", {})]
        cells.append(cell)
        if len(kept) != len(outputs):
            has_widgets = True
            cell["outputs"] = kept
            cells.append(_md_cell(
                f"```{{admonition}} The widget appears here in a live kernel\n"
                f":class: note {LIVE_KERNEL_CLASS}\n\n"
                "On this static page the cell above shows nothing: see the note at the top of "
                "the page to open the notebook where it runs.\n```", f"live-kernel-{len(cells)}"))
    if has_widgets:
        colab, binder = _launch_urls(app, f"{docname}.ipynb")
        note = _md_cell(
            "```{admonition} This notebook needs a live kernel\n"
            f":class: important {LIVE_KERNEL_CLASS}\n\n"
            "Its controls (sliders, dropdowns, the **Train** button) are Jupyter widgets: each "
            "change runs Python code in a kernel, so they cannot work on a static web page. "
            f"Open the notebook on [Colab]({colab}) or [Binder]({binder}), or run `make lab` "
            "in a clone of the repository, and run its cells. What follows on this page is the "
            "notebook as last executed: the figures and numbers of its plain-function cells "
            "(the same experiments, without the widget) are all here.\n```", "live-kernel-note")
        title = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"), -1)
        cells.insert(title + 1, note)
    nb["cells"] = cells
    return json.dumps(nb)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == app.config.root_doc:
        source[0] = _readme(app, source[0])
    elif app.env.doc2path(docname).suffix == ".ipynb":
        source[0] = _notebook(app, docname, source[0])


def _landing_page(app: Sphinx, exception: Exception | None) -> None:
    """index.html: the landing page (README) again, so the site's address opens on it."""
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir)
        readme = out / f"{app.config.root_doc}{app.builder.out_suffix}"
        (out / "index.html").write_bytes(readme.read_bytes())


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_repository_url", "", "env", types=[str])
    app.add_config_value("course_branch", "main", "env", types=[str])
    app.connect("source-read", _source_read)
    app.connect("build-finished", _landing_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
