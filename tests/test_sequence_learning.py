"""Issue 13: sequence learning of DREAMClassifier / DREAMRegressor (dtype, fast features)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from dream_sklearn import DREAMClassifier, DREAMRegressor


@pytest.fixture
def small_seq():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("Est", [DREAMClassifier, DREAMRegressor])
def test_float32_is_the_default_and_float64_on_request(Est, small_seq):
    X, y = small_seq
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est32 = Est(hidden_dim=8, rank=2, max_iter=5, random_state=0).fit(X, y)
        est64 = Est(hidden_dim=8, rank=2, max_iter=5, random_state=0, dtype="float64").fit(X, y)
    assert est32.dtype == "float32"
    assert all(p.dtype == torch.float32 for p in est32.module_.parameters())
    assert all(p.dtype == torch.float64 for p in est64.module_.parameters())
    assert est32.memory_.h.dtype == torch.float32 and est64.memory_.U.dtype == torch.float64
    if Est is DREAMClassifier:
        p32, p64 = est32.predict_proba(X), est64.predict_proba(X)
        assert p32.dtype == np.float64
        np.testing.assert_allclose(p32, p64, atol=1e-4)
        np.testing.assert_array_equal(est32.predict(X), est64.predict(X))
    else:
        np.testing.assert_allclose(est32.predict(X), est64.predict(X), atol=1e-4)
    # The memory moves the same way in both.
    np.testing.assert_allclose(est32.memory_.U.double(), est64.memory_.U, atol=1e-4)


def test_dtype_is_validated(small_seq):
    X, y = small_seq
    with pytest.raises(ValueError, match="The 'dtype' parameter of DREAMClassifier must be"):
        DREAMClassifier(dtype="float16").fit(X, y)
