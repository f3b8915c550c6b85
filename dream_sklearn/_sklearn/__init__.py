"""scikit-learn estimators built on the DREAM cell (implementation; import from the package)."""

from ._classifier import DREAMClassifier
from ._features import DREAMFeatures
from ._input import LayoutWarning, to_sequences
from ._regressor import DREAMRegressor

__all__ = ["DREAMClassifier", "DREAMFeatures", "DREAMRegressor", "LayoutWarning", "to_sequences"]
