"""river online estimators built on the DREAM cell: one ``learn_one`` is one time step."""

from ._choice import DREAMDelayedClassifier, DREAMDelayedRegressor
from ._classifier import DREAMOnlineClassifier
from ._compiled import compiled_available, set_compiled
from ._convert import from_sklearn
from ._regressor import DREAMOnlineRegressor

__all__ = [
    "DREAMDelayedClassifier",
    "DREAMDelayedRegressor",
    "DREAMOnlineClassifier",
    "DREAMOnlineRegressor",
    "compiled_available",
    "from_sklearn",
    "set_compiled",
]
