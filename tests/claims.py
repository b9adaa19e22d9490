"""The registry of qualitative claims: every result a notebook states in words, tied to a check.

`tests/test_prose_numbers.py` makes every *number* in the prose a printed one. This registry does
the same for *words*: a markdown sentence that states a result with a quantifier or a comparison
("all", "none", "only", "at most", "more than", "fails", "learns", "grows", ...) must contain the
fragment of a registered claim, and that claim's check asserts it from the notebook's committed
outputs (which nbval re-computes on every run). A sentence that matches the pattern but states no
result (a definition, a method, a paper's theory introduced as such) is listed in NOT_RESULTS
with the reason. `tests/test_claims_registry.py` fails when

- a registered fragment is no longer in its notebook (the sentence changed: re-register it),
- a sentence of an ENFORCED notebook matches RESULT_WORDS and contains no registered fragment,
- a claim's check fails on the notebook's outputs.

To register a new sentence: copy a distinctive piece of it (whitespace does not matter) into a
`@claim(...)` decorator above a function that takes the notebook (`Notebook`) and asserts the
result from `nb.text(cell_id)` or a parsed table (`nb.frame(cell_id)`); or, when it states no
result, add it to NOT_RESULTS with the reason. Claims in the "Exercises" section (its exercises
and solutions) are checked by tests/test_solutions.py, and the "Further reading" list is not prose.

The feedback of the concept questions (markdown cells tagged `quiz`: the text under each option,
after its `</summary>`) is the course speaking too: `Notebook.quiz_feedback_sentences` extracts it
and the same rule holds for it, with its claims and NOT_RESULTS entries in tests/claims_quiz.py
(imported by the registry's test). A question's stem and its options are not registered: an
option is offered to be judged and is often false on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# A sentence with one of these words states a result unless NOT_RESULTS says otherwise.
RESULT_WORDS = re.compile(
    r"\b(all|every|none|neither|nothing|only|at most|at least|more|fewer|less|better|worse|"
    r"keeps?|fails?|failed|learns?|learned|grows?|shrinks?|never|always|most|larger|smaller|"
    r"higher|lower|vanish(?:es)?|explodes?)\b",
    re.IGNORECASE,
)

# Notebooks whose every result sentence must be registered. The others still have their
# registered claims checked; adding a notebook here makes its unregistered sentences fail.
ENFORCED = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())


class Notebook:
    """A committed notebook: its markdown and the text of every cell's outputs, by cell id."""

    def __init__(self, number: str):
        paths = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
        if len(paths) != 1:
            raise ValueError(f"notebook {number!r}: expected one file, found {paths}")
        self.path = paths[0]
        self.nb = nbformat.read(self.path, as_version=4)
        self.cells = {c.get("id"): c for c in self.nb.cells}

    def text(self, cell_id: str) -> str:
        """Everything the code cell printed or displayed as text, joined."""
        parts = []
        for out in self.cells[cell_id].get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            elif "text/plain" in out.get("data", {}):
                parts.append(out["data"]["text/plain"])
        if not parts:
            raise AssertionError(f"{self.path.name}, cell {cell_id}: no text output")
        return "\n".join(parts)

    def number(self, cell_id: str, pattern: str) -> float:
        """The number captured by the regular expression ``pattern``'s group 1 in the outputs."""
        m = re.search(pattern, self.text(cell_id))
        if m is None:
            raise AssertionError(f"{self.path.name}, cell {cell_id}: {pattern!r} not printed")
        return float(m.group(1))

    def frame(self, cell_id: str, first: str = "", last: str = "") -> dict[str, dict[str, str]]:
        """A printed pandas DataFrame (wrapped over several blocks or not) as {row: {column: value}},
        read from the line containing ``first`` up to the line before the one containing ``last``.

        Columns are read by position: pandas right-aligns a column's header and its values."""
        table: dict[str, dict[str, str]] = {}
        lines = self.text(cell_id).splitlines()
        start = next(i for i, line in enumerate(lines) if first in line)
        stop = next((i for i, line in enumerate(lines) if last and last in line), len(lines))
        text = "\n".join(lines[start:stop])
        for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
            lines = [
                line.rstrip().rstrip("\\").rstrip() for line in block.splitlines() if line.strip()
            ]
            header, rows = lines[0], lines[2:]  # lines[1] names the index
            for line in rows:
                spans = [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]
                name = line[spans[0][0] : spans[0][1]]
                left = spans[0][1]
                for start, end in spans[1:]:
                    table.setdefault(name, {})[header[left:end].strip()] = line[start:end]
                    left = end
        if not table:
            raise AssertionError(f"{self.path.name}, cell {cell_id}: no table printed")
        return table

    def markdown_sentences(self) -> list[tuple[str, str]]:
        """(cell id, sentence) for the prose a learner reads as the course's own statements:
        markdown outside headings, code, the Exercises section and the Further reading list."""
        out = []
        skipping = False
        for c in self.nb.cells:
            if c.cell_type != "markdown":
                continue
            if "quiz" in c.get("metadata", {}).get("tags", []):
                # A concept question: its stem asks, its options are to be judged; the feedback
                # under each option is registered separately (quiz_feedback_sentences).
                continue
            # a cell may hold several sections: split it at its level-2 headings
            for part in re.split(r"(?m)^(?=[ \t]*##[ \t])", c.source):
                heading = re.match(r"\s*##[ \t]+(.*)", part)
                if heading:
                    skipping = heading.group(1).strip().lower() in ("exercises", "further reading")
                if skipping:
                    continue
                text = re.sub(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", "", part, flags=re.M | re.S)
                text = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
                text = re.sub(r"^[ \t]*#{1,6}[ \t].*$", "", text, flags=re.M)
                for sentence in SENTENCE_END.split(text):
                    sentence = normalise(sentence)
                    if sentence:
                        out.append((c.get("id"), sentence))
        return out

    def quiz_feedback_sentences(self) -> list[tuple[str, str]]:
        """(cell id, sentence) for the feedback of the concept questions (cells tagged `quiz`):
        the text after each option's `</summary>`, which the course says to the learner. Not the
        question's stem, nor the options themselves (offered to be judged, often false)."""
        out = []
        for c in self.nb.cells:
            if c.cell_type != "markdown" or "quiz" not in c.get("metadata", {}).get("tags", []):
                continue
            for feedback in re.findall(r"</summary>(.*?)</details>", c.source, flags=re.S):
                for sentence in SENTENCE_END.split(feedback):
                    sentence = normalise(sentence)
                    if sentence:
                        out.append((c.get("id"), sentence))
        return out


SENTENCE_END = re.compile(
    r"(?:(?<=[.!?:])|(?<=[.!?:]\*\*))\s+(?=[A-Z*_(\[\"'`])|\n[ \t]*\n|\n[ \t]*[-*|][ \t]"
)


@dataclass(frozen=True)
class Claim:
    id: str
    notebook: str
    fragments: tuple[str, ...]
    check: Callable[[Notebook], None]


CLAIMS: dict[str, Claim] = {}


def claim(notebook: str, *fragments: str) -> Callable:
    """Register the decorated check for the sentences containing ``fragments``."""

    def register(check: Callable[[Notebook], None]) -> Callable[[Notebook], None]:
        cid = f"{notebook}:{check.__name__}"
        if cid in CLAIMS:
            raise ValueError(f"claim {cid} registered twice")
        CLAIMS[cid] = Claim(cid, notebook, tuple(normalise(f) for f in fragments), check)
        return check

    return register


# Sentences that match RESULT_WORDS but state no result, with the reason.
NOT_RESULTS: dict[str, dict[str, str]] = {
    "09": {
        'build a "what fixes what" table in which every cell is measured here': "announces the notebook's plan",
        "If every layer *amplifies* the signal instead of damping it": "the mechanism introduced as theory; the next cell measures it",
        "He initialization is `scale=2`, chosen so that a ReLU layer keeps the signal's size": "definition of an initializer (derived in notebook 05)",
        "Whether the network learns is a separate question": "introduces a measurement",
        "never exactly zero for negative inputs, so units cannot die completely": "the remedies table: the idea a remedy was proposed with (cited in Further reading)",
        "re-centres and re-scales every layer's pre-activations on each batch": "the remedies table: what batch normalization computes (Ioffe & Szegedy)",
        "the identity path carries signal and gradient past every block": "the remedies table: the idea of residual connections (He et al. 2016)",
        "make gradients **explode** on purpose": "announces the notebook's plan",
        "*vanishing* means the weakest hidden layer's gradient is below": "definitions of the table's columns",
        "Residual connections are paired with batch normalization, as in ResNets": "theory of the residual sum; exercise 1 measures it",
        "Every remedy, depth, width and seed is one training run": "method",
        "Like notebooks 06 and 07, this one reads its runs": "method",
        "Success rates say *whether* a network learns": "method",
        "The last layer can only separate the two rings if": "theory, introduced as such",
        "In the *ordered* one the correlation climbs towards 1": "Poole et al.'s theory, cited; the table that follows measures it",
        "Only near the edge between the two does the geometry": "Poole et al.'s theory, cited",
        "Measure it on the 30-layer networks at initialization": "method",
        "Every cell is measured: success rates come from the sweep above": "method, definitions",
        "The tutorial's caveat, whether ReLU worked *because*": "introduces the next sentences",
        "Every success rate in the table comes from this notebook's stored runs": "method",
        "`clipnorm=1.0` clips **each variable's** gradient": "Keras' documented behaviour; checked by test_keras_clipnorm_is_per_variable",
        "In training it takes every unit's pre-activations over the current batch": "what batch normalization computes, by definition (Ioffe & Szegedy); measured next",
        "`global_clipnorm=1.0` rescales **the whole gradient**": "Keras' documented behaviour; checked by test_keras_clipnorm_is_per_variable",
    },
}


# ------------------------------------------------------------------ notebook 09
SUMMARY_CELL, TABLE_CELL, SIGNAL_CELL, PROFILE_CELL = "c901958b", "fe02c0d7", "ded188dc", "f6f88f2b"


def _rates(nb: Notebook) -> dict[str, list[float]]:
    """Notebook 09's success-rate pivot: remedy -> [w5 d10, d20, d30, d50, w16 d30, d50]."""
    rows = {}
    for line in nb.text(SUMMARY_CELL).splitlines():
        m = re.match(r"^(\S.*?)\s+((?:[\d.]+|NaN)(?:\s+(?:[\d.]+|NaN)){5})\s*$", line)
        if m and m.group(1) not in ("width", "depth"):
            rows[m.group(1)] = [float(v) for v in m.group(2).split()]
    if len(rows) != 9:
        raise AssertionError(f"expected the 9 remedies' rates, parsed {list(rows)}")
    return rows


W5 = {10: 0, 20: 1, 30: 2, 50: 3}
ALIVE_REMEDIES = (
    "leaky ReLU + He",
    "ELU + He",
    "SELU + LeCun normal",
    "GELU + He",
    "tanh + orthogonal",
)


def _table(nb: Notebook) -> dict[str, dict[str, float]]:
    frame = nb.frame(TABLE_CELL)
    return {
        row: {k: float(v) for k, v in cols.items() if k != "source"} for row, cols in frame.items()
    }


@claim("09", "The single network below grows less, though still by orders of magnitude")
def example_network_grows_less_than_the_average_factor(nb):
    # The average factor is 2.8 per layer (2.8^20 ~ 1e9 over twenty layers); the example
    # network's loss (about the size of its output logit) and its bias gradients grow less.
    loss = nb.number("110762e4", r"scale 16: loss ([\d.e+-]+)")
    first = nb.number("110762e4", r"scale 16: .*layer 1: ([\d.e+-]+)")
    last = nb.number("110762e4", r"scale 16: .*layer 20: ([\d.e+-]+)")
    assert 1e3 < loss < 2.8**20 / 100 and 1e3 < first / last < 2.8**19 / 100


@claim("09", "with `scale=16` it grows by orders of magnitude from the output towards the input")
def exploding_bias_gradient_grows_towards_the_input(nb):
    first = nb.number("110762e4", r"scale 16: .*layer 1: ([\d.e+-]+)")
    output = nb.number("110762e4", r"scale 16: .*output: ([\d.e+-]+)")
    assert first > 100 * output


@claim(
    "09", "The He network's signals stay small everywhere", "and 26% of its hidden units are dead"
)
def he_network_signal_small_and_shrinking(nb):
    line = re.search(r"He, scale 2: loss.*", nb.text("110762e4")).group(0)
    sizes = [float(v) for v in re.findall(r": ([\d.e+-]+)", line.split(";")[1])]
    assert max(sizes) < 0.01 and sizes[0] < sizes[2]  # layer 1 < layer 20
    assert nb.number("110762e4", r"scale 2: (\d+)% of the hidden units") > 0


@claim(
    "09",
    "With this seed the first epoch's loss is astronomically large",
    "Exploding gradients are the mirror image of vanishing ones",
)
def exploding_run_is_wrecked_in_one_epoch(nb):
    text = nb.text("737c15c1")
    losses = [
        float(v)
        for v in re.search(r"first five epochs: \[(.*)\]", text)
        .group(1)
        .replace("'", "")
        .split(",")
    ]
    assert losses[0] > 1e6 and all(abs(v - 0.693) < 0.001 for v in losses[1:])
    assert "every training point: True" in text


@claim(
    "09",
    "The two forms differ as soon as the norm of the whole gradient is above the limit",
    "Clipping each variable separately changes the direction of the step",
    "Clipping the whole gradient keeps its direction exactly",
)
def per_variable_clipping_bends_the_gradient_global_does_not(nb):
    cell = _cell_after(nb, "c7532db3")
    text = nb.text(cell)
    assert nb.number(cell, r"variables, (\d+) with a gradient norm above 1") > 1
    assert nb.number(cell, r"norm of the whole gradient ([\d.e+-]+)") > 1
    assert nb.number(cell, r"each variable\): .*cosine with the unclipped gradient ([\d.]+)") < 0.9
    assert nb.number(cell, r"whole\) *: .*cosine with the unclipped gradient ([\d.]+)") > 0.9999
    assert abs(nb.number(cell, r"whole\) *: norm of the clipped gradient ([\d.]+)") - 1) < 1e-3
    assert text


@claim(
    "09",
    "On this network the outcome is the same either way: neither run learns in 100 epochs",
    "The per-variable run ends with a constant output, the global one does not",
)
def neither_clipping_form_learns_the_scale_16_network(nb):
    text = nb.text(_cell_after(nb, "c7532db3"))
    accuracies = [float(v) for v in re.findall(r"test accuracy ([\d.]+)", text)]
    assert len(accuracies) == 2 and max(accuracies) < 0.7
    assert re.search(r"clipnorm=1.0 +:.*output constant: True", text)
    assert re.search(r"global_clipnorm=1.0:.*output constant: False", text)


def _cell_after(nb: Notebook, cell_id: str) -> str:
    ids = [c.get("id") for c in nb.nb.cells]
    return ids[ids.index(cell_id) + 1]


@claim("09", "Clipping bounds every step; in the per-variable `clipnorm` run above the output")
def clipping_tames_the_first_epoch(nb):
    assert "output constant: True" in nb.text("fd320198").split("global_clipnorm=1.0:")[0]
    unclipped = float(
        re.search(r"first five epochs: \['([\d.e+-]+)'", nb.text("737c15c1")).group(1)
    )
    clipped = nb.number("85e76760", r"loss after 1, 10, 100 epochs: ([\d.e+-]+),")
    assert clipped < unclipped / 1e6


@claim(
    "09",
    "Without clipping, the example seed took a gigantic first epoch",
    "Clipping keeps every step small, yet no run learns either way",
)
def no_clipped_or_unclipped_run_learns_and_none_overflows(nb):
    rows = [line.split() for line in nb.text("8e2e4efd").splitlines()[2:]]
    assert [r[0] for r in rows] == ["none", "1.0"]
    assert all(float(r[1]) == 0 and float(r[2]) == 0 for r in rows)  # loss_nan, learned


@claim("09", "The right scale (He) removes the explosion")
def he_scale_starts_at_log_2_but_rarely_learns_at_20_layers(nb):
    assert abs(nb.number("110762e4", r"He, scale 2: loss ([\d.]+)") - 0.693) < 0.001
    assert _rates(nb)["ReLU + He (baseline)"][W5[20]] <= 0.2


@claim("09", "The baseline's median is exactly zero: most of its 30-layer networks are dead")
def baseline_profile_is_zero_and_mostly_dead(nb):
    assert nb.number(PROFILE_CELL, r"baseline\)\s+median .*first hidden layer ([\d.e+-]+)") == 0
    assert _table(nb)["ReLU + He (baseline)"]["dead @30 (init)"] > 0.5


@claim(
    "09",
    "Batch normalization alone gives its first hidden layer far more gradient",
    "with the residual path the first layer gets less than the output layer",
)
def batch_norm_alone_inflates_the_first_layer_residual_does_not(nb):
    bn = r"batch norm\s+median mean \|gradient\|: first hidden layer ([\d.e+-]+), output layer ([\d.e+-]+)"
    first, out = (float(v) for v in re.search(bn, nb.text(PROFILE_CELL)).groups())
    assert first > 10 * out
    res = r"residual \+ batch norm\s+median .*first hidden layer ([\d.e+-]+), output layer ([\d.e+-]+)"
    first, out = (float(v) for v in re.search(res, nb.text(PROFILE_CELL)).groups())
    assert first < out


@claim("09", "SELU and tanh + orthogonal have profiles of a healthy shape")
def selu_and_orthogonal_profiles_are_healthy(nb):
    table = _table(nb)
    for name in ("SELU + LeCun normal", "tanh + orthogonal"):
        pattern = (
            re.escape(name)
            + r"\s+median .*first hidden layer ([\d.e+-]+), output layer ([\d.e+-]+)"
        )
        first, out = (float(v) for v in re.search(pattern, nb.text(PROFILE_CELL)).groups())
        assert 0.1 < first / out < 10, name
        assert table[name]["vanishing @30 (init)"] == table[name]["exploding @30 (init)"] == 0
        assert table[name]["learned @30"] == 0, name


@claim(
    "09",
    "It also keeps running averages of the batch means and variances",
    "In training mode every unit comes out with mean 0 and standard deviation 1 over the batch",
)
def batch_norm_uses_batch_statistics_in_training_running_ones_at_inference(nb):
    text = nb.text(_cell_after(nb, "aa62c326"))
    assert (
        "trainable: ['gamma', 'beta'] | not trainable: ['moving_mean', 'moving_variance']" in text
    )
    rows = {
        m.group(1): ([float(v) for v in m.group(2).split()], [float(v) for v in m.group(3).split()])
        for m in re.finditer(
            r"^(before|training=False|training=True):\s+unit means \[(.*?)\], "
            r"stds \[(.*?)\]",
            text,
            flags=re.M,
        )
    }
    means, stds = rows["training=True"]
    assert max(abs(v) for v in means) < 0.01 and min(stds) >= 0.98 and max(stds) <= 1.0
    assert all(abs(a - b) <= 0.01 for a, b in zip(rows["training=False"][1], rows["before"][1]))


def _signal(nb: Notebook) -> dict[str, dict[str, float]]:
    return {
        row: {k: float(v) for k, v in cols.items()} for row, cols in nb.frame(SIGNAL_CELL).items()
    }


@claim("09", "With leaky ReLU every input ends up pointing the same way at layer 30")
def leaky_relu_collapses(nb):
    row = _signal(nb)["leaky ReLU + He"]
    assert row["layer 30"] > 0.99 and row["rms, layer 30"] < 0.01


@claim("09", "GELU keeps the inputs apart in direction, but its signal fades to almost nothing")
def gelu_signal_fades(nb):
    row = _signal(nb)["GELU + He"]
    assert row["layer 30"] < 0.5 and row["rms, layer 30"] < 1e-4


@claim(
    "09",
    "Batch normalization alone leans towards the chaotic regime",
    "the lowest of the living networks, against 0.509 for arbitrary pairs",
)
def batch_norm_alone_is_chaotic(nb):
    signal, table = _signal(nb), _table(nb)
    bn = signal["ReLU + He + batch norm"]["cos, neighbours: layer 30"]
    assert 0.5 < bn < 0.8 and bn > signal["ReLU + He + batch norm"]["layer 30"]
    assert table["ReLU + He + batch norm"]["dead @30 (init)"] == 0
    others = [
        row["cos, neighbours: layer 30"]
        for name, row in signal.items()
        if name not in ("ReLU + He + batch norm", "ReLU + He (baseline)")
    ]
    assert bn < min(others) - 0.1


@claim(
    "09",
    "Three other failures keep a healthy signal",
    "Nothing measured at initialization predicts their failure",
    "ELU, SELU and tanh + orthogonal keep neighbours alike",
)
def three_failures_keep_a_healthy_signal(nb):
    signal, table = _signal(nb), _table(nb)
    for name in ("ELU + He", "SELU + LeCun normal", "tanh + orthogonal"):
        row = signal[name]
        assert row["cos, neighbours: layer 30"] > 0.95 and row["layer 30"] < 0.6, name
        assert 0.1 < row["rms, layer 30"] < 10, name
        assert table[name]["learned @30"] <= 0.2, name
        flags = [
            table[name][c]
            for c in ("vanishing @30 (init)", "exploding @30 (init)", "dead @30 (init)")
        ]
        assert max(flags) == 0, name


@claim(
    "09",
    "And the two configurations that learn most often at 30 layers do not look special",
    "What separates them from leaky ReLU (all pairs 1.000) is that different inputs are not yet",
)
def best_learners_have_aligned_inputs_but_intact_neighbours(nb):
    signal = _signal(nb)
    for name in ("ReLU + He + residual + batch norm", "ReLU + He, width 16"):
        assert signal[name]["layer 30"] > 0.9 and signal[name]["cos, neighbours: layer 30"] > 0.99
        assert signal[name]["layer 30"] < signal["leaky ReLU + He"]["layer 30"], name
    learned = {name: row["learned @30"] for name, row in signal.items()}
    assert sorted(learned, key=learned.get)[-2:] == [
        "ReLU + He, width 16",
        "ReLU + He + residual + batch norm",
    ]


@claim("09", 'Adam changes only training, so its "(init)" columns repeat the baseline\'s')
def adam_init_columns_are_the_baselines(nb):
    table = _table(nb)
    for column in ("vanishing @30 (init)", "exploding @30 (init)", "dead @30 (init)"):
        assert table["ReLU + He + Adam"][column] == table["ReLU + He (baseline)"][column]


@claim(
    "09",
    "Only one remedy keeps a width-5 network learning at 30 layers in every seed and at 50 in some",
    "Every other configuration learns in at most a fifth of the seeds at 30 layers",
    "only residual connections with batch normalization kept it learning at 30 layers (every seed)",
)
def only_residual_batch_norm_trains_at_30_and_50(nb):
    rates = _rates(nb)
    for name, r in rates.items():
        if name == "ReLU + He + residual + batch norm":
            assert r[W5[30]] >= 0.5 and r[W5[50]] >= 0.5
        else:
            assert r[W5[30]] <= 0.2 and r[W5[50]] == 0, name
    assert rates["leaky ReLU + He"][W5[30]] == max(
        r[W5[30]] for n, r in rates.items() if n != "ReLU + He + residual + batch norm"
    )


@claim(
    "09",
    "The new activations and orthogonal initialization help in the middle range",
    "At 10 layers each of them learns in every seed, where ReLU + He fails in about a third",
    "New activations and orthogonal initialization push the limit out a little",
)
def new_activations_help_in_the_middle_range(nb):
    rates = _rates(nb)
    assert all(rates[name][W5[10]] == 1.0 for name in ALIVE_REMEDIES)
    assert 0.25 <= 1 - rates["ReLU + He (baseline)"][W5[10]] <= 0.45
    for name in ("tanh + orthogonal", "ELU + He", "leaky ReLU + He"):
        assert rates[name][W5[20]] > 0.5, name
    assert all(
        rates[name][W5[20]] >= rates["ReLU + He (baseline)"][W5[20]] for name in ALIVE_REMEDIES
    )


@claim("09", "None of them can switch a whole layer off for every input the way ReLU can")
def alive_remedies_are_not_born_dead_but_fail_at_30(nb):
    table = _table(nb)
    for name in ALIVE_REMEDIES:
        assert table[name]["dead @30 (init)"] == 0 and table[name]["learned @30"] <= 0.2, name


@claim(
    "09",
    "The remedies that keep every unit alive remove that cause but not",
    "ELU, SELU and tanh + orthogonal look healthy at initialization in both gradient and signal",
)
def alive_remedies_fail_for_different_reasons(nb):
    table, signal = _table(nb), _signal(nb)
    alive = [*ALIVE_REMEDIES, "ReLU + He + batch norm", "ReLU + He + residual + batch norm"]
    for name in alive:
        assert table[name]["dead @30 (init)"] == 0, name
        if name != "ReLU + He + residual + batch norm":
            assert table[name]["learned @30"] <= 0.2, name
    assert table["ReLU + He + residual + batch norm"]["learned @30"] == 1.0
    assert table["ReLU + He + batch norm"]["exploding @30 (init)"] >= 0.5
    assert signal["leaky ReLU + He"]["layer 30"] > 0.99  # every input points the same way
    assert signal["GELU + He"]["rms, layer 30"] < 1e-4  # the signal fades
    rates = _rates(nb)
    for name, rate in (("ELU + He", 0.05), ("SELU + LeCun normal", 0), ("tanh + orthogonal", 0)):
        flags = [table[name][c] for c in ("vanishing @30 (init)", "exploding @30 (init)")]
        assert max(flags) == 0 and table[name]["learned @30"] == rates[name][W5[30]] == rate
        assert 0.1 < signal[name]["rms, layer 30"] < 10 and signal[name]["layer 30"] < 0.6


@claim(
    "09",
    "Batch normalization alone fails beyond 10 layers here",
    'At initialization 0.7 of its networks are flagged as exploding (the "exploding" column',
)
def batch_norm_alone_fails_beyond_10_layers(nb):
    r = _rates(nb)["ReLU + He + batch norm"]
    assert r[W5[10]] >= 0.8 and r[W5[20]] == r[W5[30]] == r[W5[50]] == 0
    assert _table(nb)["ReLU + He + batch norm"]["exploding @30 (init)"] >= 0.5


@claim(
    "09", "In the residual version, most of the signal and the gradient travel along the identity"
)
def residual_version_does_not_explode(nb):
    assert _table(nb)["ReLU + He + residual + batch norm"]["exploding @30 (init)"] == 0


@claim("09", "**Width is a remedy too:**")
def width_16_learns_at_30_not_50(nb):
    rates = _rates(nb)
    assert rates["ReLU + He (baseline)"][4] > 0.5 and rates["ReLU + He (baseline)"][5] <= 0.05
    assert rates["ReLU + He + residual + batch norm"][5] > 0.5


@claim(
    "09",
    "At 30 layers of width 5 most plain ReLU networks are dead before training starts",
    "From twenty layers on, a width-5 ReLU + He network mostly fails",
)
def plain_relu_mostly_dead_and_failing_past_20(nb):
    assert _table(nb)["ReLU + He (baseline)"]["dead @30 (init)"] > 0.5
    assert all(_rates(nb)["ReLU + He (baseline)"][W5[d]] < 0.5 for d in (20, 30, 50))


@claim("09", "Dead networks, exploding gradients and collapsed or chaotic signals")
def warnings_went_with_failure_and_residual_learned_despite_a_flag(nb):
    table = _table(nb)
    assert table["ReLU + He + residual + batch norm"]["vanishing @30 (init)"] == 1.0
    assert table["ReLU + He + residual + batch norm"]["learned @30"] == 1.0
    for name in ("ReLU + He (baseline)", "ReLU + He + batch norm"):
        assert table[name]["learned @30"] == 0


# ------------------------------------------------------------------ notebook 10
NOT_RESULTS["10"] = {
    "Measure the gradient that reaches every time step": "announces the notebook's plan",
    "Count, over 10 seeds per point, how often each network learns": "announces the plan",
    "at every later step the marker is 0": "defines the task",
    "The network reads the whole sequence and answers only after the last step": "defines the task",
    "Nothing after the first step says anything about the label": "defines the task",
    "We say a run *learned* the task when it gets at least 0.9": "definition",
    "Keras' `SimpleRNN` computes a new state from the input": "Keras' documented cell",
    "This is notebook 05's layer-to-layer rule with one difference": "theory (the chain rule)",
    "Going back k steps multiplies by k such factors": "theory, cited; measured below",
    "Keras starts $U$ as a random *orthogonal* matrix": "Keras' documented default",
    "The LSTM (Hochreiter & Schmidhuber 1997) adds a cell state": "the LSTM's definition, cited",
    "When $f_t$ is close to 1 the gradient passes unchanged": "theory, cited",
    "and $z_t$ close to 1 keeps the old state": "the GRU's definition (Keras' formula)",
    "Both gates are sigmoids of a weighted input plus a bias": "definition",
    "below we also try 3, which keeps 0.95 of the state per step": "a setting; printed below",
    "says how much the answer at the end can still learn": "definition of the measurement",
    "`tf.GradientTape` gives it for every step at once": "method",
    "The same measurement for every network before training": "method",
    "Plain SGD moves every weight by the learning rate times its gradient": "SGD's definition",
    "Gradient clipping (Pascanu, Mikolov & Bengio 2013) rescales the whole gradient": "definition",
    "Every run draws its own 8,000 training sequences": "method",
    "The finished runs are stored in": "method",
    "Ten seeds at one length is a small sample": "states a limit of the measurement",
    "Its median at the headline length, for the runs that learned": "method",
    "A network that has learned to carry the first step forward is": "interpretation of the row above",
    "SimpleRNN's recurrent matrix, before and after training, at every length": "method",
    "A likely reason, which this notebook does not measure": "a hypothesis, said to be one",
    "A ratio after training also says less than one before it": "how to read the measure",
    "For this one seed the two end only one power of ten apart": "how to read one seed",
}
RATES_CELL, HEADLINE_CELL = "782ce33d", "513a4773"


def _rnn_rates(nb: Notebook) -> dict[str, dict[int, tuple[int, int]]]:
    """Notebook 10's table: network -> {length: (learned, seeds)}."""
    rates = {}
    for line in nb.text(RATES_CELL).splitlines():
        counts = re.findall(r"(\d+)/(\d+) \[", line)
        if counts:
            name = line[: line.index(counts[0][0] + "/")].strip()
            lengths = [10, 25, 50][-len(counts) :]
            rates[name] = {n: (int(k), int(t)) for n, (k, t) in zip(lengths, counts)}
    if len(rates) != 6:
        raise AssertionError(f"expected 6 networks, parsed {list(rates)}")
    return rates


def _ratio(nb: Notebook, label: str) -> float:
    return nb.number(
        "019fdf43", re.escape(label) + r"\s+gradient at step 1 / at step 50: ([\d.e+-]+)"
    )


@claim(
    "10",
    "Before any training, the gated networks with Keras' default gate biases are *not* better",
    "a GRU that keeps half of its state per step",
    "their gradient at initialization vanishes as fast as SimpleRNN's, or faster",
)
def default_gates_are_no_better_than_simple_rnn_at_init(nb):
    simple = _ratio(nb, "SimpleRNN")
    assert (
        _ratio(nb, "LSTM (Keras' bias 1)") <= simple and _ratio(nb, "GRU (Keras' bias 0)") <= simple
    )
    assert nb.number("683a4a33", r"update-gate bias\s+0.0: keeps ([\d.]+)") == 0.5


@claim("10", "The IRNN starts as an adder and passes 2.7e-01 of the gradient back")
def irnn_passes_more_gradient_back_than_simple_rnn(nb):
    assert _ratio(nb, "IRNN") > 100 * _ratio(nb, "SimpleRNN")


@claim(
    "10",
    "At gain 1, Keras' default, SimpleRNN's gradient already shrinks over 50 steps",
    "Above 1 the product grows instead",
    "a largest singular value below 1 (for tanh, whose slope is at most 1) is enough",
    "SimpleRNN's recurrent matrix decides the direction",
    "above 1 it can explode (here it does)",
)
def gain_decides_vanishing_or_exploding(nb):
    ratio = {
        g: nb.number("f125c8ae", rf"gain {g}: .*step 50: ([\d.e+-]+)")
        for g in ("0.5", "1.0", "2.0", "3.0")
    }
    assert ratio["0.5"] < 1e-10 and ratio["1.0"] < 1e-2 and 1 < ratio["2.0"] < ratio["3.0"]


@claim(
    "10",
    "`clipnorm` cuts the three large ones to norm 1 each",
    "At radius 3 the gradient of all weights on those 100 sequences has a norm",
    "clipping stopped the blow-up but did not by itself make the network learn",
    "the task is hard at this length anyway (seed 0's SimpleRNN at radius 1",
    "No network learns the task in three epochs",
    "Clipping the gradient norm stops the weights from blowing up under SGD",
)
def clipping_bounds_the_blow_up_but_nothing_learns(nb):
    text = nb.text("c7d5cca5")
    whole = [
        float(v)
        for v in re.findall(
            r"norm of the gradient of all weights on the first 100 sequences: "
            r"([\d.]+)",
            text,
        )
    ]
    assert whole[1] > 1000 * whole[0]  # radius 3 against radius 1
    norms = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"first 100 sequences: (\S+)\s+gradient norm ([\d.e+-]+)", text)
    }
    big = [v for k, v in norms.items() if k.startswith("recurrent/")]
    small = [v for k, v in norms.items() if k.startswith("output/")]
    assert len(big) == 3 and min(big) > 1e3 and len(small) == 2 and max(small) < 1
    radius = dict(
        re.findall(
            r"^(no clipping|clipnorm=1.0|global_clipnorm=1.0): .*spectral radius "
            r"after ([\d.]+)",
            text,
            flags=re.M,
        )
    )
    assert float(radius["no clipping"]) > 100
    assert float(radius["clipnorm=1.0"]) < 4 and float(radius["global_clipnorm=1.0"]) < 4
    accuracies = [float(v) for v in re.findall(r"test accuracy ([\d.]+)", text)]
    assert len(accuracies) == 3 and max(accuracies) < 0.9
    simple = nb.number("f827d486", r"SimpleRNN: test accuracy ([\d.]+)")
    assert simple < 0.9  # seed 0's radius-1 SimpleRNN (Adam) does not learn this length either


@claim(
    "10",
    "Up to 25 steps SimpleRNN learns in every seed",
    "The LSTM and the GRU with their gate bias at 3 keep learning at 50 steps",
    "With Keras' own gate biases both gated networks learn in 0 of 10 seeds",
    "SimpleRNN learns the memory task at 10 and 25 steps and mostly fails at 50",
    "With Keras' default gate biases they fail at 50 steps in all 10 seeds here",
    "At 10 and 25 steps SimpleRNN learns at least as often as the open-gate networks",
    "with Keras' defaults the LSTM and the GRU fail in all 10 seeds here",
)
def simple_rnn_falls_behind_at_50_steps_and_open_gates_matter(nb):
    r = _rnn_rates(nb)
    assert r["SimpleRNN"][10][0] == r["SimpleRNN"][25][0] == 10 and r["SimpleRNN"][50][0] < 5
    assert r["LSTM (bias 3)"][50][0] >= 8 and r["GRU (bias 3)"][50][0] >= 8
    assert r["LSTM (Keras' bias)"][50][0] == r["GRU (Keras' bias)"][50][0] == 0
    for name in ("LSTM (bias 3)", "GRU (bias 3)"):
        assert all(r["SimpleRNN"][n][0] >= r[name][n][0] for n in (10, 25))


@claim("10", "Such a count moves with the seeds: on the ten other seeds that the course's tests")
def headline_intervals_overlap_on_other_seeds(nb):
    """The float64 runs of tests/test_recurrent.py on seeds the notebook did not use (stored in
    helpers/results/10_unseen_seeds.csv): at the headline length, with the notebook's settings,
    SimpleRNN's Wilson interval and the open-gate LSTM's overlap."""
    from helpers.experiments import wilson_ci
    from helpers.recurrent import DEFAULT_SETTINGS, HEADLINE_LENGTH, OPEN_GATE_BIAS

    runs = _stored_runs("10_unseen_seeds")
    same = runs[runs["length"] == HEADLINE_LENGTH]
    for key, value in DEFAULT_SETTINGS.items():
        if key != "gate_bias":
            same = same[same[key].isna() if value is None else same[key] == value]
    simple = same[same["cell"] == "simple_rnn"]
    lstm = same[(same["cell"] == "lstm") & (same["gate_bias"] == OPEN_GATE_BIAS)]
    assert len(simple) == len(lstm) == 10 and not set(simple["seed"]) & set(range(10))
    (_, simple_high), (lstm_low, _) = (wilson_ci(int(g["learned"].sum()), len(g))
                                       for g in (simple, lstm))
    assert lstm_low <= simple_high, (simple_high, lstm_low)


@claim(
    "10",
    "It learns in every seed at 10 steps, but in only 4 of 10 at 25 steps",
    "The IRNN did not help in this short training",
)
def irnn_does_not_rescue_simple_rnn(nb):
    r = _rnn_rates(nb)
    assert r["IRNN"][10][0] == 10 and r["IRNN"][25][0] < r["SimpleRNN"][25][0]
    assert r["IRNN"][50][0] < 5


@claim("10", "here, in many of the IRNN runs that failed, no gradient at all reaches step 1")
def irnn_failures_end_with_no_gradient(nb):
    assert re.search(
        r"IRNN\s+learned .*\n\s+did not learn\s+\d+\s+[-\d.]+\s+-inf", nb.text("cb176ac9")
    )


@claim("10", "SimpleRNN learns in 2 of 10 seeds (95% interval 0.06 to 0.51)")
def headline_intervals_do_not_overlap(nb):
    text = nb.text(HEADLINE_CELL)
    ci = {
        m.group(1).strip(): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(
            r"T = 50, (.+?):\s+\d+/10 learned, 95% interval ([\d.]+) to ([\d.]+)", text
        )
    }
    assert (
        ci["SimpleRNN"][1] < ci["LSTM (bias 3)"][0] and ci["SimpleRNN"][1] < ci["GRU (bias 3)"][0]
    )


@claim("10", "After training the groups split by outcome")
def failed_simple_rnns_end_weaker_learned_ones_stronger(nb):
    text = nb.text("cb176ac9")
    failed = re.search(r"SimpleRNN\s+did not learn\s+\d+\s+([-\d.]+)\s+([-\d.]+)", text).groups()
    learned = re.search(r"\n\s+learned\s+\d+\s+([-\d.]+)\s+([-\d.]+)", text).groups()
    assert float(failed[1]) < float(failed[0]) and float(learned[1]) > 0


@claim(
    "10",
    "The runs that learned ended with a median spectral radius of 2.11",
    "The runs that failed at 50 steps stayed near 1 in the median (1.19)",
    "The SimpleRNNs that learned ended with their recurrent matrix well past radius 1 (a median",
    "Keras starts every SimpleRNN with radius 1.0",
)
def learned_simple_rnns_grow_their_radius(nb):
    rows = re.findall(r"(True|False)\s+\d+\s+([\d.]+)\s+([\d.]+)", nb.text("8d9868bd"))
    assert len(rows) == 4
    for outcome, before, after in rows:
        assert float(before) == 1.0
        assert float(after) > 2 if outcome == "True" else float(after) < 1.5


@claim(
    "10",
    "Its SimpleRNN fails (test accuracy 0.484) and its gradient at step 1 stays",
    "Its open-gate LSTM learns (0.999)",
)
def seed_0_simple_rnn_fails_lstm_learns(nb):
    assert nb.number("f827d486", r"SimpleRNN: test accuracy ([\d.]+)") < 0.9
    assert nb.number("f827d486", r"LSTM \(bias 3\): test accuracy ([\d.]+)") >= 0.9


# ------------------------------------------------------------------ notebook 03
NOT_RESULTS["03"] = {
    "Watch it fail to learn in one run, and compare with the figure": "announces the plan",
    "Measure how often it fails over twenty seeds": "announces the plan",
    "Meet the Keras 3 trap that silently gives every layer of the same shape the same weights": "announces the plan",
    "Same ingredients as before: tanh hidden units of width five": "describes the model",
    "The only change is depth: five hidden layers instead of one": "describes the model",
    "A loop builds them, creating a new initializer object for every layer": "describes the code",
    "> The 2019 tutorial reported **Train: 0.530, Test: 0.468**": "a quote of the tutorial",
    "A monotone function cannot be high inside a ring": "a mathematical argument",
    "The suspect is the all-positive initializer": "a hypothesis, named as one (notebook 05 measures it)",
    "The tutorial created **one** `RandomUniform` object": "describes the tutorial's code",
    "Identical *layers* make a different experiment from the tutorial's": "introduces the "
    "measurement (the trap above is measured in its own cells)",
    "Check it on the shallow network of notebook 02": "method",
    "A network whose layers start identical is a different experiment": "the course's convention",
    "In Keras 3, never share one initializer object between layers": "advice",
}


def _deep_counts(nb: Notebook) -> dict[str, int]:
    return {
        m.group(1).strip(): int(m.group(2))
        for m in re.finditer(
            r"(1 hidden layer|5 hidden layers)\s*: learned in\s+(\d+) of 20", nb.text("be906cf3")
        )
    }


@claim("03", "Our run (seed 0, the course's example seed) ends at 0.622 on the test half")
def seed_0_deep_tanh_between_guess_and_shallow(nb):
    test = nb.number("b586486e", r"Test: ([\d.]+)")
    shallow = nb.number("be906cf3", r"1 hidden layer.*median test accuracy ([\d.]+)")
    assert 0.55 < test < shallow - 0.1


@claim(
    "03",
    "Every weight of this network is positive, and tanh and the sigmoid only ever increase",
    "the network's output is a **monotone** function of each input",
    "At initialization all 115 weights are positive and the output is monotone",
    "With all weights positive the network's output is monotone in each input",
)
def all_positive_network_is_monotone_until_weights_turn_negative(nb):
    text = nb.text("e1869c75")
    assert re.search(r"at initialization: 0 of \d+ weights negative, .*: True", text)
    assert re.search(r"after 500 epochs: [1-9]\d* of \d+ weights negative, .*: False", text)


@claim("03", "A network that starts monotone has to unlearn its positivity")
def middle_layers_get_a_small_share_in_notebook_05(nb):
    text = Notebook("05").text("ef813580")
    shares = [float(v) for v in re.findall(r"hidden_3\s+tanh\s+[\d.e-]+\s+([\d.e-]+)", text)]
    assert shares and shares[0] < 0.02


@claim("03", "At the epochs printed the test accuracy rises a little between epochs 100 and 200")
def accuracy_rises_a_little_then_flat_then_climbs(nb):
    acc = {int(e): float(a) for e, a in re.findall(r"(\d+): ([\d.]+)", nb.text("b586486e"))}
    assert 0 < acc[200] - acc[100] < 0.1
    assert [acc[e] for e in (200, 300, 400, 500)] == [0.568, 0.576, 0.578, 0.622]


@claim(
    "03",
    "Depth alone turned a reliable recipe into one that mostly fails",
    "Five tanh layers with all-positive U(0, 1) weights learn in only 2 of 20 seeds on a problem",
    "Over twenty seeds the deep network learns only occasionally",
)
def depth_turns_a_reliable_recipe_into_a_failing_one(nb):
    counts = _deep_counts(nb)
    assert counts["1 hidden layer"] >= 18 and 0 < counts["5 hidden layers"] <= 5
    assert (counts["1 hidden layer"], counts["5 hidden layers"]) == (20, 2)  # the summary's counts


# The Keras 2.10 part is library history (TF 2.10 release notes; keras' "is unseeded and being
# called multiple times" warning); the Keras 3 behaviour is what the notebook shows.
@claim("03", "Since Keras 2.10 (with a warning) and in Keras 3 (silently) an initializer object")
def shared_initializer_gives_identical_layers(nb):
    assert "share identical weights: True" in nb.text("7d4e5967")


@claim(
    "03",
    "If every hidden unit starts with the same incoming weights and bias and the same outgoing",
    "The weights moved, but the five units moved together",
)
def constant_initial_weights_keep_units_identical(nb):
    cell = _cell_after(nb, _cell_after(nb, "7d4e5967"))
    assert nb.number(cell, r"largest change of a hidden weight during training: ([\d.]+)") > 0.01
    assert nb.number(cell, r"between two hidden units' weights after training: ([\d.e+-]+)") == 0
    assert nb.number(cell, r"test accuracy: ([\d.]+)") < 0.7


# ------------------------------------------------------------------ notebook 04
NOT_RESULTS["04"] = {
    "Its derivative is exactly 1 for every active unit": "ReLU's definition",
    "The output layer keeps Keras' default initializer": "describes the model",
    "> The 2019 tutorial reported **Train: 0.836, Test: 0.840**": "a quote of the tutorial",
    "The tutorial reported that the ReLU network still learned with 15": "reports the tutorial",
    "Why do the deep ones fail?": "a question",
    "Part of the answer is *dying ReLU*": "definition; notebook 07 measures it",
    "show that a deep, narrow ReLU network is born dead": "a cited result (notebook 07 reproduces it)",
    "Nothing new breaks in this notebook": "advice on Keras changes",
}


def _relu_depth(nb: Notebook) -> dict[int, float]:
    return {
        int(d): int(k) / int(n)
        for d, k, n in re.findall(
            r"(\d+) hidden layers: learned\s+(\d+)/(\d+)", nb.text("bb341830")
        )
    }


@claim("04", "Our seed-0 run ends at 0.852 on the test half and first passes the learned threshold")
def seed_0_relu_learns_early(nb):
    assert nb.number("13d91411", r"Test: ([\d.]+)") >= 0.7
    assert nb.number("e7aba9db", r">= 0.7: (\d+)") < 100


@claim(
    "04",
    "The fix is not a lucky run",
    "ReLU hidden units with He initialization make the five-layer network learn",
    "Over twenty seeds the fix holds in 18 of 20 runs",
)
def relu_he_fixes_five_layers(nb):
    text = nb.text("33324285")
    tanh = int(re.search(r"tanh \+ U\(0, 1\): learned in\s+(\d+)", text).group(1))
    relu = int(re.search(r"ReLU \+ He\s*: learned in\s+(\d+)", text).group(1))
    assert relu >= 16 and tanh <= 4


@claim(
    "04",
    'So "15 layers work, 20 do not" is really',
    "the success rate of ReLU + He falls as depth grows to 15 and 20 layers",
)
def relu_he_rate_falls_with_depth(nb):
    rate = _relu_depth(nb)
    assert rate[5] > rate[15] > rate[20] > 0


@claim("04", "But that is only part of it: notebook 07 counts")
def half_of_the_deep_failures_start_alive(nb):
    text = Notebook("07").text("58239d72")
    for depth in (15, 20):
        share = float(re.search(rf"^\s*{depth}\s+\d+\s+\d+\s+\d+\s+([\d.]+)", text, re.M).group(1))
        assert share == 0.5, depth


# ------------------------------------------------------------------ notebook 01
NOT_RESULTS["01"] = {
    "This course follows one small problem all the way": "announces the course",
    "generate the dataset the 2019 tutorial used": "announces the plan",
    "`make_circles` draws points on two concentric circles": "scikit-learn's documented behaviour",
    "No straight line separates them": "the rings' geometry (exercise 2 measures a straight line)",
    "The scaler learns each column's minimum and maximum": "MinMaxScaler's documented behaviour",
    "In the tutorial the test half also serves as validation data": "describes the tutorial",
    "That is fine for drawing curves, but it means the test set is not": "method advice",
    "lets the test half influence how the training half is scaled": "true by construction",
    "The tutorial does this openly to keep the code short": "describes the tutorial",
    "The habit matters more than the number": "advice",
    "We keep the tutorial's recipe so that our numbers can be compared": "the course's convention",
    "The tutorial scales both inputs to [-1, 1] with a scaler fitted on all points": "describes",
    "We keep the tutorial's recipe for comparability": "the course's convention",
}


@claim(
    "01",
    "which can then fall slightly outside [-1, 1]",
    "Fitting the scaler on all points leaks a little test information",
)
def leak_free_test_inputs_fall_slightly_outside(nb):
    text = nb.text("b422bf9d")
    low = [float(v) for v in re.search(r"train only: \[(.*?)\]", text).group(1).split()]
    assert min(low) < -1
    assert nb.number("b422bf9d", r"between the two recipes: ([\d.]+)") < 0.05


# ------------------------------------------------------------------ notebook 02
NOT_RESULTS["02"] = {
    "Learn three things that changed in Keras since 2019": "announces the plan",
    "The tutorial drew every weight from a uniform distribution on [0, 1]": "describes the model",
    "`seed_everything` seeds Python, NumPy and TensorFlow": "what the helper does (its docstring)",
    "Whenever the course shows a single example run, it uses **seed 0**": "the course's convention",
    "`model.fit` returns to Python after every batch": "describes Keras' loop",
    "The course's `helpers.training.train` calls the very function `fit` calls": "describes the code",
    "Start two copies of the model from the same weights": "method",
    "One reading, which this notebook does not test": "a hypothesis, said to be one",
    "`train_many` trains the same configuration once per seed": "describes the helper",
}


@claim("02", "in Keras 3 one object shared by several layers hands them all the same values")
def shared_initializer_trap_is_shown_in_03(nb):
    assert "share identical weights: True" in Notebook("03").text("7d4e5967")


@claim(
    "02", "We call a run *learned* when its final test accuracy reaches `LEARNED_THRESHOLD = 0.7`"
)
def threshold_is_far_from_chance_and_ceiling(nb):
    guess = nb.number("71716a8c", r"constant guess scores ([\d.]+)")
    sd = nb.number("71716a8c", r"by about ([\d.]+) \(one standard deviation\)")
    ceiling = Notebook("01").number("6bb2794b", r"radius rule - Train: [\d.]+, Test: ([\d.]+)")
    assert 0.7 - guess > 5 * sd and ceiling - 0.7 > 5 * sd


@claim("02", "In 64-bit floats the rounding error is hundreds of millions of times smaller")
def float64_rounding_is_hundreds_of_millions_of_times_smaller(nb):
    import numpy as np

    assert 1e8 < np.finfo(np.float32).eps / np.finfo(np.float64).eps < 1e9


@claim("02", 'That is why every setup cell calls `keras.config.set_floatx("float64")`')
def every_setup_cell_computes_in_float64(nb):
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        setup = next(
            c
            for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "code" and "import keras" in c.source
        )
        assert 'keras.config.set_floatx("float64")' in setup.source, path.name


@claim("02", "Individual seeds do not: all 20 of them end at")
def some_seeds_differ_between_float32_and_float64(nb):
    assert nb.number("451c9f9d", r"differs between float64 and float32: (\d+) of 20") == 20
    assert re.search(r"float64: learned in (\d+) .*\nfloat32: learned in \1 ", nb.text("451c9f9d"))


@claim("02", "meets three changes in this notebook alone: one breaks it, one only warns, and one")
def lr_breaks_input_dim_only_warns(nb):
    import warnings

    import keras

    keras_refuses_lr(nb)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.Sequential([keras.layers.Dense(5, input_dim=2), keras.layers.Dense(1)])
    assert any("input_dim" in str(w.message) or "input_shape" in str(w.message) for w in caught)
    # the third, silent one: a shared initializer object hands two same-shaped layers one draw
    shared = keras.initializers.RandomUniform(0.0, 1.0)
    assert (shared((5, 5)).numpy() == shared((5, 5)).numpy()).all()


@claim("02", "runs the same training step as `model.fit`, without returning to")
def train_computes_the_same_losses_as_fit(nb):
    assert "identical: True" in nb.text("630e8e75")
    assert (
        nb.number("630e8e75", r"largest per-epoch loss difference over 10 epochs: ([\d.e+-]+)") == 0
    )


@claim(
    "02",
    "At the epochs printed up to 100 the test accuracy is near chance",
    "the run first reaches 0.7 at epoch 270",
)
def seed_0_near_chance_for_100_epochs_then_jumps(nb):
    guess = nb.number("71716a8c", r"constant guess scores ([\d.]+)")
    sd = nb.number("71716a8c", r"by about ([\d.]+) \(one standard deviation\)")
    acc = {
        int(e): float(a)
        for e, a in re.findall(r"(\d+): ([\d.]+)", nb.text("f80fc1bd").splitlines()[0])
    }
    assert all(abs(acc[e] - guess) <= 2 * sd for e in (1, 50, 100))
    assert (
        acc[200] == 0.578 and acc[200] - guess > 2 * sd
    )  # "still only": above chance, far below 0.7
    assert nb.number("f80fc1bd", r"first epoch with test accuracy >= 0.7: (\d+)") == 270


@claim("02", "Keras 3 accepts only `learning_rate`, and refuses `lr`")
def keras_refuses_lr(nb):
    assert "Argument(s) not recognized: {'lr': 0.01}" in nb.text("0e31aa4f")


@claim(
    "02",
    "One hidden layer of five tanh units, with every weight drawn from U(0, 1), learns",
    "Over twenty seeds the shallow network learns in 20 of 20 runs",
)
def shallow_network_learns(nb):
    assert nb.number("647d3cc9", r"Test: ([\d.]+)") >= 0.7
    assert nb.number("71716a8c", r"learned \(test accuracy >= 0.7\): (\d+) of 20") == 20


# ------------------------------------------------------------------ notebook 08
NOT_RESULTS["08"] = {
    "Press **Train** and see, for that network": "describes the lab",
    "The same experiment as one plain function, `run_lab`": "describes the lab",
    "It starts from the tutorial's failing network": "describes the lab's defaults",
    "**activation** and **initializer** set the hidden layers": "describes the controls",
    "The first one is shown in detail; all of them count": "describes the lab",
    "**record gradients every epoch**": "describes a control",
    "Settings that work against each other": "describes the lab's notes",
    "While it trains, the Train button is disabled": "describes the widget (tests/test_widgets.py)",
    "The widget needs a running kernel": "where the widget works",
    "Below is its figure (the one the lab draws after every run)": "describes the figure",
    "**Final test accuracy**: one dot per seed": "describes the figure",
    "Nothing in the lab is hidden": "introduces the check below",
    "Change only what is listed and keep the rest at the defaults": "instructions",
    "**Is it the initializer?**": "an experiment to try (notebook 07 answers it)",
    "keep `tanh` but use `glorot_uniform`": "an experiment to try (notebook 07 answers it)",
    "The sigmoid's slope is at most 1/4": "the derivative's bound (notebook 05 prints it)",
    "Use them when you want a result you can keep": "advice",
}


@claim(
    "08",
    "Before training the middle layers receive far less gradient than the output layer",
    "This seed's run then ends at 0.622 on the test half",
    "The tutorial's deep tanh network with RandomUniform(0, 1) shows a vanishing gradient",
)
def tutorial_network_vanishes_then_looks_healthy_without_learning(nb):
    text = nb.text("7f57ede7")
    assert "Learned (test accuracy >= 0.70): 0/1" in text
    assert re.search(r"Before training: vanishing \(hidden_3\); saturated", text)
    assert "After training: no findings (healthy)" in text
    assert nb.number("7f57ede7", r"output layer's: [\d.]+ before training, ([\d.]+) after") > 1


@claim("08", "The same numbers: the monitor computes exactly this")
def monitor_equals_the_gradient_by_hand(nb):
    pairs = re.findall(r"by hand ([\d.e-]+), monitor ([\d.e-]+)", nb.text("c09ef4cc"))
    assert len(pairs) == 6 and all(a == b for a, b in pairs)


@claim(
    "08",
    "Most seeds learn, and the first hidden layer's share of the output layer's gradient goes from",
    "Four of the five seeds learn",
    "The first one learns too (0.852), although `diagnose` flags a vanishing gradient",
    "ReLU with He initialization learns in 4 of 5 seeds",
)
def relu_he_learns_in_most_seeds_and_flattens(nb):
    import math

    text = nb.text("90706013")
    assert "Learned (test accuracy >= 0.70): 4/5" in text
    assert nb.number("90706013", r"First seed \(0\): Train: [\d.]+, Test: ([\d.]+)") >= 0.7
    assert "Before training: vanishing (hidden_4)" in text
    before = nb.number("90706013", r"output layer's: ([\d.]+) before")
    after = nb.number("90706013", r"before training, ([\d.]+) after")
    assert abs(math.log10(after)) < abs(math.log10(before))
    dead = re.findall(
        r"hidden_\d\s+relu\s+[\d.e-]+\s+[\d.e-]+\s+-\s+(\d+)%", Notebook("05").text("ef813580")
    )
    assert any(int(d) > 0 for d in dead)  # notebook 05: the same network has dead units


# ------------------------------------------------------------------ notebook 06
NOT_RESULTS["06"] = {
    "This notebook runs all five, each over 20 random seeds": "announces the plan",
    "Extension 3: record the size of every layer's weights": "announces the plan",
    "Every experiment keeps the tutorial's training settings": "method",
    "The baseline is the tutorial's deep model": "describes the model",
    "`sweep` trains a grid of configurations for every seed": "describes the helpers",
    "The only change from the baseline is the initializer of every layer": "method",
    "Nothing else changed: not the activation, not the optimizer": "method",
    "Notebook 05 showed why all-positive U(0, 1) weights saturate": "explanation, measured in 05",
    "A layer whose gradients are a thousand times smaller than another's": "Adam's definition",
    "Here the network keeps the tutorial's U(0, 1) initialization": "method",
    "that this is what rescues these networks is the natural reading": "a reading, said to be one",
    "It works around the symptom rather than removing its cause": "true by construction: Adam "
    "changes only the steps",
    "a layer whose norm never moves is probably a layer that learns little": "the tutorial's suggestion",
    "A Keras callback does this in a few lines": "describes the code",
    "First one network, the tutorial's deep tanh model with seed 0": "method",
    "`weight_l1_history` trains all seeds at once": "describes the helper",
    "A plausible reading, not measured here": "a reading, said to be one",
    "The L1 norm is only a proxy, though": "a caveat about the measure",
    "Unlike the two small sweeps above, which train live, it reads its runs": "method",
    "Does a wider network survive more depth?": "a question",
    "Notebook 05's algebra predicts why": "introduces the measurement below",
}


@claim("06", "Its width-5 runs are extension 4's, not trained again; all 500 are read")
def extension_5_reads_all_its_runs(nb):
    assert nb.text("ab25aa18").startswith("200 runs read from results/06_five_extensions.csv")
    assert nb.text("32500d58").startswith("500 runs read from results/06_five_extensions.csv")


def _s4(nb: Notebook) -> dict[int, int]:
    return {int(d): int(k) for d, k in re.findall(r"^(\d+)\s+(\d+)/20", nb.text("fed44b2c"), re.M)}


def _s5(nb: Notebook) -> dict[int, list[float]]:
    return {
        int(m.group(1)): [float(v) for v in m.group(2).split()]
        for m in re.finditer(r"^(\d+)\s+((?:[\d.]+\s*){5})$", nb.text("d2c43ca7"), re.M)
    }


@claim(
    "06",
    "Glorot initialization alone turns the failing network into one that learns in every",
    "Glorot initialization alone fixes the tutorial's five-layer tanh network",
)
def glorot_fixes_the_deep_tanh_network(nb):
    text = nb.text("58e79c69")
    assert re.search(r"uniform_0_1\s*:\s+2/20", text) and re.search(
        r"glorot_uniform\s*: 20/20", text
    )
    glorot = nb.number("58e79c69", r"glorot_uniform .*median test accuracy ([\d.]+)")
    relu = Notebook("04").number("33324285", r"ReLU \+ He\s*: .*median test accuracy ([\d.]+)")
    assert abs(glorot - relu) < 0.02


@claim(
    "06",
    "Adam rescues the network without touching its initialization",
    "Adam rescues it as well without changing the initialization",
)
def adam_rescues_the_deep_tanh_network(nb):
    text = nb.text("f15012b2")
    assert re.search(r"Adam lr 0.001: 15/20", text) and re.search(r"Adam lr 0.01 : 20/20", text)


@claim("06", "(the course's example seed, one of the 18 seeds of 20 that fail)")
def seed_0_is_one_of_the_failures(nb):
    assert nb.number("93e3f206", r"test accuracy ([\d.]+)") < 0.7
    assert "tanh + U(0, 1) 2/20" in nb.text("437b0094")


@claim(
    "06",
    "The first hidden layer, which sees the inputs directly, grows to 1.44",
    "In the seed-0 run above the output layer's norm first shrinks",
    "In the ReLU network with He initialization every layer's norm grows more than in the tanh",
    "in the ReLU network with He weights every layer's norm grows more than in the tanh network",
    "Extension 3: in the tanh network with U(0, 1) weights the L1 norms of the middle hidden",
    "In the tanh network with U(0, 1) weights the L1 norms of the inner hidden layers hardly change",
    "So in the tanh network the norms change at its two ends while those of its middle layers",
)
def tanh_middle_frozen_relu_all_change(nb):
    rows = {
        m.group(1): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(
            r"^(hidden_\d|output)\s+([\d.]+)\s+([\d.]+)$", nb.text("437b0094"), re.M
        )
    }
    tanh = {k: v[0] for k, v in rows.items()}
    relu = {k: v[1] for k, v in rows.items()}
    assert all(0.95 <= tanh[f"hidden_{i}"] <= 1.05 + 1e-9 for i in (2, 3, 4, 5))
    assert tanh["hidden_1"] > 1.3 and tanh["output"] > 1.2
    assert all(v > 1.05 for v in relu.values()) and max(relu, key=relu.get) == "hidden_1"
    assert all(relu[k] > tanh[k] for k in relu)  # "grows more than in the tanh network"
    hidden = {k: v for k, v in relu.items() if k != "output"}
    assert min(hidden, key=hidden.get) == "hidden_5"  # "the last hidden layer least"
    h2 = re.search(r"^hidden_2\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", nb.text("93e3f206"), re.M)
    assert 1.15 < float(h2.group(3)) / float(h2.group(1)) < 1.25  # seed 0: "by about a fifth"
    out = re.search(r"^output\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", nb.text("93e3f206"), re.M)
    start, e100, e500 = (float(v) for v in out.groups())
    assert e100 < start < e500


@claim(
    "06",
    "One or two hidden layers learn in every seed",
    "From three layers on the success rate falls quickly",
    "With this initializer, depth is what drives the success rate down, from every seed at one",
    "Extension 4: with U(0, 1) weights the tanh network's success rate falls",
)
def tanh_uniform_rate_falls_with_depth(nb):
    s4 = _s4(nb)
    assert s4[1] == s4[2] == 20 and s4[3] > s4[4] > s4[5] and all(s4[d] == 0 for d in range(6, 11))
    # "notebook 07 shows that with Glorot weights the same tanh network learns in every seed up to
    # ten layers"
    table = Notebook("07").text("a590ba62")
    glorot = {
        int(d): v for d, _, v in re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+\S+\s*$", table, re.M)
    }
    assert all(glorot[d] == "30/30" for d in (1, 2, 3, 5, 10)) and glorot[15] != "30/30"


def _stored_runs(table: str):
    """A committed results table of helpers/results, read and checked by helpers.store.Table,
    as a DataFrame (values typed: bool, int, float, None for an empty cell)."""
    import pandas as pd

    from helpers.store import RESULTS_DIR, Table

    return pd.DataFrame(Table(table, RESULTS_DIR).records())


@claim(
    "06",
    "Most networks that fail end well below the threshold, though at three to seven layers",
)
def failing_runs_mostly_far_below_a_few_close(nb):
    runs = _stored_runs("06_five_extensions")
    runs = runs[(runs.width == 5) & runs.optimizer.isna() & ~runs.learned]
    assert (runs.test_accuracy < 0.65).mean() > 0.8  # most: well below 0.70
    best = runs.groupby("depth").test_accuracy.max()
    assert all(best[d] >= 0.64 for d in range(3, 8)) and all(best[d] < 0.55 for d in (8, 9, 10))
    assert all(0.04 <= 0.70 - best[d] <= 0.065 for d in range(3, 8))  # about five hundredths below


@claim(
    "06",
    "these networks miss their training points too (the stored runs keep a `train_accuracy`",
)
def failing_wide_runs_miss_their_training_points(nb):
    runs = _stored_runs("06_five_extensions")
    failed = runs[runs.optimizer.isna() & ~runs.learned]
    assert set(failed.width) == {5, 10, 15, 20, 25}
    assert (failed.train_accuracy < 0.70).all()


@claim("06", "and from six layers on their median ends close to 0.5, the accuracy of a constant")
def failures_end_near_half(nb):
    for d, median in re.findall(
        r"^(\d+)\s+0/20\s+[\d.]+\s+[\d.]+\s+([\d.]+)", nb.text("fed44b2c"), re.M
    ):
        assert abs(float(median) - 0.5) < 0.02, d


@claim(
    "06",
    "Width does not rescue the tanh network with U(0, 1) weights",
    "One and two layers learn at every width",
    "At three layers a share of 0.85 of the width-5 networks learns",
    "Extension 5: with U(0, 1) weights, wider layers make the deeper tanh networks fail sooner",
)
def width_makes_the_uniform_tanh_network_fail_sooner(nb):
    s5 = _s5(nb)  # width -> shares at depths 1, 2, 3, 5, 10
    assert all(r[0] == 1.0 and r[1] >= 0.9 for r in s5.values())
    depth3 = [s5[w][2] for w in (5, 10, 15, 20, 25)]
    assert depth3 == sorted(depth3, reverse=True) and depth3[-1] == 0
    assert s5[5][3] > 0 and all(s5[w][3] == 0 for w in (10, 15, 20, 25))
    assert all(r[4] == 0 for r in s5.values())


@claim("06", "and the measurement above bears it out")
def wider_layers_have_larger_pre_activations(nb):
    text = nb.text(_cell_after(nb, "c6bbf866"))
    rows = [
        (float(z), int(s)) for z, s in re.findall(r"mean \|z\| ([\d.]+), saturated (\d+)%", text)
    ]
    assert len(rows) == 3 and rows == sorted(rows) and rows[0][1] < rows[-1][1]


@claim("10", "The shapes differ, though: the trained LSTM's curve rises again towards step 1")
def trained_lstm_gives_step_1_more_than_the_noise_after_it(nb):
    assert nb.number("f827d486", r"LSTM \(bias 3\):.*steps 1 to 10 is at step (\d+)") == 9
    assert nb.number("f827d486", r"SimpleRNN:.*steps 1 to 10 is at step (\d+)") == 1


# ------------------------------------------------------------------ notebook 05 (not yet enforced)
@claim("05", "`hidden_3`'s error signal is five times weaker", "The inputs are not the difference")
def hidden_3_small_by_weak_error_and_cancelling_pushes(nb):
    frame = {
        n: {k: float(v) for k, v in cols.items()}
        for n, cols in nb.frame("2e71fd27", "weight factor", "largest singular").items()
    }
    col = {
        c: {n: frame[n][c] for n in frame}
        for c in ("kernel gradient", "agreement", "input rms", "error signal")
    }
    kernel, agree = col["kernel gradient"], col["agreement"]
    assert min(kernel, key=kernel.get) == "hidden_3" and max(kernel, key=kernel.get) == "hidden_1"
    assert min(agree, key=agree.get) == "hidden_3" and agree["hidden_1"] > 4 * agree["hidden_3"]
    assert abs(col["input rms"]["hidden_3"] - col["input rms"]["hidden_1"]) < 0.05
    assert col["error signal"]["hidden_1"] > 4 * col["error signal"]["hidden_3"]
    assert re.search(r"hidden_2: .*saturated 0%", nb.text("68181016"))


@claim(
    "05",
    "Look first at the loss in each headline",
    "The ReLU + He network starts where a network that knows nothing should",
    "A network that knows nothing yet should output about one half for every point",
    "network gives 92% of the points a probability below 0.1 or above 0.9",
)
def initial_loss_near_ln_2_for_relu_far_above_for_tanh(nb):
    cell = _cell_after(nb, "391e8ab3")
    relu = nb.number(cell, r"deep_relu: loss at initialization ([\d.]+)")
    tanh = nb.number(cell, r"deep_tanh: loss at initialization ([\d.]+)")
    assert abs(relu - 0.693) < 0.01 and tanh > 1.5 * 0.693
    assert nb.number(cell, r"deep_tanh: .*or below 0.1: (\d+)%") > 80
    assert 40 <= nb.number(cell, r"deep_tanh: .*of which wrong: (\d+)%") <= 60


@claim(
    "05",
    "The factor 2 in He's",
    "ReLU keeps its positive half and zeroes the rest",
    "the next layer's pre-activations keep the second moment of this layer's",
)
def relu_halves_the_second_moment(nb):
    cell = _cell_after(
        nb, [c.get("id") for c in nb.nb.cells if "The factor 2 in He's" in c.source][0]
    )
    assert abs(nb.number(cell, r"E\[z\^2\]: median ([\d.]+)") - 0.5) <= 0.05
    assert abs(nb.number(cell, r"slope 1 \(over units and points\): median ([\d.]+)") - 0.5) <= 0.05


# ------------------------------------------------------------------ notebook 07
NOT_RESULTS["07"] = {
    "It found that a five-layer ReLU network with He initialization learns": "reports the tutorial",
    "Here every setting of the depth sweep is trained from 30 seeds (the check at width 16 from 20)": "method (cells b7e04189 and 16403b33 print their seed counts)",
    "Count the ReLU networks that are already dead before training starts": "announces the plan",
    "Settle the tutorial's own open question with a controlled experiment": "announces the plan",
    "One run *learned* the circles when its final test accuracy is at least": "definition",
    "Over *n* seeds, *k* of which learned, we report": "method",
    "All networks have two inputs, hidden layers of five units": "describes the models",
    "All biases start at zero": "describes the models",
    "`sweep` trains each configuration with `helpers.training.train_many`": "describes the helper",
    "Training them all takes a while on a laptop": "describes the stored tables",
    "reads the rows it needs from that table and trains only the missing ones": "describes the helper",
    "Nothing stored is ever overwritten": "describes the store (tests/test_store.py)",
    "`runs` has one row per network": "describes the table",
    "Hanin (2018) showed that in a ReLU network the size of the gradient varies": "a cited result",
    "Conclusions drawn from very narrow networks, including most of this course's": "advice",
    "The tutorial's black stars say: 15 layers learn, 20 do not": "reports the tutorial",
    "is a statement about a probability, and it takes many seeds to measure it": "method",
    "showed that a deep, narrow ReLU network can be a constant function": "a cited result",
    "The probability of this grows with depth and shrinks with width": "the cited result (measured below)",
    "For each seed it draws exactly the weights that `build_mlp` gives": "describes the helper",
    "Split the failed networks of each depth into those that were dead": "method",
    "This notebook does not separate what happens to them": "states a limit",
    "Now the dead share alone, for more seeds and three widths": "method",
    "This needs no training, so 100 seeds per setting take only seconds": "method",
    "The tutorial admitted that it could not tell *why*": "reports the tutorial",
    "The output layer's initializer depends only on the hidden initializer": "method",
    "a reading this notebook does not measure": "a reading, said to be one",
    "He scales the weights to the layer's fan-in, Glorot to the average of its fan-in and": "the "
    "cited initializers' design (Keras' glorot_uniform: limit sqrt(6 / (fan_in + fan_out)))",
    "Each is a rate within a fixed budget, 500 epochs of SGD": "states a limit of the measure",
}


def _depth_rates(nb: Notebook) -> dict[str, dict[int, int]]:
    rates = {"tanh + U(0, 1)": {}, "tanh + Glorot": {}, "ReLU + He": {}}
    for d, a, b, c in re.findall(
        r"^(\d+)\s+(\d+)/30\s+(\d+)/30\s+(\d+)/30", nb.text("a590ba62"), re.M
    ):
        for name, k in zip(rates, (a, b, c)):
            rates[name][int(d)] = int(k)
    return rates


@claim("07", "the other three are stored in the same table, so the cell below reads all 180 runs")
def five_layer_settings_all_read_from_the_table(nb):
    assert nb.number("c3cfd049", r"(\d+) runs read from results/07_where_depth_breaks") == 180


@claim("07", "The interval is the honest part: with 30 seeds even 0 out of 30")
def zero_of_thirty_bounds_the_rate_near_one_ninth(nb):
    assert (
        abs(nb.number("eade1225", r" 0/30 learned -> 95% interval 0.000 to ([\d.]+)") - 1 / 9)
        < 0.01
    )


@claim(
    "07",
    "One or two hidden layers learn with every recipe",
    "The tutorial's U(0, 1) weights stop working almost at once",
    "Glorot initialization keeps tanh learning in every seed up to ten layers",
    "ReLU with He initialization is reliable up to five layers",
    'no recipe switches from "learns" to "fails" at one depth',
    "The fall takes a few layers with U(0, 1) weights (26/30 at three layers, 2/30 at five)",
    "show the rate falling over a range of depths (a few layers for U(0, 1) weights",
    'One training run cannot tell whether a depth "works"',
)
def rates_slide_with_depth(nb):
    r = _depth_rates(nb)
    assert all(r[name][d] >= 29 for name in r for d in (1, 2))
    u = r["tanh + U(0, 1)"]
    assert u[3] > 20 and u[5] <= 3 and all(u[d] == 0 for d in (10, 15, 20, 30))
    g = r["tanh + Glorot"]
    assert all(g[d] == 30 for d in (1, 2, 3, 5, 10)) and g[10] > g[15] > g[20] > g[30] == 0
    h = r["ReLU + He"]
    assert h[5] >= 25 and h[5] > h[10] > h[15] > h[20]
    # at the depths where each recipe's rate falls, some seeds learn and others fail
    assert all(sum(0 < k < 30 for k in r[name].values()) >= 2 for name in r)


@claim(
    "07",
    "at ten to twenty layers the properly initialized *tanh* network learns more often",
    "Glorot-initialized tanh networks learned more often than ReLU + He networks at 10 to 20",
    "at 10 and 20 layers the two intervals are apart, at 15 layers (24/30 against",
    "(intervals apart at 10 and 20 layers, overlapping at 15)",
)
def tanh_glorot_beats_relu_he_at_width_5(nb):
    from helpers.experiments import wilson_ci

    r = _depth_rates(nb)
    assert all(r["tanh + Glorot"][d] > r["ReLU + He"][d] for d in (10, 15, 20))
    apart = {
        d: wilson_ci(r["tanh + Glorot"][d], 30)[0] > wilson_ci(r["ReLU + He"][d], 30)[1]
        for d in (10, 15, 20)
    }
    assert apart == {10: True, 15: False, 20: True}
    assert (r["tanh + Glorot"][15], r["ReLU + He"][15]) == (24, 14)
    _width_16_turns_round(nb)


def _width_16_turns_round(nb: Notebook) -> None:
    rows = {
        int(d): [int(x) for x in re.findall(r"(\d+)/20", line)]
        for d, line in re.findall(r"^(\d+)\s+(.*/20.*)$", nb.text("b7e04189"), re.M)
    }
    for d, (t5, r5, t16, r16) in rows.items():
        assert t16 > t5 and r16 > r5 and r16 >= t16, d
    assert rows[30][3] > rows[30][2] + 5


@claim(
    "07",
    "At width 16 the picture changes",
    "At 20 layers both recipes learn far more often than at width 5",
    "So tanh's lead at 20 layers does not carry over to width 16",
)
def width_16_turns_the_ranking_round(nb):
    _width_16_turns_round(nb)
    rows = {
        int(d): [int(v) for v in vals]
        for d, *vals in re.findall(
            r"^(\d+)\s+(\d+)/20\s+(\d+)/20\s+(\d+)/20\s+(\d+)/20\s*$", nb.text("b7e04189"), re.M
        )
    }
    t16, r16 = rows[20][2], rows[20][3]
    assert abs(t16 - r16) <= 1  # "too close to tell apart" at 20 layers, width 16
    assert rows[20][2] >= rows[20][0] + 8 and rows[20][3] >= rows[20][1] + 8  # far more often
    assert rows[30][:3] == [0, 0, 2] and rows[30][3] == 14  # "only 2", "neither ... any of the 20"


@claim(
    "07",
    "Both of the tutorial's observations are plausible single draws",
    "A 15-layer ReLU network learns in 14 of 30 seeds",
    "The tutorial's claim for ReLU + He (15 layers learn, 20 do not) matches single draws",
)
def tutorial_depth_claims_are_single_draws(nb):
    text = nb.text("520073ca")
    k15 = int(re.search(r"15 layers .*here:\s+(\d+)/30", text).group(1))
    k20 = int(re.search(r"20 layers .*here:\s+(\d+)/30", text).group(1))
    assert 5 <= k15 <= 25 and 0 < k20 <= 8


@claim(
    "07",
    "No network that was dead at initialization learned",
    "The dead networks account for part of the fall of the ReLU curve",
    "Up to 20 layers, then, at least half of the failures start alive",
    "Only at 30 layers are most failures born dead",
    "A growing share of deep, narrow ReLU networks is dead before training starts",
    "Up to 20 layers at least half of the failures start alive",
)
def dead_networks_explain_part_of_the_failures(nb):
    counts = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", nb.text("6f842248"), re.M)
    assert counts and all(int(row[4]) == 0 for row in counts)  # dead_but_learned
    dead = [int(row[2]) for row in counts]
    assert dead == sorted(dead) and dead[-1] > 0
    failed = {
        int(d): (int(f), int(x), int(a))
        for d, f, x, a in re.findall(
            r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+$", nb.text("58239d72"), re.M
        )
    }
    for d in (10, 15, 20):
        assert failed[d][2] >= failed[d][1], d  # alive >= dead
    assert failed[30][1] > failed[30][2]


@claim(
    "07",
    "In narrow networks the share of dead ones grows with depth.",
    "so a network dead at one depth is dead at every greater depth",
    "Width protects strongly: a layer is cut off only when",
    "At width 10 hardly any network is dead even at 30 layers",
)
def dead_share_grows_with_depth_shrinks_with_width(nb):
    rows = [
        [float(v) for v in vs.split()]
        for vs in re.findall(r"^\s*\d+\s+((?:[\d.]+\s+){2}[\d.]+)$", nb.text("16403b33"), re.M)
    ]
    for col in range(3):  # widths 3, 5, 10: never falls with depth; at 3 and 5 most end dead
        series = [r[col] for r in rows]
        assert series == sorted(series) and (col == 2 or series[-1] > 0.5), col
    assert all(r[0] >= r[1] >= r[2] for r in rows) and rows[-1][2] <= 0.02
    assert rows[4][0] > 0.5  # width 3, 10 layers


@claim(
    "07",
    "With U(0, 1) weights *both* activations fail most of the time",
    "At five layers the deep tanh network fails because of its U(0, 1) initializer",
)
def initializer_not_activation_decides_at_five_layers(nb):
    text = nb.text("3644b936")
    relu = [int(k) for k in re.findall(r"(\d+)/30", re.search(r"^relu .*$", text, re.M).group(0))]
    tanh = [int(k) for k in re.findall(r"(\d+)/30", re.search(r"^tanh .*$", text, re.M).group(0))]
    # columns: glorot_uniform, he_uniform, uniform_0_1
    assert relu[2] <= 5 and tanh[2] <= 5
    assert min(relu[:2] + tanh[:2]) >= 25 and tanh[0] == 30


# ------------------------------------------------------------------ notebook 05
NOT_RESULTS["05"] = {
    "Compute the gradient that reaches every Dense layer with `tf.GradientTape`": "the plan",
    "Record it every epoch with a small callback": "the plan",
    "See *why* the tanh network's gradients vanish": "the plan",
    "One draws every weight from U(0, 1) and uses tanh": "describes the models",
    "Each layer gets its **own** initializer object": "the Keras trap notebook 03 measures",
    "Training nudges every weight against the gradient": "definition of training",
    "We ask for every Dense kernel and summarise each": "method",
    "is a Keras callback that runs the same computation at the end": "describes the helper",
    "Each monitor keeps a tidy table": "describes the helper",
    "The tutorial read its figures off TensorBoard's histograms of one run": "reports the tutorial",
    "What should carry over is the *relative* picture": "method",
    "The tutorial was careful to say it could not be sure": "reports the tutorial",
    "This section is the course's one full account": "describes the section",
    "Every saturated unit contributes a factor near zero": "the chain rule (theory), measured below",
    "The bounds alone would make a sigmoid network hopeless": "arithmetic, printed below",
    "But the weights do make up for it, or make it worse": "introduces the table below",
    "W<sup>T</sup> is the other half of every step": "the chain rule",
    "The last column, *agreement*, measures how much": "definition of the column",
    "The two factors are ratios of the signal's total size": "definition of the columns, "
    "as the cell's code computes them",
    "Which of the two, and why in the middle, is not something this table settles": "states a limit",
    "The derivative bounds say how much the slopes can shrink a signal at most": "theory",
    "Glorot and Bengio (2010) made this visible": "a citation",
    "In the ReLU network every layer has a spike at 0": "ReLU's definition: zero for negative input",
    "Glorot picks E[w²] = 2 / (fan_in + fan_out)": "the initializers' definitions",
    "Forward, the signal keeps its size when fan_in": "algebra",
    "Both can hold only when fan_in = fan_out": "algebra",
    "Measured on the five seeds' ReLU + He networks at initialization": "method",
    "Much smaller means the layer is hardly learning": "CS231n's rule of thumb, quoted",
    "It computes every Dense layer's gradient, saturation and dead units": "describes the helper",
    "**vanishing**: some hidden layer gets less than": "definition",
    "**exploding**: some hidden layer gets more than": "definition",
    "**saturated**: more than `SATURATED_SHARE = 0.5`": "definition",
    "**dead_units**: more than `DEAD_SHARE = 0.4`": "definition",
    "The monitors above also wrote TensorBoard logs": "describes the helper",
    "the default keeps only ten events per tag": "TensorBoard's documented default",
    "Zero-centred weights of the right scale keep the *product*": "the initializers' aim, "
    "by their definitions (measured in the next section)",
    "He's weights make it larger, by enough to make up for": "He et al.'s derivation (theory)",
    "That is the epoch's net change spread over its steps": "what GradientMonitor's "
    "update_ratio_per_step measures, and the triangle inequality",
    "The gradient reaching each layer is one `tf.GradientTape` away": "describes the tools",
}


def _kernel_line(nb: Notebook, network: str) -> dict[str, float]:
    line = re.search(rf"^{network} (.*)$", nb.text("e4967238"), re.M).group(1)
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.e+-]+)", line)}


@claim(
    "05",
    "In the tanh network the output layer gets a large gradient (0.417)",
    "The profile is U-shaped, not a steady fall towards the input; the section",
    "in seed 0 it sits in the middle (`hidden_3`) and the first hidden layer gets far more",
    "In the ReLU network at this seed every hidden layer gets between about one and four",
)
def seed_0_profiles(nb):
    tanh, relu = _kernel_line(nb, "deep_tanh"), _kernel_line(nb, "deep_relu")
    assert tanh["output"] > 100 * tanh["hidden_3"] and tanh["hidden_1"] > 10 * tanh["hidden_3"]
    assert min(tanh, key=tanh.get) == "hidden_3"
    assert tanh["hidden_1"] > 10 * tanh["hidden_3"]  # "far more"
    assert all(0.01 <= relu[f"hidden_{i}"] / relu["output"] <= 0.05 for i in range(1, 6))


@claim(
    "05",
    "Over the run, seed 0's medians are several times smaller than the tutorial's figures",
    "while at initialization the tanh output layer gets more",
)
def our_figures_are_smaller_than_the_tutorials(nb):
    frame = nb.frame("0748614b")
    assert float(frame["deep_tanh output"]["seed 0, median of the run"]) < 0.05 / 3
    assert float(frame["deep_relu hidden_1"]["seed 0, median of the run"]) < 0.2 / 3
    low = float(frame["deep_tanh output"]["5 seeds, at init"].split(" to ")[0])
    assert low > 0.1  # above the tutorial's "about 0.05 to 0.1"


@claim(
    "05",
    "Note the ReLU network that ends with no gradient at all",
    "its output layer's kernel gradient is exactly 0, which means",
    "and one of the five seeds' networks dies in training",
)
def one_relu_network_dies_in_training(nb):
    text = nb.text("f13e1b67")
    relu = re.search(r"deep_relu: .*\((\d+) seeds; (\d+) with no gradient left at all\)", text)
    tanh = re.search(r"deep_tanh: .*\((\d+) seeds; (\d+) with no gradient left at all\)", text)
    assert int(relu.group(2)) == 1 and int(relu.group(1)) == 4
    assert int(tanh.group(2)) == 0
    # every layer of that network gets exactly zero: the table's ranges start at 0
    frame = nb.frame("0748614b")
    for col in ("deep_relu hidden_1", "output"):  # the second is deep_relu's output row
        assert frame[col]["5 seeds, after training"].startswith("0 to ")


@claim(
    "05",
    "That is a snapshot at the end, not the run-long picture the tutorial described",
    "over seed 0's whole run, recorded every epoch, ReLU's first hidden layer got more",
)
def seed_0_relu_first_layer_more_over_the_run_less_at_the_end(nb):
    frame = nb.frame("0748614b")
    run = {k: float(frame[k]["seed 0, median of the run"]) for k in frame}
    assert run["deep_relu hidden_1"] > run["hidden_1"]  # the second is deep_tanh's hidden_1 row
    text = nb.text("31a3c538")
    last = {
        a: float(re.search(rf"hidden_1\s+{a}\s+([\d.e-]+)", text).group(1))
        for a in ("tanh", "relu")
    }
    assert last["relu"] < last["tanh"]


@claim(
    "05",
    "Before training the two networks never overlap",
    "After training the two ranges overlap",
    "gets less than one percent of the output layer's gradient at initialization in every seed",
)
def tanh_and_relu_ranges_at_init_and_after(nb):
    text = nb.text("f13e1b67")
    t = [
        float(v)
        for v in re.search(
            r"deep_tanh: .*at init ([\d.e-]+) to ([\d.e-]+), after training "
            r"([\d.e-]+) to ([\d.e-]+)",
            text,
        ).groups()
    ]
    r = [
        float(v)
        for v in re.search(
            r"deep_relu: .*at init ([\d.e-]+) to ([\d.e-]+), after training "
            r"([\d.e-]+) to ([\d.e-]+)",
            text,
        ).groups()
    ]
    assert t[1] < 0.01 and t[1] < r[0]
    assert r[2] < t[3]
    assert nb.number("f13e1b67", r"more gradient than tanh's in (\d+) of 5") < 5


@claim(
    "05",
    "**The slope of tanh is at most 1 and drops fast.**",
    "**U(0, 1) weights are all positive.**",
    "all-positive weights that push more and more units into saturation, the deeper the layer",
    "so the pre-activations z grow layer by layer, and tanh lands in its flat tails",
)
def tanh_slope_drops_and_pre_activations_grow(nb):
    assert nb.number("68181016", r"z = 2: tanh'\(z\) = ([\d.]+)") < 0.1
    sizes = [float(v) for v in re.findall(r"mean \|z\| ([\d.]+)", nb.text("68181016"))]
    assert sizes == sorted(sizes) and len(sizes) == 5
    saturated = [int(v) for v in re.findall(r"saturated (\d+)%", nb.text("68181016"))]
    assert saturated == sorted(saturated) and saturated[0] < saturated[-1]


def _chain(nb: Notebook) -> dict[str, dict[str, float]]:
    return {
        n: {k: float(v) for k, v in cols.items()}
        for n, cols in nb.frame("2e71fd27", "weight factor", "largest singular").items()
    }


@claim(
    "05",
    "Below it the slope factor is close to 1 (0.934 to 0.998)",
    "The weight factor is 2.03 to 2.63 at every step below `hidden_5`",
    "An all-positive 5 × 5 matrix whose entries average one half",
    "So below `hidden_5` the error signal **grows** towards the input",
    "In the tanh + U(0, 1) network the saturated last hidden layer cuts the error signal",
)
def all_positive_weights_amplify_the_error_signal(nb):
    chain = _chain(nb)
    below = [f"hidden_{i}" for i in range(1, 5)]
    assert chain["hidden_5"]["slope factor"] < 0.3
    assert all(chain[n]["slope factor"] > 0.9 and chain[n]["weight factor"] > 2 for n in below)
    errors = [chain[f"hidden_{i}"]["error signal"] for i in range(1, 6)]
    assert errors == sorted(errors, reverse=True)
    svals = [
        float(v) for v in re.search(r"kernels 2 to 5: (.*)", nb.text("2e71fd27")).group(1).split()
    ]
    assert all(2 <= v <= 3 for v in svals)


@claim("05", "Notebook 06 (extension 3) sees a matching picture in the weights' L1 norms")
def notebook_06_sees_the_middle_frozen(nb):
    tanh_middle_frozen_relu_all_change(Notebook("06"))


@claim(
    "05",
    "For U(0, 1) the same formula misses by a factor of 3.29 to 4.57",
    "The blame therefore lies with the initializer at least as much as with tanh",
    "The Glorot and He variance formulas hold for their own initializers (forward within 0.85",
)
def variance_algebra_holds_for_glorot_and_he_not_uniform(nb):
    def ratios(cell, label):
        return [
            float(v)
            for v in re.search(re.escape(label) + r".*layers 1 to 5: (.*)", nb.text(cell))
            .group(1)
            .split()
        ]

    assert all(3 < v < 5 for v in ratios("e42ecca5", "tanh, U(0, 1)")[1:])
    for label in ("tanh, Glorot", "ReLU, He"):
        assert all(0.8 <= v <= 1.25 for v in ratios("e42ecca5", label)), label
        assert all(0.5 <= v <= 2.3 for v in ratios("7f87d4f7", label)), label
    assert all(v > 4 for v in ratios("7f87d4f7", "tanh, U(0, 1)")[:4])
    initializer_not_activation_decides_at_five_layers(Notebook("07"))


@claim(
    "05",
    "Backwards, too, Glorot and He weights keep the prediction within a factor of about two",
    "For U(0, 1) the last hidden layer matches (0.93",
    "Both factors of seed 0's table above go into that excess",
    "The weight factor is 2.03 to 2.63 where the zero-mean formula expects 1.29",
    "The slope factor is 0.934 to 0.998, so even squared it keeps most of E[δ²]",
    "for U(0, 1) they hold only at the two ends (the first layer forward, the last hidden layer",
    "The variance algebra explains why Glorot and He work",
)
def backward_algebra(nb):
    variance_algebra_holds_for_glorot_and_he_not_uniform(nb)
    last = float(
        re.search(r"tanh, U\(0, 1\)\s+backward.*: (.*)", nb.text("7f87d4f7")).group(1).split()[-1]
    )
    assert 0.8 < last < 1.2
    first_forward = float(
        re.search(r"tanh, U\(0, 1\)\s+measured.*: (.*)", nb.text("e42ecca5")).group(1).split()[0]
    )
    assert 0.8 < first_forward < 1.2
    expected = nb.number("7f87d4f7", r"sqrt\(5 / 3\) = ([\d.]+)")
    chain = _chain(nb)
    below = [f"hidden_{i}" for i in range(1, 5)]
    assert all(chain[n]["weight factor"] > 1.5 * expected for n in below)
    # the formula's slope term E[f'^2] <= E[f'] (0 <= f' <= 1), far below the slope factor^2
    mean_slope = dict(
        re.findall(r"(hidden_\d): mean \|z\| [\d.]+, mean tanh'\(z\) ([\d.]+)", nb.text("68181016"))
    )
    for n in ("hidden_3", "hidden_4"):
        assert chain[n]["slope factor"] ** 2 > 2 * float(mean_slope[n])


@claim(
    "05",
    "Once it has started learning, every layer of the ReLU network moves on net by a few",
    "In the tanh network the output layer and the first hidden layer move at a similar pace",
    "These are the layers whose units saturate most",
)
def update_ratios(nb):
    def line(name):
        return [
            float(v)
            for v in re.search(
                rf"{name}: median update per step / weights, by layer: (.*)", nb.text("23b1102c")
            )
            .group(1)
            .split()
        ]

    relu, tanh = line("deep_relu"), line("deep_tanh")
    assert all(1e-4 <= v < 1e-3 for v in relu)
    assert 0.5 < tanh[0] / tanh[5] < 2 and 3 * max(tanh[2:5]) < min(tanh[0], tanh[5])
    sat = {n: float(c["saturated_share"]) for n, c in nb.frame("c05a7c2b").items() if n != "output"}
    assert sorted(sat, key=sat.get)[-3:] == ["hidden_3", "hidden_4", "hidden_5"]


@claim(
    "05",
    "The tanh + U(0, 1) network is flagged at initialization for every seed",
    "The ReLU + He network passes in four of five seeds",
    "it flags the tanh + U(0, 1) network at initialization for every seed tried",
)
def diagnose_verdicts_over_five_seeds(nb):
    text = nb.text("d3e1d6a9")
    tanh = re.search(r"deep_tanh: \[(.*)\]", text).group(1)
    relu = re.search(r"deep_relu: \[(.*)\]", text).group(1)
    assert tanh.count("vanishing") == 5
    assert relu.count("'healthy'") == 4


@claim(
    "05",
    "After training even the seed-0 tanh network passes (above), although it has not learned",
    "not whether the network has learned, so read the accuracy too",
)
def diagnose_passes_a_trained_tanh_network_that_did_not_learn(nb):
    assert "Diagnosis of deep_tanh: healthy" in nb.text("31a3c538")
    test = float(
        re.search(r"deep_tanh: Train: [\d.]+, Test: ([\d.]+)", nb.text("086469fa")).group(1)
    )
    assert test < 0.70  # below the course's LEARNED_THRESHOLD: it has not learned


# ------------------------------------------------------------------ notebook 11
NOT_RESULTS["11"] = {
    "Here the same questions are asked of networks 128 units wide and 5 to 50 layers deep": "overview: describes the setting (HEADLINE and the depth sweep's depths, both printed); 'learn' is in scikit-learn's name",
    "Turn single runs into success rates over ten seeds, with Wilson intervals": "overview: announces the plan",
    "Put seven width-5 lessons of the course beside their measurement at width 128": "overview: announces the plan (the table's seven rows are checked by most_lessons_hold_dead_networks_do_not)",
    "scikit-learn ships 1,797 handwritten digits, each an 8×8 grey image": "describes the data set ('learn' is in scikit-learn's name); the count is printed",
    "`load_digits_split` holds out a stratified quarter for testing": "method: what the helper does",
    "we call a run *learned* when its test accuracy reaches `LEARNED_ACCURACY`": "definition",
    "Before training we record each layer's gradient and activations": "method",
}
SWEEP_CELL, SURVIVE_CELL, WIDTHS_CELL = "984950ab", "ccda849b", "dcb6cb4b"


def _scale_rates(nb: Notebook) -> dict[str, dict[str, float]]:
    """Notebook 11's ten-seed table: 'recipe optimizer' -> its numeric columns."""
    keys = ("n", "n_learned", "share_learned", "ci_low", "ci_high", "median_accuracy")
    rows = {}
    for line in nb.text(SWEEP_CELL).splitlines():
        m = re.match(r"^\s*(\w+) +(sgd|adam) +((?:[\d.]+ +){5}[\d.]+)\s*$", line)
        if m:
            rows[f"{m.group(1)} {m.group(2)}"] = dict(zip(keys, map(float, m.group(3).split())))
    if len(rows) != 8:
        raise AssertionError(f"expected 8 recipe rows, parsed {list(rows)}")
    return rows


def _learned_every_seed(row: dict[str, float]) -> bool:
    return row["n"] == 10 and row["n_learned"] == 10 and row["share_learned"] == 1.0


def _learned_in_none(row: dict[str, float]) -> bool:
    return row["n"] == 10 and row["n_learned"] == 0 and row["share_learned"] == 0.0


def _dead_shares(nb: Notebook) -> dict[int, float]:
    line = re.search(r"dead at initialization .*: \{(.*)\}", nb.text(WIDTHS_CELL)).group(1)
    return {int(w): float(v) for w, v in re.findall(r"(\d+): ([\d.]+)", line)}


def _verdicts(nb: Notebook) -> dict[int, str]:
    """The last column of the 'which lessons survive' table, by row number."""
    rows = dict(
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"^(\d+) .* (holds|changes|reverses)\s*$", nb.text(SURVIVE_CELL), re.M)
    )
    if sorted(rows) != list(range(7)):
        raise AssertionError(f"expected the 7 lessons' verdicts, parsed {rows}")
    return rows


@claim(
    "11",
    "real enough to have the structure of image data: 64 correlated pixel inputs, some always blank",
)
def digits_have_64_pixels_some_always_blank(nb):
    from sklearn.datasets import load_digits

    assert "1,797 images of 8x8 = 64 pixels" in nb.text("952a1be8")
    pixels = load_digits().data
    assert pixels.shape == (1797, 64) and 0 < (pixels.max(axis=0) == 0).sum() < 64


@claim(
    "11",
    "the sigmoid network's first layer receives a gradient about twelve orders of magnitude smaller",
)
def sigmoid_first_layer_gradient_twelve_orders_smaller(nb):
    ratio = nb.number("564870e6", r"sigmoid_glorot\s+init\s+first layer / last layer: ([\d.e+-]+)")
    assert 1e-13 <= ratio < 1e-11


@claim(
    "11",
    "has about half its outputs at zero in each of the five layers shown at initialization",
    "and somewhat more after training, yet its gradient reaches every layer",
)
def relu_half_zero_at_init_more_after_training_gradient_reaches_first_layer(nb):
    header = r"^\s+layer 1\s+layer 5\s+layer 10\s+layer 15\s+layer 20\s*$"  # the five shown
    assert re.search(header, nb.text("02917875"), re.M)
    text = nb.text("02917875").split("relu_he", 1)[1]  # relu_he's two rows: init, trained
    init, trained = (
        [float(v) for v in re.search(rf"{when}((?:\s+[\d.]+){{5}})", text).group(1).split()]
        for when in ("init", "trained")
    )
    assert len(init) == len(trained) == 5 and all(0.4 <= v <= 0.6 for v in init)
    assert all(t > i for t, i in zip(trained, init)) and max(trained) < 0.75
    for when in ("init", "trained"):
        ratio = nb.number("564870e6", rf"relu_he\s+{when}\s+first layer / last layer: ([\d.e+-]+)")
        assert 0.1 < ratio < 10, when


@claim("11", "The ReLU network's layers all move at a similar, moderate rate")
def relu_layers_move_at_a_similar_moderate_rate(nb):
    line = r"relu_he\s+last epoch: first layer ([\d.e+-]+), last layer ([\d.e+-]+)"
    first, last = (float(v) for v in re.search(line, nb.text("ea3d249a")).groups())
    assert 1e-4 < min(first, last) and max(first, last) < 1e-2 and 0.1 < first / last < 10


@claim(
    "11",
    "Ten seeds change the picture the single runs gave",
    "tanh with Glorot's initializer learned in every seed, the sigmoid network in none",
)
def tanh_learns_every_seed_sigmoid_none(nb):
    rates = _scale_rates(nb)
    assert _learned_every_seed(rates["tanh_glorot sgd"])
    assert _learned_in_none(rates["sigmoid_glorot sgd"])
    # the single seed-0 ReLU + He run stayed below the bar; over ten seeds some learned
    single = nb.number("3ffa2e90", r"relu_he\s+Test: ([\d.]+)")
    assert single < nb.number("f17c2ec0", r"test accuracy >= ([\d.]+)")
    assert rates["relu_he sgd"]["n_learned"] > 0


@claim(
    "11",
    "ReLU + He learned in only half the seeds within ten epochs",
    "with Keras' default Glorot initializer ReLU learned in none",
)
def relu_he_half_glorot_and_uniform_none(nb):
    rates = _scale_rates(nb)
    relu = rates["relu_he sgd"]
    bar = nb.number("f17c2ec0", r"test accuracy >= ([\d.]+)")
    assert relu["n_learned"] == 5 and relu["share_learned"] == 0.5
    assert abs(relu["median_accuracy"] - bar) < 0.05
    assert relu["ci_low"] < 0.3 and relu["ci_high"] > 0.7
    assert _learned_in_none(rates["relu_glorot sgd"]) and _learned_in_none(
        rates["relu_uniform01 sgd"]
    )


@claim(
    "11",
    "Batch normalization alone did not help the plain ReLU network at this depth",
    "Adam did not rescue the sigmoid network, and residual connections with",
)
def bn_alone_and_adam_fail_residual_bn_learns_every_seed(nb):
    rates = _scale_rates(nb)
    assert rates["relu_he_bn sgd"]["n_learned"] <= rates["relu_he sgd"]["n_learned"]
    assert _learned_in_none(rates["relu_he_bn sgd"])
    assert _learned_in_none(rates["sigmoid_glorot adam"])
    assert _learned_every_seed(rates["relu_he_res_bn sgd"])


@claim(
    "11",
    "a single narrow network can fare worse: the width-5 He network",
    "of notebook 09 had its error signal shrink towards the input more than tenfold",
)
def width_5_gradient_ratio_is_a_median_notebook_09_shrank_tenfold(nb):
    assert "for seed in range(5):" in "".join(nb.cells[WIDTHS_CELL]["source"])
    assert "signal[width] = float(np.median(ratios))" in "".join(nb.cells[WIDTHS_CELL]["source"])
    median = nb.number(
        WIDTHS_CELL, r"median first/last gradient at initialization: \{5: '([\d.]+)'"
    )
    assert '"""Width-5 ReLU network' in "".join(Notebook("09").cells["110762e4"]["source"])
    first = Notebook("09").number("110762e4", r"He, scale 2: .*layer 1: ([\d.e+-]+)")
    last = Notebook("09").number("110762e4", r"He, scale 2: .*layer 20: ([\d.e+-]+)")
    assert last / first > 10 and first / last < median  # notebook 09's width-5 network: worse


@claim("11", "Dead networks at initialization are a narrow-network phenomenon here")
def no_wide_network_dead_at_init(nb):
    dead = _dead_shares(nb)
    assert dead[128] == 0 and dead[5] > 0.2
    assert "(ReLU + He, depth 20, 50 seeds)" in nb.text(WIDTHS_CELL)


@claim(
    "11",
    "a sigmoid network with Glorot's initializer stays at chance in every seed",
    "while tanh with the same initializer learns in every seed",
)
def summary_sigmoid_at_chance_tanh_learns(nb):
    import csv

    sigmoid_first_layer_gradient_twelve_orders_smaller(nb)
    tanh_learns_every_seed_sigmoid_none(nb)
    # per-seed accuracies are not printed: read the stored runs the notebook's table summarizes
    assert "80 runs read from results/11_at_real_scale.csv" in nb.text(SWEEP_CELL)
    path = NOTEBOOKS.parent / "helpers" / "results" / "11_at_real_scale.csv"
    with path.open() as f:
        sigmoid = [
            r
            for r in csv.DictReader(f)
            if r["recipe"] == "sigmoid_glorot" and r["optimizer"] == "sgd" and r["depth"] == "20"
        ]
    assert len(sigmoid) == 10 and all(abs(float(r["test_accuracy"]) - 0.1) < 0.01 for r in sigmoid)


@claim("11", "ReLU needs He's initializer at this depth (with Glorot it never learned)")
def summary_relu_needs_he_and_learns_in_part(nb):
    rates = _scale_rates(nb)
    assert _learned_in_none(rates["relu_glorot sgd"])
    assert 0 < rates["relu_he sgd"]["n_learned"] < 10


@claim(
    "11",
    "Six of the seven width-5 lessons compared hold at width 128; dead ReLU networks at initialization do not",
)
def most_lessons_hold_dead_networks_do_not(nb):
    verdicts = _verdicts(nb)
    assert len(verdicts) == 7 and list(verdicts.values()).count("holds") == 6
    assert verdicts[0] == "changes" and "ReLU + He networks can be dead" in nb.text(SURVIVE_CELL)
    assert _dead_shares(nb)[128] == 0


NOT_RESULTS["11"].update(
    {
        "The networks so far were narrow (mostly 5 units wide; wider, up to 64 units, only in parts": "overview: recalls the earlier notebooks' settings (04's exercise 2: 16 units, 06: up to 25, 08's lab: up to 64, 10: 16)",
        "The usual reading, which the section on saturation below qualifies: each sigmoid layer": "a hypothesis, said to be one; the slope bound is a formula fact and the ratio is printed",
        "A reading we did not measure here: each sigmoid layer multiplies the backward signal": "a hypothesis, said to be one (the slope bound of the sigmoid is a formula fact)",
        "width-5 column mixes sources: its dead share and gradient ratio are measured on the digits": "describes where the table's numbers come from (method)",
    }
)


NOT_RESULTS["11"].update(
    {
        "The four activations with the initializers this notebook gives them": "method: what the depth sweep trains; 'learned in every seed at depth 20' is the sweep "
        "table's relu_he_res_bn row, checked by residual_bn_learned_every_seed_at_depth_20",
    }
)
SCALE_DEPTH_CELL = "d5a0c1e2"


def _scale_depth_rates(nb: Notebook) -> dict[tuple[str, int], dict[str, float]]:
    """Notebook 11's depth table: (recipe, depth) -> its numeric columns."""
    keys = ("n", "n_learned", "share_learned", "ci_low", "ci_high", "median_accuracy")
    rows = {}
    for line in nb.text(SCALE_DEPTH_CELL).splitlines():
        m = re.match(r"^\s*(\w+) +(\d+) +((?:[\d.]+ +){5}[\d.]+)\s*$", line)
        if m:
            rows[(m.group(1), int(m.group(2)))] = dict(zip(keys, map(float, m.group(3).split())))
    if len(rows) != 13:
        raise AssertionError(f"expected 13 (recipe, depth) rows, parsed {list(rows)}")
    return rows


@claim(
    "11", "sigmoid network stays at chance at 5 layers as well, so within ten epochs depth alone"
)
def sigmoid_stays_at_chance_at_5_layers_too(nb):
    r = _scale_depth_rates(nb)
    assert r[("sigmoid_glorot", 5)]["n_learned"] == 0
    assert r[("sigmoid_glorot", 5)]["median_accuracy"] < 0.15  # ten classes: chance is 0.1


@claim(
    "11",
    "At 5 layers tanh, ReLU and GELU learned in every seed",
    "at 50 layers none of the four plain networks learned in any seed, tanh included, which had",
    "Depth decides at real width too: at 5 layers tanh, ReLU + He and GELU + He",
)
def depth_5_all_learn_depth_50_none(nb):
    t = _scale_depth_rates(nb)
    for recipe in ("tanh_glorot", "relu_he", "gelu_he"):
        assert _learned_every_seed(t[(recipe, 5)]), recipe
    for recipe in ("sigmoid_glorot", "tanh_glorot", "relu_he", "gelu_he"):
        assert _learned_in_none(t[(recipe, 50)]), recipe
    assert _learned_every_seed(t[("tanh_glorot", 20)])
    # the depth-20 rows are the ten-seed table's rows
    rates = _scale_rates(nb)
    for recipe in ("sigmoid_glorot", "tanh_glorot", "relu_he"):
        assert t[(recipe, 20)] == rates[f"{recipe} sgd"], recipe


@claim("11", "GELU learned at least as often as ReLU at every depth")
def gelu_at_least_as_often_as_relu(nb):
    t = _scale_depth_rates(nb)
    for d in (5, 20, 50):
        assert t[("gelu_he", d)]["n_learned"] >= t[("relu_he", d)]["n_learned"], d
    gelu, relu = t[("gelu_he", 20)], t[("relu_he", 20)]
    assert (gelu["n_learned"], relu["n_learned"]) == (8, 5)
    assert gelu["ci_low"] < relu["ci_high"]  # the intervals overlap


@claim("11", "The sigmoid network stayed at chance at every depth, five layers included")
def sigmoid_at_chance_at_every_depth(nb):
    t = _scale_depth_rates(nb)
    for d in (5, 20, 50):
        row = t[("sigmoid_glorot", d)]
        assert _learned_in_none(row) and abs(row["median_accuracy"] - 0.1) < 0.01, d


@claim(
    "11",
    "Residual connections with batch normalization learned in 7 of 10 seeds at 50 layers",
    "while residual connections with batch normalization learned in 7 of 10 seeds there",
)
def residual_bn_learns_7_of_10_at_depth_50(nb):
    t = _scale_depth_rates(nb)
    row = t[("relu_he_res_bn", 50)]
    assert (row["n"], row["n_learned"]) == (10, 7)
    assert all(
        _learned_in_none(t[(r, 50)])
        for r in ("sigmoid_glorot", "tanh_glorot", "relu_he", "gelu_he")
    )
    assert _learned_every_seed(_scale_rates(nb)["relu_he_res_bn sgd"])  # "no longer in every seed"


@claim(
    "11",
    "Hardly any sigmoid output sits near 0 or 1, before or",
    "after training, so saturation is not what shrinks this network's gradient",
)
def sigmoid_outputs_hardly_saturate(nb):
    text = nb.text("02917875").split("sigmoid_glorot", 1)[1].split("relu_he", 1)[0]
    shares = [float(v) for v in re.findall(r"\d\.\d{3}", text)]
    assert len(shares) == 10 and max(shares) <= 0.01
    ratio = nb.number("564870e6", r"sigmoid_glorot\s+init\s+first layer / last layer: ([\d.e+-]+)")
    assert ratio < 1e-9  # and yet the gradient vanished


@claim("11", "show where the sigmoid network's gradient vanishes: it falls")
def sigmoid_profile_unlike_notebook_05(nb):
    sigmoid_outputs_hardly_saturate(nb)
    # notebook 05's tanh network: U-shaped (hidden_3 below both ends) and saturated (71% at hidden_5)
    text = Notebook("05").text("ef813580").split("Diagnosis of deep_relu")[0]
    g = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(hidden_\d)\s+tanh\s+([\d.e-]+)", text, re.M)
    }
    assert g["hidden_3"] < g["hidden_1"] and g["hidden_3"] < g["hidden_5"]
    assert "saturated [hidden_5]: 71%" in text


# Notebook 12: transformers, Post-LN against Pre-LN (and ReZero): per-block gradient profiles
# before training (cell a6d5b26a prints their summary table, the figure plots the profiles stored
# in helpers/results/12_gradient_profiles.csv) and success rates over 10 seeds at 6 and 12 blocks.
def _profile_table_12(nb) -> dict[str, dict[str, float]]:
    """Notebook 12's profile table as {"post 48": {column: value}}."""
    rows = {}
    for line in nb.text("a6d5b26a").splitlines():
        parts = line.split()
        if parts and parts[0] in ("post", "pre"):
            rows[f"{parts[0]} {parts[1]}"] = dict(
                zip(("ratio", "smallest", "last", "vs3", "xiong"), map(float, parts[2:7]))
            )
    return rows


def _rates_12(nb) -> dict[tuple[int, str], tuple[int, float]]:
    """(depth, network) -> (seeds learned out of 10, median test accuracy), notebook 12."""
    line = r"(\d+) blocks, (.+?)\s*:\s*(\d+)/10 learned, .* median test accuracy ([\d.]+)"
    return {
        (int(d), name.strip()): (int(k), float(acc))
        for d, name, k, acc in re.findall(line, nb.text("90a77b59"))
    }


@claim(
    "12",
    "single seeds scatter: at 48 blocks one of the three gives",
    'So read Post-LN\'s profile as "no steady tilt towards the input"',
)
def post_ln_profiles_scatter_over_seeds(nb):
    t = _profile_table_12(nb)
    assert t["post 48"]["smallest"] < 0.5 < 1 < t["post 48"]["ratio"]
    ratios = [t[f"post {d}"]["ratio"] for d in (3, 6, 12, 24, 48)]
    assert ratios == sorted(ratios)  # the medians climb ("increasingly so")


@claim(
    "12",
    "with no steady trend, up to 48 blocks",
    "Pre-LN's falls at every added depth",
    "but relative to 3 blocks by less than $1/\\sqrt{L}$ at every depth measured (closest at 24",
    "between two other depths it can fall faster, see exercise 3",
)
def xiong_prediction_up_to_48_blocks(nb):
    t = _profile_table_12(nb)
    post = [t[f"post {d}"]["vs3"] for d in (6, 12, 24, 48)]
    assert min(post) > 0.7 and max(post) < 1.3 and post != sorted(post)
    pre = [t[f"pre {d}"]["vs3"] for d in (3, 6, 12, 24, 48)]
    assert pre == sorted(pre, reverse=True) and len(set(pre)) == len(pre)
    assert abs(t["pre 24"]["vs3"] - t["pre 24"]["xiong"]) < 0.05
    gaps = {d: t[f"pre {d}"]["vs3"] - t[f"pre {d}"]["xiong"] for d in (6, 12, 24, 48)}
    assert all(gap > 0 for gap in gaps.values())  # by less than 1/sqrt(L), at every depth
    assert min(gaps, key=gaps.get) == 24  # closest at 24 blocks
    # from 6 to 24 blocks it falls faster than 1/sqrt(L) predicts, sqrt(6 / 24) = 0.5
    assert t["pre 24"]["vs3"] / t["pre 6"]["vs3"] < 0.5


@claim(
    "12",
    "At 12 blocks the warm-up no longer rescues any seed",
    "with it (median test accuracy 0.172, against 0.126 without), as without it, while Pre-LN",
    "rescued 6 of 10 seeds at 6 blocks rescues 0 of 10 at 12",
    "and with 12 blocks it brings Post-LN to 0 of 10",
    "and in no seed at 12 blocks, where Pre-LN still always learned",
)
def warmup_does_not_rescue_post_ln_at_12_blocks(nb):
    r = _rates_12(nb)
    assert r[12, "Post-LN + warm-up"][0] == 0 and r[12, "Post-LN"][0] == 0
    assert r[12, "Post-LN + warm-up"][1] > r[12, "Post-LN"][1]  # a little higher, no seed rescued
    assert r[6, "Post-LN + warm-up"][0] == 6
    assert r[12, "Pre-LN"][0] == 10 and r[12, "Pre-LN + warm-up"][0] == 10


@claim(
    "12",
    "roughly as fast as Xiong et al.'s $1/\\sqrt{L}$ scaling (relative to 3 blocks a little slower",
)
def summary_pre_ln_shrinks_like_xiong_then_slower(nb):
    # "Pre-LN gives the blocks near the input the most gradient, more so the deeper the network,
    # while in Post-LN's medians the last block gets at least the first block's gradient"
    pre_ln_first_block_gets_the_most_and_the_tilt_grows(nb)
    t = _profile_table_12(nb)
    assert all(t[f"post {d}"]["ratio"] >= 1 for d in (3, 6, 12, 24, 48))
    xiong_prediction_up_to_48_blocks(nb)


NOT_RESULTS["12"] = {
    "(2020) bounded the gradient of the last layer's parameters at initialization": "a paper's theorem, described as bounds",
    "Two depths and 10 seeds a point show the direction, not where Post-LN stops training": "a caveat on what was not measured",
}


def _stored_profiles_12(nb) -> dict[tuple[str, int], list[list[float]]]:
    """The per-block gradients the notebook's figure plots, (placement, depth) -> one list per
    seed (first block first), read from the stored table the notebook says it read."""
    import csv

    assert "30 runs read from results/12_gradient_profiles.csv" in nb.text("49512ce3")
    path = NOTEBOOKS.parent / "helpers" / "results" / "12_gradient_profiles.csv"
    profiles: dict[tuple[str, int], list[list[float]]] = {}
    with path.open() as f:
        for r in csv.DictReader(f):
            g = [float(v) for v in r["gradients"].split()]
            assert len(g) == int(r["depth"])
            profiles.setdefault((r["placement"], int(r["depth"])), []).append(g)
    assert sorted(profiles) == [(p, d) for p in ("post", "pre") for d in (3, 6, 12, 24, 48)]
    assert all(len(seeds) == 3 for seeds in profiles.values())
    return profiles


def _headline_12(nb) -> dict[tuple[int, str], tuple[int, float, float]]:
    """(depth, network) -> (seeds learned out of 10, interval low, interval high), notebook 12,
    from the headline cell; the pivot table of cell a6519076 must print the same."""
    line = r"(\d+) blocks, (.+?)\s*:\s*(\d+)/10 learned, 95% interval ([\d.]+) to ([\d.]+),"
    rows = {
        (int(d), name.strip()): (int(k), float(lo), float(hi))
        for d, name, k, lo, hi in re.findall(line, nb.text("90a77b59"))
    }
    assert len(rows) == 10, rows
    pivot = nb.text("a6519076")
    for (depth, name), (k, lo, hi) in rows.items():
        assert re.search(rf"^{re.escape(name)}\s.*\b{k}/10 \[{lo:.2f}, {hi:.2f}\]", pivot, re.M), (
            name
        )
    return rows


@claim(
    "12",
    "In Pre-LN the first block gets the most gradient, in every seed at every depth",
    "in the medians the blocks near the output get the least; the tilt grows with depth",
)
def pre_ln_first_block_gets_the_most_and_the_tilt_grows(nb):
    import numpy as np

    counted = re.search(
        r"Pre-LN: the first block gets the most gradient in (\d+) of its (\d+) profiles",
        nb.text("a6d5b26a"),
    )
    assert counted and counted.group(1) == counted.group(2) == "15"  # 5 depths x 3 seeds
    for (placement, depth), seeds in _stored_profiles_12(nb).items():
        if placement != "pre":
            continue
        g = np.array(seeds)
        assert all(row.argmax() == 0 for row in g), depth  # every seed
        assert np.median(g, axis=0).argmin() >= 0.8 * (depth - 1), depth  # near the output
    t = _profile_table_12(nb)
    tilt = [t[f"pre {d}"]["ratio"] for d in (3, 6, 12, 24, 48)]  # last / first, printed
    assert tilt[0] < 1 and tilt == sorted(tilt, reverse=True) and len(set(tilt)) == len(tilt)


@claim(
    "12",
    "Neither vanishes the way the deep sigmoid network's gradient did in",
    "in the medians plotted the block gradients differ by little more than an order of magnitude",
    "with that path, the block gradients measured here stay within little more than an order",
)
def neither_placement_vanishes_block_gradients_within_an_order_of_magnitude(nb):
    spreads = [max(g) / min(g) for seeds in _stored_profiles_12(nb).values() for g in seeds]
    assert 10 < max(spreads) < 20  # "little more than an order of magnitude"
    # the printed last / first ratios agree: the smallest seed's is above 1/20
    assert min(row["smallest"] for row in _profile_table_12(nb).values()) > 0.05
    # notebook 11's sigmoid network: about twelve orders of magnitude, first layer / last
    ratio = Notebook("11").number(
        "564870e6", r"sigmoid_glorot\s+init\s+first layer / last layer: ([\d.e+-]+)"
    )
    assert 1e-13 <= ratio < 1e-11


@claim("12", "Xiong et al. argue that this large gradient near the output, met with the full")
def post_ln_gradient_near_the_output_is_large(nb):
    # the measured part of Xiong et al.'s explanation: Post-LN's last block gets at least its
    # first block's gradient (medians) and well over Pre-LN's last block, at every depth
    t = _profile_table_12(nb)
    for d in (3, 6, 12, 24, 48):
        assert t[f"post {d}"]["ratio"] > 1 and t[f"post {d}"]["last"] > 1.5 * t[f"pre {d}"]["last"]


@claim(
    "12",
    "last-block gradient gets smaller as the network gets deeper, and from this and their",
    "below, it learns with a constant learning rate in every seed at both depths",
)
def pre_ln_last_block_shrinks_and_needs_no_warmup(nb):
    t = _profile_table_12(nb)
    falls = [t[f"pre {d}"]["last"] for d in (3, 6, 12, 24, 48)]
    assert falls == sorted(falls, reverse=True) and len(set(falls)) == len(falls)
    r = _rates_12(nb)
    assert r[6, "Pre-LN"][0] == 10 and r[12, "Pre-LN"][0] == 10


@claim(
    "12",
    "Without warm-up, Post-LN learns in none of the 10 seeds: its median test accuracy",
    "near the guess of one in eight",
)
def post_ln_learns_in_no_seed_and_stays_near_chance(nb):
    k, acc = _rates_12(nb)[6, "Post-LN"]
    guess = nb.number("c180dbf4", r"a guess is right ([\d.]+) of the time")
    assert k == 0 and guess == 0.125 and abs(acc - guess) < 0.02
    stated = re.search(r"median test accuracy stays at\s+([\d.]+)", nb.cells["88bbc380"].source)
    assert stated and float(stated.group(1)) == round(acc, 3)


@claim("12", "Pre-LN learns in all 10, with or without warm-up")
def pre_ln_learns_in_every_seed_with_or_without_warmup(nb):
    r = _rates_12(nb)
    assert r[6, "Pre-LN"][0] == 10 and r[6, "Pre-LN + warm-up"][0] == 10


@claim("12", "rescues Post-LN in 6 of 10 seeds: the same networks, the same data")
def warmup_rescues_post_ln_in_six_of_ten_seeds(nb):
    assert "warm-up over 60 of them" in nb.text("ccb23bf0")
    assert _rates_12(nb)[6, "Post-LN + warm-up"][0] == 6 and _rates_12(nb)[6, "Post-LN"][0] == 0


@claim("12", "learns in 8 of 10 without warm-up")
def rezero_learns_in_eight_of_ten_without_warmup(nb):
    assert _rates_12(nb)[6, "ReZero"][0] == 8


@claim(
    "12",
    "With 6 blocks and a constant learning rate, Post-LN learns in 0 of 10 seeds",
    "the intervals are far apart",
    "below Pre-LN's 10 of 10 within the same 189 steps, though the two intervals overlap",
)
def headline_intervals_far_apart(nb):
    rows = _headline_12(nb)
    post, pre = rows[6, "Post-LN"], rows[6, "Pre-LN"]
    assert post == (0, 0.0, 0.28) and pre == (10, 0.72, 1.0)
    assert pre[1] - post[2] > 0.4  # far apart, not just disjoint
    warm = rows[6, "Post-LN + warm-up"]
    assert warm[0] == 6 and warm[0] < pre[0] and warm[2] > pre[1]  # lower, intervals overlap


@claim("12", "Post-LN never learned the reversal task in 10 seeds and Pre-LN always did")
def summary_post_ln_never_pre_ln_always_at_6_blocks(nb):
    r = _rates_12(nb)
    assert r[6, "Post-LN"][0] == 0 and r[6, "Pre-LN"][0] == 10


NOT_RESULTS["12"].update(
    {
        "they train because of two remedies this course has met already": "overview: background on today's transformers (Vaswani et al., Xiong et al.), not a measurement",
        "Build a transformer block from Keras layers in one cell, in two versions": "overview: the notebook's plan",
        "Measure the gradient that reaches each block before training, as depth grows": "overview: the notebook's plan",
        "Count over 10 seeds how often each version learns a small task": "overview: the notebook's plan",
        "Every example is a sequence of 8 tokens drawn from a vocabulary of 8": "defines the task",
        "draws the tokens from a seeded generator, so every run gets its own data": "method (how the data are drawn)",
        "moves the normalization inside the branch": "Pre-LN's definition (Xiong et al.): the plain-sum residual path holds by construction",
        "ReZero (Bachlechner et al. 2020) keeps no normalization at all": "ReZero's definition, cited: a gate at 0 makes every block the identity by construction",
        "The whole model: token embeddings plus Vaswani et al.'s sinusoidal position code": "describes the model (method)",
        "the networks compute in float64, which keeps rounding far below the printed digits": "method: the course's precision setting (notebook 02 measures what float64 changes)",
        "Every run draws its own 2,000 training and 500 test sequences": "method",
        "A run *learned* when at least 0.9 of its test tokens are right": "definition",
        "The stored table holds every run; `make results` recomputes it": "method",
        "A larger learning rate, longer training or other settings may shift the rates": "a caveat on settings that were not measured (the contrast itself is re-measured on "
        "unseen seeds in tests/test_claims_transformers.py)",
    }
)
