"""Where a warning points: the first frame outside the package and the libraries it wraps."""

from __future__ import annotations

import sys

# The package and the libraries that call its fits for the user: scikit-learn's and
# aeon's searches and cross-validation run each fit through joblib (a warning named
# joblib/parallel.py there, review 144).
OUTSIDE = ("dream_sklearn.", "sklearn.", "aeon.", "joblib.")
# The online estimators' warnings: past river's Pipeline and progressive_val_score too.
ONLINE_OUTSIDE = (*OUTSIDE, "river.")


def user_stacklevel(outside: tuple[str, ...] = OUTSIDE) -> int:
    """The ``stacklevel`` for a ``warnings.warn`` made by the function that calls this
    one: the first frame whose module is not in ``outside`` (names' prefixes), so that
    the warning names the user's line, however deep in the package it was raised."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(outside):
        frame, level = frame.f_back, level + 1
    return level
