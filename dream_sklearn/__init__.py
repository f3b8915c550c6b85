"""dream_sklearn: the DREAM cell for scikit-learn, river and PyTorch."""

from . import nn, online
from ._sklearn import (
    DREAMClassifier,
    DREAMFeatures,
    DREAMRegressor,
    LayoutWarning,
    to_sequences,
)
from .online import (
    DREAMDelayedClassifier,
    DREAMDelayedRegressor,
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    """``dream_sklearn.datasets`` and ``dream_sklearn.plotting`` on first use, as the
    README writes them (plotting needs matplotlib, an optional extra: not imported with
    the package; review 360)."""
    if name in ("datasets", "plotting"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DREAMClassifier",
    "DREAMDelayedClassifier",
    "DREAMDelayedRegressor",
    "DREAMFeatures",
    "DREAMRegressor",
    "DREAMOnlineClassifier",
    "DREAMOnlineRegressor",
    "LayoutWarning",
    "__version__",
    "nn",
    "online",
    "to_sequences",
]
