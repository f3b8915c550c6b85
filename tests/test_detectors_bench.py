"""The naive rules of the drift detectors' benchmark (benchmarks/drift_detectors.py),
on hand-made streams whose alarms can be worked out by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).parents[1] / "benchmarks" / "drift_detectors.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("detectors_bench", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _alarms(det, values):
    found = []
    for i, x in enumerate(values):
        det.update(x)
        if det.drift_detected:
            found.append(i)
    return found


def test_shewhart_rule_1_a_value_beyond_three_sd(bench):
    # reference 0, 1, 0, 1: centre 0.5, sd 0.5; 2.0 is exactly 3 sd out (no alarm),
    # 2.1 beyond; the alternating values never run 8 on one side
    values = [0.0, 1.0, 0.0, 1.0, 2.0, 0.0, 2.1, 0.0]
    assert _alarms(bench.ShewhartChart(reference=4), values) == [6]


def test_shewhart_rule_4_eight_running_on_one_side(bench):
    ref = [0.0, 1.0] * 2
    above = [0.6] * 8  # within 3 sd, above the centre 0.5: the 8th raises
    assert _alarms(bench.ShewhartChart(reference=4), ref + above) == [11]
    # a value on the centre breaks the run
    broken = [0.6] * 7 + [0.5] + [0.6] * 7
    assert _alarms(bench.ShewhartChart(reference=4), ref + broken) == []


def test_window_z_test_by_hand(bench):
    det = bench.WindowZTest(window=2, z=4.0)
    # reference [0, 2]: mean 1, sd 1; se = sqrt(1/2 + 1/2) = 1
    # recent [1, 5]: gap 2, below 4 * 1 (no alarm)
    assert _alarms(det, [0.0, 2.0, 1.0, 5.0]) == []
    det = bench.WindowZTest(window=2, z=4.0)
    # reference [0, 2], recent [6, 5]: gap 4.5 > 4 * 1
    assert _alarms(det, [0.0, 2.0, 6.0, 5.0]) == [3]


def test_window_z_test_constant_reference(bench):
    # a constant reference (sd 0): any other mean is an alarm, the same mean none
    assert _alarms(bench.WindowZTest(window=2), [1.0] * 6) == []
    assert _alarms(bench.WindowZTest(window=2), [1.0] * 4 + [1.5]) == [4]


def test_naive_rules_restart_after_an_alarm(bench):
    det = bench.ShewhartChart(reference=4)
    values = [0.0, 1.0] * 2 + [9.0] + [0.0, 1.0] * 2 + [9.0]
    # the first 9.0 raises; the next 4 values are a new reference, the second raises
    assert _alarms(det, values) == [4, 9]
