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
# n_knots="auto" (the classifier's default since round 60; the regressor keeps 5, at
# which its development streams of one and two features, online_robust.py, chose its
# other settings): the knots by the number of features of the first row, more where
# there are few (their pair features, products of two ramps, stay few: 225 for two
# features at 15 knots, 243 for three at 9, 150 for four at 5). Chosen on development
# streams of two features (a checkerboard, a circle, a sine boundary, two moons:
# accuracy 0.611-0.945 at 5 knots, 0.695-0.978 at 15, little more at 21 or 31), two of
# one feature (bands and intervals: 0.641 and 0.824 at 5, 0.708 and 0.877 at 15) and the
# tuning half's classification streams of three (SEA, STAGGER: at 9 neither worse; at 15
# SEA 0.07 point worse); four and more keep 5 (at 9 on the tuning half RandomRBFDrift
# and Phishing were worse). A first row's missing value is no feature of it, as an
# absent key is not. A stream whose first row is narrow and later rows wide (a one-hot
# feature) keeps the first row's knots, and its later slots' pairs take 5 of them
# (_features._COARSE): docs/online.md, "Round 60: knots by the number of features".
_AUTO_KNOTS = {0: 5, 1: 15, 2: 15, 3: 9}
_DEFAULT_KNOTS = 5  # four features or more


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == "auto"


def _knot_count(n_knots: int | str, n_features: int) -> int:
    """The ramps' knots: ``n_knots``, or with ``"auto"`` by the number of features of
    the first row (``_AUTO_KNOTS``)."""
    if _is_auto(n_knots):
        return _AUTO_KNOTS.get(n_features, _DEFAULT_KNOTS)
    return int(n_knots)


# n_neighbors="auto" (the classifier's default since round 61): the kNN expert
# (_neighbors.py) with _AUTO_NEIGHBORS neighbours while the model has seen at most
# _WIDEST features, none once it has more. Round 61 ran it on at most three features,
# on every row (chosen on benchmarks/knots.py's development streams of one and two
# features: a checkerboard 0.695 -> 0.931, bands 0.708 -> 0.994, above ARF on all six;
# SEA and STAGGER within 0.1 point either way), and wider rows went without it for its
# cost (Elec2 would have fallen below issue 15's 100,000 rows/s). Since round 62 a vote
# out of play runs on every _neighbors._EVERY-th row only, which makes it cheap where it
# does not earn its place, and it runs on rows of up to _WIDEST features: a bound on
# its search's cost (it reads every slot of each kept row: 128,000 values a row at 128
# features, 16 times Elec2's). 32 in round 62; 128 since round 63, chosen on
# benchmarks/knots.py --widest's development streams of 48 to 122 features: on numbers
# the vote stays mostly out of play and moves accuracy by 0.1 point at most, at 0.87x-1.04x
# the rows/s; on a one-hot key of 60 or 120 categories beside numbers it takes the
# lead, 3.3 to 16.1 points above the readouts alone, at 0.57x-0.67x their rows/s
# (docs/online.md, "Round 63: the kNN expert on rows of up to 128 features"). The
# regressor's expert takes the same bound (on knots.py --regression's one-hot key of 60
# and 120 categories, MAE 0.190 -> 0.142 and 0.266 -> 0.191). The
# features seen, not the first row's (as n_knots' "auto", which sizes arrays once): a
# one-hot key of many categories turns it off once the slots pass _WIDEST, before its
# search reads every category's slot of each kept row.
_AUTO_NEIGHBORS = 5
_WIDEST = 128


def _neighbor_count(n_neighbors: int | str, n_features: int | None) -> int:
    """The kNN expert's neighbours: ``n_neighbors``, or with ``"auto"``
    ``_AUTO_NEIGHBORS`` while at most ``_WIDEST`` features were seen (``n_features``;
    None: no row yet, none)."""
    if _is_auto(n_neighbors):
        narrow = n_features is not None and n_features <= _WIDEST
        return _AUTO_NEIGHBORS if narrow else 0
    return n_neighbors


_NEIGHBORS = _Rule(
    "'auto' or an int >= 0",
    lambda v: _is_auto(v) or (_is_int(v) and v >= 0),
    lambda v: v if _is_auto(v) else int(v),
)


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
        f"'auto' or an int in [0, {_MAX_KNOTS}]",
        lambda v: _is_auto(v) or (_is_int(v) and 0 <= v <= _MAX_KNOTS),
        lambda v: v if _is_auto(v) else int(v),
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
