"""The reading site's setup agrees with the repository (fast; the browser check of the built
site is tests/e2e/test_site.py): pinned tools, `make site`, the Pages workflow and the README's
address, all derived from the Repository URL in pyproject.toml."""

from __future__ import annotations

import re

import yaml
from nbchecks import REPO, github_slug, repository_url


def pages_url() -> str:
    owner, name = github_slug(repository_url()).split("/")
    return f"https://{owner}.github.io/{name}/"


def test_site_tools_are_pinned_apart_from_the_learners():
    lines = [ln.split("#")[0].strip()
             for ln in (REPO / "requirements-site.txt").read_text(encoding="utf-8").splitlines()]
    reqs = [ln for ln in lines if ln]
    names = {re.split(r"[=<>!~ ;\[]", r)[0].lower() for r in reqs}
    assert {"sphinx", "myst-nb", "sphinx-book-theme"} <= names, names
    assert all(re.search(r"==\d", r) for r in reqs), f"pin every site tool with ==: {reqs}"
    for learner_file in ("requirements.txt", "requirements-dev.txt"):
        text = (REPO / learner_file).read_text(encoding="utf-8").lower()
        assert "sphinx" not in text and "myst" not in text, f"{learner_file} has site tools"


def test_the_sites_mathjax_comes_from_a_pinned_package():
    """The formulas render offline: MathJax is a pinned Python package, not a CDN script."""
    reqs = (REPO / "requirements-site.txt").read_text(encoding="utf-8")
    assert re.search(r"^sphinx-mathjax-offline==\d", reqs, re.MULTILINE), reqs
    conf = (REPO / "site" / "conf.py").read_text(encoding="utf-8")
    assert re.search(r'^mathjax_path = "mathjax/tex-chtml.js"$', conf, re.MULTILINE)
    assert re.search(r'^myst_enable_extensions = \[.*"dollarmath"', conf, re.MULTILINE)


def test_make_site_builds_with_the_site_script():
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^site:.*\binstall\b", text, re.MULTILINE), "make site must install first"
    assert "requirements-site.txt" in text
    assert "scripts/build_site.py build/site" in text


def test_pages_workflow_publishes_make_site():
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8"))
    steps = wf["jobs"]["build"]["steps"]
    assert any(s.get("run", "").strip() == "make site" for s in steps)
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload and upload[0]["with"]["path"] == "build/site"
    # The browser test's screenshots (the formula page at a laptop's and a phone's width) are
    # kept as the run's artifacts, even when a check failed.
    keep = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert keep and keep[0].get("if") == "always()", "upload the screenshots, pass or fail"
    assert keep[0]["with"]["path"] == "build/e2e/*.png"
    checks = next(s["run"] for s in steps if "pytest" in s.get("run", ""))
    assert "tests/e2e/test_site.py" in checks and "tests/test_site_math.py" in checks
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_readme_and_site_name_the_pages_address():
    url = pages_url()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Read it online" in readme and url in readme, f"README must link {url}"
    assert "make site" in readme
    assert url in (REPO / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8")
