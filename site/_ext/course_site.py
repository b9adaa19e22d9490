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
- The formulas are rendered by MathJax served from the site (``_static/mathjax/``): its browser
  files come from the pinned sphinx-mathjax-offline package, so a page renders its formulas
  offline and fetches nothing from a CDN.
- A ``$...$`` span left as plain text on a page (MyST did not read it as a formula: an
  unbalanced or misplaced dollar sign) is a warning, so the build fails rather than print TeX
  source to the reader.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

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
# MathJax's browser files: the distribution that ships them, their folder in it, the page script
# (conf.py's mathjax_path is "mathjax/" + it) and the folders it loads from on demand (TeX
# extensions, fonts, the menu, the accessibility tools). The other bundles are not copied.
MATHJAX_DIST = "sphinx-mathjax-offline"
MATHJAX_FOLDER = "sphinx-mathjax-offline/static/mathjax"
MATHJAX_SCRIPT = "tex-chtml.js"
MATHJAX_LAZY = ("a11y", "input", "output", "sre", "ui")
MATHJAX_NOTICE = """MathJax {version} (https://www.mathjax.org/), Copyright The MathJax Consortium,
licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0).
These are its unmodified browser files, as shipped by the Python package {dist}=={dist_version}.
"""
# TeX source that MyST did not turn into a formula: $...$ (or $$...$$) in a page's text.
RAW_TEX = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.DOTALL)
# Where a dollar sign is not prose: code and formulas (raw HTML is a FixedTextElement too, but
# its text is prose), and the notebooks' outputs (MyST-NB puts each cell's outputs in a
# container of this class).
CODE_OR_MATH = (nodes.FixedTextElement, nodes.literal, nodes.math)
OUTPUT_CLASS = "cell_output"
HTML_TAG = re.compile(r"<[^>]*>")
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


def mathjax_source() -> Path:
    """The folder of MathJax's browser files (installed with sphinx-mathjax-offline).

    Raises ExtensionError, saying what to install, when the package or its page script is missing.
    """
    try:
        dist = importlib.metadata.distribution(MATHJAX_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise ExtensionError(f"the site's formulas need MathJax from the {MATHJAX_DIST} package "
                             "(requirements-site.txt; `make site` installs it)") from None
    folder = Path(str(dist.locate_file(MATHJAX_FOLDER)))
    if not (folder / MATHJAX_SCRIPT).is_file():
        raise ExtensionError(f"{MATHJAX_DIST} {dist.version} has no {MATHJAX_SCRIPT} in {folder}")
    return folder


def mathjax_version(folder: Path) -> str:
    """MathJax's version, read from its page script (e.g. "3.2.2")."""
    text = (folder / MATHJAX_SCRIPT).read_text(encoding="utf-8")
    found = re.search(r'VERSION="(\d+\.\d+\.\d+)"', text)
    if not found:
        raise ExtensionError(f"no MathJax version in {folder / MATHJAX_SCRIPT}")
    return found.group(1)


def _check_mathjax(app: Sphinx) -> None:
    want = f"mathjax/{MATHJAX_SCRIPT}"
    if app.builder.format == "html" and app.config.mathjax_path != want:
        raise ExtensionError(f"conf.py: mathjax_path must be {want!r} (served by the site), "
                             f"not {app.config.mathjax_path!r}")
    mathjax_source()


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    """The page script and what it loads on demand, into OUTDIR/_static/mathjax/."""
    if exception is not None or app.builder.format != "html":
        return
    src = mathjax_source()
    dest = Path(app.outdir) / "_static" / "mathjax"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(src / MATHJAX_SCRIPT, dest / MATHJAX_SCRIPT)
    for name in MATHJAX_LAZY:
        shutil.copytree(src / name, dest / name)
    dist = importlib.metadata.distribution(MATHJAX_DIST)
    (dest / "NOTICE.txt").write_text(MATHJAX_NOTICE.format(
        version=mathjax_version(src), dist=MATHJAX_DIST, dist_version=dist.version),
        encoding="utf-8")


def _prose(text: nodes.Text) -> str | None:
    """The text of a Text node as a reader sees it, or None when it is not prose."""
    ancestors = []
    node = text.parent
    while node is not None:
        ancestors.append(node)
        node = node.parent
    if any(OUTPUT_CLASS in a.get("classes", []) for a in ancestors):
        return None
    if isinstance(ancestors[0], nodes.raw):  # the Markdown's own HTML (<details>, <summary>)
        return HTML_TAG.sub("", text.astext()) if ancestors[0].get("format") == "html" else None
    if any(isinstance(a, CODE_OR_MATH) for a in ancestors):
        return None
    return text.astext()


def raw_tex_spans(doctree: nodes.Node) -> list[tuple[nodes.Element, str]]:
    """(block, span) for each $...$ span in the prose of a doctree: TeX source that MyST did not
    parse as a formula. Code, formulas and the notebooks' outputs are not prose; the Markdown's
    own HTML (a <details> solution) is, without its tags."""
    blocks: dict[int, tuple[nodes.Element, list[str]]] = {}
    for text in doctree.findall(nodes.Text):
        prose = _prose(text)
        if prose is None:
            continue
        block = text.parent
        while isinstance(block, nodes.Inline) and block.parent is not None:
            block = block.parent
        blocks.setdefault(id(block), (block, []))[1].append(prose)
    return [(block, m.group(0)) for block, texts in blocks.values()
            for m in RAW_TEX.finditer("".join(texts))]


def _warn_raw_tex(app: Sphinx, doctree: nodes.document) -> None:
    for block, span in raw_tex_spans(doctree):
        logger.warning("TeX source left as text on the page (MyST did not read it as a "
                       "formula; check its dollar signs): %s", span,
                       location=block, type="course", subtype="raw_tex")


def _landing_page(app: Sphinx, exception: Exception | None) -> None:
    """index.html: the landing page (README) again, so the site's address opens on it."""
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir)
        readme = out / f"{app.config.root_doc}{app.builder.out_suffix}"
        (out / "index.html").write_bytes(readme.read_bytes())


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_repository_url", "", "env", types=[str])
    app.add_config_value("course_branch", "main", "env", types=[str])
    app.connect("builder-inited", _check_mathjax)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _warn_raw_tex)
    app.connect("build-finished", _landing_page)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
