"""Checked exercises: a learner's answer judged against the course's own measurements.

An :class:`Exercise` pairs a *judge* (a function of the learner's answer) with a hint and a
worked solution. ``exercise.check(answer)`` returns a :class:`Feedback` that says, in one or two
sentences, whether the answer is right and why it matters, or what is wrong and where to look.
The notebooks' exercise modules (``helpers.exercises.exNN``) define one ``Exercise`` per
exercise; the grader (``scripts/grade.py``) calls :func:`grade` on a finished notebook's names.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STATUSES = ("correct", "incorrect", "not attempted", "error")
_MARKS = {"correct": "✔", "incorrect": "✘", "not attempted": "…", "error": "!"}
_COLOURS = {"correct": "#1a7f37", "incorrect": "#b3261e", "not attempted": "#57606a",
            "error": "#9a6700"}


class Wrong(Exception):
    """Raised by a judge: the answer is wrong, and the message says what to look at."""


@dataclass(frozen=True)
class Feedback:
    """What a check says: ``exercise`` ("03.1"), ``status`` (one of STATUSES), ``message``."""

    exercise: str
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return f"{_MARKS[self.status]} Exercise {self.exercise}, {self.status}: {self.message}"

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em">'
                f'<b style="color: {colour}">{_MARKS[self.status]} Exercise {self.exercise}, '
                f"{self.status}.</b> {html.escape(self.message)}</div>")


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    ``name`` is "NN.K" (notebook, exercise); ``answer`` is the variable the scaffold cell asks
    the learner to set (the grader reads it by that name); ``judge(answer)`` returns the
    message for a right answer and raises :class:`Wrong` with a specific message otherwise;
    ``hint`` and ``solution`` (the worked solution's code, also folded in the notebook) are
    shown on request; ``mistakes`` names the common wrong answers the judge recognises.
    """

    name: str
    answer: str
    judge: Callable[[Any], str]
    hint_text: str
    solution_code: str
    mistakes: tuple[str, ...] = field(default=())

    def check(self, answer: Any = ...) -> Feedback:
        """Judge ``answer``; ``...`` (the untouched scaffold) gives "not attempted"."""
        if answer is ...:
            return Feedback(self.name, "not attempted",
                            f"set `{self.answer}` in the cell above (replace the `...`), then run "
                            f"this cell again. Stuck? Run `{self._call('hint')}`.")
        try:
            return Feedback(self.name, "correct", self.judge(answer))
        except Wrong as wrong:
            return Feedback(self.name, "incorrect", str(wrong))
        except Exception as error:  # noqa: BLE001 - a learner's odd answer must not raise
            return Feedback(self.name, "error",
                            f"the check could not read your answer ({type(error).__name__}: "
                            f"{error}). `{self.answer}` should be what the exercise asks for.")

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint for exercise {self.name}: {self.hint_text}")

    def solution(self) -> None:
        """Print the worked solution's code (the notebook also has it, folded)."""
        print(f"Worked solution for exercise {self.name}:\n\n{self.solution_code.strip()}")

    def _call(self, method: str) -> str:
        module, number = self.name.split(".")
        return f"ex{module}.q{number}.{method}()"


def grade(exercises: Mapping[str, Exercise], namespace: Mapping[str, Any]) -> list[Feedback]:
    """Check every exercise on the answer found in ``namespace`` (a notebook's globals).

    An answer variable that does not exist counts as not attempted.
    """
    return [exercise.check(namespace.get(exercise.answer, ...))
            for exercise in exercises.values()]


# ------------------------------------------------------------------- building blocks for judges
def number(answer: Any, what: str, minimum: float | None = None,
           maximum: float | None = None) -> float:
    """``answer`` as a float, or :class:`Wrong` naming ``what`` was expected and its range."""
    got = f"expected {what} as a single number, got {type(answer).__name__}"
    try:  # Python and NumPy numbers, one-element arrays and Series (float() of those warns)
        if answer is None or isinstance(answer, str) or np.asarray(answer).dtype == bool:
            raise Wrong(f"{got} {answer!r}.")  # float() would take a bool or "0.5"
        value = float(np.asarray(answer, dtype=float).reshape(()))
    except (TypeError, ValueError):  # not numeric, not one value, or ragged
        raise Wrong(f"{got}.") from None
    if value != value:
        raise Wrong(f"expected {what}, got NaN.")
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        bounds = (f"between {minimum:g} and {maximum:g}" if None not in (minimum, maximum)
                  else f"at least {minimum:g}" if maximum is None else f"at most {maximum:g}")
        raise Wrong(f"expected {what} {bounds}, got {value:g}.")
    return value


@contextmanager
def course_precision() -> Iterator[None]:
    """Keras computes in float64 inside the block, as every notebook does, whatever the caller's
    floatx; the caller's floatx and dtype policy come back after it."""
    import keras  # here, not at import: the grader imports this module before any notebook runs

    # Keras fixes its layers' dtype policy when the first layer is created; set it with floatx.
    before = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(before[0])
        keras.config.set_dtype_policy(before[1])


def close(value: float, target: float, tolerance: float) -> bool:
    """True when ``value`` is within ``tolerance`` of ``target``."""
    return abs(value - target) <= tolerance
