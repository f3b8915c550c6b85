"""The PyTorch layer and the estimators on every device this machine has.

Each test runs on the CPU and, where CUDA is available, on the GPU too: float32 on the
device against float64 on the CPU (the CPU run checks float32 against float64 there).
The compiled loop against the eager one runs on the GPU only here; the CPU's is
test_speed_paths.py's.
"""

import copy
import warnings

import numpy as np
import pytest
import torch

from dream_sklearn import DREAMClassifier
from dream_sklearn.nn import DREAM

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _layer_pair(device: str):
    """A float32 layer on ``device`` and its float64 twin on the CPU, equal weights."""
    torch.manual_seed(0)
    reference = DREAM(5, 12, rank=3, dtype=torch.float64)
    model = DREAM(5, 12, rank=3, device=device)
    model.load_state_dict(reference.state_dict())
    return model, reference


def _outputs_and_grads(model, x):
    """Outputs, final hidden state, and the gradients of the inputs and parameters."""
    x = x.detach().requires_grad_(True)
    out, state = model(x)
    (out.square().mean() + state.h.sum()).backward()
    grads = [p.grad.detach().cpu().double() for p in model.parameters()]
    return (
        out.detach().cpu().double(),
        state.h.detach().cpu().double(),
        x.grad.cpu().double(),
        grads,
    )


@pytest.mark.parametrize("device", DEVICES)
def test_the_layer_on_a_device_gives_float64_cpu_outputs_and_gradients(device):
    model, reference = _layer_pair(device)
    assert {p.device.type for p in model.parameters()} == {device}
    x = torch.randn(4, 30, 5, dtype=torch.float64)
    out, h, x_grad, grads = _outputs_and_grads(model, x.float().to(device))
    want_out, want_h, want_x_grad, want_grads = _outputs_and_grads(reference, x)
    tol = dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out, want_out, **tol)
    torch.testing.assert_close(h, want_h, **tol)
    torch.testing.assert_close(x_grad, want_x_grad, **tol)
    assert len(grads) == len(want_grads)
    for got, want in zip(grads, want_grads, strict=True):
        torch.testing.assert_close(got, want, **tol)


@pytest.mark.parametrize("device", DEVICES)
def test_a_state_carried_between_calls_stays_on_the_device(device):
    model, _ = _layer_pair(device)
    x = torch.randn(3, 20, 5, device=device)
    whole, whole_state = model(x)
    first, state = model(x[:, :8])
    assert {t.device.type for t in state} == {device}
    rest, end_state = model(x[:, 8:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(end_state.h, whole_state.h, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs CUDA; on the CPU: test_speed_paths.py::test_compiled_step_equals_reference",
)
def test_the_compiled_loop_on_a_gpu_gives_the_eager_outputs_and_gradients(monkeypatch):
    """inductor's GPU code (Triton) for the loop, where the CPU's is C++. A loop of its
    own: this variant's fallback or limit is not another test's (review 189)."""
    from dream_sklearn.nn import _layer

    monkeypatch.setattr(_layer, "_COMPILED_LOOP", _layer._CompiledLoop())
    model, _ = _layer_pair("cuda")
    eager = copy.deepcopy(model)
    model.compile_step = True
    x = torch.randn(4, 6, 5, device="cuda")
    got = _outputs_and_grads(model, x)
    want = _outputs_and_grads(eager, x)
    loop = _layer._COMPILED_LOOP
    assert loop.failed is None  # (a failed compile falls back to eager steps)
    assert not loop._past_limit  # (nor did this variant run eagerly past the limit)
    for a, b in zip(got[:3], want[:3], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(got[3], want[3], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_an_estimator_fitted_on_a_device_agrees_with_a_float64_cpu_fit(device):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 12, 3)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    params = dict(hidden_dim=8, rank=2, solver="adam", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (three epochs do not converge, on purpose)
        here = DREAMClassifier(device=device, **params).fit(X, y)
        reference = DREAMClassifier(device="cpu", dtype="float64", **params).fit(X, y)
    assert {p.device.type for p in here.module_.parameters()} == {device}
    np.testing.assert_allclose(here.predict_proba(X), reference.predict_proba(X), atol=1e-3)
    assert (here.predict(X) == reference.predict(X)).mean() >= 0.95


def test_the_estimators_choose_the_cpu_unless_told_otherwise(monkeypatch):
    """The default device is the CPU, on a machine with CUDA too: on an H100 the eager
    fit's epoch at batch 32 took 2.07x as long as on its CPU (benchmarks/RESULTS.md, "Round 49").
    ``"auto"`` still picks CUDA where it is. (CUDA is only claimed here, around the
    estimator's choice: torch's own checks, Adam's among them, would then look for it.)"""
    clf = DREAMClassifier(hidden_dim=6, rank=2, solver="adam")
    assert clf.device == "cpu"
    with monkeypatch.context() as claimed:
        claimed.setattr(torch.cuda, "is_available", lambda: True)
        assert clf._torch_device().type == "cpu"
        assert clf.set_params(device="auto")._torch_device().type == "cuda"
        assert clf.set_params(device="cuda")._torch_device().type == "cuda"
