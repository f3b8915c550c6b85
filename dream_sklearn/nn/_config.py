"""Configuration of the DREAM cell: every constant with the seed's name and default."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

__all__ = ["DREAMConfig"]

_SURPRISE_MODES = ("relative", "absolute")


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
        Initial value of ``γ``, the width of the surprise sigmoid (trainable).
    error_smoothing : float, default=0.05
        ``β``: rate of the moving averages of the prediction error's mean and variance.
    surprise_smoothing : float, default=0.05
        Rate of the moving average of surprise that gates sleep.
    target_norm : float, default=2.0
        Frobenius norm that ``U`` and ``U_target`` are capped at (homeostasis).
    kappa : float, default=0.5
        Initial value of ``κ``, the surprise gain on the input drive (trainable).
    ltc_enabled : bool, default=True
        Liquid time constant: surprise shortens the time constant.
    ltc_tau_sys : float, default=5.0
        Initial value of the base time constant ``τ_sys`` (trainable).
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
        running statistics expect, so surprise does not depend on the input's scale.
    fast_weight_scale : float, default=0.1
        Scale of the fast-weight term in the input drive.

    Examples
    --------
    >>> from dream_sklearn.nn import DREAMConfig
    >>> cfg = DREAMConfig(input_dim=3, hidden_dim=16, rank=4)
    >>> cfg.rank, cfg.time_step
    (4, 0.1)
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
        for name in ("input_dim", "hidden_dim", "rank"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The {name!r} parameter of DREAMConfig must be an int >= 1. "
                    f"Got {value!r} instead."
                )
        positive = ("time_step", "surprise_temperature", "target_norm", "ltc_tau_sys")
        unit = ("error_smoothing", "surprise_smoothing", "sleep_rate")
        nonnegative = (
            "forgetting_rate",
            "base_plasticity",
            "base_threshold",
            "entropy_influence",
            "kappa",
            "ltc_surprise_scale",
            "min_surprise_for_sleep",
            "fast_weight_scale",
        )
        for name in positive + unit + nonnegative:
            value = getattr(self, name)
            if name in positive:
                expected, in_range = "a finite float > 0", lambda v: v > 0
            elif name in unit:
                expected, in_range = "a float in [0, 1]", lambda v: 0 <= v <= 1
            else:
                expected, in_range = "a finite float >= 0", lambda v: v >= 0
            is_real = isinstance(value, int | float) and not isinstance(value, bool)
            if not (is_real and math.isfinite(value) and in_range(value)):
                raise ValueError(
                    f"The {name!r} parameter of DREAMConfig must be {expected}. "
                    f"Got {value!r} instead."
                )
        for name in ("ltc_enabled", "plasticity_enabled", "sleep_enabled"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    f"The {name!r} parameter of DREAMConfig must be a bool. "
                    f"Got {getattr(self, name)!r} instead."
                )
        if self.surprise_mode not in _SURPRISE_MODES:
            raise ValueError(
                "The 'surprise_mode' parameter of DREAMConfig must be one of "
                f"{_SURPRISE_MODES}. Got {self.surprise_mode!r} instead."
            )

    def replace(self, **changes) -> DREAMConfig:
        """Return a copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)
