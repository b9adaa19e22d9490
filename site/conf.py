"""Sphinx configuration of the course's reading site (`make site`; output in build/site/).

The site is built from the committed, executed notebooks: nothing is executed, nothing is
downloaded. The source folder is the repository root (README.md is the landing page, then
notebooks/NN_*.ipynb in course order); this folder holds only the configuration, the small
build-time extension (_ext/course_site.py) and the badge images.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

# The repository URL is written in one place, pyproject.toml.
with open(REPO / "pyproject.toml", "rb") as f:
    REPOSITORY_URL = tomllib.load(f)["project"]["urls"]["Repository"]

project = "Vanishing gradients, hands-on"
author = "The vanishing-gradients course authors"
copyright = "the vanishing-gradients course authors"

extensions = ["myst_nb", "course_site"]

root_doc = "README"
include_patterns = ["README.md", "notebooks/[0-9][0-9]_*.ipynb"]
exclude_patterns = [".venv", "build", "logs", ".git", "**/.ipynb_checkpoints", "**/.cache"]

# The notebooks are committed with their outputs (make execute); the site shows those outputs.
nb_execution_mode = "off"
# No widget JavaScript from a CDN: the lab's widgets need a kernel anyway (see course_site).
nb_ipywidgets_js: dict = {}
# `<details>` solutions stay raw HTML, so they render folded; headings get link anchors.
myst_heading_anchors = 3
# The notebooks' formulas: $...$ inline, $$...$$ displayed, and LaTeX environments
# (\begin{align} ...) as JupyterLab renders them.
myst_enable_extensions = ["dollarmath", "amsmath"]
# $$...$$ inside a paragraph too, as in JupyterLab (MyST's default reads it only on its own lines).
myst_dmath_double_inline = True

# MathJax renders them in the reader's browser, from the site itself (offline too, and no CDN):
# MathJax 3.2.2, the version JupyterLab 4 renders with, from the pinned sphinx-mathjax-offline
# package; course_site copies what the page script loads into _static/mathjax/.
mathjax_path = "mathjax/tex-chtml.js"
# MathJax looks only inside the formulas MyST found (the classes MyST sets on them), never at
# a stray dollar sign in prose or code.
mathjax3_config = {
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
}

# GitHub Pages address: https://OWNER.github.io/REPO/ (the README's "Read it online" link).
_owner, _repo = REPOSITORY_URL.removeprefix("https://github.com/").strip("/").split("/")
html_baseurl = f"https://{_owner}.github.io/{_repo}/"
course_repository_url = REPOSITORY_URL
course_branch = "main"

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# Light or dark as the reader's system prefers (an unset default logs a console error).
html_context = {"default_mode": "auto"}
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": course_branch,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_issues_button": True,
    "use_download_button": True,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # Colab and Binder buttons (the rocket in the page header) on every notebook page.
    "launch_buttons": {
        "colab_url": "https://colab.research.google.com",
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
}
