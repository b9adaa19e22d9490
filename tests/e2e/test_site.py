"""The reading site in a real browser: built from the committed notebooks by
scripts/build_site.py (what `make site` runs) into a temporary folder, served on 127.0.0.1 by a
server thread that stops with the test, and read in Debian's Chromium driven by Playwright.

Checked on every page of the table of contents (README, then notebooks/NN_*.ipynb in course
order): it loads (HTTP 200) with no console or page error and no request that leaves the site
(readers' browsers fetch nothing from a CDN); every image renders (naturalWidth > 0); the
solutions are folded; notebook pages carry Colab and Binder launch links for their notebook.
Every internal link found on those pages resolves (200, and its #anchor exists), and the lab's
page explains that its widgets need a live kernel. A screenshot of the lab page goes to build/e2e/.

The formulas: on every page with one, MathJax (served by the site itself: no request leaves it)
renders every formula MyST found, none as an error or with an undefined macro, and no TeX source
($...$, \\(...\\)) is left in the page's text outside code. Every page is then read at a laptop's
and a phone's width: nothing reaches past the window's edge (wide code, tables and formulas scroll
inside their own box; printed output wraps), and the page with the most formulas is photographed
at both widths, into build/e2e/ (CI keeps them as artifacts).

Without the site's tools (requirements-site.txt: `make site` installs them) or without Chromium
at /usr/bin/chromium (or $E2E_CHROMIUM) the test is skipped, saying why, except when CI=true:
then it fails, so CI cannot skip it silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import http.server
import importlib.util
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbchecks import binder_url, colab_url, repository_url

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "build" / "e2e"
BUILD_S = 180
PAGE_S = 30
SITE_TOOLS = ("sphinx", "myst_nb", "sphinx_book_theme")
LAB = "notebooks/08_gradient_flow_lab"
# Window sizes (CSS pixels) of a laptop and a phone, for the formula page's screenshots.
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# TeX source a reader must not see: $...$, $$...$$, \(...\), \[...\].
RAW_TEX = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    """Skip on a learner's machine; fail in CI, where the browser test must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the site test must run in CI; .ci/run runs `make site` "
                    "and installs Debian's chromium with apt-get)", pytrace=False)
    pytest.skip(reason)


def _course_pages() -> list[str]:
    """The site's pages in course order, as paths below the site root."""
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return ["README.html"] + [f"notebooks/{nb.stem}.html" for nb in notebooks]


def _readme_title() -> str:
    first = next(ln for ln in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
                 if ln.startswith("# "))
    return first.removeprefix("# ").strip()


@pytest.fixture(scope="module")
def chromium() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium is not installed at {CHROMIUM}; install it to run the site "
                     "test (Debian: sudo apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        _unavailable("the Playwright Python package is not installed (requirements-dev.txt)")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(chromium, tmp_path_factory) -> Path:
    """The site, freshly built from the repository into a temporary folder."""
    missing = [m for m in SITE_TOOLS if importlib.util.find_spec(m) is None]
    if missing:
        _unavailable(f"the site's tools are not installed ({', '.join(missing)}); "
                     "`make site` installs requirements-site.txt")
    out = tmp_path_factory.mktemp("site") / "site"
    try:
        proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_site.py"), str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=BUILD_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the site build took more than {BUILD_S} s", pytrace=False)
    assert proc.returncode == 0, f"site build failed:\n{proc.stdout[-3000:]}{proc.stderr[-5000:]}"
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    """Base URL of an HTTP server on 127.0.0.1 (a free port) serving the site; it stops, and
    its thread ends, when the module's tests are done, pass or fail."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (localhost)
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


# JavaScript: every image on the page, with what the browser made of it.
IMAGES = """() => [...document.images].map(img => ({
    src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}))"""
# JavaScript: every link's resolved address.
LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
# JavaScript: the solutions: summary text and whether each <details> is open.
DETAILS = """() => [...document.querySelectorAll('article details')].map(d => ({
    summary: d.querySelector('summary')?.innerText.trim() || '', open: d.open}))"""
# JavaScript: once MathJax has typeset the page, its formulas (the elements MyST marks .math)
# and what MathJax made of each: rendered (an mjx-container inside), and any error (<merror>, or
# an undefined macro, which MathJax prints as its name in red). Then the page's text outside code
# and rendered formulas (in folded solutions too), where no TeX source may be left.
MATH = r"""async () => {
    const formulas = [...document.querySelectorAll('article .math')];
    const errors = [];
    const mathjax = Boolean(window.MathJax?.startup?.promise);
    if (formulas.length && mathjax) {
        await MathJax.startup.promise;
        for (const item of MathJax.startup.document.math) {
            const mml = MathJax.startup.toMML(item.root);
            if (/<merror/.test(mml) || /<mtext mathcolor="red">\\[A-Za-z]+<\/mtext>/.test(mml))
                errors.push(item.math);
        }
    }
    const walker = document.createTreeWalker(document.querySelector('article'),
                                             NodeFilter.SHOW_TEXT);
    const text = [];
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (el && !el.closest('pre, code, script, style, mjx-container'))
            text.push(walker.currentNode.data);
    }
    return {
        count: formulas.length,
        mathjax: mathjax,
        unrendered: formulas.filter(f => !f.querySelector('mjx-container'))
                            .map(f => f.textContent.trim()),
        errors: errors,
        text: text.join(''),
    };
}"""
# JavaScript: the window's width, the page's (wider: it scrolls sideways), and the innermost
# elements of the article that reach past the window's right edge without a box that scrolls
# sideways around them (so the reader cannot see their end), with their right edges.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = el => {
        for (let a = el.parentElement; a; a = a.parentElement)
            if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
        return false;
    };
    const wide = [...document.querySelectorAll('article *')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !scrolls(el);
    });
    const innermost = wide.filter(el => !wide.some(o => o !== el && el.contains(o)));
    return {width: width, scrollWidth: document.documentElement.scrollWidth,
            wide: innermost.slice(0, 8).map(el => el.tagName.toLowerCase() +
                [...el.classList].map(c => '.' + c).join('') + ' to ' +
                Math.round(el.getBoundingClientRect().right) + ' px')};
}"""


def _math_problems(path: str, math: dict) -> list[str]:
    """What is wrong with a page's formulas, from MATH's answer."""
    if math["count"] and not math["mathjax"]:
        return [f"{path}: {math['count']} formulas but no MathJax on the page"]
    problems = [f"{path}: formula not rendered: {tex!r}" for tex in math["unrendered"]]
    problems += [f"{path}: MathJax cannot render {tex!r}" for tex in math["errors"]]
    problems += [f"{path}: TeX source in the page's text: {span!r}"
                 for span in RAW_TEX.findall(math["text"])]
    return problems


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    shot = SCREENSHOTS / f"{stamp}-{os.getpid()}-{name}.png"
    page.screenshot(path=str(shot))
    print("screenshot:", shot.relative_to(REPO))
    return shot


def test_site_in_the_browser(server, chromium):
    from playwright.sync_api import sync_playwright

    repo_url = repository_url()
    pages = _course_pages()
    problems: list[str] = []
    links: dict[str, set[str]] = {}  # internal link (no #anchor) -> anchors asked for
    formulas: dict[str, int] = {}  # page -> number of formulas on it
    external: list[str] = []

    def leave_site(route) -> None:
        external.append(route.request.url)
        route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.set_default_timeout(PAGE_S * 1000)
            page.route(re.compile(r"^(?!" + re.escape(server) + ").*"), leave_site)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

            # The site's address opens on the README; its table of contents is in course order.
            response = page.goto(server, wait_until="load")
            assert response is not None and response.status == 200
            assert page.locator("article h1").first.inner_text().strip() == _readme_title()
            page.goto(server + pages[0], wait_until="load")
            toc = page.locator("nav.bd-docs-nav a.reference.internal").evaluate_all(
                "as => as.map(a => a.href)")
            toc = [urllib.parse.urldefrag(u).url.removeprefix(server) for u in toc]
            assert toc == pages, f"table of contents {toc}, expected {pages}"

            for path in ["index.html", *pages]:
                errors.clear()
                start = len(external)
                response = page.goto(server + path, wait_until="load")
                if response is None or response.status != 200:
                    problems.append(f"{path}: HTTP {response and response.status}")
                    continue
                page.wait_for_load_state("networkidle")
                problems += [f"{path}: {e}" for e in errors]
                problems += [f"{path}: requested {u}" for u in external[start:]]
                images = page.evaluate(IMAGES)
                if not images:
                    problems.append(f"{path}: no image at all")
                problems += [f"{path}: image {img['src']} does not render"
                             for img in images if not (img["complete"] and img["width"] > 0)]
                for url in page.evaluate(LINKS):
                    if url.startswith(server):
                        base, anchor = urllib.parse.urldefrag(url)
                        links.setdefault(base, set()).add(anchor)

                if path.startswith("notebooks/"):
                    nb = path.removeprefix("notebooks/").removesuffix(".html") + ".ipynb"
                    solutions = page.evaluate(DETAILS)
                    if not solutions:
                        problems.append(f"{path}: no folded solution")
                    problems += [f"{path}: solution or answer {d['summary']!r} is not folded"
                                 for d in solutions if d["open"] or not (
                                     d["summary"].startswith("Solution")
                                     or re.match(r"[A-E]\. ", d["summary"]))]
                    launch = set(page.locator("a[href]").evaluate_all(
                        "as => as.map(a => a.getAttribute('href'))"))
                    for want in (colab_url(repo_url, nb),
                                 binder_url(repo_url, f"lab/tree/notebooks/{nb}")):
                        if want not in launch:
                            problems.append(f"{path}: no launch link {want}")
                    # The theme's launch menu (Colab and Binder) in the page header.
                    if page.locator(".dropdown-launch-buttons a[href*='colab.research']"
                                    ).count() != 1:
                        problems.append(f"{path}: no Colab button in the launch menu")

                if path == f"{LAB}.html":
                    notes = page.locator(".live-kernel-note")
                    text = notes.first.inner_text() if notes.count() else ""
                    if not (notes.count() and notes.first.is_visible() and "live kernel" in text
                            and "Colab" in text and "Binder" in text):
                        problems.append(f"{path}: no visible note that the lab needs a live "
                                        f"kernel, with Colab and Binder links ({text!r})")
                    _screenshot(page, "site-lab")

                math = page.evaluate(MATH)
                problems += _math_problems(path, math)
                if math["count"]:
                    formulas[path] = math["count"]

            # Every page as a reader sees it on a laptop and on a phone: nothing reaches past
            # the window; the page with the most formulas is photographed at both widths.
            assert formulas, "no page shows a formula"
            shown = max(formulas, key=formulas.get)
            for name, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                for path in pages:
                    page.goto(server + path, wait_until="load")
                    overflow = page.evaluate(OVERFLOW)
                    if overflow["scrollWidth"] > overflow["width"] or overflow["wide"]:
                        problems.append(
                            f"{path} ({name}): {overflow['scrollWidth']} px of page in a "
                            f"{overflow['width']} px window; cut off: {overflow['wide']}")
                    if path == shown:
                        problems += _math_problems(f"{path} ({name})", page.evaluate(MATH))
                        page.locator("article .math").first.scroll_into_view_if_needed()
                        _screenshot(page, f"site-math-{name}")
        finally:
            browser.close()

    # Every internal link resolves, and so does its #anchor (an id on the target page).
    for url, anchors in sorted(links.items()):
        status, body = _get(url)
        if status != 200:
            problems.append(f"link {url}: HTTP {status}")
            continue
        for anchor in sorted(a for a in anchors if a):
            if f'id="{html.escape(urllib.parse.unquote(anchor))}"' not in body:
                problems.append(f"link {url}#{anchor}: no such anchor")
    assert len(links) > len(pages), f"only {len(links)} internal links found"
    assert not problems, "\n".join(problems)


def test_concept_question_answers_on_the_site(server, chromium):
    """A reader without a kernel clicks a concept question's answers and reads the feedback."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.set_default_timeout(PAGE_S * 1000)
            first = next(p for p in _course_pages() if p.startswith("notebooks/"))
            page.goto(server + first, wait_until="load")
            question = page.locator("article p", has_text="Question").first
            assert question.is_visible()
            answer = page.locator("summary", has_text=re.compile(r"^[A-E]\. "))
            options = page.locator("article details", has=answer)
            assert options.count() >= 2
            verdicts = []
            for i in range(options.count()):
                option = options.nth(i)
                body = option.locator(":scope > :not(summary)").first
                if body.is_visible():
                    raise AssertionError("an answer's feedback shows before it is clicked")
                option.locator("summary").click()
                assert body.is_visible()
                verdicts.append(body.inner_text().strip()[:1])
                if len(verdicts) == 1:
                    option.scroll_into_view_if_needed()
                    _screenshot(page, "site-concept-question")
            assert "✔" in verdicts and "✘" in verdicts, verdicts
        finally:
            browser.close()
