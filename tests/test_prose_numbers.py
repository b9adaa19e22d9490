"""Every number a notebook's prose states is printed by that notebook, or is a marked quote.

The rule (CONTRIBUTING.md, "Numbers in prose"): a number in a markdown cell must appear, in the
same rounding, in an output of the same notebook, or in its code (a setting such as
`epochs=500` that the reader can see). A figure quoted from a reference (the tutorial, a
paper) is allowed when it is marked as a quote:

- inside a markdown blockquote (lines starting with `>`), or
- in a sentence that carries the marker `(quoted: <source>)`.

What is not a claim, and so is not checked (each is a documented exclusion, tested below):

- headings, link texts and targets, images, inline code spans, fenced code, HTML tags,
  math between `$...$` (formula constants), and the whole "Further reading" cell (citations);
- years (1900 to 2099, whole numbers), list numbering at the start of a line, notebook numbers
  written with a leading zero (`notebook 05`), software versions (`Keras 3`, `TF 2.0`) and number
  formats (`64-bit`);
- numbers written as words ("five layers").

Numbers in an exercise's solution (`<details>` blocks) follow the same rule. A solution whose
result cannot be printed by the notebook (the solution's code is not run there) may state a
number only when a test in tests/test_solutions.py checks it: SOLUTION_FIGURES lists them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TESTS = Path(__file__).resolve().parent

# Figures stated by a solution and checked by the named test in tests/test_solutions.py.
SOLUTION_FIGURES: dict[str, dict[str, str]] = {
    "05": dict.fromkeys(("0.708", "2500", "9", "0.3"),
                        "test_05_solutions_print_what_their_prose_states"),
    "07": {"0.219": "test_07_wilson_intervals_stop_overlapping_at_100_seeds",
           "0.396": "test_07_wilson_intervals_stop_overlapping_at_100_seeds",
           "0.404": "test_07_wilson_intervals_stop_overlapping_at_100_seeds",
           "0.596": "test_07_wilson_intervals_stop_overlapping_at_100_seeds",
           **dict.fromkeys(("0.636", "0.467", "0.62"),
                           "test_07_solutions_print_what_their_prose_states")},
}

NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?%?(?![\w])")
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
IMAGE_OR_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
HEADING = re.compile(r"^[ \t]*#{1,6}[ \t].*$", re.MULTILINE)
BLOCKQUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
LIST_NUMBER = re.compile(r"^([ \t]*)\d+[.)](?=[ \t])", re.MULTILINE)
SOFTWARE_VERSION = re.compile(
    r"\b(?:Keras|TensorFlow|TF|Python|NumPy|scikit-learn|nbval|pandas)[ \t]+\d+(?:\.[\dx]+)*"
    r"|\b\d+-bit\b")  # and number formats such as 64-bit
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*_(\[\"'])|\n[ \t]*\n|\n[ \t]*[-*][ \t]")
QUOTED = re.compile(r"\(quoted:\s[^)]+\)")
DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
FURTHER_READING = re.compile(r"^##[ \t]+Further reading.*?(?=^##?[ \t]|\Z)",
                             re.MULTILINE | re.DOTALL)


def _normalise(token: str) -> str:
    return token.replace(",", "")


def _is_excluded(token: str) -> bool:
    t = token.rstrip("%")
    if re.fullmatch(r"(19|20)\d\d", t):  # a year
        return True
    return bool(re.fullmatch(r"0\d", t))  # a notebook number such as 05


def _drop_quoted_sentences(text: str) -> str:
    """Remove every sentence that carries a `(quoted: source)` marker."""
    while (m := QUOTED.search(text)) is not None:
        starts = [e.end() for e in SENTENCE_END.finditer(text, 0, m.start())]
        start = starts[-1] if starts else 0
        end_match = SENTENCE_END.search(text, m.end())
        end = end_match.start() if end_match else len(text)
        text = text[:start] + " " + text[end:]
    return text


def prose_numbers(markdown: str) -> list[str]:
    """The numbers a markdown cell states as claims, after the documented exclusions."""
    text = FURTHER_READING.sub(" ", markdown)
    text = FENCE.sub(" ", text)
    text = CODE_SPAN.sub(" ", text)
    text = MATH.sub(" ", text)
    text = IMAGE_OR_LINK.sub(" ", text)
    text = HTML_TAG.sub(" ", text)
    text = HEADING.sub(" ", text)
    text = BLOCKQUOTE.sub(" ", text)
    text = LIST_NUMBER.sub(r"\1", text)
    text = SOFTWARE_VERSION.sub(" ", text)
    text = _drop_quoted_sentences(text)
    return [_normalise(t) for t in NUMBER.findall(text) if not _is_excluded(_normalise(t))]


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime in ("text/plain", "text/html", "text/markdown"):
            value = out.get("data", {}).get(mime)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def available_numbers(nb) -> set[str]:
    """Every number printed by the notebook's outputs or written in its code (with % kept)."""
    sources = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            sources += [cell.source, _output_text(cell)]
        else:  # code the reader can see in a markdown cell: fenced blocks and code spans
            sources += [m.group(0) for m in FENCE.finditer(cell.source)]
            sources += [m.group(2) for m in CODE_SPAN.finditer(FENCE.sub(" ", cell.source))]
    found = set()
    for text in sources:
        for token in NUMBER.findall(text):
            found.add(_normalise(token))
    return found


def unsupported_numbers(nb, number: str) -> list[str]:
    """Numbers in the prose of notebook `nb` (its two-digit number) that nothing supports."""
    have = available_numbers(nb)
    allowed = set(SOLUTION_FIGURES.get(number, {}))
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        solutions = " ".join(DETAILS.findall(cell.source))
        for token in prose_numbers(cell.source):
            if token in have:
                continue
            if token in allowed and token in prose_numbers(solutions):
                continue
            problems.append(f"cell {i}: {token}")
    return problems


NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_every_prose_number_is_printed_or_quoted(path):
    nb = nbformat.read(path, as_version=4)
    problems = unsupported_numbers(nb, path.name[:2])
    assert not problems, (
        f"{path.name}: numbers in markdown that no output or code of the notebook shows "
        f"(print them, or mark a reference figure as a quote): {problems}")


def test_solution_figures_name_existing_tests():
    source = (TESTS / "test_solutions.py").read_text(encoding="utf-8")
    for figures in SOLUTION_FIGURES.values():
        for test_name in figures.values():
            assert f"def {test_name}(" in source, test_name


# --------------------------------------------------------------------------- the extractor itself
@pytest.mark.parametrize("text", [
    "## 3 layers and 0.5",                        # heading
    "See [notebook 0.7](07_x.ipynb).",            # link text and target
    "Call `train(epochs=123)`.",                  # code span
    "```python\nx = 0.123\n```",                  # fenced code
    "Glorot picks $2 / (n_{in} + n_{out})$.",     # math
    "> The tutorial reported 0.816.",             # blockquote
    "It reported 0.530 (quoted: Brownlee 2019). Next.",  # quoted sentence
    "Glorot and Bengio (2010) saw it.",           # year
    "1. First exercise",                          # list numbering
    "As notebook 05 showed.",                     # notebook number
    "Code for Keras 2.3 and TensorFlow 2.0 breaks.",  # software versions
    "In 64-bit floats the error is smaller.",     # a number format
    "W<sub>12</sub>",                             # HTML tag (the 12 is an index, kept as text)
    "## Further reading\n\n- A. Author (2015). Journal 28(5), 1-9.",  # the bibliography
])
def test_excluded_text_states_no_number(text):
    found = prose_numbers(text)
    assert found in ([], ["12"]), (text, found)
    if "<sub>" not in text:
        assert found == [], (text, found)


def test_claims_are_extracted():
    text = ("The network learned in 16 of 20 seeds (median 0.832), 1,000 points; "
            "a share of 30% and 1e-3. It reported 0.5 (quoted: X). Then 0.97 again.")
    assert prose_numbers(text) == ["16", "20", "0.832", "1000", "30%", "1e-3", "0.97"]


def test_a_number_not_printed_is_reported():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("It learned in 17 of 20 seeds, median 0.811."),
                nbformat.v4.new_code_cell("print(17, 20)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="17 20 0.81\n")]
    assert unsupported_numbers(nb, "99") == ["cell 0: 0.811"]
