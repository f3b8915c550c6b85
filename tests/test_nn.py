"""The PyTorch core: shapes, padding, the mechanisms, gradients, reproducibility."""

import copy
import math

import numpy as np
import pytest
import torch

from dream_sklearn.nn import DREAM, DREAMCell, DREAMConfig, DREAMStack, DREAMState


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def regime_change(steps=600, change=300, d=3, seed=0, noise=0.3):
    g = torch.Generator().manual_seed(seed)
    x = noise * torch.randn(1, steps, d, generator=g)
    x[:, change:] += torch.tensor([2.0, -1.5, 1.0])[:d]
    return x


# --- shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 4])
def test_cell_shapes(batch):
    cell = DREAMCell(5, 7, rank=3)
    h, s = cell(torch.randn(batch, 5))
    assert h.shape == (batch, 7)
    assert s.U.shape == s.U_target.shape == (batch, 7, 3)
    assert s.error_mean.shape == s.error_var.shape == (batch, 5)
    assert s.surprise.shape == (batch,)
    h2, s2 = cell(torch.randn(batch, 5), s)
    assert h2.shape == (batch, 7) and not torch.equal(h2, h)


def test_seed_quick_example():
    model = DREAM(input_dim=64, hidden_dim=128, rank=8, ltc_enabled=True)
    output, state = model(torch.randn(32, 50, 64))
    assert output.shape == (32, 50, 128)
    assert isinstance(state, DREAMState) and state.h.shape == (32, 128)
    torch.testing.assert_close(output[:, -1], state.h)


@pytest.mark.parametrize("batch,steps", [(1, 1), (1, 1000), (3, 1), (3, 17)])
def test_layer_shapes(batch, steps):
    model = DREAM(4, 6, rank=2)
    out, state, diag = model(torch.randn(batch, steps, 4), return_diagnostics=True)
    assert out.shape == (batch, steps, 6)
    assert diag.surprise.shape == diag.tau.shape == (batch, steps)
    assert ((diag.surprise >= 0) & (diag.surprise <= 1)).all()
    last, _ = DREAM(4, 6, rank=2, return_sequences=False)(torch.randn(batch, steps, 4))
    assert last.shape == (batch, 6)


def test_unbatched_and_time_first_match_batch_first():
    model = DREAM(4, 6, rank=2)
    x = torch.randn(3, 9, 4)
    out, state = model(x)
    single, single_state = model(x[1])
    assert single.shape == (9, 6)
    torch.testing.assert_close(single, out[1])
    torch.testing.assert_close(single_state.h, state.h[1:2])
    # the diagnostics keep the state's batch axis of 1 (the docstring)
    _, _, diag = model(x, return_diagnostics=True)
    _, _, single_diag = model(x[1], return_diagnostics=True)
    assert single_diag.surprise.shape == single_diag.tau.shape == (1, 9)
    torch.testing.assert_close(single_diag.surprise, diag.surprise[1:2])
    torch.testing.assert_close(single_diag.tau, diag.tau[1:2])
    model.batch_first = False
    out_t, _ = model(x.transpose(0, 1))
    torch.testing.assert_close(out_t.transpose(0, 1), out)


def test_stack_shapes_and_slower_upper_layers():
    stack = DREAMStack(4, [8, 6, 5], rank=2, tau_growth=3.0)
    out, states, diags = stack(torch.randn(2, 11, 4), lengths=[11, 4], return_diagnostics=True)
    assert out.shape == (2, 11, 5) and len(states) == len(diags) == 3
    assert [s.h.shape[1] for s in states] == [8, 6, 5]
    taus = [layer.config.ltc_tau_sys for layer in stack.layers]
    assert taus == pytest.approx([5.0, 15.0, 45.0])
    assert (out[1, 4:] == 0).all()
    # The base tau is checked before the layers' are made from it (True was read as
    # 1.0; a string failed in the product with a message that did not name it).
    for bad in (True, "5", None, 0.0):
        with pytest.raises(ValueError, match="'ltc_tau_sys' parameter of DREAMStack"):
            DREAMStack(4, [8, 6], ltc_tau_sys=bad)


def test_padded_sequence_equals_sequence_alone():
    model = DREAM(3, 8, rank=2)
    long, short = torch.randn(1, 12, 3), torch.randn(1, 5, 3)
    padded = torch.cat([long, torch.cat([short, 99.0 * torch.ones(1, 7, 3)], 1)])
    spans = torch.rand(2, 12) * 0.3 + 0.05
    out, state, diag = model(padded, lengths=[12, 5], timespans=spans, return_diagnostics=True)
    alone, alone_state = model(short, timespans=spans[1:, :5])
    torch.testing.assert_close(out[1, :5], alone[0])
    assert (out[1, 5:] == 0).all() and torch.isnan(diag.tau[1, 5:]).all()
    for a, b in zip(state.select([1]), alone_state, strict=True):
        torch.testing.assert_close(a, b)
    out_m, state_m = model(
        padded, mask=torch.arange(12)[None] < torch.tensor([[12], [5]]), timespans=spans
    )
    torch.testing.assert_close(out_m, out)


def test_ragged_batch_gives_each_sequence_and_gradient_it_gives_alone():
    # Sequences of unequal lengths (one of none, two of the longest, a tail of steps
    # no row reaches), with timespans and a given initial state:
    # each row's outputs, diagnostics, final state, and the parameters' gradients of
    # the batch's loss, are those of the sequences run one at a time without padding.
    torch.manual_seed(0)
    model = DREAM(3, 8, rank=2, return_sequences=True).double()
    lengths = [9, 0, 3, 9, 1]
    x = torch.randn(5, 11, 3, dtype=torch.float64)
    spans = torch.rand(5, 11, dtype=torch.float64) * 0.3 + 0.05
    _, warm = model(torch.randn(5, 4, 3, dtype=torch.float64))  # a state other than zeros
    out, state, diag = model(x, warm, lengths=lengths, timespans=spans, return_diagnostics=True)
    loss = out.pow(2).sum() + sum(t.sum() for t in state)
    params = list(model.parameters())
    grads = torch.autograd.grad(loss, params)
    alone = [torch.zeros_like(g) for g in grads]
    for i, n in enumerate(lengths):
        row = warm.select([i])
        if n == 0:  # no step: the state given, nothing output
            final, outputs = row, x.new_zeros(1, 0, 8)
            assert (out[i] == 0).all() and (diag.surprise[i] == 0).all()
        else:
            outputs, final, one = model(
                x[i : i + 1, :n], row, timespans=spans[i : i + 1, :n], return_diagnostics=True
            )
            torch.testing.assert_close(diag.surprise[i, :n], one.surprise[0])
            torch.testing.assert_close(diag.tau[i, :n], one.tau[0])
        torch.testing.assert_close(out[i, :n], outputs[0])
        assert (out[i, n:] == 0).all() and (diag.surprise[i, n:] == 0).all()
        assert torch.isnan(diag.tau[i, n:]).all()
        for a, b in zip(state.select([i]), final, strict=True):
            torch.testing.assert_close(a, b)
        part = outputs.pow(2).sum() + sum(t.sum() for t in final)
        if n > 0:
            alone = [a + g for a, g in zip(alone, torch.autograd.grad(part, params), strict=True)]
    for got, want in zip(grads, alone, strict=True):
        torch.testing.assert_close(got, want)
    # no step at all: the outputs still reach the graph, with zero gradients (review 223)
    out, state = model(x, warm, lengths=[0] * 5)
    grads = torch.autograd.grad(out.sum() + state.h.sum(), params, allow_unused=True)
    assert all(g is None or (g == 0).all() for g in grads) and out.requires_grad


def _saved_bytes(run):
    """``run()``'s result and the bytes of the tensors autograd saved while it ran."""
    total = 0

    def keep(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        result = run()
    return result, total


def test_autograd_keeps_a_ragged_batchs_steps_not_its_padding():
    # What the backward pass keeps, summed over autograd's saved tensors: a batch of
    # one 400-step sequence and 15 of 4 steps keeps about what the two kept apart do.
    # The padded loop ran all 16 rows for 400 steps and kept 10 times that (the adam
    # solver's 7.5 GB peak on one long series among short ones; issue 15).
    torch.manual_seed(0)
    model = DREAM(3, 16, rank=2)

    def saved(x, lengths=None):
        return _saved_bytes(lambda: model(x, lengths=lengths))[1]

    apart = saved(torch.randn(1, 400, 3)) + saved(torch.randn(15, 4, 3))
    ragged = saved(torch.randn(16, 400, 3), [400] + [4] * 15)
    assert ragged < 1.2 * apart


def _graph_nodes(t: torch.Tensor) -> int:
    """The autograd nodes ``t`` was made through."""
    seen, todo = set(), [t.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        todo.extend(n for n, _ in node.next_functions)
    return len(seen)


@pytest.mark.parametrize(
    "inputs",
    [
        {},
        {"lengths": [30, 0, 12, 7, 30]},  # packed: rows end inside spans and on their edges
        {"mask": torch.arange(30) % 9 != 4},  # a mask with gaps: the padded loop
    ],
    ids=["equal", "lengths", "gaps"],
)
@pytest.mark.parametrize("config", [{}, {"plasticity_enabled": False, "sleep_enabled": False}])
def test_checkpoint_steps_give_the_outputs_and_gradients_of_one_pass(inputs, config):
    # In spans of 1, 6 and 7 steps (30 steps: spans ending on a row's end and not):
    # the same outputs, diagnostics and final state, and the gradients of every
    # input that takes one (parameters, x, an h0 tensor, timespans), to rounding.
    torch.manual_seed(0)
    model = DREAM(3, 8, rank=2, dtype=torch.float64, **config)
    x = torch.randn(5, 30, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(5, 8, dtype=torch.float64, requires_grad=True)
    spans = (torch.rand(5, 30, dtype=torch.float64) * 0.3 + 0.05).requires_grad_()
    if "mask" in inputs:
        inputs = {"mask": inputs["mask"].expand(5, 30)}
    wrt = [x, h0, spans, *model.parameters()]

    def run():
        out, state, diag = model(x, h0, timespans=spans, return_diagnostics=True, **inputs)
        loss = out.pow(2).sum() + sum(t.sum() for t in state) + diag.surprise.sum()
        return (out, *state, diag.surprise, diag.tau), torch.autograd.grad(loss, wrt)

    want, want_grads = run()
    for span in (1, 6, 7):
        model.checkpoint_steps = span
        got, grads = run()
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
        for a, b in zip(grads, want_grads, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_checkpoint_steps_keep_a_span_of_the_graph_not_the_whole_loop():
    # Over 200 steps in spans of 10, autograd holds one node for each span and what
    # joins them, and the tensors each span's backward pass starts from, where the
    # whole loop held some 100 nodes a step with their saved tensors.
    torch.manual_seed(0)
    model = DREAM(3, 16, rank=2)
    x = torch.randn(4, 200, 3)

    def held(**kwargs):
        (out, _), total = _saved_bytes(lambda: model(x, **kwargs))
        return _graph_nodes(out), total

    whole = held(), held(lengths=[200, 150, 9, 1])
    model.checkpoint_steps = 10
    spans = held(), held(lengths=[200, 150, 9, 1])
    for (nodes, saved), (whole_nodes, whole_saved) in zip(spans, whole, strict=True):
        assert whole_nodes > 10_000 and nodes < whole_nodes / 50
        assert saved < whole_saved / 5
    # without autograd recording, or a loop no longer than a span, nothing changes
    model.checkpoint_steps = 200
    assert held() == whole[0]


def test_checkpoint_steps_recompute_as_the_forward_ran_and_reach_a_stack():
    # Review 229: a backward pass run inside an autocast region recomputed the spans
    # in bfloat16 where the loop ran them in float32 (the layer turns autocast off);
    # forward-mode AD raised (no jvp rule: the loop runs whole there); set on a
    # DREAMStack it did nothing.
    torch.manual_seed(0)
    model = DREAM(3, 16, rank=2)
    x = torch.randn(2, 60, 3)

    def grads():
        loss = model(x)[0].square().sum()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss.backward()
        out = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        return out

    whole = grads()
    model.checkpoint_steps = 7
    for a, b in zip(grads(), whole, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    fwd = torch.autograd.forward_ad
    tangent = torch.randn_like(x)
    jvps = []
    for span in (7, None):
        model.checkpoint_steps = span
        with fwd.dual_level():
            jvps.append(fwd.unpack_dual(model(fwd.make_dual(x, tangent))[0]).tangent)
    torch.testing.assert_close(jvps[0], jvps[1], rtol=0, atol=0)
    stack = DREAMStack(3, [8, 8], rank=2)
    stack.checkpoint_steps = 10
    assert [layer.checkpoint_steps for layer in stack.layers] == [10, 10]
    assert stack.checkpoint_steps == 10
    spans = _graph_nodes(stack(x)[0])
    stack.checkpoint_steps = None
    assert spans < _graph_nodes(stack(x)[0]) / 20


def test_checkpoint_steps_refuse_a_second_derivative_and_bad_values():
    model = DREAM(3, 4, rank=2, dtype=torch.float64)
    model.checkpoint_steps = 3
    x = torch.randn(2, 8, 3, dtype=torch.float64, requires_grad=True)
    # (a gradient made with create_graph=True would be a constant to a second
    # derivative: refused, where it passed silently)
    with pytest.raises(RuntimeError, match="first derivatives only"):
        torch.autograd.grad(model(x)[0].sum(), x, create_graph=True)
    model.checkpoint_steps = None  # (the whole loop differentiates twice)
    (g,) = torch.autograd.grad(model(x)[0].sum(), x, create_graph=True)
    assert g.requires_grad
    for bad, error in (("3", TypeError), (2.0, TypeError), (True, TypeError), (0, ValueError)):
        model.checkpoint_steps = bad
        with pytest.raises(error, match="checkpoint_steps must"):
            model(x)


def test_timespans_default_and_faster_integration():
    model = DREAM(3, 8, rank=2)
    x = torch.randn(2, 6, 3)
    out, _ = model(x)
    out_same, _ = model(x, timespans=torch.full((2, 6), 0.1))
    torch.testing.assert_close(out_same, out)
    slow, _ = model(x, timespans=torch.full((2, 6), 0.01))
    fast, _ = model(x, timespans=torch.full((2, 6), 1.0))
    assert fast[:, 0].abs().mean() > 10 * slow[:, 0].abs().mean()


def test_bad_shapes_raise():
    model = DREAM(3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\); got \(2, 5, 4\)"):
        model(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match="lengths must lie in"):
        model(torch.randn(2, 5, 3), lengths=[6, 1])
    with pytest.raises(ValueError, match="timespans must have shape"):
        model(torch.randn(2, 5, 3), timespans=torch.ones(2, 4))


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("rank", 0, "'rank' parameter of DREAMConfig must be an int >= 1. Got 0"),
        ("time_step", -0.1, "'time_step' parameter of DREAMConfig must be a finite float > 0"),
        ("error_smoothing", 1.5, "'error_smoothing' parameter .* must be a float in \\[0, 1\\)"),
        # (1 kept the error's variance at 0, surprise pinned at 1: refused)
        ("error_smoothing", 1.0, "'error_smoothing' parameter .* must be a float in \\[0, 1\\)"),
        (
            "surprise_smoothing",
            1.5,
            "'surprise_smoothing' parameter .* must be a float in \\[0, 1\\]",
        ),
        ("kappa", float("nan"), "'kappa' parameter of DREAMConfig must be a finite float >= 0"),
        ("ltc_enabled", 1, "'ltc_enabled' parameter of DREAMConfig must be a bool"),
        ("surprise_mode", "loud", "'surprise_mode' parameter of DREAMConfig must be one of"),
    ],
)
def test_config_rejects_invalid_values(field, value, match):
    with pytest.raises(ValueError, match=match):
        DREAMConfig(input_dim=3, hidden_dim=4, **{field: value})


# --- mechanisms ---------------------------------------------------------------------


# The absolute threshold (0.3) needs a quieter baseline than the scale-free relative mode.
@pytest.mark.parametrize("mode,noise", [("relative", 0.3), ("absolute", 0.1)])
def test_surprise_rises_and_tau_falls_at_abrupt_change(mode, noise):
    model = DREAM(3, 32, rank=4, surprise_mode=mode)
    with torch.no_grad():
        _, _, diag = model(regime_change(noise=noise), return_diagnostics=True)
    s, tau = diag.surprise[0], diag.tau[0]
    # The first steps after the change; the error statistics then catch up within ~10.
    before, after = slice(200, 300), slice(300, 305)
    assert s[after].mean() > 0.9 > 3 * s[before].mean()
    assert tau[after].mean() < 0.5 * tau[before].mean()
    if mode == "relative":
        # ... and habituates: surprise falls back to its calm level in the new regime.
        assert abs(s[500:].mean() - s[before].mean()) < 0.1


def test_fast_weights_change_only_with_plasticity():
    x = regime_change()
    torch.manual_seed(1)
    plastic = DREAM(3, 16, rank=4)
    torch.manual_seed(1)
    frozen = DREAM(3, 16, rank=4, plasticity_enabled=False)
    with torch.no_grad():
        _, s_on = plastic(x)
        _, s_off = frozen(x)
    assert s_on.U.norm() > 0.1
    assert (s_off.U == 0).all() and (s_off.U_target == 0).all()
    start = DREAMState.zeros(1, 3, 16, 4)._replace(U=torch.ones(1, 16, 4))
    with torch.no_grad():
        _, s_kept = frozen(x, start)
    assert torch.equal(s_kept.U, start.U)


def _max_fast_weight_norm(chunks: int) -> tuple[float, float]:
    """The largest fast-weight norm over ``chunks`` x 1000 steps of inputs whose scale
    jumps between 1e-2 and 1e2, and the cap (a step of the layer that left a norm
    above it, or a state not finite, fails here)."""
    model = DREAM(4, 16, rank=4, base_plasticity=5.0)
    state, max_norm = None, 0.0
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for _ in range(chunks):
            x = torch.randn(2, 1000, 4, generator=g) * 10.0 ** torch.randint(
                -2, 3, (1,), generator=g
            )
            _, state = model(x, state)
            max_norm = max(max_norm, float(state.U.flatten(1).norm(dim=1).max()))
            assert all(torch.isfinite(t).all() for t in state)
    return max_norm, model.config.target_norm


def test_fast_weight_norm_bounded_over_20k_steps():
    max_norm, cap = _max_fast_weight_norm(20)
    assert max_norm <= cap * (1 + 1e-5)
    assert max_norm > 0.5  # the bound was reached for, not trivially satisfied


@pytest.mark.slow  # (38 s; the 20k-step test above runs by default)
def test_fast_weight_norm_bounded_over_100k_steps():
    max_norm, cap = _max_fast_weight_norm(100)
    assert max_norm <= cap * (1 + 1e-5)
    assert max_norm > 0.5


def test_sleep_consolidates_only_in_low_surprise_periods():
    cell = DREAMCell(3, 16, rank=4, sleep_rate=0.05)
    x = regime_change(steps=800)[0]
    state, moved_low, moved_high = cell.initial_state(1), 0, 0
    with torch.no_grad():
        for t in range(x.shape[0]):
            before = state.U_target.clone()
            gap = (state.U - state.U_target).norm()
            _, state = cell(x[t : t + 1], state)
            moved = not torch.equal(state.U_target, before)
            asleep = bool(state.surprise < cell.config.min_surprise_for_sleep)
            if asleep and gap > 1e-3:
                # moves *towards* U
                assert (state.U_target - before).norm() > 0
                moved_low += moved
            if not asleep:
                assert not moved
                moved_high += 1
    assert moved_low > 50 and moved_high > 5  # both kinds of period occurred


def test_reduces_to_plain_continuous_time_rnn():
    cfg = dict(plasticity_enabled=False, ltc_enabled=False, sleep_enabled=False, kappa=0.0)
    model = DREAM(3, 5, rank=2, **cfg).double()
    x = torch.randn(2, 7, 3, dtype=torch.float64)
    with torch.no_grad():
        out, _ = model(x)
        c = model.cell
        dt, tau = c.config.time_step, c.config.ltc_tau_sys
        h = torch.zeros(2, 5, dtype=torch.float64)
        for t in range(7):
            e = x[:, t] - torch.tanh(h @ c.C)
            h = h + (dt / tau) * (-h + torch.tanh(x[:, t] @ c.B + e @ c.W))
            torch.testing.assert_close(out[:, t], h)


# --- gradients and reproducibility --------------------------------------------------


def test_gradcheck_float64_tiny_cell():
    model = DREAM(2, 3, rank=2, surprise_temperature=1.0).double()
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)

    def run(x, *ps):
        out, state = torch.func.functional_call(model, dict(zip(names, ps, strict=True)), (x,))
        return out, state.U

    assert torch.autograd.gradcheck(run, (x, *params), eps=1e-6, atol=1e-5)


def test_state_passed_in_is_detached():
    model = DREAM(3, 4, rank=2)
    x1, x2 = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    _, s1 = model(x1)
    assert s1.h.requires_grad
    out, _ = model(x2, s1)
    out.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    out, _ = model(x2, s1.detach())
    out.sum().backward()
    for a, p in zip(grads, model.parameters(), strict=True):
        torch.testing.assert_close(a, p.grad)


def test_parameters_learn_by_backprop():
    model = DREAM(3, 8, rank=2)
    head = torch.nn.Linear(8, 1)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=0.02)
    x = torch.randn(16, 10, 3)
    y = x[:, :, 0].sum(1, keepdim=True)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        out, _ = model(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    assert model.cell.eta.grad is not None and model.cell.tau_sys.grad is not None


def test_same_seed_same_results():
    def run():
        torch.manual_seed(42)
        model = DREAM(3, 8, rank=2)
        return model(torch.randn(2, 20, 3))

    (o1, s1), (o2, s2) = run(), run()
    assert torch.equal(o1, o2) and all(torch.equal(a, b) for a, b in zip(s1, s2, strict=True))


def test_state_utilities():
    s = DREAMState.zeros(3, 2, 4, 2)
    assert s.to(torch.float64).h.dtype == torch.float64
    c = s.clone()
    c.h.add_(1.0)
    assert (s.h == 0).all()
    joined = DREAMState.cat([s.select([0]), c.select(slice(1, 3))])
    assert joined.batch_size == 3 and joined.h[1, 0] == 1.0


def test_numpy_step_equals_torch_step():
    cell = DREAMCell(3, 8, rank=2).double()
    x = torch.randn(1, 3, dtype=torch.float64)
    state = cell.initial_state(1)
    state = cell(torch.randn(1, 3, dtype=torch.float64), state)[1].detach()
    with torch.no_grad():
        ref = cell.step(x, state)
    got = cell.numpy_step(cell.numpy_step_params(), x.numpy(), [t.numpy() for t in state], 0.1)
    expected = [*ref.state, ref.surprise, ref.tau]
    for name, a, b in zip(
        ["h", "U", "Ut", "em", "ev", "sb", "S", "tau"], got, expected, strict=True
    ):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    assert math.isfinite(float(got[6][0]))


# -- a state or input of the wrong shape (round 10 review) --------------------------------


def test_a_state_of_another_batch_size_is_refused_not_broadcast():
    """A DREAMState for 4 sequences with x of 1 (or the reverse) broadcast silently
    in the step: the output grew to the state's batch. nn.GRU refuses it too."""
    torch.manual_seed(0)
    layer, cell = DREAM(3, 6, rank=2), DREAMCell(3, 6, rank=2)
    with pytest.raises(ValueError, match=r"state.h must have shape \(1, 6\) .* got \(4, 6\)"):
        layer(torch.randn(1, 5, 3), DREAMState.zeros(4, 3, 6, 2))
    with pytest.raises(ValueError, match=r"state.h must have shape \(4, 6\) .* got \(1, 6\)"):
        layer(torch.randn(4, 5, 3), DREAMState.zeros(1, 3, 6, 2))
    with pytest.raises(ValueError, match=r"state.U must have shape \(1, 6, 2\)"):
        cell(torch.randn(1, 3), DREAMState.zeros(1, 3, 6, 3))
    with pytest.raises(ValueError, match=r"state.h must have shape \(1, 6\)"):
        cell(torch.randn(1, 3), DREAMState.zeros(4, 3, 6, 2))
    out, state = layer(torch.randn(4, 5, 3), DREAMState.zeros(4, 3, 6, 2))
    assert out.shape == (4, 5, 6) and state.h.shape == (4, 6)


def test_timespans_are_batch_by_time_whatever_batch_first_says():
    """The docstring says timespans and mask are (batch, time); with batch_first=False
    timespans was read as (time, batch), and with batch equal to time silently so."""
    torch.manual_seed(0)
    first = DREAM(3, 6, rank=2)
    second = DREAM(3, 6, rank=2, batch_first=False)
    second.load_state_dict(first.state_dict())
    x = torch.randn(5, 5, 3)
    ts = torch.rand(5, 5) + 0.05
    out_first, _ = first(x, timespans=ts)
    out_second, _ = second(x.transpose(0, 1), timespans=ts)
    torch.testing.assert_close(out_second.transpose(0, 1), out_first)
    second(torch.randn(5, 4, 3), timespans=torch.rand(4, 5))  # (batch 4, time 5)


def test_a_sequence_of_no_steps_is_a_value_error_naming_x():
    with pytest.raises(ValueError, match=r"x has no time steps \(shape \(2, 0, 3\)\)"):
        DREAM(3, 6, rank=2)(torch.randn(2, 0, 3))


@pytest.mark.parametrize("name", ["eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"])
def test_a_parameter_below_its_floor_learns_again(name):
    """The cell uses its scalars clamped to their floors. clamp's gradient is 0 below
    the floor, so a parameter an optimizer had taken there never moved again (review
    175: kappa at -0.409 stayed down, -0.478 after 30 Adam steps that pushed it up).
    Below the floor a gradient that would raise it passes; one that would lower it
    further does not."""
    from dream_sklearn.nn._cell import _FLOORS

    cell = DREAMCell(3, 4, rank=2)
    param = getattr(cell, name)
    with torch.no_grad():
        param.fill_(_FLOORS[name] - 0.5)
    used = getattr(cell.step_params(), name)
    assert torch.equal(used, torch.full_like(used, _FLOORS[name]))  # (the value: clamped)
    (-used.sum()).backward()  # (a loss that wants it higher)
    assert torch.equal(param.grad, torch.full_like(param, -1.0))
    param.grad = None
    getattr(cell.step_params(), name).sum().backward()  # (one that wants it lower still)
    assert torch.equal(param.grad, torch.zeros_like(param))

    optimizer = torch.optim.Adam([param], lr=0.05)
    for _ in range(40):
        optimizer.zero_grad()
        (-getattr(cell.step_params(), name).sum()).backward()
        optimizer.step()
    assert (param > _FLOORS[name]).all()  # (it came back)


def test_the_floor_keeps_the_layers_gradients_above_it():
    """Above their floors the scalars' gradients are clamp's: gradcheck through the
    layer, in float64, with every scalar just above its floor."""
    from dream_sklearn.nn._cell import _FLOORS

    torch.manual_seed(0)
    layer = DREAM(2, 3, rank=2).double()
    with torch.no_grad():
        for name, floor in _FLOORS.items():
            getattr(layer.cell, name).fill_(floor + 0.05)
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    scalars = [getattr(layer.cell, name) for name in _FLOORS]
    inputs = [p.detach().clone().requires_grad_() for p in scalars]
    torch.autograd.gradcheck(lambda *v: _through(layer, x, scalars, v), inputs)


def _through(layer, x, scalars, values):
    """The layer's outputs with its scalar parameters replaced by ``values`` (tensors
    that carry gradients), through torch.func.functional_call."""
    names = [n for n, p in layer.named_parameters() if any(p is s for s in scalars)]
    return torch.func.functional_call(layer, dict(zip(names, values, strict=True)), (x,))[0]


def test_forward_mode_derivatives_go_through_the_floors():
    """torch.func.jvp (and jacfwd, hessian) through the layer, with the scalars taking
    gradients: the floors' autograd Function had no forward-mode rule, and they
    failed (review 182). Its tangent is clamp's, against finite differences."""
    torch.manual_seed(0)
    layer = DREAM(2, 3, rank=2).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    params = dict(layer.named_parameters())
    tangent = {name: torch.randn_like(p) for name, p in params.items()}

    def out(p):
        return torch.func.functional_call(layer, p, (x,))[0]

    _, jvp = torch.func.jvp(out, (params,), (tangent,))
    eps = 1e-6
    ahead = {name: p + eps * tangent[name] for name, p in params.items()}
    behind = {name: p - eps * tangent[name] for name, p in params.items()}
    with torch.no_grad():
        finite = (out(ahead) - out(behind)) / (2 * eps)
    torch.testing.assert_close(jvp, finite, rtol=1e-5, atol=1e-7)


def test_the_floors_compile_in_one_graph():
    """torch.compile(fullgraph=True) of the layer, a scalar below its floor: dynamo
    refuses an autograd Function with a custom jvp, and the graph broke there (review
    184). Compiled (aot_eager: no C compiler needed), the outputs and every
    parameter's gradient equal eager's, the one below the floor's too."""
    torch.manual_seed(0)
    layer = DREAM(3, 4, rank=2)
    with torch.no_grad():
        layer.cell.kappa.fill_(-0.1)
    x = torch.randn(2, 6, 3)

    def grads(model):
        layer.zero_grad()
        out = model(x)[0]
        (out**2).sum().backward()
        return out.detach(), {n: p.grad.clone() for n, p in layer.named_parameters()}

    out, want = grads(layer)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    got_out, got = grads(compiled)
    torch.testing.assert_close(got_out, out)
    for name, grad in want.items():
        torch.testing.assert_close(got[name], grad, msg=name)


def test_a_value_the_cells_dtype_cannot_hold_is_refused_by_name():
    """A scalar past float32's range passed DREAMConfig's check (finite in float64) and
    failed in torch.full with an error that named no parameter (review 191)."""
    must_fit = r"'kappa' parameter of the DREAM cell must fit in torch\.float32, the dtype"
    with pytest.raises(ValueError, match=must_fit):
        DREAM(3, 4, kappa=1e39)
    with pytest.raises(ValueError, match=r"'ltc_tau_sys' parameter .* torch\.float32"):
        DREAMCell(3, 4, ltc_tau_sys=1e39)
    assert float(DREAM(3, 4, kappa=1e39, dtype=torch.float64).cell.kappa) == 1e39


@pytest.mark.parametrize("name", ["fast_weight_scale", "forgetting_rate"])
def test_a_constant_the_steps_dtype_cannot_hold_is_refused_by_name(name):
    """(review 303) The config's constants are numbers of the step, in its dtype:
    1e39 was inf in float32, and inf * 0 NaN (the first step's fast weights; the
    forgetting over dt=0). Refused when the step runs in such a dtype (review 304: a
    cell cast to float32 after it was made; float64 holds it, and runs it)."""
    torch.manual_seed(0)
    wide = DREAMCell(3, 4, rank=2, dtype=torch.float64, **{name: 1e39})
    x = torch.randn(2, 3, dtype=torch.float64)
    h, state = wide(x, dt=0.0)
    h, state = wide(x, state, dt=0.0)
    assert all(bool(torch.isfinite(t).all()) for t in state)
    must = rf"'{name}' parameter of the DREAM cell is 1e\+39, which torch.float32"
    for narrow in (DREAMCell(3, 4, rank=2, **{name: 1e39}), copy.deepcopy(wide).float()):
        with pytest.raises(ValueError, match=must + ", the dtype of the cell"):
            narrow(x.float(), dt=0.0)
    layer = DREAM(3, 4, rank=2, **{name: 1e39})
    with pytest.raises(ValueError, match=must + ", the dtype of the layer"):
        layer(torch.randn(2, 5, 3))
    assert DREAM(3, 4, rank=2, dtype=torch.float64, **{name: 1e39})(x[:, None])[0].isfinite().all()


def test_a_stacks_layer_error_names_the_layer_and_the_argument():
    """A stack's bad layer size was named as DREAMConfig's hidden_dim, and a layer's
    time constant made from tau_growth as ltc_tau_sys, with no layer (review 191)."""
    with pytest.raises(ValueError, match=r"The 'hidden_dims\[1\]' parameter of DREAMStack"):
        DREAMStack(3, [4, 0])
    with pytest.raises(ValueError, match=r"layer 2 would get ltc_tau_sys \* tau_growth\*\*2"):
        DREAMStack(3, [4, 4, 4], ltc_tau_sys=1.0, tau_growth=0.01)
    with pytest.raises(ValueError, match=r"layer 1 \(ltc_tau_sys \* tau_growth\*\*1 = "):
        DREAMStack(3, [4, 4, 4], tau_growth=1e200)
    # (an argument every layer shares is named as it is, with no layer)
    with pytest.raises(ValueError, match=r"^The 'rank' parameter of DREAMConfig"):
        DREAMStack(3, [4, 4], rank=0)


@pytest.mark.parametrize("field", ["surprise_temperature", "ltc_tau_sys"])
def test_a_value_below_the_steps_floor_is_refused(field):
    """The step floors both at 1e-3: a smaller value was kept and shown but acted as
    1e-3, outputs equal to the floor's (review 191)."""
    with pytest.raises(
        ValueError, match=rf"'{field}' parameter of DREAMConfig must be a finite float >= 0\.001"
    ):
        DREAM(3, 4, **{field: 1e-4})
    DREAM(3, 4, **{field: 1e-3})  # (the floor itself is taken)
