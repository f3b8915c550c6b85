"""river online estimators built on the DREAM cell: one ``learn_one`` is one time step."""

from ._classifier import DREAMOnlineClassifier
from ._convert import from_sklearn
from ._regressor import DREAMOnlineRegressor

__all__ = ["DREAMOnlineClassifier", "DREAMOnlineRegressor", "from_sklearn"]
