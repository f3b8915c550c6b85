"""Data built into the package: small generators and shipped data sets."""

from ._synthetic import make_regime_signal

__all__ = ["make_regime_signal"]
