"""Checks of a saved course notebook against CONTRIBUTING.md's conventions.

Each `check_*` function takes a notebook (an nbformat node), its file name and the repository
URL, and returns a list of problems (strings; empty = fine). tests/test_notebooks.py runs them on
every notebook; tests/test_nbchecks.py proves on small synthetic notebooks that they catch what
they claim to.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
BRANCH = "main"

# TensorFlow / absl / XLA log lines that must never reach a saved output.
TF_NOISE = re.compile(
    r"oneDNN|cpu_feature_guard|TF-TRT|^[IWEF]0000 |WARNING: All log messages"
    r"|absl::InitializeLog|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|This TensorFlow binary is optimized|Could not find cuda drivers"
    r"|computation_placer|external/local_xla|tensorflow/core/",
    re.MULTILINE,
)
PY_WARNING = re.compile(r"\b\w*Warning:")
# An absolute path of this or a learner's machine (not a URL path: no word char, dot or slash
# right before it).
ABS_PATH = re.compile(r"(?<![\w.~/-])/(?:tmp|root|home|work|Users)(?:/|\b)")
MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
NBVAL_MARKER = re.compile(r"^\s*#\s*(NBVAL_\w+)", re.MULTILINE)
NBVAL_TAGS = {
    "nbval-ignore-output",
    "nbval-skip",
    "nbval-check-output",
    "nbval-raises-exception",
    "raises-exception",
}
MAX_IGNORED_CELLS = 2
FILE_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
BADGE = re.compile(r"\[!\[[^\]]*\]\(([^)\s]+)\)\]\(([^)\s]+)\)")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")
REQUIRED_SECTIONS = ("Overview", "Setup", "Summary", "Exercises", "Further reading")
TF_IMPORT = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.MULTILINE)
# The course's package imports TensorFlow too (helpers.seeding), so the environment goes first.
TF_OR_HELPERS_IMPORT = re.compile(r"^\s*(import|from)\s+(tensorflow|keras|helpers)\b", re.MULTILINE)
FLOAT64 = re.compile(r"""^keras\.config\.set_floatx\(\s*["']float64["']\s*\)""", re.MULTILINE)


def _project() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def repository_url() -> str:
    """The repository URL defined in pyproject.toml ([project.urls] Repository)."""
    return _project()["urls"]["Repository"].rstrip("/")


def distribution() -> tuple[str, str]:
    """(distribution name, version) from pyproject.toml ([project] name and version)."""
    project = _project()
    return project["name"], project["version"]


def github_slug(repo_url: str) -> str:
    """'owner/repo' of a https://github.com/owner/repo URL; ValueError for anything else."""
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", repo_url)
    if not m:
        raise ValueError(f"repository URL must be https://github.com/<owner>/<repo>: {repo_url!r}")
    return m.group(1)


def colab_url(repo_url: str, file_name: str) -> str:
    return (
        f"https://colab.research.google.com/github/{github_slug(repo_url)}"
        f"/blob/{BRANCH}/notebooks/{file_name}"
    )


def binder_url(repo_url: str, urlpath: str | None = None) -> str:
    url = f"https://mybinder.org/v2/gh/{github_slug(repo_url)}/{BRANCH}"
    return f"{url}?urlpath={urlpath}" if urlpath else url


#: The git reference the notebooks on `main` install their helpers from: `main` itself, the
#: branch the Colab badges open, so a notebook always gets the helpers of its own commit.
MAIN_REF = "main"
PIP_LINE = re.compile(r"^\s*[%!]pip\s+install\b.*?\"([^\"]+)\"", re.MULTILINE)


def pip_spec(repo_url: str, name: str | None = None, ref: str = MAIN_REF) -> str:
    """What a notebook's setup cell installs on `main`: `<name> @ git+<repo_url>@main`.

    The name defaults to pyproject.toml's. Notebooks on `main` install the helpers of `main`
    (the commit the Colab badge opened); a release commit installs `release_spec()` instead.
    """
    return f"{name or distribution()[0]} @ git+{repo_url}@{ref}"


def release_spec(name: str | None = None, version: str | None = None) -> str:
    """What a notebook's setup cell installs in a release commit: `<name>==<version>` (PyPI).

    scripts/release.py writes it into the commit it tags `v<version>` (which the release
    workflow publishes to PyPI), and writes `pip_spec()` back afterwards.
    """
    dist_name, dist_version = distribution()
    return f"{name or dist_name}=={version or dist_version}"


def install_spec(nb) -> str | None:
    """The quoted requirement of the first `%pip install "..."` line of a notebook's code."""
    for _, cell in _code_cells(nb):
        m = PIP_LINE.search(_source(cell))
        if m:
            return m.group(1)
    return None


def spec_ref(spec: str, repo_url: str) -> str:
    """The git reference whose helpers a requirement installs.

    `<name> @ git+<repo_url>@<ref>` installs `<ref>`; `<name>==<version>` installs the PyPI
    release built from the tag `v<version>` (.github/workflows/release.yml). ValueError for
    anything else: another repository, a URL without a reference, another kind of requirement.
    """
    name = distribution()[0]
    m = re.fullmatch(rf"{re.escape(name)} @ git\+{re.escape(repo_url)}@([\w./-]+)", spec)
    if m:
        return m.group(1)
    m = re.fullmatch(rf"{re.escape(name)}==(\d+\.\d+\.\d+)", spec)
    if m:
        return f"v{m.group(1)}"
    raise ValueError(
        f"install requirement {spec!r} is neither `{name} @ git+{repo_url}@<ref>` "
        f"nor `{name}==<version>`"
    )


# ---------------------------------------------------------------------------------------------
# Small readers


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _markdown_text(cell) -> str:
    """Markdown with fenced code blocks removed (a `# comment` in a code sample is no heading)."""
    return FENCE.sub("", _source(cell))


def _headings(cell) -> list[tuple[int, str]]:
    return [(len(h), t) for h, t in HEADING.findall(_markdown_text(cell))]


def _code_cells(nb) -> list[tuple[int, object]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _where(index: int) -> str:
    return f"cell {index + 1}"


def _output_texts(output) -> list[tuple[str, str]]:
    """(kind, text) pairs of an output's human-readable parts; images are left out."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return [(output.get("name", "stream"), "".join(text) if isinstance(text, list) else text)]
    if kind == "error":
        return [("error", "\n".join(output.get("traceback", [])))]
    texts = []
    for mime, value in output.get("data", {}).items():
        if mime in TEXT_MIMES:
            texts.append((mime, "".join(value) if isinstance(value, list) else str(value)))
    return texts


def _all_output_texts(nb):
    for i, cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            for kind, text in _output_texts(output):
                yield i, kind, text


def _sections(nb) -> list[tuple[int, int, str]]:
    """(cell index, level, title) of every markdown heading, in order."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found.extend((i, level, title) for level, title in _headings(cell))
    return found


def _section_cells(nb, title: str) -> list[object] | None:
    """Cells under the `## title` heading up to the next heading of level <= 2 (None: no such)."""
    sections = _sections(nb)
    for k, (i, level, t) in enumerate(sections):
        if level == 2 and t == title:
            end = next((j for j, lv, _ in sections[k + 1 :] if lv <= 2), len(nb.cells))
            if end == i:  # the next level-2 heading is in the same markdown cell
                return []
            return nb.cells[i + 1 : end] if end > i else []
    return None


# ---------------------------------------------------------------------------------------------
# The checks


def check_file_name(nb, name: str, repo_url: str) -> list[str]:
    if not FILE_NAME.match(name):
        return [f"file name {name!r} is not NN_short_title.ipynb (lower case, digits, '_')"]
    return []


def check_kernelspec(nb, name: str, repo_url: str) -> list[str]:
    spec = nb.metadata.get("kernelspec", {}).get("name")
    return [] if spec == "python3" else [f"kernelspec is {spec!r}, not 'python3'"]


def check_executed_in_order(nb, name: str, repo_url: str) -> list[str]:
    """Every code cell ran, once, in a fresh kernel from top to bottom: counts 1..n."""
    problems = []
    cells = _code_cells(nb)
    for n, (i, cell) in enumerate(cells, start=1):
        count = cell.get("execution_count")
        if not _source(cell).strip():
            problems.append(f"{_where(i)} is an empty code cell: remove it")
        elif count is None:
            problems.append(f"{_where(i)} was not executed (nbval would not check it)")
        elif count != n:
            problems.append(f"{_where(i)} has execution count {count}, expected {n}")
    if problems:
        problems.append("run `python scripts/execute_notebooks.py notebooks/" + name + "`")
    return problems


def check_no_errors(nb, name: str, repo_url: str) -> list[str]:
    return [
        f"{_where(i)} has an error output: {o.get('ename')}: {o.get('evalue')}"
        for i, cell in _code_cells(nb)
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def check_no_tf_noise(nb, name: str, repo_url: str) -> list[str]:
    problems = []
    for i, kind, text in _all_output_texts(nb):
        m = TF_NOISE.search(text)
        if m:
            line = next(ln for ln in text.splitlines() if m.group(0) in ln)
            problems.append(
                f"{_where(i)} ({kind}) has TensorFlow log noise: {line.strip()[:120]!r}"
            )
    return problems


def check_no_warnings(nb, name: str, repo_url: str) -> list[str]:
    problems = []
    for i, kind, text in _all_output_texts(nb):
        if kind == "stderr" and PY_WARNING.search(text):
            line = next(ln for ln in text.splitlines() if PY_WARNING.search(ln))
            problems.append(f"{_where(i)} prints a Python warning: {line.strip()[:120]!r}")
    return problems


def check_no_machine_details(nb, name: str, repo_url: str) -> list[str]:
    """No absolute paths and no memory addresses in outputs."""
    problems = []
    for i, kind, text in _all_output_texts(nb):
        for pattern, what in ((ABS_PATH, "an absolute path"), (MEMORY_ADDRESS, "a memory address")):
            m = pattern.search(text)
            if m:
                line = next(ln for ln in text.splitlines() if pattern.search(ln))
                problems.append(f"{_where(i)} ({kind}) shows {what}: {line.strip()[:120]!r}")
    return problems


def check_title_and_badges(nb, name: str, repo_url: str) -> list[str]:
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["the first cell must be markdown: the H1 title and the two badges"]
    problems = []
    first = nb.cells[0]
    h1s = [t for level, t in _headings(first) if level == 1]
    if len(h1s) != 1:
        problems.append(f"the first cell must have exactly one H1 (`# NN · Title`), found {h1s}")
    else:
        number = name[:2]
        if not re.match(rf"{number}\s*·\s*\S", h1s[0]):
            problems.append(f"the H1 {h1s[0]!r} must read `# {number} · Title`")
    later_h1 = [
        (i, t)
        for i, c in enumerate(nb.cells[1:], start=1)
        if c.cell_type == "markdown"
        for level, t in _headings(c)
        if level == 1
    ]
    if later_h1:
        problems.append(f"only the first cell may have an H1; also found {later_h1}")

    badges = BADGE.findall(_source(first))
    want_colab = colab_url(repo_url, name)
    binder_ok = {binder_url(repo_url, f"lab/tree/notebooks/{name}"), binder_url(repo_url)}
    binder_ok |= {binder_url(repo_url, "lab/tree/notebooks")}
    if not any("colab-badge.svg" in img and target == want_colab for img, target in badges):
        problems.append(f"the first cell needs the Colab badge linking to {want_colab}")
    if not any("mybinder.org/badge" in img and target in binder_ok for img, target in badges):
        problems.append(
            "the first cell needs the Binder badge linking to "
            + binder_url(repo_url, f"lab/tree/notebooks/{name}")
        )
    return problems


def check_sections(nb, name: str, repo_url: str) -> list[str]:
    titles = [t for _, level, t in _sections(nb) if level == 2]
    problems = [f"missing the `## {s}` section" for s in REQUIRED_SECTIONS if s not in titles]
    if not problems:
        order = [titles.index(s) for s in REQUIRED_SECTIONS]
        if order != sorted(order):
            problems.append(f"sections must come in this order: {', '.join(REQUIRED_SECTIONS)}")
    return problems


def _block_end(lines: list[str], start: int) -> int:
    """Index just past the indented block that follows the line `start` (a `try:`/`except:`)."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    return end


def check_setup_cell(nb, name: str, repo_url: str) -> list[str]:
    """The one setup cell: install the helpers when `import helpers` fails, then env, imports.

    The install guard is `try: import helpers` / `except ModuleNotFoundError:` with
    `%pip install -q "<dist> @ git+<Repository URL>@main"` (on `main`) or, in a release commit,
    `%pip install -q "<dist>==<version>"` (pyproject's version) inside the except block, so the
    helpers are installed wherever they are missing (Colab, Kaggle, a JupyterHub...), not only
    on Colab.
    """
    cells = _section_cells(nb, "Setup")
    if cells is None:
        return ["missing the `## Setup` section"]
    code = [c for c in cells if c.cell_type == "code"]
    if len(code) != 1:
        return [f"`## Setup` must hold exactly one code cell, found {len(code)}"]
    src = _source(code[0])
    lines = src.splitlines()
    problems = []
    specs = (pip_spec(repo_url), release_spec())
    # try: / import helpers / except ModuleNotFoundError: (all at the top level of the cell)
    guard = None
    for k, line in enumerate(lines):
        if line.rstrip() != "try:":
            continue
        body_end = _block_end(lines, k)
        body = [ln.split("#")[0].strip() for ln in lines[k + 1 : body_end]]
        if [b for b in body if b] != ["import helpers"]:
            continue
        if body_end < len(lines) and re.match(
            r"except\s+(ModuleNotFoundError|ImportError)\s*:", lines[body_end]
        ):
            guard = (body_end, _block_end(lines, body_end))
            break
    if guard is None:
        problems.append(
            "the setup cell needs the install guard `try:` / `    import helpers` / "
            "`except ModuleNotFoundError:` (install whenever the helpers are missing, "
            "not only on Colab)"
        )
    if re.search(r"google\.colab", src):
        problems.append(
            "the setup cell must not test for Colab: install whenever `import helpers` fails"
        )
    pips = [k for k, ln in enumerate(lines) if re.match(r"\s*[%!]pip\s+install\b", ln)]
    good = [k for k in pips if any(f'"{spec}"' in lines[k] for spec in specs)]
    if not good:
        problems.append(
            f'the setup cell needs `%pip install -q "{specs[0]}"` (on main; a release commit: '
            f'"{specs[1]}"; both from pyproject.toml)'
        )
    for k in pips:
        if not (guard and guard[0] < k < guard[1]):
            problems.append(
                f"`{lines[k].strip()}` must sit inside `except ModuleNotFoundError:` "
                "after `try: import helpers`"
            )
        if not lines[k].lstrip().startswith("%pip"):
            problems.append(f"use `%pip`, not `!pip`: {lines[k].strip()!r}")
    first_tf = TF_OR_HELPERS_IMPORT.search(src)
    for var in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        m = re.search(rf"os\.environ\[\s*['\"]{var}['\"]\s*\]\s*=", src)
        if not m:
            problems.append(f"the setup cell must set os.environ[{var!r}]")
        elif first_tf and m.start() > first_tf.start():
            problems.append(f"os.environ[{var!r}] must be set before importing TensorFlow, Keras "
                            "or helpers (which imports TensorFlow)")
    if not FLOAT64.search(src):
        problems.append('the setup cell must call keras.config.set_floatx("float64") (the course '
                        "trains in float64: the same digits on other CPUs)")
    setup_index = next(i for i, c in enumerate(nb.cells) if c is code[0])
    for i, cell in _code_cells(nb):
        if i < setup_index and TF_IMPORT.search(_source(cell)):
            problems.append(f"{_where(i)} imports TensorFlow/Keras before the setup cell")
    return problems


def _section_markdown(nb, title: str) -> str | None:
    """Markdown under `## title` up to the next level-1/2 heading, across cells (None: absent)."""
    doc = "\n\n".join(_markdown_text(c) for c in nb.cells if c.cell_type == "markdown")
    m = re.search(rf"^##\s+{re.escape(title)}\s*#*\s*$", doc, re.MULTILINE)
    if not m:
        return None
    end = re.search(r"^#{1,2}\s", doc[m.end() :], re.MULTILINE)
    return doc[m.end() : m.end() + end.start()] if end else doc[m.end() :]


def check_exercises_have_solutions(nb, name: str, repo_url: str) -> list[str]:
    text = _section_markdown(nb, "Exercises")
    if text is None:
        return ["missing the `## Exercises` section"]
    if not re.search(r"<details>\s*<summary>", text):
        return ["`## Exercises` needs a worked solution in <details><summary>Solution</summary>"]
    return []


def check_nbval_markers(nb, name: str, repo_url: str) -> list[str]:
    problems = []
    ignored = []
    for i, cell in _code_cells(nb):
        markers = set(NBVAL_MARKER.findall(_source(cell)))
        tags = set(cell.get("metadata", {}).get("tags", [])) & NBVAL_TAGS
        for marker in sorted(markers - {"NBVAL_IGNORE_OUTPUT"}):
            problems.append(f"{_where(i)} uses {marker}: only NBVAL_IGNORE_OUTPUT is allowed")
        for tag in sorted(tags - {"nbval-ignore-output"}):
            problems.append(f"{_where(i)} has the tag {tag!r}: only NBVAL_IGNORE_OUTPUT is allowed")
        if "NBVAL_IGNORE_OUTPUT" in markers or "nbval-ignore-output" in tags:
            ignored.append(i + 1)
    if len(ignored) > MAX_IGNORED_CELLS:
        problems.append(
            f"NBVAL_IGNORE_OUTPUT on {len(ignored)} cells {ignored}: at most {MAX_IGNORED_CELLS}"
        )
    return problems


CHECKS = [
    check_file_name,
    check_kernelspec,
    check_executed_in_order,
    check_no_errors,
    check_no_tf_noise,
    check_no_warnings,
    check_no_machine_details,
    check_title_and_badges,
    check_sections,
    check_setup_cell,
    check_exercises_have_solutions,
    check_nbval_markers,
]
