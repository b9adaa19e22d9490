"""The reading site's formulas, without a browser (tests/e2e/test_site.py watches MathJax render
them in Chromium): the site is built from the repository (scripts/build_site.py, what `make site`
runs) into a temporary folder, then

- every formula of the notebooks' markdown ($...$, $$...$$, a LaTeX environment) is a formula on
  its page, in the same order, and no page's text shows TeX source ($...$) outside code;
- the pages load MathJax from the site itself (_static/mathjax/), whose files are there;
- every formula typesets without an error in the site's own MathJax, run by Node.js
  (tests/site_tex_check.js), which refuses what a page could not render: an undefined macro, a
  missing brace. The last tests show that this check, and the build's own check for TeX left as
  text (site/_ext/course_site.py), fail on such input.

Without the site's tools (requirements-site.txt: `make site` installs them) or without Node.js the
tests are skipped, saying why, except when CI=true: then they fail.
"""

from __future__ import annotations

import html.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbchecks import NOTEBOOKS, REPO

SITE_TOOLS = ("sphinx", "myst_nb", "sphinx_book_theme")
BUILD_S = 180
NODE_S = 120
IN_CI = os.environ.get("CI", "").lower() == "true"
TEX_CHECK = REPO / "tests" / "site_tex_check.js"

# A formula in a notebook's markdown, as JupyterLab reads it: $$...$$, $...$, or a LaTeX
# environment on its own. Code (fenced or inline) holds none.
SOURCE_MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$|\$(?P<inline>[^$\n]+?)\$"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.*?\\end\{(?P=name)\})",
    re.DOTALL,
)
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# TeX source a reader must not see in a page's text: $...$ or $$...$$.
RAW_TEX = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.DOTALL)
# MathJax's delimiters around a formula in the HTML (Sphinx's mathjax_inline/_display).
DELIMITERS = re.compile(r"\A\s*\\[(\[](.*?)\\[)\]]\s*\Z", re.DOTALL)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the site's formula checks must run in CI)", pytrace=False)
    pytest.skip(reason)


def _site_tools() -> None:
    missing = [m for m in SITE_TOOLS if importlib.util.find_spec(m) is None]
    if missing:
        _unavailable(f"the site's tools are not installed ({', '.join(missing)}); "
                     "`make site` installs requirements-site.txt")


def _course_site():
    """site/_ext/course_site.py, the site's build-time extension, as a module."""
    _site_tools()
    sys.path.insert(0, str(REPO / "site" / "_ext"))
    try:
        import course_site
    finally:
        sys.path.pop(0)
    return course_site


def _squash(tex: str) -> str:
    return " ".join(tex.split())


def notebook_formulas(markdown: str) -> list[str]:
    """The formulas of a markdown cell, whitespace squashed, in order."""
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    return [_squash(m.group("display") or m.group("inline") or m.group("env"))
            for m in SOURCE_MATH.finditer(text)]


class _Page(html.parser.HTMLParser):
    """A built page: its formulas (the elements of class "math") and its text outside code,
    scripts and formulas."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}
    NOT_TEXT = {"head", "script", "style", "pre", "code", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, "math" | "skip" | "")
        self.formulas: list[str] = []
        self.text: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag in self.VOID:
            return
        kind = ""
        if "math" in (attrs.get("class") or "").split():
            kind = "math"
            self.formulas.append("")
        elif tag in self.NOT_TEXT:
            kind = "skip"
        self.stack.append((tag, kind))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        kinds = {k for _, k in self.stack}
        if "math" in kinds and "skip" not in kinds:
            self.formulas[-1] += data
        elif not kinds - {""}:
            self.text.append(data)


def read_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def page_formula(raw: str) -> str:
    """A formula's TeX from a math element's text: MathJax's delimiters dropped."""
    m = DELIMITERS.match(raw)
    assert m, f"a formula without MathJax's delimiters: {raw!r}"
    return _squash(m.group(1))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, freshly built from the repository into a temporary folder."""
    _site_tools()
    out = tmp_path_factory.mktemp("site") / "site"
    try:
        proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_site.py"), str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=BUILD_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the site build took more than {BUILD_S} s", pytrace=False)
    assert proc.returncode == 0, f"site build failed:\n{proc.stdout[-3000:]}{proc.stderr[-5000:]}"
    return out


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _unavailable("Node.js is not installed (`node`); the formula check runs the site's MathJax "
                     "in it (Debian: sudo apt-get install nodejs)")
    return found


def tex_errors(node: str, formulas: list[dict]) -> list[dict]:
    """The formulas the site's MathJax cannot render, each with MathJax's error."""
    folder = _course_site().mathjax_source()
    proc = subprocess.run([node, str(TEX_CHECK), str(folder)], input=json.dumps(formulas),
                          capture_output=True, text=True, timeout=NODE_S)
    assert proc.returncode == 0, f"the TeX check did not run:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def test_every_notebook_formula_is_a_formula_on_its_page(site):
    total = 0
    for nb_path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        want = [f for cell in nb.cells if cell.cell_type == "markdown"
                for f in notebook_formulas(cell.source)]
        page = read_page(site / "notebooks" / f"{nb_path.stem}.html")
        got = [page_formula(f) for f in page.formulas]
        assert got == want, f"{nb_path.name}: the page's formulas differ from the notebook's"
        total += len(want)
    assert total > 0, "no notebook has a formula: nothing was checked"


def test_no_page_shows_tex_source(site):
    problems = []
    for path in _pages(site):
        page = read_page(path)
        name = path.relative_to(site).as_posix()
        problems += [f"{name}: {span!r}" for span in RAW_TEX.findall("".join(page.text))]
        mathjax = [s for s in page.scripts if "mathjax" in s.lower()]
        if page.formulas and not mathjax:
            problems.append(f"{name}: {len(page.formulas)} formulas but no MathJax script")
        for src in mathjax:
            if not src.endswith("_static/mathjax/tex-chtml.js") or "://" in src:
                problems.append(f"{name}: MathJax from {src}, not from the site")
            elif not (path.parent / src).resolve().is_file():
                problems.append(f"{name}: {src} is not in the site")
    assert not problems, "TeX source or MathJax problems:\n" + "\n".join(problems)


def test_the_site_serves_mathjax_and_its_fonts(site):
    mathjax = site / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").is_file()
    fonts = list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20, f"MathJax's fonts are missing: {fonts}"
    assert (mathjax / "input" / "tex" / "extensions" / "cancel.js").is_file()  # autoloaded
    notice = (mathjax / "NOTICE.txt").read_text(encoding="utf-8")
    assert "Apache License" in notice and "MathJax 3." in notice


def test_every_formula_renders_in_the_sites_mathjax(site, node):
    formulas = []
    for path in _pages(site):
        html_text = path.read_text(encoding="utf-8")
        page = read_page(path)
        displayed = [m.group(1) for m in re.finditer(
            r'<(span|div) class="math[^"]*"', html_text)]
        assert len(displayed) == len(page.formulas), path
        formulas += [{"tex": page_formula(f), "display": tag == "div", "page": path.name}
                     for f, tag in zip(page.formulas, displayed, strict=True)]
    assert formulas, "no formula on any page: nothing was checked"
    errors = tex_errors(node, formulas)
    assert errors == [], "the site cannot render:\n" + "\n".join(
        f"{e['tex']!r}: {e['error']}" for e in errors)


def test_the_tex_check_refuses_what_mathjax_cannot_render(node):
    bad = [r"\foo{x}", r"\frac{a}{b", r"x^{2", r"a \over b \over c"]
    good = [r"h_t = \tanh(W x_t + U h_{t-1} + b)", r"\cancel{x}",
            r"\operatorname{diag}\big(1 - h_t^2\big)", r"\begin{aligned} a &= b \end{aligned}"]
    errors = tex_errors(node, [{"tex": t, "display": False} for t in bad + good])
    assert [e["tex"] for e in errors] == bad, errors
    assert "Undefined control sequence \\foo" in errors[0]["error"]


def test_raw_tex_spans_are_found_in_prose_only():
    from docutils import nodes

    course_site = _course_site()
    para = nodes.paragraph("", "", nodes.Text("keeps "), nodes.emphasis("", "$x"),
                           nodes.Text("$ as text"))
    code = nodes.paragraph("", "", nodes.literal("", "$code$"), nodes.math("", "y"))
    html_block = nodes.raw("", "<summary>Solution: $z$</summary>", format="html")
    output = nodes.container("", nodes.raw("", "<p>$out$</p>", format="html"),
                             classes=["cell_output"])
    doc = nodes.section("", para, code, html_block, output,
                        nodes.literal_block("", "print('$x$')"))
    found = [span for _, span in course_site.raw_tex_spans(doc)]
    assert found == ["$x$", "$z$"]


def test_the_build_fails_on_tex_left_as_text(tmp_path):
    _site_tools()
    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "README.md").write_text("# A course\n\nText.\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# A notebook\n\nA formula: $h_t = W x_t$.\n\n"
        "<details><summary>Solution: $z^2$</summary>\n\nIt is $z$.\n</details>")]
    nbformat.write(nb, src / "notebooks" / "01_a.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(REPO / "site"), "-W",
         "--keep-going", "-q", str(src), str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, timeout=BUILD_S,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode != 0
    warnings = [ln for ln in proc.stderr.splitlines() if "WARNING" in ln]
    assert len(warnings) == 1 and "$z^2$" in warnings[0] and "course.raw_tex" in warnings[0], \
        proc.stderr
