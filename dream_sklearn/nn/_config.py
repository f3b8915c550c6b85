"""Configuration of the DREAM cell: every constant with the seed's name and default.

``DREAMConfig`` is the one source of the cell's parameters for every front: their
names, their defaults and their validation rules (:data:`_CELL_RULES`). The
scikit-learn estimators, the online estimators, the layers and the drift detector
take their defaults from it (:func:`_front_defaults`, where a front deliberately
starts elsewhere: :data:`_FRONT_OVERRIDES`), map their public names onto its fields
(:data:`_FIELD_OF`) and check values with :func:`_check_cell_param`, so a bad value
gets the same words everywhere:
"The 'x' parameter of Y must be ... Got ... instead." (scikit-learn's shape).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = ["DREAMConfig"]

_SURPRISE_MODES = ("relative", "absolute")


def _is_int(value: Any) -> bool:
    """An integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    """A finite real number (Python or NumPy) that fits a float, not a bool."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float's range
        return False


class _Rule(NamedTuple):
    """What a parameter accepts: the words for the error, the test, the plain value."""

    expected: str
    accepts: Callable[[Any], bool]
    plain: Callable[[Any], Any]


_INT_GE1 = _Rule("an int >= 1", lambda v: _is_int(v) and v >= 1, int)
_INT_GE0 = _Rule("an int >= 0", lambda v: _is_int(v) and v >= 0, int)
_INT = _Rule("an int", _is_int, int)
_POSITIVE = _Rule("a finite float > 0", lambda v: _is_real(v) and v > 0, float)
_NONNEGATIVE = _Rule("a finite float >= 0", lambda v: _is_real(v) and v >= 0, float)
# The step floors the surprise temperature and the system time constant here
# (_cell._FLOORS reads it): a smaller value was kept and shown but acted as the floor
# (review 191).
_STEP_FLOOR = 1e-3
_AT_FLOOR = _Rule(
    f"a finite float >= {_STEP_FLOOR:g} (the step's floor)",
    lambda v: _is_real(v) and v >= _STEP_FLOOR,
    float,
)
_UNIT = _Rule("a float in [0, 1]", lambda v: _is_real(v) and 0 <= v <= 1, float)
# (error_smoothing = 1 kept the error's variance at 0: surprise was pinned at 1)
_UNIT_OPEN = _Rule("a float in [0, 1)", lambda v: _is_real(v) and 0 <= v < 1, float)
_BOOL = _Rule("a bool", lambda v: isinstance(v, bool | np.bool_), bool)
_SURPRISE_MODE = _Rule(
    f"one of {_SURPRISE_MODES}", lambda v: isinstance(v, str) and v in _SURPRISE_MODES, str
)

# The rule of every DREAMConfig field (tests/test_params.py checks it names them all).
_CELL_RULES: dict[str, _Rule] = {
    "input_dim": _INT_GE1,
    "hidden_dim": _INT_GE1,
    "rank": _INT_GE1,
    "time_step": _POSITIVE,
    "forgetting_rate": _NONNEGATIVE,
    "base_plasticity": _NONNEGATIVE,
    "base_threshold": _NONNEGATIVE,
    "entropy_influence": _NONNEGATIVE,
    "surprise_temperature": _AT_FLOOR,
    "error_smoothing": _UNIT_OPEN,
    "surprise_smoothing": _UNIT,
    "target_norm": _POSITIVE,
    "kappa": _NONNEGATIVE,
    "ltc_enabled": _BOOL,
    "ltc_tau_sys": _AT_FLOOR,
    "ltc_surprise_scale": _NONNEGATIVE,
    "sleep_rate": _UNIT,
    "min_surprise_for_sleep": _NONNEGATIVE,
    "plasticity_enabled": _BOOL,
    "sleep_enabled": _BOOL,
    "surprise_mode": _SURPRISE_MODE,
    "fast_weight_scale": _NONNEGATIVE,
}

# The fronts' public names that differ from the field they set (scikit-learn's
# DREAMClassifier / DREAMRegressor); every other public cell parameter is the field.
_FIELD_OF: dict[str, str] = {
    "plasticity": "plasticity_enabled",
    "ltc": "ltc_enabled",
    "sleep": "sleep_enabled",
}

# Where a front deliberately starts from another default than DREAMConfig's (and
# ``hidden_dim``, which DREAMConfig requires). The reasons are in docs/design.md:
# scikit-learn's time_step=1.0 was measured to learn far faster on whole sequences;
# the drift detector watches one value with a small, slowly habituating cell whose
# surprise is graded (a wide sigmoid); DREAMFeatures' untrained bank scored best on the
# development sets with 64 units and plasticity off (docs/sklearn.md).
_FRONT_OVERRIDES: dict[str, dict[str, Any]] = {
    "sklearn": {"hidden_dim": 64, "rank": 4, "time_step": 1.0, "plasticity_enabled": False},
    "online": {"hidden_dim": 32, "rank": 4},
    "features": {"hidden_dim": 64, "rank": 4, "plasticity_enabled": False},
    "drift": {"hidden_dim": 8, "rank": 1, "error_smoothing": 0.002, "surprise_temperature": 0.5},
}


def _check_value(owner: str, name: str, value: Any, rule: _Rule, error: type = ValueError) -> Any:
    """``value`` as a plain Python value if ``rule`` accepts it, else ``error``.

    The message has scikit-learn's shape: "The 'name' parameter of owner must be
    <rule.expected>. Got <value> instead."
    """
    if not rule.accepts(value):
        raise error(
            f"The {name!r} parameter of {owner} must be {rule.expected}. Got {value!r} instead."
        )
    return rule.plain(value)


def _check_cell_param(owner: str, name: str, value: Any, error: type = ValueError) -> Any:
    """Check a front's cell parameter ``name`` (a public name or a field) by its rule.

    Returns the plain Python value (``int``, ``float``, ``bool`` or ``str``).
    """
    return _check_value(owner, name, value, _CELL_RULES[_FIELD_OF.get(name, name)], error)


def _cell_default(field: str) -> Any:
    """DREAMConfig's default of ``field`` (KeyError for a field without one)."""
    return _CONFIG_DEFAULTS[field]


def _front_defaults(front: str, names: tuple[str, ...]) -> dict[str, Any]:
    """``{public name: default}`` of a front's cell parameters: DREAMConfig's, except
    the front's entries in :data:`_FRONT_OVERRIDES`."""
    overrides = _FRONT_OVERRIDES[front]
    out = {}
    for name in names:
        field = _FIELD_OF.get(name, name)
        out[name] = overrides[field] if field in overrides else _cell_default(field)
    return out


def _cell_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """A front's ``{public name: value}`` as DREAMConfig keyword arguments."""
    return {_FIELD_OF.get(name, name): value for name, value in params.items()}


@dataclass(frozen=True)
class DREAMConfig:
    """Every parameter of a :class:`DREAMCell`, with the seed's names and defaults.

    Parameters
    ----------
    input_dim : int
        Number of input features ``d``.
    hidden_dim : int
        Number of hidden units ``n``.
    rank : int, default=8
        Rank ``r`` of the fast weights ``U Vᵀ``.
    time_step : float, default=0.1
        Euler step ``dt`` used when no per-step ``timespans`` are given.
    forgetting_rate : float, default=0.005
        ``λ``: decay of the fast weights ``U`` towards the consolidated ``U_target``.
    base_plasticity : float, default=0.5
        Initial value of the per-unit Hebbian rate ``η`` (trainable).
    base_threshold : float, default=0.3
        Initial value of the surprise threshold ``τ₀`` (trainable).
    entropy_influence : float, default=0.1
        Initial value of ``α``, how much error entropy raises the threshold (trainable).
    surprise_temperature : float, default=0.05
        Initial value of ``γ``, the width of the surprise sigmoid (trainable); at least
        0.001, where the step floors it.
    error_smoothing : float, default=0.05
        ``β``: rate of the moving averages of the prediction error's mean and variance,
        in [0, 1) (at 1 the variance stays 0 and surprise is pinned at 1).
    surprise_smoothing : float, default=0.05
        Rate of the moving average of surprise that gates sleep.
    target_norm : float, default=2.0
        Frobenius norm that ``U`` and ``U_target`` are capped at (homeostasis).
    kappa : float, default=0.5
        Initial value of ``κ``, the surprise gain on the input drive (trainable).
    ltc_enabled : bool, default=True
        Liquid time constant: surprise shortens the time constant.
    ltc_tau_sys : float, default=5.0
        Initial value of the base time constant ``τ_sys`` (trainable); at least 0.001,
        where the step floors it. (Before round 36 a smaller value, of this field or
        ``surprise_temperature``, was taken and acted as 0.001; a model saved with one
        still loads and predicts, and a ``partial_fit`` or a new cell refuses it.)
    ltc_surprise_scale : float, default=5.0
        Initial value of how strongly surprise shortens ``τ`` (trainable).
    sleep_rate : float, default=0.005
        ``ζ``: rate at which ``U_target`` moves towards ``U`` while asleep.
    min_surprise_for_sleep : float, default=0.2
        ``S_min``: running surprise below which the cell consolidates.
    plasticity_enabled : bool, default=True
        Hebbian updates of the fast weights ``U``. When off, ``U`` never changes.
    sleep_enabled : bool, default=True
        Sleep consolidation of ``U_target``. When off, ``U_target`` never changes.
    surprise_mode : {"relative", "absolute"}, default="relative"
        ``"absolute"`` compares the RMS prediction error with the threshold, as in
        the seed. ``"relative"`` compares the RMS error's excess over the RMS the
        running statistics expect, an excess that does not depend on the input's
        scale; the threshold's entropy term does (``entropy_influence`` times the
        log of the error's variance): with it, surprise and so sleep move with the
        log of the input's units (inputs times 100: a mean surprise at rest of 0.13
        where it was 0.19). ``entropy_influence=0``, or standardised inputs (the
        estimators standardise theirs), make surprise scale-free.
    fast_weight_scale : float, default=0.1
        Scale of the fast-weight term in the input drive.

    Notes
    -----
    Integers and reals may be Python or NumPy numbers (not bools); they are stored
    as plain ``int`` and ``float``. This class is the one source of the cell's
    parameters: the other fronts take their names, defaults and rules from it
    (see ``docs/design.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from dream_sklearn.nn import DREAMConfig
    >>> cfg = DREAMConfig(input_dim=3, hidden_dim=16, rank=4)
    >>> cfg.rank, cfg.time_step
    (4, 0.1)
    >>> DREAMConfig(input_dim=np.int64(3), hidden_dim=8, time_step=np.float32(0.5)).time_step
    0.5
    >>> DREAMConfig(input_dim=3, hidden_dim=0)
    Traceback (most recent call last):
    ...
    ValueError: The 'hidden_dim' parameter of DREAMConfig must be an int >= 1. Got 0 instead.
    """

    input_dim: int
    hidden_dim: int
    rank: int = 8
    time_step: float = 0.1
    forgetting_rate: float = 0.005
    base_plasticity: float = 0.5
    base_threshold: float = 0.3
    entropy_influence: float = 0.1
    surprise_temperature: float = 0.05
    error_smoothing: float = 0.05
    surprise_smoothing: float = 0.05
    target_norm: float = 2.0
    kappa: float = 0.5
    ltc_enabled: bool = True
    ltc_tau_sys: float = 5.0
    ltc_surprise_scale: float = 5.0
    sleep_rate: float = 0.005
    min_surprise_for_sleep: float = 0.2
    plasticity_enabled: bool = True
    sleep_enabled: bool = True
    surprise_mode: str = "relative"
    fast_weight_scale: float = 0.1

    def __post_init__(self) -> None:
        # Every field through its rule (_CELL_RULES), stored as a plain Python value
        # (a NumPy integer or float in, an int or float out), so torch gets native types.
        for name, rule in _CELL_RULES.items():
            object.__setattr__(
                self, name, _check_value("DREAMConfig", name, getattr(self, name), rule)
            )

    def replace(self, **changes) -> DREAMConfig:
        """Return a copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)


_CONFIG_DEFAULTS: dict[str, Any] = {
    f.name: f.default
    for f in dataclasses.fields(DREAMConfig)
    if f.default is not dataclasses.MISSING
}
