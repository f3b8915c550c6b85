"""PyTorch core of dream_sklearn: the DREAM cell, its state and sequence layers."""

from ._cell import DREAMCell, DREAMStepOutput
from ._config import DREAMConfig
from ._layer import DREAM, DREAMDiagnostics, DREAMStack
from ._state import DREAMState

__all__ = [
    "DREAM",
    "DREAMCell",
    "DREAMConfig",
    "DREAMDiagnostics",
    "DREAMStack",
    "DREAMState",
    "DREAMStepOutput",
]
