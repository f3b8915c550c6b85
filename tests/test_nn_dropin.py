"""DREAM where an nn.GRU user expects it to behave (issue 14, torch part): PackedSequence
input, a tensor h0, bfloat16 / float16 / autocast, export with dynamic batch and length,
and the configuration saved with the weights in state_dict."""

import io
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)

from dream_sklearn.nn import DREAM, DREAMCell, DREAMStack, DREAMState


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def _assert_state_close(got: DREAMState, want: DREAMState, **tol):
    for name, a, b in zip(DREAMState._fields, got, want, strict=True):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"{name}: {m}", **tol)


# --- 1. PackedSequence ------------------------------------------------------------------


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("how", ["pack_sequence", "pack_padded_sequence"])
def test_packed_sequence_equals_each_sequence_alone(enforce_sorted, how):
    lengths = [7, 5, 5, 2] if enforce_sorted else [5, 7, 2, 5]  # a tie: order must hold
    seqs = [1.5 * torch.randn(n, 3) for n in lengths]
    if how == "pack_sequence":
        packed = pack_sequence(seqs, enforce_sorted=enforce_sorted)
    else:
        padded = pad_sequence(seqs, batch_first=True)
        packed = pack_padded_sequence(
            padded, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted
        )
    model = DREAM(3, 6, rank=2, sleep_rate=0.3)
    out, state = model(packed)

    # The output is packed like nn.GRU's: same batch_sizes and (un)sorted indices.
    gru_out, _ = torch.nn.GRU(3, 6)(packed)
    assert isinstance(out, PackedSequence)
    assert out.data.shape == gru_out.data.shape
    assert torch.equal(out.batch_sizes, gru_out.batch_sizes)
    for a, b in [(out.sorted_indices, gru_out.sorted_indices)] + [
        (out.unsorted_indices, gru_out.unsorted_indices)
    ]:
        assert (a is None and b is None) or torch.equal(a, b)

    # Each sequence alone: the same outputs and final state, in the caller's order.
    padded_out, out_lengths = pad_packed_sequence(out, batch_first=True)
    assert out_lengths.tolist() == lengths
    for k, seq in enumerate(seqs):
        alone_out, alone_state = model(seq[None])
        torch.testing.assert_close(padded_out[k, : lengths[k]], alone_out[0])
        assert bool((padded_out[k, lengths[k] :] == 0).all())
        _assert_state_close(state.select([k]), alone_state)


def test_packed_sequence_state_in_and_options():
    seqs = [torch.randn(n, 3) for n in (4, 6, 2)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    model = DREAM(3, 5, rank=2)
    _, state = model(packed)
    # A state passed in is in the caller's order too (as nn.GRU's h0 is).
    _, state2 = model(packed, state)
    for k, seq in enumerate(seqs):
        _, want = model(seq[None], state.select([k]))
        _assert_state_close(state2.select([k]), want)
    # return_sequences=False: the last valid output of each sequence, caller's order.
    last, _ = DREAM(3, 5, rank=2, return_sequences=False)(packed)
    assert last.shape == (3, 5)
    # Per-step timespans are packed like x; diagnostics are padded, caller's order.
    spans = [0.05 + torch.rand(len(s)) for s in seqs]
    out, _, diag = model(
        packed, timespans=pack_sequence(spans, enforce_sorted=False), return_diagnostics=True
    )
    assert diag.surprise.shape == (3, 6)
    alone, _ = model(seqs[2][None], timespans=spans[2][None])
    torch.testing.assert_close(pad_packed_sequence(out, batch_first=True)[0][2, :2], alone[0])
    with pytest.raises(ValueError, match="neither lengths nor mask"):
        model(packed, lengths=[4, 6, 2])
    with pytest.raises(ValueError, match="timespans must be a PackedSequence packed like x"):
        model(packed, timespans=torch.rand(3, 6))


def test_packed_sequence_through_a_stack():
    seqs = [torch.randn(n, 3) for n in (5, 2, 4)]
    stack = DREAMStack(3, [6, 4], rank=2)
    out, states = stack(pack_sequence(seqs, enforce_sorted=False))
    padded, _ = pad_packed_sequence(out, batch_first=True)
    for k, seq in enumerate(seqs):
        alone, alone_states = stack(seq[None])
        torch.testing.assert_close(padded[k, : len(seq)], alone[0])
        _assert_state_close(states[1].select([k]), alone_states[1])


# --- 2. a tensor h0 ---------------------------------------------------------------------


@pytest.mark.parametrize("h0_shape", ["(batch, hidden)", "(1, batch, hidden)"])
def test_tensor_h0_is_h_with_the_rest_of_the_state_fresh(h0_shape):
    model = DREAM(3, 6, rank=2)
    x = torch.randn(4, 5, 3)
    h = 0.5 * torch.randn(4, 6)
    want_out, want_state = model(x, DREAMState.zeros(4, 3, 6, 2)._replace(h=h))
    h0 = h if h0_shape == "(batch, hidden)" else h[None]
    out, state = model(x, h0)
    torch.testing.assert_close(out, want_out)
    _assert_state_close(state, want_state)
    # It matters: a zero h0 gives other outputs.
    assert not torch.allclose(out, model(x)[0])


def test_tensor_h0_time_first_unbatched_and_gradient():
    model = DREAM(3, 6, rank=2, batch_first=False)
    x = torch.randn(5, 4, 3)  # (time, batch, features), h0 (1, batch, hidden) as nn.GRU
    h0 = torch.randn(1, 4, 6, requires_grad=True)
    out, _ = model(x, h0)
    want, _ = model(x, DREAMState.zeros(4, 3, 6, 2)._replace(h=h0.detach()[0]))
    torch.testing.assert_close(out, want)
    # As with nn.GRU, gradients reach whatever produced h0 (a DREAMState is detached).
    out.sum().backward()
    assert h0.grad is not None and bool(h0.grad.abs().sum() > 0)
    # Unbatched: x (time, features) with h0 (hidden,) or (1, hidden).
    xu, hu = torch.randn(5, 3), torch.randn(6)
    want_u, _ = model(xu[:, None], hu[None, None])
    for h in (hu, hu[None]):
        torch.testing.assert_close(model(xu, h)[0], want_u[:, 0])


def test_h0_by_nn_grus_keyword_hx():
    # nn.GRU users write rnn(x, hx=h0): a TypeError until review 94.
    model = DREAM(3, 6, rank=2)
    x, h0 = torch.randn(4, 5, 3), torch.randn(1, 4, 6)
    out, state = model(x, hx=h0)
    want_out, want_state = model(x, h0)
    torch.testing.assert_close(out, want_out)
    _assert_state_close(state, want_state)
    out, _ = model(x, hx=want_state)  # a DREAMState too
    torch.testing.assert_close(out, model(x, want_state)[0])
    with pytest.raises(TypeError, match="as state or as hx"):
        model(x, h0, hx=h0)
    # The stack's: nn.GRU's (layers, batch, hidden) tensor, one h0 per layer.
    stack = DREAMStack(3, [6, 6], rank=2)
    h0s = torch.randn(2, 4, 6)
    out, states = stack(x, hx=h0s)
    want, want_states = stack(x, [h0s[0], h0s[1]])
    torch.testing.assert_close(out, want)
    for got, expected in zip(states, want_states, strict=True):
        _assert_state_close(got, expected)
    assert not torch.allclose(out, stack(x)[0])
    with pytest.raises(TypeError, match="as states or as hx"):
        stack(x, [h0s[0], h0s[1]], hx=h0s)
    # A wrong one given as hx is named hx (the messages named state and states, which
    # the caller had not written: a review's finding, round 31)
    with pytest.raises(ValueError, match=r"^hx must hold 2 states, one per layer .*got 3"):
        stack(x, hx=torch.zeros(3, 4, 6))
    with pytest.raises(ValueError, match=r"^states must hold 2 states"):
        stack(x, torch.zeros(3, 4, 6))
    with pytest.raises(ValueError, match=r"^DREAMStack layer 0 \(hx\[0\]\): state given"):
        stack(x, hx=[torch.zeros(1, 3, 6), None])  # (review 156)
    with pytest.raises(TypeError, match=r"^hx \(DREAM's state\): .*got list"):
        model(x, hx=[h0[0]])
    with pytest.raises(ValueError, match=r"^hx \(DREAM's state\): .*h0, of shape"):
        model(x, hx=torch.zeros(1, 3, 6))
    # The sequences given as nn.GRU's input= are named input (they were called x,
    # which the caller had not written; review 157).
    with pytest.raises(ValueError, match=r"^input must have shape \(batch, time, 3\)"):
        model(input=torch.randn(4, 5, 7))
    with pytest.raises(ValueError, match=r"^input must be 2-D or 3-D"):
        model(input=torch.randn(5))
    with pytest.raises(TypeError, match=r"^input has dtype torch.float64 .* input\.to\("):
        model(input=x.double())
    with pytest.raises(ValueError, match=r"^x must have shape"):
        model(torch.randn(4, 5, 7))
    # ... and a stack's first layer's too (review 161).
    with pytest.raises(ValueError, match=r"^DREAMStack layer 0: input must have shape"):
        stack(input=torch.randn(4, 5, 7))
    with pytest.raises(TypeError, match=r"^DREAMStack layer 0: input has dtype torch.float64"):
        stack(input=x.double())
    with pytest.raises(ValueError, match=r"^DREAMStack layer 0: x must have shape"):
        stack(torch.randn(4, 5, 7))
    # Each layer still gets the sequences by position (a forward pre-hook reads args[0];
    # a first version called every layer by keyword: review 164).
    seen = []
    for layer in stack.layers:
        layer.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape))
    stack(x)
    assert seen == [x.shape, (*x.shape[:2], 6)]


def test_timespans_as_a_list_or_an_array_are_read_as_a_tensor():
    # A list or array failed with an AttributeError on .shape / .to (review 94).
    model = DREAM(3, 6, rank=2)
    x = torch.randn(2, 4, 3)
    spans = 0.05 + 0.3 * torch.rand(2, 4, dtype=torch.float64)
    want = model(x, timespans=spans.float())[0]
    for given in (spans.numpy(), spans.tolist()):
        torch.testing.assert_close(model(x, timespans=given)[0], want)
    unbatched = model(x[0], timespans=spans[0].tolist())[0]
    torch.testing.assert_close(unbatched, model(x[0], timespans=spans[0].float())[0])
    with pytest.raises(TypeError, match="timespans must be a tensor"):
        model(x, timespans=[["a"] * 4] * 2)


@pytest.mark.parametrize(
    "bad", [torch.zeros(3, 6), torch.zeros(2, 4, 6), torch.zeros(4, 5), torch.zeros(4, 6, 1)]
)
def test_tensor_h0_of_a_wrong_shape_says_what_to_pass(bad):
    model = DREAM(3, 6, rank=2)
    with pytest.raises(ValueError, match=r"h0, of shape \(4, 6\) or \(1, 4, 6\).*DREAMState"):
        model(torch.randn(4, 5, 3), bad)
    with pytest.raises(TypeError, match="state must be a DREAMState, a tensor h0 or None"):
        model(torch.randn(4, 5, 3), [torch.zeros(4, 6)])


# --- 3. dtypes --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_model_runs_on_matching_inputs(dtype):
    ref = DREAM(3, 16, rank=4)
    model = DREAM(3, 16, rank=4)
    model.load_state_dict(ref.state_dict())
    model.to(dtype)
    x = torch.randn(4, 30, 3)
    out, state = model(x.to(dtype))
    assert out.dtype == dtype and all(t.dtype == dtype for t in state)
    assert bool(torch.isfinite(out).all()) and all(bool(torch.isfinite(t).all()) for t in state)
    want, _ = ref(x)
    # Low precision over 30 recurrent steps: close to float32, loosely (h lies in [-1, 1]).
    torch.testing.assert_close(out.float(), want, atol=0.1, rtol=0)
    # Errors whose squares overflow float16 (300**2 > 65504) are clipped to a bound
    # that follows the dtype (a fixed 1e8 could not even be converted to float16).
    big, big_state = model(torch.full((2, 4, 3), 300.0, dtype=dtype))
    assert bool(torch.isfinite(big).all()) and bool(torch.isfinite(big_state.error_var).all())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_fast_weights_capped_after_a_long_gap(dtype):
    # A gap of 100 time units makes a Hebbian step whose sum of squares overflows
    # float16 (a norm above 256): the cap read inf and set the fast weights to 0. The
    # norm is capped at target_norm (2) in every dtype, as in float64.
    torch.manual_seed(0)
    ref = DREAM(3, 5, rank=2, surprise_mode="absolute").double()
    model = DREAM(3, 5, rank=2, surprise_mode="absolute")
    model.load_state_dict(ref.state_dict())
    model.to(dtype)
    x, gaps = 3.0 * torch.randn(1, 3, 3), torch.full((1, 3), 100.0)
    out, state = model(x.to(dtype), timespans=gaps.to(dtype))
    want, want_state = ref(x.double(), timespans=gaps.double())
    assert float(want_state.U.norm()) == pytest.approx(2.0)
    assert state.U.dtype == dtype
    assert float(state.U.float().norm()) == pytest.approx(2.0, abs=0.01)
    torch.testing.assert_close(out.double(), want, atol=0.02, rtol=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_gradients_stay_finite_after_a_quiet_stretch(dtype):
    # After 300 steps the cell predicts well, the error variance decays to about 1e-7,
    # and in float16 the square of e_var + eps in the gradient of the relative error
    # underflowed to 0 (and the error overflowed to inf): every parameter's gradient
    # read NaN, the outputs finite (a review's finding, round 31). The ratio is summed
    # in float32 (_TorchOps.ratio_sum), as the fast weights' norm is.
    torch.manual_seed(0)
    ref = DREAM(3, 8, rank=2)
    model = DREAM(3, 8, rank=2)
    model.load_state_dict(ref.state_dict())
    model.to(dtype)
    x = torch.cat([torch.zeros(2, 300, 3), torch.ones(2, 20, 3)], 1)
    out, _ = model(x.to(dtype))
    out.float().pow(2).sum().backward()
    bad = [name for name, p in model.named_parameters() if not bool(torch.isfinite(p.grad).all())]
    assert bad == []
    want, _ = ref(x)
    want.pow(2).sum().backward()
    for (name, p), (_, q) in zip(model.named_parameters(), ref.named_parameters(), strict=True):
        scale = float(q.grad.abs().max()) + 1e-3
        assert float((p.grad.float() - q.grad).abs().max()) < 0.25 * scale, name


def test_input_dtype_must_match_the_parameters():
    model = DREAM(3, 6, rank=2)
    for dtype in (torch.bfloat16, torch.float64):
        with pytest.raises(TypeError, match=rf"x has dtype {dtype} .*x\.to\(torch\.float32\)"):
            model(torch.randn(2, 5, 3, dtype=dtype))
    # A cell of integer dtype cannot be made: no advice to convert the cell to it.
    cell = DREAMCell(3, 5, rank=2)
    with pytest.raises(TypeError, match=r"x\.to\(torch\.float32\)\.$"):
        cell(torch.ones(2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"or the cell: cell\.to\(torch\.float64\)"):
        cell(torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="state has dtype torch.float64"):
        model(torch.randn(2, 5, 3), DREAMState.zeros(2, 3, 6, 2, dtype=torch.float64))


def test_autocast_runs_the_cell_in_its_parameters_dtype():
    torch.manual_seed(0)
    proj, model = torch.nn.Linear(5, 3), DREAM(3, 16, rank=4)
    x = torch.randn(4, 30, 5)
    want_out, want_state = model(proj(x))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z = proj(x)  # bfloat16 under autocast
        out, state = model(z)
        plain, _ = model(torch.randn(2, 3, 3))  # float32 in: no error either
    assert z.dtype == torch.bfloat16
    assert out.dtype == torch.float32 and all(t.dtype == torch.float32 for t in state)
    assert plain.dtype == torch.float32
    assert bool(torch.isfinite(out).all())
    torch.testing.assert_close(out, want_out, atol=0.05, rtol=0)
    # The recurrence itself ran in float32: on the same (bfloat16-rounded) input, the
    # same results as without autocast.
    exact, _ = model(z.float())
    torch.testing.assert_close(out, exact)


def test_autocast_casts_h0_and_state_as_it_casts_x():
    torch.manual_seed(0)
    init, model = torch.nn.Linear(2, 16), DREAM(3, 16, rank=4)
    x, c = torch.randn(4, 6, 3), torch.randn(4, 2)
    want, _ = model(x, init(c))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h0 = init(c)  # bfloat16 under autocast, as an encoder's output would be
        out, state = model(x, h0)
        again, _ = model(x, state.to(torch.bfloat16))
    assert h0.dtype == torch.bfloat16 and out.dtype == torch.float32
    torch.testing.assert_close(out, want, atol=0.05, rtol=0)
    assert again.dtype == torch.float32
    with pytest.raises(TypeError, match="h0 has dtype torch.bfloat16"):
        model(x, h0)  # outside autocast a mismatch is still refused


# --- 4. export --------------------------------------------------------------------------

_SIZES = [(2, 9), (5, 4)]  # (batch, time): two batch sizes and two lengths


def _export_model():
    return DREAM(3, 8, rank=2, sleep_rate=0.3).eval()


def test_torch_export_dynamic_batch_and_length_matches_eager():
    from torch.export import Dim

    model = _export_model()
    batch, time = Dim("batch"), Dim("time")
    example = (torch.randn(3, 6, 3),)
    with torch.no_grad():
        program = torch.export.export(model, example, dynamic_shapes={"x": {0: batch, 1: time}})
        exported = program.module()
        for b, t in _SIZES:
            x = 1.5 * torch.randn(b, t, 3)
            got_out, got_state = exported(x)
            want_out, want_state = model(x)
            torch.testing.assert_close(got_out, want_out, rtol=1e-5, atol=1e-6)
            _assert_state_close(DREAMState(*got_state), want_state, rtol=1e-5, atol=1e-6)


def test_torch_export_with_lengths():
    from torch.export import Dim

    model = _export_model()
    batch, time = Dim("batch"), Dim("time")

    class Padded(torch.nn.Module):  # lengths as a positional input
        def __init__(self, dream):
            super().__init__()
            self.dream = dream

        def forward(self, x, lengths):
            return self.dream(x, lengths=lengths)

    wrapped = Padded(model)
    example = (torch.randn(3, 6, 3), torch.tensor([6, 2, 4]))
    with torch.no_grad():
        exported = torch.export.export(
            wrapped, example, dynamic_shapes={"x": {0: batch, 1: time}, "lengths": {0: batch}}
        ).module()
        for b, t in _SIZES:
            x, lengths = torch.randn(b, t, 3), torch.randint(1, t + 1, (b,))
            got_out, got_state = exported(x, lengths)
            want_out, want_state = wrapped(x, lengths)
            torch.testing.assert_close(got_out, want_out, rtol=1e-5, atol=1e-6)
            _assert_state_close(DREAMState(*got_state), want_state, rtol=1e-5, atol=1e-6)


def test_onnx_export_dynamic_batch_and_length_matches_eager_in_onnxruntime():
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    from torch.export import Dim

    model = _export_model()
    batch, time = Dim("batch"), Dim("time")
    with torch.no_grad():  # the deployment route, documented in DREAM's Notes
        onnx_program = torch.onnx.export(
            model,
            (torch.randn(3, 6, 3),),
            dynamic_shapes={"x": {0: batch, 1: time}},
            dynamo=True,
        )
    session = ort.InferenceSession(
        onnx_program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (name,) = [i.name for i in session.get_inputs()]
    for b, t in _SIZES:
        x = 1.5 * torch.randn(b, t, 3)
        out, *state = session.run(None, {name: x.numpy()})
        with torch.no_grad():
            want_out, want_state = model(x)
        torch.testing.assert_close(torch.from_numpy(out), want_out, rtol=1e-4, atol=1e-5)
        got_state = DREAMState(*(torch.from_numpy(a) for a in state))
        _assert_state_close(got_state, want_state, rtol=1e-4, atol=1e-5)


# --- 5. the configuration in state_dict -------------------------------------------------


def test_state_dict_with_other_switches_is_refused():
    saved = DREAM(3, 6, rank=2, ltc_enabled=False, surprise_mode="absolute").state_dict()
    with pytest.raises(
        RuntimeError,
        match=r"ltc_enabled=False in the checkpoint, True in this module; "
        r"surprise_mode='absolute' in the checkpoint, 'relative' in this module",
    ):
        DREAM(3, 6, rank=2).load_state_dict(saved)
    with pytest.raises(RuntimeError, match="time_step=0.5 in the checkpoint, 0.1"):
        DREAMCell(3, 6, rank=2).load_state_dict(DREAMCell(3, 6, rank=2, time_step=0.5).state_dict())
    # strict=False still refuses it (as torch does a size mismatch), in a nested stack too
    stack = DREAMStack(3, [6, 4], rank=2, sleep_enabled=False).state_dict()
    with pytest.raises(RuntimeError, match=r"layers\.1\.cell: sleep_enabled=False"):
        DREAMStack(3, [6, 4], rank=2).load_state_dict(stack, strict=False)
    # deleting the key loads the weights into another configuration on purpose
    del saved["cell._extra_state"]
    DREAM(3, 6, rank=2).load_state_dict(saved)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_state_dict_round_trip_keeps_outputs_and_loads_weights_only():
    model = DREAM(3, 6, rank=2, ltc_enabled=False, plasticity_enabled=False)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    # The configuration is a tensor too (JSON bytes): every value of a state_dict is.
    extra = saved["cell._extra_state"]
    assert extra.dtype == torch.uint8
    assert json.loads(bytes(extra.tolist()))["ltc_enabled"] is False
    assert all(isinstance(v, torch.Tensor) for v in saved.values())
    twin = DREAM(3, 6, rank=2, ltc_enabled=False, plasticity_enabled=False)
    twin.load_state_dict(saved)
    x = torch.randn(2, 7, 3)
    torch.testing.assert_close(twin(x)[0], model(x)[0], rtol=0, atol=0)
    # Initial values of trainable parameters are not part of it: the weights are.
    other_init = DREAM(3, 6, rank=2, ltc_enabled=False, plasticity_enabled=False, kappa=2.0)
    other_init.load_state_dict(saved)
    torch.testing.assert_close(other_init(x)[0], model(x)[0], rtol=0, atol=0)
    # Tools that take every value of a state_dict for a tensor keep working.
    torch.jit.trace(model.eval(), (x,))


def test_old_checkpoint_without_the_config_still_loads_strictly():
    model = DREAM(3, 6, rank=2)
    old = {k: v for k, v in model.state_dict().items() if not k.endswith("_extra_state")}
    keys = set(old)
    fresh = DREAM(3, 6, rank=2)
    result = fresh.load_state_dict(old)  # strict=True by default
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert set(old) == keys  # the caller's dict is left as it was
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(fresh(x)[0], model(x)[0], rtol=0, atol=0)


# --- round 11: a review of the layer as nn.GRU's drop-in ---------------------------------


@pytest.mark.parametrize("how", ["lengths", "mask"])
def test_nan_in_padded_steps_leaves_every_gradient_finite(how):
    # Padded steps never reach the state, but their values reached the backward pass
    # through torch.where's discarded branch: NaN padding made every gradient NaN.
    torch.manual_seed(0)
    model = DREAM(3, 8, rank=2)
    x = torch.randn(2, 5, 3)
    lengths = torch.tensor([5, 3])
    valid = torch.arange(5)[None, :] < lengths[:, None]
    kw = {"lengths": lengths} if how == "lengths" else {"mask": valid}
    grads = []
    for pad in (0.0, float("nan")):
        xp = x.masked_fill(~valid[..., None], pad)
        spans = torch.ones(2, 5).masked_fill(~valid, pad)
        model.zero_grad()
        out, state = model(xp, timespans=spans, **kw)
        (out.sum() + state.h.sum()).backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name, g in grads[1].items():
        assert torch.isfinite(g).all(), name
        torch.testing.assert_close(g, grads[0][name], rtol=0, atol=0)


def test_timespans_must_be_finite_and_not_negative_on_valid_steps():
    model = DREAM(3, 8, rank=2)
    x = torch.randn(2, 4, 3)
    for bad in (-1.0, float("inf"), float("nan")):
        spans = torch.ones(2, 4)
        spans[1, 2] = bad
        with pytest.raises(ValueError, match="timespans must be finite and at least 0"):
            model(x, timespans=spans)
    spans = torch.ones(2, 4)
    spans[1, 3] = -1.0  # on a padded step: read as nothing
    model(x, timespans=spans, lengths=[4, 3])


def test_a_long_gap_lets_the_fast_weights_decay_to_their_target_not_past_it():
    # U decays towards U_target at rate lam * dt; past dt = 1 / lam the step
    # overshot (dt = 300 at lam = 0.005 reversed U's sign; 500 grew it). Capped at 1
    # as h's Euler step is.
    torch.manual_seed(0)
    cell = DREAMCell(3, 6, rank=2, forgetting_rate=0.005).double()
    state = cell.initial_state(1, dtype=torch.float64)
    U = torch.randn(1, 6, 2, dtype=torch.float64) * 0.1
    state = state._replace(U=U)
    x = torch.zeros(1, 3, dtype=torch.float64)
    for dt, left in ((100.0, 0.5), (300.0, 0.0), (1000.0, 0.0)):
        out = cell.step(x, state, dt=dt)
        # zero input and state: no prediction error, so no Hebbian term; the decay alone
        torch.testing.assert_close(out.state.U, U * left, rtol=1e-12, atol=1e-15)


def test_nn_grus_arguments_are_taken_as_nn_gru_means_them_or_refused_not_misread():
    # nn.GRU(3, 5, 2) has 2 layers; DREAM(3, 5, 2) silently had rank 2.
    with pytest.raises(TypeError, match=r"DREAMStack.*rank is keyword-only"):
        DREAM(3, 5, 2)
    # DREAMStack(16, [64, 64], 2) silently had rank 2, where DREAM's message sends
    # nn.GRU's users (review 157).
    with pytest.raises(TypeError, match=r"DREAMStack takes 2 positional.*rank is keyword-only"):
        DREAMStack(3, [5, 5], 2)
    assert DREAMStack(3, [5, 5], rank=2).layers[0].config.rank == 2
    # nn.GRU's names for the sizes, and its one-layer values spelled out, are taken
    # as nn.GRU takes them (they were refused until review 140).
    torch.manual_seed(0)
    gru_style = DREAM(
        input_size=3, hidden_size=5, num_layers=1, bidirectional=False, dropout=0.0, rank=2
    )
    torch.manual_seed(0)
    plain = DREAM(3, 5, rank=2)
    x = torch.randn(2, 4, 3)
    torch.testing.assert_close(gru_style(x)[0], plain(x)[0], rtol=0, atol=0)
    assert (gru_style.input_size, gru_style.hidden_size) == (3, 5)
    with pytest.raises(TypeError, match=r"got input_dim and nn.GRU's name for it, input_size"):
        DREAM(3, 5, input_size=3)
    with pytest.raises(TypeError, match=r"missing required argument\(s\): hidden_dim"):
        DREAM(3)
    with pytest.raises(TypeError, match=r"missing required argument\(s\): hidden_dim"):
        DREAM(input_size=3)
    for name, value, hint in (
        ("num_layers", 2, "DREAMStack"),
        ("bidirectional", True, "reversed"),
        ("dropout", 0.1, r"DREAMStack\(input_dim, hidden_dims, dropout=p\)"),
        ("bias", True, r"no bias terms \(bias=False is taken\)"),
    ):
        with pytest.raises(TypeError, match=hint):
            DREAM(3, 5, **{name: value})
    with pytest.raises(TypeError, match=r"DREAMStack got hidden_dims and nn.GRU's hidden_size"):
        DREAMStack(3, [4, 4], hidden_size=4)
    # nn.GRU's spelling of a stack (Python's own check of the signature answered
    # "missing 2 required positional arguments": review 142)
    torch.manual_seed(0)
    stack = DREAMStack(input_size=3, hidden_size=4, num_layers=2, bidirectional=False, rank=2)
    torch.manual_seed(0)
    twin = DREAMStack(3, [4, 4], rank=2)
    torch.testing.assert_close(stack(x)[0], twin(x)[0], rtol=0, atol=0)
    assert stack.num_layers == 2 and stack.hidden_size == 4
    for kwargs, hint in (
        ({"bias": True}, "bias=True: the cell has no bias terms"),
        ({"proj_size": 2}, r"proj_size=2: not supported \(put nn.Linear"),
        ({"bidirectional": True}, "reversed"),
        ({"num_layers": 2}, "with nn.GRU's hidden_size only"),
    ):
        with pytest.raises(TypeError, match=hint):
            DREAMStack(3, [4], **kwargs)
    with pytest.raises(TypeError, match=r"missing required argument\(s\): hidden_dims"):
        DREAMStack(input_size=3)
    # numpy's scalars as nn.GRU takes them
    assert DREAM(3, 5, bidirectional=np.False_, num_layers=np.int64(1), rank=2).hidden_size == 5
    # num_layers only as an int, as nn.GRU and DREAMStack take it (1.0 was taken for
    # one layer: review 377)
    for value in (1.0, True):
        with pytest.raises(TypeError, match=rf"num_layers={value!r}: stack layers"):
            DREAM(3, 5, num_layers=value)
    # bias=False is what the cell does (no bias terms: zero in, zero out), so it is
    # taken, by DREAM and DREAMStack alike (refused before round 31: a review's finding)
    torch.manual_seed(0)
    unbiased = DREAM(3, 5, rank=2, bias=False)
    torch.manual_seed(0)
    torch.testing.assert_close(unbiased(x)[0], DREAM(3, 5, rank=2)(x)[0], rtol=0, atol=0)
    assert not unbiased(torch.zeros(2, 4, 3))[0].any()
    assert DREAMStack(3, [4], bias=np.False_, rank=2).num_layers == 1
    assert DREAM(3, 5, rank=2).cell.config.rank == 2


def test_a_state_on_another_device_than_x_is_refused_by_name():
    # ("meta" stands in for a GPU: torch said "Tensor on device meta is not on the
    # expected device cpu!", naming neither the state nor x; review 140)
    model, x = DREAM(3, 4, rank=2), torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match=r"h0 is on device meta but x is on cpu"):
        model(x, torch.zeros(2, 4, device="meta"))
    state = model.cell.initial_state(2).to("meta")
    with pytest.raises(ValueError, match=r"state.h is on device meta but x is on cpu"):
        model(x, state)
    with pytest.raises(ValueError, match=r"state.h is on device meta but x is on cpu"):
        model.cell(x[:, 0], state)
    # x itself on another device than the parameters: named, with both ways to mend it
    with pytest.raises(
        ValueError, match=r"x is on device meta but the DREAM parameters are on cpu"
    ):
        model(x.to("meta"), torch.zeros(2, 4))


def test_error_messages_say_what_the_input_should_be():
    model = DREAM(3, 8, rank=2)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\); got \(2, 4, 4\)"):
        model(torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(time, 3\); got \(4, 4\)"):
        model(torch.randn(4, 4))
    with pytest.raises(ValueError, match=r"\(time, batch, 3\); got \(4, 2, 5\)"):
        DREAM(3, 8, rank=2, batch_first=False)(torch.randn(4, 2, 5))
    with pytest.raises(TypeError) as err:
        model(torch.ones(2, 4, 3, dtype=torch.int64))
    assert "x.to(torch.float32)" in str(err.value) and "model.to" not in str(err.value)
    cell = DREAMCell(3, 8, rank=2)
    with pytest.raises(TypeError, match="state must be a DREAMState"):
        cell(torch.randn(2, 3), torch.zeros(2, 8))
    state = cell.initial_state(2, dtype=torch.float64)
    state = state._replace(U=state.U.float())
    with pytest.raises(TypeError, match=r"state.U has dtype torch.float32 but state.h"):
        DREAM(3, 8, rank=2).double()(torch.randn(2, 4, 3, dtype=torch.float64), state)


def test_an_unbatched_sequence_takes_a_time_mask_as_it_takes_timespans():
    torch.manual_seed(0)
    model = DREAM(3, 8, rank=2)
    x = torch.randn(5, 3)
    mask = torch.tensor([True, True, True, False, False])
    out, state = model(x, mask=mask)
    ref, ref_state = model(x[None], mask=mask[None])
    torch.testing.assert_close(out, ref[0], rtol=0, atol=0)
    torch.testing.assert_close(state.h, ref_state.h, rtol=0, atol=0)


# --- Review 54 (round 13): the stack's last step, the cell's own checks, GRU's names ---


def test_stack_returns_the_top_layers_last_valid_step_when_asked():
    full = DREAMStack(3, [6, 4], rank=2)
    last = DREAMStack(3, [6, 4], rank=2, return_sequences=False)
    last.load_state_dict(full.state_dict())
    x, lengths = torch.randn(3, 7, 3), [7, 2, 5]
    out, states = full(x, lengths=lengths)
    got, got_states = last(x, lengths=lengths)
    assert got.shape == (3, 4)  # (a layer below gave its last step only: shape (4,) here)
    want = torch.stack([out[b, n - 1] for b, n in enumerate(lengths)])
    torch.testing.assert_close(got, want)
    _assert_state_close(got_states[-1], states[-1])


@pytest.mark.parametrize("bad", [3, "16", {7, 5}, {7: 1, 5: 1}, iter([7, 5])])
def test_stack_hidden_dims_must_be_a_sequence(bad):
    # (a set or a dict was taken in its own order, or as its keys: {7, 5} built layers
    # of 5 then 7 units; review 297)
    with pytest.raises(TypeError, match="hidden_dims must be a sequence of ints"):
        DREAMStack(2, bad)
    for sizes in ([7, 5], (7, 5), range(7, 4, -2), np.array([7, 5]), pd.Series([7, 5])):
        stack = DREAMStack(2, sizes, rank=1)
        assert [layer.hidden_size for layer in stack.layers] == [7, 5]


def test_stack_names_nn_grus_hidden_size_as_given():
    # (a list given as hidden_size was blamed on hidden_dims[0]; review 297)
    with pytest.raises(ValueError, match="'hidden_size' parameter of DREAMStack"):
        DREAMStack(input_size=3, hidden_size=[5, 5])


@pytest.mark.parametrize(
    "index",
    [0, -1, torch.tensor(2), np.int64(1), np.array(1), torch.tensor(0, dtype=torch.uint8)],
)
def test_state_select_by_an_int_keeps_the_batch_axis(index):
    model = DREAM(2, 5, rank=1)
    _, state = model(torch.randn(3, 4, 2))
    one = state.select(index)
    k = int(index) % 3
    assert one.batch_size == 1 and one.h.shape == (1, 5) and one.surprise.shape == (1,)
    _assert_state_close(one, state.select([k]))


@pytest.mark.parametrize(
    "as_index",
    [
        lambda rows: torch.tensor(rows, dtype=torch.uint8),
        lambda rows: torch.tensor(rows, dtype=torch.uint16),
        lambda rows: np.array(rows, dtype=np.uint8),
        lambda rows: np.array(rows, dtype=np.uint64),
        lambda rows: [np.uint8(k) for k in rows],
    ],
)
def test_state_select_reads_unsigned_integers_as_indices(as_index):
    # (review 303: torch reads uint8 as a mask, so [1, 1, 0] selected the first two
    # sequences, where the same values as int64 select sequences 1, 1 and 0; review
    # 304: 2**64 - 1 cast to int64 wrapped to -1, the last sequence)
    model = DREAM(2, 5, rank=1)
    _, state = model(torch.randn(3, 4, 2))
    _assert_state_close(state.select(as_index([1, 1, 0])), state.select([1, 1, 0]))
    with pytest.raises(IndexError, match="out of range for a state of batch 3"):
        state.select(as_index([3]))
    with pytest.raises(IndexError, match="18446744073709551615 is out of range"):
        state.select([np.uint64(2**64 - 1)])


def test_cell_config_is_read_only_and_old_pickles_load():
    cell = DREAMCell(2, 3, rank=1)
    with pytest.raises(AttributeError):
        cell.config = cell.config.replace(plasticity_enabled=False)  # flags would not follow
    old = dict(cell.__dict__)
    old["config"] = old.pop("_config")  # a cell pickled before config became read-only
    loaded = DREAMCell.__new__(DREAMCell)
    loaded.__setstate__(old)
    x = torch.randn(4, 2)
    assert loaded.config == cell.config
    torch.testing.assert_close(loaded(x)[0], cell(x)[0])


@pytest.mark.parametrize(
    "dt,match",
    [
        (-1.0, "dt must be a finite float >= 0"),
        (float("nan"), "dt must be a finite float >= 0"),
        (float("inf"), "dt must be a finite float >= 0"),
        (torch.tensor([0.1, -0.1, 0.1, 0.1]), "dt must be finite and at least 0"),
        (torch.tensor([0.1, float("nan"), 0.1, 0.1]), "dt must be finite and at least 0"),
        (torch.ones(4, 1), "dt must be a float or a tensor of shape \\(4,\\)"),
    ],
)
def test_cell_refuses_a_dt_the_layer_refuses_as_timespans(dt, match):
    cell = DREAMCell(2, 3, rank=1)
    with pytest.raises(ValueError, match=match):
        cell(torch.randn(4, 2), None, dt)


@pytest.mark.parametrize("dt", ["1", True, 1 + 0j, np.str_("1"), np.bool_(True), ["1"] * 4])
def test_cell_refuses_a_dt_that_is_no_real_number_with_a_type_error(dt):
    """As a list of them was: a single one was a ValueError (review 311)."""
    with pytest.raises(TypeError, match="dt must be a .*real numbers"):
        DREAMCell(2, 3, rank=1)(torch.randn(4, 2), None, dt)


def test_vmap_over_dt_and_timespans_is_the_loop_over_them():
    # torch.vmap refuses to read a mapped tensor's values, and the value checks of dt
    # and timespans did (review 210: "data-dependent control flow"); under vmap they
    # are left out, as under torch.compile, and checked as before outside it.
    torch.manual_seed(0)
    cell = DREAMCell(3, 4, rank=2)
    x, dts = torch.randn(5, 2, 3), torch.rand(5, 2)
    mapped = torch.vmap(lambda xx, dt: cell(xx, None, dt)[0])(x, dts)
    loop = torch.stack([cell(x[i], None, dts[i])[0] for i in range(5)])
    torch.testing.assert_close(mapped, loop, rtol=0, atol=1e-6)
    layer = DREAM(3, 4, rank=2)
    xs, spans = torch.randn(5, 2, 7, 3), torch.rand(5, 2, 7)
    mapped = torch.vmap(lambda xx, t: layer(xx, timespans=t)[0])(xs, spans)
    loop = torch.stack([layer(xs[i], timespans=spans[i])[0] for i in range(5)])
    torch.testing.assert_close(mapped, loop, rtol=0, atol=1e-6)
    # per-sample gradients: vmap over grad, whose tensors wrap the batched ones (review
    # 220: the checks still read them there)
    grads = torch.vmap(torch.func.grad(lambda dt, xx: cell(xx, None, dt)[0].sum()))(dts, x)
    one = torch.func.grad(lambda dt, xx: cell(xx, None, dt)[0].sum())(dts[3], x[3])
    torch.testing.assert_close(grads[3], one, rtol=0, atol=1e-6)
    span_grads = torch.vmap(torch.func.grad(lambda t, xx: layer(xx, timespans=t)[0].sum()))(
        spans, xs
    )
    assert span_grads.shape == spans.shape and torch.isfinite(span_grads).all()
    with pytest.raises(ValueError, match="dt must be finite and at least 0"):
        cell(x[0], None, torch.tensor([0.1, -1.0]))
    with pytest.raises(ValueError, match="timespans must be finite and at least 0"):
        layer(xs[0], timespans=-spans[0])
    with pytest.raises(ValueError, match="dt must be finite and at least 0"):  # (grad alone)
        torch.func.grad(lambda dt: cell(x[0], None, dt)[0].sum())(torch.tensor([0.1, -1.0]))


def test_vmap_over_lengths_state_spans_or_parameters_of_a_ragged_batch_is_the_loop():
    # With lengths fixed and x not mapped, a vmap over h0, timespans or an ensemble's
    # parameters ran the packed loop of unequal lengths, which writes the mapped steps
    # into a tensor vmap does not map, and failed (review 221); it runs padded there.
    torch.manual_seed(0)
    model, x, lengths = DREAM(3, 6, rank=2), torch.randn(4, 5, 3), [5, 2, 0, 3]
    h0s, spans = torch.randn(3, 4, 6), torch.rand(3, 4, 5)
    cases = (
        (lambda h: model(x, h, lengths=lengths)[0], h0s, lambda h: model(x, h, lengths=lengths)),
        (
            lambda t: model(x, timespans=t, lengths=lengths)[0],
            spans,
            lambda t: model(x, timespans=t, lengths=lengths),
        ),
    )
    for mapped, over, alone in cases:
        loop = torch.stack([alone(a)[0] for a in over])
        torch.testing.assert_close(torch.vmap(mapped)(over), loop, rtol=0, atol=1e-6)
    ensemble = [DREAM(3, 6, rank=2) for _ in range(3)]
    params, buffers = torch.func.stack_module_state(ensemble)

    def one(p, b):
        return torch.func.functional_call(ensemble[0], (p, b), (x,), {"lengths": lengths})[0]

    loop = torch.stack([m(x, lengths=lengths)[0] for m in ensemble])
    torch.testing.assert_close(torch.vmap(one)(params, buffers), loop, rtol=0, atol=1e-6)
    # and over the lengths, or a mask, themselves: their value checks read them, and
    # vmap refused (until round 40); left out under vmap, as dt's and timespans'
    many = torch.tensor([[5, 2, 0, 3], [1, 5, 5, 4], [0, 0, 0, 0]])
    loop = torch.stack([model(x, lengths=n)[0] for n in many])
    torch.testing.assert_close(torch.vmap(lambda n: model(x, lengths=n)[0])(many), loop)
    masks = torch.arange(5)[None, None] < many[:, :, None]
    mapped = torch.vmap(lambda m: model(x, mask=m)[0])(masks.float())
    torch.testing.assert_close(mapped, loop)
    with pytest.raises(ValueError, match="lengths must lie in"):  # (checked outside vmap)
        model(x, lengths=[6, 1, 1, 1])


def test_a_ragged_batch_on_the_meta_device_has_the_outputs_shape():
    # (the packed loop reads the mask's values, which a meta tensor has not: it runs
    # padded there, as before; review 221)
    model = DREAM(3, 6, rank=2).to("meta")
    x = torch.empty(4, 5, 3, device="meta")
    mask = torch.arange(5)[None] < torch.tensor([[5], [2], [0], [3]])
    out, state = model(x, mask=mask.to("meta"))
    assert out.shape == (4, 5, 6) and out.is_meta and state.h.shape == (4, 6)
    # and lengths, whose value checks read them (review 228)
    out, state = model(x, lengths=[5, 2, 0, 3])
    assert out.shape == (4, 5, 6) and out.is_meta and state.h.shape == (4, 6)


def test_cell_accepts_dt_as_a_float_a_scalar_or_a_batch_tensor():
    cell = DREAMCell(2, 3, rank=1)
    x = torch.randn(4, 2)
    want = cell(x, None, 0.2)[0]
    for dt in (torch.tensor(0.2), torch.full((4,), 0.2), torch.full((1,), 0.2), np.array(0.2)):
        torch.testing.assert_close(cell(x, None, dt)[0], want)
    torch.testing.assert_close(cell(x, None, 0)[0], cell(x, None, 0.0)[0])
    # A list or an array of one dt per row, as the layer's timespans take them (until
    # round 39 the cell refused them, review 210); the same step as the tensor's.
    spans = [0.1, 0.2, 0.0, 3.0]
    want = cell(x, None, torch.tensor(spans))[0]
    as_objects = np.array(spans, dtype=object)  # (a frame's column of numbers)
    for dt in (spans, tuple(spans), np.array(spans), np.array(spans, dtype=np.float32), as_objects):
        torch.testing.assert_close(cell(x, None, dt)[0], want)
    layer = DREAM(2, 3, rank=1)
    layer.cell.load_state_dict(cell.state_dict())
    torch.testing.assert_close(layer(x[:, None], timespans=[[s] for s in spans])[0][:, 0], want)
    with pytest.raises(ValueError, match="dt must be finite and at least 0"):
        cell(x, None, [0.1, -1.0, 0.1, 0.1])
    with pytest.raises(ValueError, match="dt must be a float or a tensor of shape"):
        cell(x, None, [0.1, 0.2])
    # (what is no real number is refused in a list as it is alone: text, booleans,
    # complex numbers, a tensor that requires grad; review 213. The layer's timespans
    # are read by the same rule.)
    refused = (
        ["0.5", 0.1, 0.1, 0.1],
        [True, False, True, True],
        np.array([1 + 1j, 0.1, 0.1, 0.1]),
        [torch.tensor(0.1, requires_grad=True), 0.1, 0.1, 0.1],
        np.array([0.1, None, 0.1, 0.1]),
        np.array([0.1, 10**400, 0.1, 0.1], dtype=object),  # (beyond float's range)
    )
    for dt in refused:
        with pytest.raises(TypeError, match="dt must be a tensor \\(or a list or array\\) of real"):
            cell(x, None, dt)
        with pytest.raises(TypeError, match="timespans must be a tensor \\(or a list or array\\)"):
            layer(x[:, None], timespans=[[s] for s in dt])


def test_cell_says_what_to_convert_when_dtypes_differ():
    cell = DREAMCell(2, 3, rank=1)
    with pytest.raises(TypeError, match="x has dtype torch.float64 but the cell's parameters"):
        cell(torch.randn(4, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="state has dtype torch.float64 but x has torch.float32"):
        cell(torch.randn(4, 2), cell.initial_state(4, dtype=torch.float64))
    with torch.autocast("cpu", dtype=torch.bfloat16):  # autocast casts the products
        assert torch.isfinite(cell(torch.randn(4, 2).bfloat16())[0].float()).all()


def test_layer_refuses_fractional_lengths_and_misshaped_single_sequence_arguments():
    model = DREAM(2, 3, rank=1)
    x = torch.randn(3, 6, 2)
    with pytest.raises(ValueError, match="lengths must be whole numbers"):
        model(x, lengths=torch.tensor([2.5, 6.0, 1.0]))  # (ran 3 steps of the first)
    with pytest.raises(TypeError, match="lengths must be integers"):
        model(x, lengths=torch.tensor([True, False, True]))
    torch.testing.assert_close(model(x, lengths=[6.0, 2.0, 3.0])[0], model(x, lengths=[6, 2, 3])[0])
    seq = torch.randn(6, 2)
    with pytest.raises(ValueError, match="timespans must have shape \\(6,\\)"):
        model(seq, timespans=torch.ones(3, 2))
    with pytest.raises(ValueError, match="mask must have shape \\(6,\\)"):
        model(seq, mask=torch.ones(2, 3, dtype=torch.bool))
    torch.testing.assert_close(
        model(seq, timespans=torch.full((1, 6), 0.3))[0],
        model(seq, timespans=torch.full((6,), 0.3))[0],
    )
    for name in ("batch_first", "return_sequences"):
        for bad in ("no", 2, None):
            with pytest.raises(TypeError, match=f"{name} must be True or False"):
                DREAM(2, 3, **{name: bad})
        assert getattr(DREAM(2, 3, **{name: 0}), name) is False  # (as nn.GRU takes 0 and 1)


def test_layer_answers_to_nn_grus_attribute_names():
    model, gru = DREAM(5, 7, rank=2), torch.nn.GRU(5, 7, batch_first=True)
    for name in ("input_size", "hidden_size", "num_layers", "bidirectional", "batch_first"):
        assert getattr(model, name) == getattr(gru, name), name
    model.flatten_parameters()  # (a no-op, as code written for nn.GRU calls it)
    with pytest.raises(AttributeError):
        model.hidden_size = 8


def test_cell_under_autocast_steps_as_the_layer_and_takes_its_own_state():
    # Under autocast the cell ran its products in bfloat16: a bfloat16 input gave a
    # state of two dtypes, refused at the next step, and a float32 one a recurrence
    # 1.9e-3 apart from the layer's over 200 steps (review 111). It runs as the
    # layer's loop does now: in the parameters' dtype, autocast off.
    model = DREAM(3, 5, rank=2)
    x = torch.randn(2, 60, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        want, want_state = model(x)
        for given in (x, x.bfloat16()):
            state, outs = None, []
            for t in range(x.shape[1]):
                h, state = model.cell(given[:, t], state)
                assert {v.dtype for v in state} == {torch.float32}
                outs.append(h)
            got = torch.stack(outs, dim=1)
            if given.dtype == torch.float32:
                torch.testing.assert_close(got, want, rtol=0, atol=0)
                _assert_state_close(state, want_state, rtol=0, atol=0)
            else:  # (the input rounded to bfloat16 first: the layer's on that input)
                torch.testing.assert_close(got, model(given)[0], rtol=0, atol=0)


def test_device_and_dtype_factory_arguments_as_nn_grus():
    # nn.GRU(3, 5, device=..., dtype=...) builds its weights there; DREAM's refusal
    # named DREAMConfig, a class the caller never called (review 111).
    for make in (
        lambda **kw: DREAM(3, 5, rank=2, **kw),
        lambda **kw: DREAMCell(3, 5, rank=2, **kw),
        lambda **kw: DREAMStack(3, [5, 4], rank=2, **kw),
    ):
        model = make(dtype=torch.float64, device="cpu")
        assert {p.dtype for p in model.parameters()} == {torch.float64}
        assert {b.dtype for b in model.buffers()} == {torch.float64}
        assert {p.device.type for p in make(device="meta").parameters()} == {"meta"}
    torch.manual_seed(3)
    model = DREAM(3, 5, rank=2, dtype=torch.float64)
    torch.manual_seed(3)
    twin = DREAM(3, 5, rank=2, dtype=torch.float64)
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    torch.testing.assert_close(model(x)[0], twin(x)[0], rtol=0, atol=0)


@pytest.mark.parametrize("packed", [False, True])
def test_last_step_output_is_a_tensor_apart_from_the_state(packed):
    # With return_sequences=False the output was state.h itself: an in-place op on it
    # (an activation) rewrote the state carried into the next call (review 111);
    # nn.GRU's output and h_n share no memory.
    model = DREAM(3, 5, rank=2, return_sequences=False)
    x = torch.randn(2, 4, 3)
    given = pack_sequence([x[0], x[1, :3]], enforce_sorted=False) if packed else x
    out, state = model(given)
    kept = state.h.clone()
    torch.testing.assert_close(out, kept, rtol=0, atol=0)
    out.mul_(0.0)
    torch.testing.assert_close(state.h, kept, rtol=0, atol=0)
    single, state = model(x[0])  # unbatched: (hidden,) out, (1, hidden) state
    single.relu_()
    assert bool((state.h < 0).any())


def test_forward_takes_nn_grus_keyword_input():
    model, stack = DREAM(3, 5, rank=2), DREAMStack(3, [5, 4], rank=2)
    x, h0 = torch.randn(2, 4, 3), torch.randn(1, 2, 5)
    torch.testing.assert_close(model(input=x, hx=h0)[0], model(x, h0)[0], rtol=0, atol=0)
    torch.testing.assert_close(stack(input=x)[0], stack(x)[0], rtol=0, atol=0)
    for run in (model, stack):
        with pytest.raises(TypeError, match="as x or as input"):
            run(x, input=x)
        with pytest.raises(TypeError, match="missing the sequences"):
            run()


def test_mask_of_numbers_must_be_zeros_and_ones():
    # A float mask of 0.5 or 2 ran as all True (review 111): 0/1 numbers read as the
    # booleans they stand for, anything else is refused by name.
    model = DREAM(3, 5, rank=2)
    x = torch.randn(2, 4, 3)
    valid = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    want = model(x, mask=valid.bool())[0]
    for numbers in (valid, valid.float(), valid.tolist()):
        torch.testing.assert_close(model(x, mask=numbers)[0], want, rtol=0, atol=0)
    for bad in (torch.full((2, 4), 0.5), torch.full((2, 4), 2), valid * float("nan")):
        with pytest.raises(ValueError, match="mask must be True on valid steps"):
            model(x, mask=bad)


def test_stack_refuses_num_layers_without_pointing_back_to_itself():
    with pytest.raises(TypeError, match="one layer per entry of hidden_dims") as err:
        DREAMStack(3, [5], num_layers=2)
    assert "DREAMStack(input_dim" not in str(err.value)


@pytest.mark.parametrize(
    "switches", [{"sleep_enabled": False}, {"plasticity_enabled": False, "sleep_enabled": False}]
)
def test_returned_state_shares_no_memory_with_the_state_passed_in(switches):
    # With a mechanism off its part of the state came back as the very tensor passed in
    # (the layer's detached view of it): an in-place edit of one changed the other
    # (review 122). nn.GRU's h_n and nn.GRUCell's h are always new tensors.
    model = DREAM(3, 4, rank=2, **switches)
    x = torch.randn(2, 5, 3)
    _, first = model(x)
    kept = [t.clone() for t in first]
    _, second = model(x, first)
    for t in second:
        t.add_(1.0)
    for t, k in zip(first, kept, strict=True):
        torch.testing.assert_close(t, k, rtol=0, atol=0)
    cell = DREAMCell(3, 4, rank=2, **switches)
    state = cell.initial_state(2)
    kept = [t.clone() for t in state]
    _, new = cell(torch.randn(2, 3), state)
    for t in new:
        t.add_(1.0)
    for t, k in zip(state, kept, strict=True):
        torch.testing.assert_close(t, k, rtol=0, atol=0)


def test_a_time_step_the_dtype_cannot_hold_is_refused_as_given():
    # 1e5 is finite, but inf in float16: the cell took it and its state went NaN; the
    # layer refused it as "[inf]", a value never given (review 122).
    cell = DREAMCell(3, 4, rank=2).half()
    with pytest.raises(ValueError, match=r"dt overflows the cell's dtype torch.float16"):
        cell(torch.randn(1, 3).half(), dt=1e5)
    with pytest.raises(ValueError, match=r"dt overflows"):
        cell(torch.randn(1, 3).half(), dt=torch.tensor([1e5]))
    assert bool(torch.isfinite(cell(torch.randn(1, 3).half(), dt=1e3)[1].U).all())
    layer = DREAM(3, 4, rank=2).half()
    with pytest.raises(ValueError, match=r"timespans \[100000.0\] overflow the layer's dtype"):
        layer(torch.randn(1, 2, 3).half(), timespans=torch.tensor([[0.1, 1e5]]))
    # The layer's own time_step likewise: torch's RuntimeError, where the cell names
    # dt (review 271).
    for big, dtype in [(1e5, torch.float16), (1e39, torch.float32)]:
        layer = DREAM(3, 4, rank=2, time_step=big).to(dtype)
        with pytest.raises(ValueError, match=re.escape(f"time_step {big:g} overflows the layer")):
            layer(torch.randn(1, 2, 3, dtype=dtype))


def test_stack_dropout_falls_between_layers_in_training_as_nn_grus():
    # nn.GRU's dropout: on each layer's outputs but the top one's, in training mode.
    stack = DREAMStack(3, [5, 4, 2], rank=2, dropout=0.5)
    x = torch.randn(2, 6, 3)
    torch.manual_seed(1)
    out = stack(x)[0]
    torch.manual_seed(1)
    h = x
    for k, layer in enumerate(stack.layers):
        h = layer(h)[0]
        if k < 2:
            h = torch.nn.functional.dropout(h, 0.5, True)
    torch.testing.assert_close(out, h, rtol=0, atol=0)
    stack.eval()
    plain = DREAMStack(3, [5, 4, 2], rank=2)
    plain.load_state_dict(stack.state_dict())
    torch.testing.assert_close(stack(x)[0], plain(x)[0], rtol=0, atol=0)
    stack.train()
    packed = pack_sequence([x[0], x[1, :4]], enforce_sorted=False)
    assert isinstance(stack(packed)[0], PackedSequence)
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="dropout"):
            DREAMStack(3, [5], dropout=bad)


def test_stack_and_cell_answer_to_nn_grus_attribute_names():
    stack, gru = DREAMStack(5, [7, 7], rank=2), torch.nn.GRU(5, 7, num_layers=2, batch_first=True)
    for name in ("input_size", "hidden_size", "num_layers", "bidirectional", "batch_first"):
        assert getattr(stack, name) == getattr(gru, name), name
    # code sizing h0 from them, as for nn.GRU
    h0 = torch.zeros(stack.num_layers, 2, stack.hidden_size)
    assert stack(torch.randn(2, 3, 5), h0)[0].shape == gru(torch.randn(2, 3, 5), h0)[0].shape
    assert DREAMStack(5, [7, 3], rank=2).hidden_size == 3  # (the top layer's: the output's)
    cell, gru_cell = DREAMCell(5, 7, rank=2), torch.nn.GRUCell(5, 7)
    assert (cell.input_size, cell.hidden_size) == (gru_cell.input_size, gru_cell.hidden_size)
    with pytest.raises(ValueError, match=r"pass x.unsqueeze\(0\)"):
        cell(torch.randn(5))


def test_stack_errors_name_the_layer_and_a_lone_state():
    stack, x = DREAMStack(3, [4, 5], rank=2), torch.randn(2, 6, 3)
    with pytest.raises(ValueError, match=r"DREAMStack layer 1: state given as a tensor is h0"):
        stack(x, [None, torch.zeros(2, 4)])
    one = DREAMStack(3, [4], rank=2)
    _, (state,) = one(x)
    with pytest.raises(TypeError, match=r"got one DREAMState: pass \[state\]"):
        one(x, state)
    assert one(x, [state])[0].shape == (2, 6, 4)


def test_a_stack_pickled_before_dropout_runs_and_the_stack_flattens_as_nn_grus():
    # A DREAMStack pickled before round 27 has no dropout attribute: it loaded, then
    # failed at its first call (review 126).
    import pickle

    stack = DREAMStack(3, [4, 5], rank=2)
    x = torch.randn(2, 6, 3)
    want = stack(x)[0]
    old = pickle.loads(pickle.dumps(stack))
    del old.__dict__["dropout"]
    torch.testing.assert_close(old(x)[0], want, rtol=0, atol=0)
    assert old.batch_first is True
    stack.flatten_parameters()  # (a no-op, as DREAM's)
    cell = DREAMCell(3, 4, rank=2)  # (float32: torch.full raised its own RuntimeError)
    with pytest.raises(ValueError, match="dt overflows the cell's dtype torch.float32"):
        cell(torch.randn(1, 3), dt=1e39)


def test_torch_compile_of_the_layer_runs_with_the_default_backend():
    """``torch.compile(model)`` with inductor, the default backend, gives the eager
    layer's outputs and input gradients. Tracing the loop as one ``scan`` failed in
    inductor (``DataDependentOutputException``, review 160). One length of two steps:
    inductor compiles C++ for it (seconds). With ``compile_step`` the layer's own
    compiled loop runs outside the model's graph
    (``tests/test_speed_paths.py::test_a_compiled_model_runs_the_layers_compiled_loop``,
    on a loop compiled there already: tens of seconds here)."""
    import copy

    torch._dynamo.reset()
    model = DREAM(3, 4, rank=2)
    eager = copy.deepcopy(model)  # (compile_step off: the per-step loop)
    x = torch.randn(2, 2, 3, requires_grad=True)
    want, want_state = eager(x)
    (want.sum() + want_state.h.sum()).backward()
    want_grad, x.grad = x.grad, None
    out, state = torch.compile(model)(x)
    (out.sum() + state.h.sum()).backward()
    torch.testing.assert_close(out, want, rtol=0, atol=1e-6)
    torch.testing.assert_close(state.h, want_state.h, rtol=0, atol=1e-6)
    torch.testing.assert_close(x.grad, want_grad, rtol=0, atol=1e-6)


def test_fullgraph_refuses_the_graph_break_of_compile_step():
    """Under ``torch.compile(model, fullgraph=True)`` a layer with ``compile_step``
    meets dynamo's refusal of the break around its compiled loop (as its docstring
    says: leave compile_step False there); without it the loop traces in one graph.
    (backend="eager": dynamo alone, no compiler.)"""
    torch._dynamo.reset()
    model = DREAM(3, 4, rank=2)
    x = torch.randn(2, 3, 3)
    want = model(x)[0]
    torch.testing.assert_close(torch.compile(model, fullgraph=True, backend="eager")(x)[0], want)
    model.compile_step = True
    torch._dynamo.reset()
    with pytest.raises(torch._dynamo.exc.Unsupported, match="disable"):
        torch.compile(model, fullgraph=True, backend="eager")(x)


def test_the_cell_takes_nn_gru_cells_names_for_its_sizes():
    """``DREAMCell(input_size=3, hidden_size=4)`` and ``bias=False`` reached
    DREAMConfig's "unexpected keyword" (review 157)."""
    torch.manual_seed(0)
    gru_style = DREAMCell(input_size=3, hidden_size=4, bias=False, rank=2)
    torch.manual_seed(0)
    plain = DREAMCell(3, 4, rank=2)
    x = torch.randn(2, 3)
    torch.testing.assert_close(gru_style(x)[0], plain(x)[0], rtol=0, atol=0)
    assert (gru_style.input_size, gru_style.hidden_size) == (3, 4)
    with pytest.raises(TypeError, match=r"no bias terms \(bias=False is taken\); got bias=True"):
        DREAMCell(3, 4, bias=True)
    with pytest.raises(TypeError, match=r"got input_dim and nn.GRUCell's name for it, input_size"):
        DREAMCell(3, 4, input_size=3)
    with pytest.raises(TypeError, match=r"missing required argument\(s\): hidden_dim"):
        DREAMCell(input_size=3)


def test_the_cell_takes_nn_gru_cells_positional_bias_and_its_forward_names():
    """``DREAMCell(3, 5, False)`` (nn.GRUCell's bias, positional) met Python's "takes
    from 1 to 3 positional arguments", and ``cell(x, hx=state)`` / ``cell(input=x)``
    an "unexpected keyword argument", where DREAM takes both (review 251)."""
    torch.manual_seed(0)
    positional = DREAMCell(3, 4, False, rank=2)
    torch.manual_seed(0)
    plain = DREAMCell(3, 4, rank=2)
    x = torch.randn(2, 3)
    state = plain.initial_state(2)
    want, want_state = plain(x, state)
    got, got_state = positional(input=x, hx=state)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    torch.testing.assert_close(got_state.U, want_state.U, rtol=0, atol=0)
    with pytest.raises(TypeError, match=r"no bias terms \(bias=False is taken\); got bias=True"):
        DREAMCell(3, 4, True)
    with pytest.raises(TypeError, match=r"at most 3 positional arguments .* got 4\. Give dev"):
        DREAMCell(3, 4, False, "cpu")
    with pytest.raises(TypeError, match=r"got bias twice: as its third positional"):
        DREAMCell(3, 4, False, bias=False)
    for zero in (0, 0.0, np.False_):  # (as nn.GRUCell reads bias: any number equal to 0)
        DREAMCell(3, 4, zero, rank=2)
        DREAMCell(3, 4, bias=zero, rank=2)
    with pytest.raises(TypeError, match=r"as x or as input \(nn.GRUCell's\), not both"):
        plain(x, input=x)
    with pytest.raises(TypeError, match=r"as state or as hx \(nn.GRUCell's\), not both"):
        plain(x, state, hx=state)
    with pytest.raises(TypeError, match=r"missing the step's input: x \(or input\)"):
        plain()


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    "make",
    [lambda: DREAMCell(3, 4, rank=2), lambda: DREAM(3, 4, rank=2), lambda: DREAMStack(3, [4, 5])],
)
def test_torchscript_is_refused_saying_so(make):
    """``torch.jit.script`` failed on the cell with "Failed to get source" for its
    config's dataclass, and on the layer on its keyword-only arguments: neither said
    TorchScript is not supported (review 251); a stack's refusal named its layers
    (review 254). A trace of the cell or the layer still runs."""
    model = make()
    with pytest.raises(RuntimeError, match=rf"^{type(model).__name__} does not support TorchS"):
        torch.jit.script(model)
    if isinstance(model, DREAMStack):  # (its states, a list, are no traced output)
        return
    x = torch.randn(2, 3) if isinstance(model, DREAMCell) else torch.randn(2, 5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model.eval(), (x,))
    torch.testing.assert_close(traced(x)[0], model(x)[0])


def test_no_time_steps_names_the_shape_as_given():
    """With ``batch_first=False`` the refusal of a sequence with no steps showed the
    shape after the transpose, (2, 0, 3) for an input of (0, 2, 3) (review 251)."""
    with pytest.raises(ValueError, match=r"has no time steps \(shape \(0, 2, 3\)\)"):
        DREAM(3, 5, batch_first=False)(torch.randn(0, 2, 3))
    with pytest.raises(ValueError, match=r"has no time steps \(shape \(2, 0, 3\)\)"):
        DREAM(3, 5)(torch.randn(2, 0, 3))


def test_checkpointing_without_reentrance_gives_the_eager_gradients():
    """docs/design.md's way to checkpoint the layer: use_reentrant=False keeps the
    returned state's gradient (reentrant checkpointing drops it, since the state is a
    tuple inside the output: documented, review 157)."""
    from torch.utils.checkpoint import checkpoint

    model = DREAM(3, 4, rank=2)
    x = torch.randn(2, 5, 3)
    out, state = model(x)
    (out.sum() + state.h.sum()).backward()
    want = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    out, state = checkpoint(model, x, use_reentrant=False)
    assert state.h.requires_grad
    (out.sum() + state.h.sum()).backward()
    for p, g in zip(model.parameters(), want, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=0, atol=0)


def test_the_stacks_batch_first_is_settable_and_one_layers_dropout_warns():
    """As nn.GRU's: ``batch_first`` set after construction (an AttributeError before),
    and a warning for dropout on one layer, where it does nothing (review 157)."""
    stack = DREAMStack(3, [4, 5], rank=2)
    x = torch.randn(2, 6, 3)
    want = stack(x)[0]
    stack.batch_first = False
    assert [layer.batch_first for layer in stack.layers] == [False, False]
    torch.testing.assert_close(stack(x.transpose(0, 1))[0], want.transpose(0, 1))
    with pytest.warns(UserWarning, match=r"dropout=0\.5 does nothing with hidden_dims=\[4\]") as w:
        DREAMStack(3, [4], dropout=0.5)
    assert w[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DREAMStack(3, [4, 4], dropout=0.5)


def test_the_compiled_loop_takes_a_second_setting_of_the_cells_constants():
    """Two models whose cells' float constants differ (a grid search over
    error_smoothing): the second made dynamo trace them as symbolic floats, which
    scan's partition refused ("Invalid HopPartitionedGraph"), and the compiled loop was
    off for the process, every model's (review 165). Then each setting compiled a
    graph of its own, and a search over about 20 settings reached the limit of 64
    graphs. The constants are the graph's inputs now: the second setting compiles
    nothing, and both give the eager results. A small cell (every mechanism but the
    ltc off)."""
    from torch._dynamo.utils import counters

    from dream_sklearn.nn import _layer

    small = {"plasticity_enabled": False, "sleep_enabled": False, "ltc_enabled": True}
    x = torch.randn(2, 6, 3)
    graphs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for constants in ({}, {"error_smoothing": 0.3, "surprise_smoothing": 0.5}):
            torch.manual_seed(0)
            model = DREAM(3, 4, rank=2, **small, **constants)
            given = x.clone().requires_grad_()
            want, _ = model(given)
            want.sum().backward()
            want_grad, given.grad = given.grad, None
            model.compile_step = True
            out, _ = model(given)
            out.sum().backward()
            graphs.append(counters["stats"]["unique_graphs"])
            torch.testing.assert_close(out, want, rtol=0, atol=1e-6)
            torch.testing.assert_close(given.grad, want_grad, rtol=0, atol=1e-6)
    assert graphs[1] == graphs[0]
    assert _layer._COMPILED_LOOP.failed is None


def test_the_stack_resets_its_parameters_and_reprs_show_non_default_settings():
    """``nn.GRU`` has ``reset_parameters`` and shows ``dropout`` and ``batch_first`` in
    its repr; the stack had no ``reset_parameters``, and neither repr showed them
    (review 165)."""
    stack = DREAMStack(3, [4, 4], rank=2, dropout=0.2)
    before = [p.detach().clone() for p in stack.parameters()]
    torch.manual_seed(1)
    stack.reset_parameters()
    drawn = [p.detach().clone() for p in stack.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(before, drawn, strict=True))
    torch.manual_seed(1)
    stack.reset_parameters()
    assert all(torch.equal(a, b) for a, b in zip(drawn, stack.parameters(), strict=True))
    assert "dropout=0.2" in repr(stack)
    assert "dropout" not in repr(DREAMStack(3, [4, 4], rank=2))
    shown = repr(DREAM(3, 4, rank=2, batch_first=False, return_sequences=False))
    assert "batch_first=False, return_sequences=False" in shown
    assert "batch_first" not in repr(DREAM(3, 4, rank=2))


def test_a_variant_past_the_limit_of_graphs_runs_eagerly_and_the_compiled_stay(monkeypatch):
    """Past the limit of graphs of the compiled loop (64 a process), a new variant
    failed with ``FailOnRecompileLimitHit``, and the loop was off for the rest of the
    process, every variant's, the compiled ones too. Now the new variant runs eagerly
    with a warning, and a compiled one runs its graph again, without a warning. The
    limit is set to the graphs this process holds, so the next variant is past it. The
    variant past it differs in its rank alone: a key of the variants without their
    sizes sent the compiled model to the eager steps too (review 174)."""
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    from dream_sklearn.nn import _layer

    small = {"plasticity_enabled": False, "sleep_enabled": False, "ltc_enabled": True}
    x = torch.randn(2, 6, 3)
    torch.manual_seed(0)
    compiled = DREAM(3, 4, rank=2, **small)
    want, _ = compiled(x)
    compiled.compile_step = True
    compiled(x)  # (compiled here, or taken from this process's graphs)
    held = len(_debug_get_cache_entry_list(_layer._scan_steps.__code__))
    monkeypatch.setattr(_layer, "_RECOMPILE_LIMIT", held)
    # (torch's own patch: monkeypatch's undo deleted dynamo's config entry, and every
    # later compile in the process failed on the missing recompile_limit)
    with torch._dynamo.config.patch(recompile_limit=held):
        monkeypatch.setattr(_layer._COMPILED_LOOP, "limit_warned", False, raising=False)
        monkeypatch.setattr(_layer._COMPILED_LOOP, "_past_limit", set(), raising=False)
        other = DREAM(3, 4, rank=1, **small)  # (another rank: a graph of its own)
        other_want, _ = other(x)
        other.compile_step = True
        with pytest.warns(
            RuntimeWarning, match=r"compiled \d+ graphs in this process, the limit"
        ) as w:
            got, _ = other(x)
        assert w[0].filename == __file__
        torch.testing.assert_close(got, other_want, rtol=0, atol=0)
        assert _layer._COMPILED_LOOP.failed is None
        # The variant past the limit goes straight to the eager steps from then on
        # (dynamo tried it again, and logged it, on every call: review 173).
        calls = []
        loop = _layer._COMPILED_LOOP._compiled[False]
        monkeypatch.setitem(
            _layer._COMPILED_LOOP._compiled, False, lambda *a: calls.append(1) or loop(*a)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got, _ = other(x)
            assert calls == []
            torch.testing.assert_close(got, other_want, rtol=0, atol=0)
            got, _ = compiled(x)
            assert calls == [1]
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
        assert len(_debug_get_cache_entry_list(_layer._scan_steps.__code__)) == held
        assert _layer._COMPILED_LOOP.failed is None


@pytest.mark.parametrize("index", [True, False, np.bool_(True), torch.tensor(True)])
def test_state_select_refuses_one_bool(index):
    # (t[True] added an axis to every tensor: h of shape (1, 3, 5))
    _, state = DREAM(2, 5, rank=1)(torch.randn(3, 4, 2))
    with pytest.raises(TypeError, match="index must be an int.*got the bool"):
        state.select(index)
    assert state.select(torch.tensor([True, False, True])).batch_size == 2  # (a mask)


@pytest.mark.parametrize(
    "index", [None, (0, 1), torch.tensor([[0, 1]]), np.array([[0], [2]]), [[0, 1]]], ids=str
)
def test_state_select_refuses_an_index_that_changes_its_shape(index):
    # (None and a 2-d index added an axis to every tensor: h of shape (1, 3, 5); a
    # tuple indexed other axes; review 210)
    _, state = DREAM(2, 5, rank=1)(torch.randn(3, 4, 2))
    with pytest.raises(TypeError, match="index must be an int, a slice"):
        state.select(index)
    assert state.select([0, 2]).batch_size == 2 and state.select(slice(1, 3)).batch_size == 2


def test_state_cat_of_no_states_names_them():
    with pytest.raises(ValueError, match="states must hold at least one DREAMState"):
        DREAMState.cat([])


@pytest.mark.parametrize("index", [[2.7], np.array([0.5]), np.array(2.7), [1, 2.0]], ids=str)
def test_state_select_refuses_float_indices(index):
    # (review 282) torch truncated them: [2.7] selected row 2, and a 0-d float array
    # dropped the batch axis; an empty list and a list of NumPy ints still select
    _, state = DREAM(2, 5, rank=1)(torch.randn(3, 4, 2))
    with pytest.raises(TypeError, match="index must be an int, a slice.*of dtype float"):
        state.select(index)
    assert state.select([]).batch_size == 0 and state.select([np.int64(2)]).batch_size == 1


def test_state_cat_refuses_states_of_two_dtypes():
    # (review 282) torch.cat promoted them: a float64 state, which a float32 cell
    # then refused
    state = DREAMState.zeros(2, 3, 4, 2)
    with pytest.raises(ValueError, match="states must share one dtype.*float32, torch.float64"):
        DREAMState.cat([state, state.to(torch.float64)])
    assert DREAMState.cat([state, state]).h.dtype == torch.float32


def test_state_cat_of_states_of_two_shapes_names_the_field():
    # (review 335) torch's "Sizes of tensors must match" named no field or rank
    with pytest.raises(
        ValueError, match=r"states\[0\]\.U has shape \(1, 8, 2\) and states\[1\]\.U"
    ):
        DREAMState.cat([DREAMState.zeros(1, 3, 8, 2), DREAMState.zeros(1, 3, 8, 3)])


@pytest.mark.parametrize(
    "mask", [torch.tensor([True, False]), [True, False, True, True], np.array([True])], ids=str
)
def test_state_select_by_a_mask_of_another_length_says_which(mask):
    # (review 335) torch's IndexError named no argument
    state = DREAMState.zeros(3, 3, 8, 2)
    with pytest.raises(IndexError, match=r"index is a mask of \d entries; a state of batch 3"):
        state.select(mask)
    assert state.select([True, False, True]).batch_size == 2


def test_state_select_by_a_list_of_zero_d_tensors_selects_as_their_values():
    # (review 337) torch read [tensor(True), tensor(False), tensor(True)] as indices of
    # its own: a state of another shape, h (0, 3, 8)
    state = DREAMState.zeros(3, 3, 8, 2)
    chosen = state.select([torch.tensor(True), torch.tensor(False), torch.tensor(True)])
    assert chosen.h.shape == (2, 8) and chosen.U.shape == (2, 8, 2)
    assert state.select([torch.tensor(2), torch.tensor(0)]).h.shape == (2, 8)


def test_a_saved_state_loads_with_torch_loads_defaults(tmp_path):
    # torch.load's default (weights_only=True) refused the class (review 175); the
    # state is the plastic memory a user keeps between sessions, as nn.GRU's h_n.
    model = DREAM(2, 5, rank=2)
    x = torch.randn(3, 4, 2)
    _, state = model(x)
    torch.save(state.detach(), tmp_path / "state.pt")
    loaded = torch.load(tmp_path / "state.pt")
    assert isinstance(loaded, DREAMState)
    _assert_state_close(loaded, state)
    torch.testing.assert_close(model(x, loaded)[0], model(x, state)[0])


def test_unsigned_lengths_are_read_as_nn_grus_packing_reads_them():
    # (torch compares no unsigned integer wider than 8 bits: uint16 to uint64 lengths
    # raised torch's NotImplementedError; review 240)
    model = DREAM(2, 3, rank=1)
    x = torch.randn(3, 6, 2)
    want = model(x, lengths=[6, 2, 3])[0]
    for lengths in (
        np.array([6, 2, 3], dtype=np.uint64),
        np.array([6, 2, 3], dtype=np.uint16),
        torch.tensor([6, 2, 3], dtype=torch.uint32),
        torch.tensor([6, 2, 3], dtype=torch.uint8),
    ):
        torch.testing.assert_close(model(x, lengths=lengths)[0], want)
    with pytest.raises(ValueError, match="lengths must lie in \\[0, 6\\]"):
        model(x, lengths=np.array([7, 2, 3], dtype=np.uint32))
    # (the cast to int64 wrapped 2**64 - 1 to -1, and the message said so; review 241)
    with pytest.raises(ValueError, match=f"got \\[6, 2, {2**64 - 1}\\]"):
        model(x, lengths=np.array([6, 2, 2**64 - 1], dtype=np.uint64))


def test_unsigned_timespans_and_dt_are_read_as_numbers():
    # (uint16 to uint64 tensors raised torch's NotImplementedError in the checks of
    # timespans and dt; review 241)
    model, cell = DREAM(2, 3, rank=1), DREAMCell(2, 3, rank=1)
    x = torch.randn(2, 5, 2)
    spans = torch.tensor([[1, 2, 0, 3, 1], [2, 2, 1, 0, 4]])
    want = model(x, timespans=spans.double())[0]
    for dtype in (torch.uint16, torch.uint32, torch.uint64, torch.int32):
        torch.testing.assert_close(model(x, timespans=spans.to(dtype))[0], want)
        torch.testing.assert_close(
            cell(x[:, 0], None, spans[:, 0].to(dtype))[0],
            cell(x[:, 0], None, spans[:, 0].double())[0],
        )


def test_a_tensor_of_booleans_or_complex_numbers_is_no_timespan_nor_dt():
    # (a bool tensor ran as 1.0 and 0.0, a complex one raised torch's
    # NotImplementedError; lists and arrays of them were refused: review 240)
    model, cell = DREAM(2, 3, rank=1), DREAMCell(2, 3, rank=1)
    x = torch.randn(2, 5, 2)
    for bad in (torch.ones(2, 5, dtype=torch.bool), torch.ones(2, 5, dtype=torch.complex64)):
        with pytest.raises(TypeError, match="timespans must be a tensor \\(or a list or array\\)"):
            model(x, timespans=bad)
        with pytest.raises(TypeError, match="dt must be a tensor \\(or a list or array\\)"):
            cell(x[:, 0], None, bad[:, 0])
    packed = pack_sequence([torch.randn(5, 2), torch.randn(3, 2)])
    spans = pack_sequence([torch.ones(5, dtype=torch.bool), torch.ones(3, dtype=torch.bool)])
    with pytest.raises(TypeError, match="timespans must be a tensor \\(or a list or array\\)"):
        model(packed, timespans=spans)
    # (integers are real numbers: read as floats)
    torch.testing.assert_close(
        model(x, timespans=torch.ones(2, 5, dtype=torch.int64))[0],
        model(x, timespans=torch.ones(2, 5))[0],
    )


def test_packed_timespans_in_the_order_given_match_x_sorted_by_packing():
    # x packed with enforce_sorted=False whose sequences came sorted (sorted_indices
    # 0, 1) and timespans packed as given (sorted_indices None) hold the same order:
    # they were refused, with a message that said nothing of why (review 240).
    model = DREAM(3, 4, rank=2)
    seqs = [torch.randn(5, 3), torch.randn(3, 3)]
    spans = [0.05 + torch.rand(5), 0.05 + torch.rand(3)]
    x = pack_sequence(seqs, enforce_sorted=False)
    assert x.sorted_indices is not None
    out = model(x, timespans=pack_sequence(spans))[0]
    want = model(x, timespans=pack_sequence(spans, enforce_sorted=False))[0]
    torch.testing.assert_close(out.data, want.data)
    reordered = pack_sequence([seqs[1], seqs[0]], enforce_sorted=False)
    with pytest.raises(ValueError, match="same lengths in another order"):
        model(reordered, timespans=pack_sequence(spans))  # (its order: 0, 1; x's: 1, 0)
    with pytest.raises(ValueError, match="other lengths"):
        model(x, timespans=pack_sequence([spans[0], spans[1][:2]]))


def test_a_stacks_return_sequences_and_compile_step_reach_its_layers():
    """Set on a built stack, ``return_sequences`` and ``compile_step`` were attributes
    of the stack's own, read by nothing: every step came back still, and no layer
    compiled (review 260, as review 229 found for checkpoint_steps)."""
    torch.manual_seed(0)
    stack = DREAMStack(3, [5, 4], rank=2)
    x = torch.randn(2, 6, 3)
    every, states = stack(x)
    assert stack.return_sequences is True and every.shape == (2, 6, 4)
    stack.return_sequences = False
    last, _ = stack(x)
    assert [layer.return_sequences for layer in stack.layers] == [True, False]
    torch.testing.assert_close(last, every[:, -1], rtol=0, atol=0)
    torch.testing.assert_close(last, states[-1].h, rtol=0, atol=0)
    assert stack.compile_step is False
    stack.compile_step = True
    assert stack.compile_step is True
    assert [layer.compile_step for layer in stack.layers] == [True, True]


def test_a_stack_given_hidden_dim_says_to_give_hidden_dims():
    """``DREAMStack(3, [4], hidden_dim=4)`` met "DREAM.__init__() got multiple values
    for argument 'hidden_dim'", a call the user never made (review 260)."""
    with pytest.raises(TypeError, match=r"takes hidden_dims, one size per layer .* hidden_dim=4"):
        DREAMStack(3, [4], hidden_dim=4)
