"""The checked exercises of each notebook: ``from helpers.exercises import ex03``, then
``ex03.q1.check(answer)``, ``ex03.q1.hint()``, ``ex03.q1.solution()``. Each module's
``EXERCISES`` maps an exercise number ("1") to its :class:`helpers.checking.Exercise`."""
