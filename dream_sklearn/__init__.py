"""dream_sklearn: the DREAM cell for scikit-learn, river and PyTorch."""

from . import nn
from ._sklearn import DREAMClassifier, DREAMRegressor

__version__ = "0.1.0"

__all__ = [
    "DREAMClassifier",
    "DREAMRegressor",
    "__version__",
    "nn",
]
