"""Data built into the package: small generators and shipped data sets."""

from ._elec2 import iter_elec2, load_elec2
from ._synthetic import make_regime_signal

__all__ = ["iter_elec2", "load_elec2", "make_regime_signal"]
