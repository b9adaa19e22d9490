"""Every qualitative result the prose and the concept questions' feedback state is registered
(tests/claims.py, tests/claims_quiz.py), and holds.

See tests/claims.py for the rule and for how a new sentence gets registered."""

from __future__ import annotations

import claims_quiz  # noqa: F401  (registers the concept questions' feedback claims)
import keras
import numpy as np
import pytest
import tensorflow as tf
from claims import CLAIMS, ENFORCED, NOT_RESULTS, RESULT_WORDS, Notebook, normalise

_NOTEBOOKS: dict[str, Notebook] = {}


def _nb(number: str) -> Notebook:
    if number not in _NOTEBOOKS:
        _NOTEBOOKS[number] = Notebook(number)
    return _NOTEBOOKS[number]


def _fragments(number: str) -> list[str]:
    return [f for c in CLAIMS.values() if c.notebook == number for f in c.fragments] + [
        normalise(f) for f in NOT_RESULTS.get(number, {})
    ]


@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_claim_holds_on_the_notebooks_outputs(cid):
    claim = CLAIMS[cid]
    claim.check(_nb(claim.notebook))


@pytest.mark.parametrize("number", sorted({c.notebook for c in CLAIMS.values()} | set(NOT_RESULTS)))
def test_every_registered_fragment_is_in_one_sentence_of_its_notebook(number):
    nb = _nb(number)
    sentences = [s for _, s in nb.markdown_sentences() + nb.quiz_feedback_sentences()]
    for fragment in _fragments(number):
        hits = [s for s in sentences if fragment in s]
        assert len(hits) == 1, (
            f"notebook {number}: fragment {fragment!r} is in {len(hits)} "
            "sentences: the sentence changed, register it again"
        )


@pytest.mark.parametrize("number", ENFORCED)
def test_every_result_sentence_is_registered(number):
    fragments = _fragments(number)
    candidates = [(cid, s) for cid, s in _nb(number).markdown_sentences() if RESULT_WORDS.search(s)]
    assert len(candidates) >= 10, f"notebook {number}: only {len(candidates)} sentences found"
    missing = [f"[{cid}] {s}" for cid, s in candidates if not any(f in s for f in fragments)]
    assert not missing, (
        "unregistered result sentences (add a claim or a NOT_RESULTS entry in "
        "tests/claims.py):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("number", ENFORCED)
def test_every_result_sentence_of_concept_question_feedback_is_registered(number):
    fragments = _fragments(number)
    candidates = [
        (cid, s) for cid, s in _nb(number).quiz_feedback_sentences() if RESULT_WORDS.search(s)
    ]
    missing = [f"[{cid}] {s}" for cid, s in candidates if not any(f in s for f in fragments)]
    assert not missing, (
        "unregistered result sentences in concept questions' feedback (add a claim or a "
        "NOT_RESULTS entry in tests/claims_quiz.py):\n" + "\n".join(missing)
    )


def test_concept_question_feedback_is_extracted_without_stems_or_options():
    nb = _nb("01")
    feedback = [s for _, s in nb.quiz_feedback_sentences()]
    assert sum(s.startswith("✔") for s in feedback) == 3  # one right answer per question
    assert not any("Question" in s or "<summary>" in s or "</details>" in s for s in feedback)
    assert not any("Because there are too many points" in s for s in feedback)  # an option
    assert not any(s in feedback for _, s in nb.markdown_sentences())  # prose unchanged


def test_the_result_pattern_finds_quantifiers_and_comparisons():
    for sentence in (
        "No run learns either way.",
        "It learns in at most a fifth of the seeds.",
        "SimpleRNN fails at 50 steps.",
        "The gradient grows towards the input.",
    ):
        assert RESULT_WORDS.search(sentence), sentence
    assert not RESULT_WORDS.search("The cell below prints the table.")


def test_sentence_splitting_keeps_a_claim_whole():
    nb = _nb("09")
    assert any(
        "Every other configuration learns in at most a fifth" in s and "none learns at 50" in s
        for _, s in nb.markdown_sentences()
    )
    assert not any("Solution" in s for _, s in nb.markdown_sentences())  # Exercises skipped


def test_keras_clipnorm_is_per_variable_and_global_clipnorm_rescales_the_whole_gradient():
    # Notebooks 09 and 10: Keras' `clipnorm` clips each variable's gradient by its own norm;
    # `global_clipnorm` rescales all of them by their joint norm (Pascanu et al.'s clipping).
    grads = [np.array([3.0, 4.0]), np.array([0.3, 0.4])]  # norms 5 and 0.5, joint norm ~5.02
    steps = {}
    for kind in ("clipnorm", "global_clipnorm"):
        variables = [keras.Variable(np.zeros(2)), keras.Variable(np.zeros(2))]
        opt = keras.optimizers.SGD(learning_rate=1.0, **{kind: 1.0})
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        steps[kind] = [-v.numpy() for v in variables]
    per_variable, whole = steps["clipnorm"], steps["global_clipnorm"]
    np.testing.assert_allclose(np.linalg.norm(per_variable[0]), 1.0)  # cut to 1
    np.testing.assert_allclose(per_variable[1], grads[1])  # left alone
    joint = np.sqrt(sum(np.sum(g**2) for g in grads))
    for step, g in zip(whole, grads):
        np.testing.assert_allclose(step, g / joint)  # same direction


@pytest.mark.parametrize("module", ["claims.py", "claims_quiz.py"])
def test_no_function_of_the_registry_is_defined_twice(module):
    """A second `def` of the same name replaces the first after its claim registered it, so
    a check could silently run another one's code (this happened once): names are unique."""
    import ast
    from collections import Counter
    from pathlib import Path

    tree = ast.parse((Path(__file__).parent / module).read_text())
    names = Counter(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
    assert not [name for name, k in names.items() if k > 1]
