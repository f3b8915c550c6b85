"""Drift detection built on the DREAM cell's surprise."""

from ._surprise import SurpriseDriftDetector

__all__ = ["SurpriseDriftDetector"]
