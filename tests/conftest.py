"""Helpers shared by the test modules."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

if "PYTEST_XDIST_WORKER" in os.environ and "OMP_NUM_THREADS" not in os.environ:
    # The README's test command runs two pytest-xdist workers on two cores: one thread
    # each (torch would give each worker every core, and the two then fight over them:
    # 700 s for the default run against 476 s with one thread each, round 22), and the
    # same for the processes they start.
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def load_benchmark():
    """``load(name)``: the script ``benchmarks/<name>.py`` as a module, registered in
    ``sys.modules`` while the test module runs (dataclasses look their module up)."""
    loaded = []

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        loaded.append(spec.name)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)
