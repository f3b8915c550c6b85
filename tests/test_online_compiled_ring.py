"""The replay ring in the compiled row (issue 15): the learn kernel keeps the rows as
``_Readouts._record`` does, so a replay at a drift, after growth events, learns the
same rows to 1e-12 (the NumPy path the reference)."""

import numpy as np
import pytest
from test_online_compiled import TOL, assert_same, classification_stream, compiled_learns, run

from dream_sklearn.online import DREAMOnlineClassifier, compiled_available
from dream_sklearn.online._readouts import _Readouts

pytestmark = pytest.mark.skipif(not compiled_available(), reason="numba is not installed")

RING = ("_ring", "_ring_rows", "_ring_at")


def _stream(n=2000):
    """Elec2 with a new feature (row 500), a flip of the labels (900), a new class
    (1200), and the labels flipped back from row 1500 (a drift after the growth)."""
    rows, ys = classification_stream(n)
    back = {"up": "down", "down": "up", "late": "late"}
    return rows, [back[y] if i >= 1500 else y for i, y in enumerate(ys)]


def _replays(monkeypatch) -> list:
    """Each replay's kept rows (row number, class) as it starts."""
    seen, original = [], _Readouts._replay

    def spy(self):
        n = int(min(self._ring_at[0], len(self._ring)))
        seen.append((self.n_steps_, self._ring_rows[:n, [0, 2]].copy(), self._ring[:n].copy()))
        original(self)

    monkeypatch.setattr(_Readouts, "_replay", spy)
    return seen


def test_compiled_ring_matches_numpy_through_growth_and_replays(monkeypatch):
    rows, ys = _stream()
    replays = _replays(monkeypatch)
    np_preds, np_model = run(DREAMOnlineClassifier(seed=0), rows, ys, compiled=False)
    np_replays = list(replays)
    replays.clear()
    (c_preds, c_model), learned = compiled_learns(
        lambda: run(DREAMOnlineClassifier(seed=0), rows, ys, compiled=True)
    )
    assert learned > len(rows) // 2
    assert np.shares_memory(c_model._ring, c_model._fast.fb)  # the kernel's ring
    assert_same(c_preds, c_model, np_preds, np_model)
    for name in RING:
        a, b = getattr(c_model, name), getattr(np_model, name)
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL, err_msg=name)
    assert len(replays) == len(np_replays) >= 2
    for (na, ka, ra), (nb, kb, rb) in zip(replays, np_replays, strict=True):
        assert na == nb
        np.testing.assert_array_equal(ka, kb)
        np.testing.assert_allclose(ra, rb, rtol=0, atol=TOL)
    # replays whose kept rows span a growth event (padded rows compared above): the
    # new feature (row 500) and the new class (row 1200)
    assert any(kept[:, 1].min() < 500 < step for step, kept, _ in replays)
    assert any(kept[:, 1].min() < 1200 < step for step, kept, _ in replays)
