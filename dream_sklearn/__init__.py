"""dream_sklearn: the DREAM cell for scikit-learn, river and PyTorch."""

from . import nn

__version__ = "0.1.0"

__all__ = ["__version__", "nn"]
