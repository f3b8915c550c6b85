"""dream_sklearn: the DREAM cell for scikit-learn, river and PyTorch."""

from . import nn, online
from ._sklearn import (
    DREAMClassifier,
    DREAMFeatures,
    DREAMRegressor,
    LayoutWarning,
    to_sequences,
)
from .online import DREAMOnlineClassifier, DREAMOnlineRegressor

__version__ = "0.1.0"

__all__ = [
    "DREAMClassifier",
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
