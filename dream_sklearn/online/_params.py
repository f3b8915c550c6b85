"""The online estimators' parameters: their rules and defaults (the ValueError of
every front, ``nn._config._check_value``)."""

from __future__ import annotations

from typing import Any

from ..nn._config import (
    _BOOL,
    _INT,
    _NONNEGATIVE,
    _POSITIVE,
    _UNIT_OPEN,
    _check_value,
    _front_defaults,
    _is_int,
    _Rule,
)

__all__: list[str] = []

_FEEDBACK = ("cell", "readout", "none")
_MAX_KNOTS = 10_000  # n_knots' bound (the ramps' thresholds, within [-1.5, 1.5])
_MISSING = ("ignore", "raise")
_MATCH = ("values", "order")
_RESERVED_CELL_PARAMS = ("input_dim", "hidden_dim", "rank")
# The cell parameters the online estimators take by name (the others go in
# cell_params, by DREAMConfig's field names). Defaults: DREAMConfig's, except the
# overrides in nn._config._FRONT_OVERRIDES["online"].
_CELL_PARAMS = ("hidden_dim", "rank")
_DEFAULT = _front_defaults("online", _CELL_PARAMS)


def _optional(rule: _Rule) -> _Rule:
    """``rule``, or None."""
    return _Rule(f"None or {rule.expected}", lambda v: v is None or rule.accepts(v), lambda v: v)


def _one_of(options: tuple) -> _Rule:
    return _Rule(f"one of {options}", lambda v: isinstance(v, str) and v in options, str)


def _readouts_rule(names: tuple) -> _Rule:
    """The rule of a ``readouts`` parameter: distinct names from ``names``."""
    return _Rule(
        f"a non-empty tuple of distinct names from {names}",
        lambda r: (
            isinstance(r, tuple | list)
            and len(r) > 0
            and all(isinstance(v, str) and v in names for v in r)
            and len(set(r)) == len(r)
        ),
        lambda r: r,
    )


def _check_params(owner: str, rules: dict[str, _Rule], estimator: Any) -> None:
    """Check each of ``estimator``'s parameters named in ``rules`` (the ValueError of
    every front, nn._config._check_value)."""
    for name, rule in rules.items():
        _check_value(owner, name, getattr(estimator, name), rule)


# The rules of the online estimators' own parameters (the cell's are DREAMConfig's).
_RULES = {
    "learning_rate": _POSITIVE,
    "l2": _NONNEGATIVE,
    "standardize_rate": _UNIT_OPEN,
    "feedback": _one_of(_FEEDBACK),
    "surprise_gain": _NONNEGATIVE,
    "slow_rate": _optional(_UNIT_OPEN),
    # (at most _MAX_KNOTS: n_knots=10**8 failed in NumPy's allocation, naming nothing;
    # review 358. Knots that close, a 10,000th of a ramp's width apart, add nothing)
    "n_knots": _Rule(
        f"an int in [0, {_MAX_KNOTS}]", lambda v: _is_int(v) and 0 <= v <= _MAX_KNOTS, int
    ),
    "drift_recovery": _BOOL,
    "seed": _optional(_INT),
    "missing": _one_of(_MISSING),
    "advance_on_predict": _BOOL,
    "match_labels_by": _one_of(_MATCH),
    "cell_params": _Rule(
        f"None or a dict of DREAMConfig fields other than {_RESERVED_CELL_PARAMS}",
        lambda v: v is None or (isinstance(v, dict) and not set(v) & set(_RESERVED_CELL_PARAMS)),
        lambda v: v,
    ),
}
