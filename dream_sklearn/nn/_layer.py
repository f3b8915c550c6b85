"""DREAM and DREAMStack: sequence layers that loop a DREAMCell over time."""

from __future__ import annotations

import functools
import itertools
import logging
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import nullcontext
from typing import Any, NamedTuple, NoReturn

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .._stack import OUTSIDE, user_stacklevel
from ._cell import (
    _REQUIRED,
    DREAMCell,
    _apart,
    _as_float_tensor,
    _autocast_on,
    _check_constants,
    _is_wrapped,
    _one_of,
    _real_tensor,
    _refuse_script,
    _values_checkable,
)
from ._config import (
    _AT_FLOOR,
    _INT_GE1,
    _POSITIVE,
    _UNIT,
    _cell_default,
    _check_cell_param,
    _check_value,
)
from ._malloc import raise_malloc_thresholds
from ._state import DREAMState
from ._step import TORCH_OPS, StepFlags, StepParams, _make_step, _TorchOps, dream_step

__all__ = ["DREAM", "DREAMDiagnostics", "DREAMStack"]


class DREAMDiagnostics(NamedTuple):
    """Per-step diagnostics of one pass, each of shape (batch, time).

    ``surprise`` is the step's surprise in [0, 1]; ``tau`` the effective time
    constant it produced. Padded steps hold 0 and ``nan`` respectively.
    ``DREAM(..., return_diagnostics=True)`` returns it third.

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAM
    >>> layer = DREAM(3, 4, rank=2)
    >>> out, state, diag = layer(torch.randn(2, 5, 3), lengths=[5, 3], return_diagnostics=True)
    >>> tuple(diag.surprise.shape), tuple(diag.tau.shape)
    ((2, 5), (2, 5))
    >>> diag.tau[1, 3:].isnan().all().item()  # the shorter sequence's padded steps
    True
    """

    surprise: torch.Tensor
    tau: torch.Tensor


# nn.GRU's names for DREAM's two sizes, taken as they are.
_GRU_SIZES = {"input_size": "input_dim", "hidden_size": "hidden_dim"}
# nn.GRU's arguments taken at the value that means what DREAM does (one layer, one
# direction, no dropout: nn.GRU's defaults; no bias terms: the cell has none, a zero
# input from a zero state stays zero), so that code spelling them out runs.
_GRU_SAME = {"num_layers": 1, "bidirectional": False, "dropout": 0, "bias": False}
# nn.GRU's arguments that DREAM does not take otherwise, and what to do instead (rank,
# DREAM's third argument, is keyword-only: nn.GRU's third positional is num_layers).
_GRU_ONLY = {
    "num_layers": "stack layers with DREAMStack(input_dim, [hidden_dim] * num_layers) "
    "(num_layers=1 is taken)",
    "bidirectional": "not supported (run a second DREAM on the reversed sequence; "
    "bidirectional=False is taken)",
    "dropout": "nn.GRU's falls between stacked layers: DREAMStack(input_dim, hidden_dims, "
    "dropout=p) takes it (one layer has none; dropout=0 is taken)",
    "bias": "the cell has no bias terms (bias=False is taken)",
    "proj_size": "not supported (put nn.Linear on the outputs)",
}


def _refuse_gru_only(owner: str, config: dict) -> None:
    """A TypeError naming each of ``nn.GRU``'s arguments left in ``config`` that
    ``owner`` does not take (``_GRU_ONLY``), its value, and what to use instead."""
    gru = sorted(set(config) & set(_GRU_ONLY))
    if gru:  # (they reached DREAMConfig's "unexpected keyword" before)
        raise TypeError(
            f"{owner} takes none of nn.GRU's arguments {gru}: "
            + "; ".join(f"{name}={config[name]!r}: {_GRU_ONLY[name]}" for name in gru)
            + "."
        )


def _same(value: Any, default: Any, name: str = "") -> bool:
    """Whether ``value`` is ``nn.GRU``'s ``default`` (a number or bool equal to it;
    for ``num_layers`` an int, as ``nn.GRU`` and ``DREAMStack`` take it: ``1.0`` was
    taken for one layer, where both refuse it, review 377)."""
    integral = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if name == "num_layers" and not integral:
        return False
    return isinstance(value, bool | np.bool_ | int | float | np.number) and value == default


def _gru_arguments(input_dim: Any, hidden_dim: Any, gru_args: tuple, config: dict) -> tuple:
    """``(input_dim, hidden_dim)``, each given under DREAM's name or ``nn.GRU``'s
    (``input_size``, ``hidden_size``). ``nn.GRU``'s ``num_layers``,
    ``bidirectional``, ``dropout`` and ``bias`` at the values that mean what one DREAM
    layer does are taken (removed from ``config``). Else a TypeError that says what to
    use instead of ``nn.GRU``'s arguments: its other keywords and values, its positional
    ``num_layers`` (``DREAM(3, 5, 2)``); then of a size left out. (Python's own check
    of the signature named neither.)"""
    sizes = {"input_dim": input_dim, "hidden_dim": hidden_dim}
    for gru_name, name in _GRU_SIZES.items():
        if gru_name in config:
            if sizes[name] is not _REQUIRED:
                raise TypeError(f"DREAM got {name} and nn.GRU's name for it, {gru_name}; give one.")
            sizes[name] = config.pop(gru_name)
    for name, default in _GRU_SAME.items():
        if name in config and _same(config[name], default, name):
            del config[name]
    input_dim, hidden_dim = sizes["input_dim"], sizes["hidden_dim"]
    _refuse_gru_only("DREAM", config)
    if gru_args:
        raise TypeError(
            f"DREAM takes 2 positional arguments (input_dim, hidden_dim); got "
            f"{2 + len(gru_args)}. nn.GRU's third is num_layers: "
            f"{_GRU_ONLY['num_layers']}, by keyword; DREAM's rank is keyword-only "
            f"(DREAM(input_dim, hidden_dim, rank=...))."
        )
    sizes = (("input_dim", input_dim), ("hidden_dim", hidden_dim))
    missing = [name for name, value in sizes if value is _REQUIRED]
    if missing:
        raise TypeError(f"DREAM() missing required argument(s): {', '.join(missing)}.")
    return input_dim, hidden_dim


# (the unsigned integer types torch has no comparison for)
_WIDE_UNSIGNED = tuple(getattr(torch, f"uint{bits}", None) for bits in (16, 32, 64))


def _step_mask(
    lengths, mask, batch: int, steps: int, device, check: bool = True
) -> torch.Tensor | None:
    """The (batch, steps) mask of valid steps, or ``None``. ``check=False`` leaves out
    the check of the lengths' values (data-dependent: not traceable by ``torch.export``);
    so does a ``torch.vmap`` over them, which refuses to read them (until round 40 a
    vmap over ``lengths`` failed there), as over ``timespans``."""
    if lengths is not None and mask is not None:
        raise ValueError("Pass either lengths or mask, not both.")
    if lengths is not None:
        lengths = torch.as_tensor(lengths, device=device)
        check = check and _values_checkable(lengths)
        if lengths.dtype == torch.bool or lengths.is_complex():
            raise TypeError(f"lengths must be integers; got dtype {lengths.dtype}.")
        if lengths.dtype in _WIDE_UNSIGNED:
            # (torch compares no unsigned integer wider than 8 bits: uint16 to uint64
            # lengths raised its NotImplementedError, where nn.GRU's packing takes them;
            # review 240. Checked before the cast, which wraps 2**64 - 1 to -1: 241;
            # where values go unchecked, under torch.compile or vmap, such a length
            # wraps and runs as -1, no step)
            if check and bool((lengths.to(torch.float64) > steps).any()):
                raise ValueError(f"lengths must lie in [0, {steps}]; got {lengths.tolist()}.")
            lengths = lengths.to(torch.int64)
        if lengths.shape != (batch,):
            raise ValueError(f"lengths must have shape ({batch},); got {tuple(lengths.shape)}.")
        # (a length of 2.5 ran 3 steps: whole numbers only, as nn.GRU's packing takes)
        whole = not lengths.dtype.is_floating_point or not check
        if not whole and not bool((lengths == torch.floor(lengths)).all()):
            raise ValueError(f"lengths must be whole numbers; got {lengths.tolist()}.")
        if check and (bool((lengths < 0).any()) or bool((lengths > steps).any())):
            raise ValueError(f"lengths must lie in [0, {steps}]; got {lengths.tolist()}.")
        return torch.arange(steps, device=device)[None, :] < lengths[:, None]
    if mask is not None:
        mask = torch.as_tensor(mask, device=device)
        check = check and _values_checkable(mask)
        if mask.dtype != torch.bool:
            # (True/False as numbers: a float weight mask, 0.5 or 2, ran as all True)
            if check and not bool(((mask == 0) | (mask == 1)).all()):
                bad = mask[(mask != 0) & (mask != 1)][:5].tolist()
                raise ValueError(
                    f"mask must be True on valid steps and False on padded ones (or 1 and "
                    f"0); got {bad}."
                )
            mask = mask.to(torch.bool)
        if mask.shape != (batch, steps):
            raise ValueError(f"mask must have shape ({batch}, {steps}); got {tuple(mask.shape)}.")
        return mask
    return None


def _unpack(packed: PackedSequence, lengths, mask, timespans):
    """A ``PackedSequence`` as ``(x, lengths, timespans)``: padded, batch first, in the
    caller's order (as ``pad_packed_sequence`` gives it)."""
    if lengths is not None or mask is not None:
        raise ValueError(
            "With a PackedSequence x, pass neither lengths nor mask: "
            "the lengths are the PackedSequence's."
        )
    x, lengths = pad_packed_sequence(packed, batch_first=True)
    if timespans is not None:
        if not isinstance(timespans, PackedSequence):
            why = f"got {type(timespans).__name__}"
        elif not torch.equal(timespans.batch_sizes, packed.batch_sizes):
            why = "got one of other lengths (batch_sizes)"
        elif not _same_order(timespans, packed):
            why = "got one of the same lengths in another order (sorted_indices)"
        else:
            why = None
        if why is not None:
            raise ValueError(
                "With a PackedSequence x, timespans must be a PackedSequence packed like x "
                f"(same lengths and order); {why}."
            )
        timespans = timespans._replace(data=_real_tensor(timespans.data, "timespans"))
        timespans = pad_packed_sequence(timespans, batch_first=True)[0]
    return x, lengths, timespans


def _same_order(a: PackedSequence, b: PackedSequence) -> bool:
    """Whether two packed sequences of the same ``batch_sizes`` hold their sequences in
    the same order: ``sorted_indices`` None is the order given (``pack_sequence``'s
    default ``enforce_sorted=True``), as an ``arange`` is (review 240: sequences
    packed sorted, and the same packed with ``enforce_sorted=False``, were refused)."""
    n = int(a.batch_sizes[0]) if len(a.batch_sizes) else 0
    order = [
        torch.arange(n) if i is None else i.detach().cpu()
        for i in (a.sorted_indices, b.sorted_indices)
    ]
    return torch.equal(*order)


def _repack(outputs: torch.Tensor, packed: PackedSequence, lengths: torch.Tensor):
    """Padded outputs (caller's order) as a ``PackedSequence`` laid out like ``packed``
    (its ``batch_sizes``, ``sorted_indices`` and ``unsorted_indices``), as ``nn.GRU``."""
    if packed.sorted_indices is not None:
        outputs = outputs.index_select(0, packed.sorted_indices)
        lengths = lengths[packed.sorted_indices.cpu()]
    data = pack_padded_sequence(outputs, lengths, batch_first=True).data
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)


def _is_exporting() -> bool:
    is_exporting = getattr(torch.compiler, "is_exporting", None)
    return bool(is_exporting is not None and is_exporting())


class _ScanOps(_TorchOps):
    """:class:`_TorchOps` with the shape helpers as ``unsqueeze``/``squeeze``: the same
    values, for the loop compiled as one ``scan``.

    Inside a ``scan`` body the graph is functionalised, so the indexing views of
    ``_TorchOps`` (``a[:, None]``, ``(U @ v[:, :, None])[:, :, 0]``) come out as
    ``slice_copy``/``select_copy``, which inductor has no C++ kernel for: each one
    was a call through the dispatcher and a copy, 11 per time step forward (about
    2 ms of a 12 ms training step at batch 32 x 50). ``unsqueeze``/``squeeze`` are
    lowered as views and fuse into the step's kernels.
    """

    @staticmethod
    def col(a):
        return a.unsqueeze(-1)

    @staticmethod
    def col2(a):
        return a.unsqueeze(-1).unsqueeze(-1)

    @staticmethod
    def outer(a, b):
        return a.unsqueeze(-1) * b.unsqueeze(-2)

    @staticmethod
    def bmv(U, v):
        return (U @ v.unsqueeze(-1)).squeeze(-1)


# The step's body (_step.py's one copy of the maths) over these ops.
_ScanOps.step = staticmethod(_make_step(_ScanOps))
_SCAN_OPS = _ScanOps()


def _sequence_step(
    params: StepParams, flags: StepFlags, x, xB, xV, state, dt, valid, ops=TORCH_OPS
):
    """One step of the layer's loop: the cell's step, undone on padded steps.

    ``valid`` is a (batch,) bool tensor, or ``None`` when every step is valid;
    ``ops`` the array namespace the step runs on (:data:`_SCAN_OPS` in a ``scan``).
    Returns ``(state, surprise, tau)`` with ``state`` a tuple in ``DREAMState`` order.
    """
    h, U, Ut, em, ev, sb, surprise, tau = dream_step(
        ops, params, flags, x, *state, dt, xB=xB, xV=xV
    )
    new = (h, U, Ut, em, ev, sb)
    if valid is None:
        return new, surprise, tau
    new = tuple(
        torch.where(valid.view(-1, *([1] * (a.dim() - 1))), a, b)
        for a, b in zip(new, state, strict=True)
    )
    return new, surprise * valid, torch.where(valid, tau, torch.nan)


def _step_output(state, valid):
    """The layer's output of one step: ``h``, zero on padded steps.

    ``unsqueeze``, not ``valid[:, None]``: with the batch size symbolic (as
    :class:`_CompiledLoop` compiles it) that indexing came out of the ``scan`` body
    as a ``slice_copy`` per time step (see :class:`_ScanOps`)."""
    return state[0] if valid is None else state[0] * valid.unsqueeze(-1)


def _spans(steps: int, span: int | None) -> list[tuple[int, int]] | None:
    """The spans of time steps the loop runs recomputed (:class:`_Recomputed`):
    ``span`` steps each (the last shorter), where a ``span`` is set, the loop is
    longer than it and autograd records; else ``None`` (the loop runs whole)."""
    if span is None or steps <= span or not torch.is_grad_enabled():
        return None
    return [(t, min(t + span, steps)) for t in range(0, steps, span)]


class _Recomputed(torch.autograd.Function):
    """``fn(*tensors)`` (a tuple of tensors) run without building a graph, and run
    again with one in the backward pass, whose gradients reach ``tensors`` alone.

    What the layer's ``checkpoint_steps`` runs each span of a long loop through. A
    loop of ``T`` steps keeps autograd's graph for all of them: some 100 nodes a step,
    with their saved tensors, whatever the batch (about 88 kB a step for one sequence
    of 64 units). Here the forward pass keeps a span's inputs only, and the backward
    pass builds one span's graph at a time. ``torch.utils.checkpoint`` keeps the graph
    and drops the saved tensors only, which for tensors this small saved nothing (and
    was 2.4x slower, its hooks called per saved tensor). ``fn`` must reach every
    tensor a gradient should reach through ``tensors`` (the layer passes the
    parameters as inputs). A backward pass with ``create_graph=True`` is refused: the
    recomputed graph starts from copies of the inputs, so a second derivative would
    miss what reaches them."""

    @staticmethod
    def forward(ctx, fn, *tensors):
        ctx.fn = fn
        ctx.save_for_backward(*tensors)
        # (the backward pass reruns the span under the autocast state it ran under: the
        # layer turns autocast off around its loop, and a backward pass run inside an
        # autocast region recomputed the span in bfloat16; review 229)
        device = next(t for t in tensors if t is not None).device.type
        ctx.autocast = (device, torch.is_autocast_enabled(device), torch.get_autocast_dtype(device))
        out = fn(*tensors)
        # (an output sharing an input's memory, a part no step changed or a slice of
        # the state, is copied: a custom function's output is a tensor of its own)
        inputs = {t.untyped_storage().data_ptr() for t in tensors if t is not None}
        return tuple(o.clone() if o.untyped_storage().data_ptr() in inputs else o for o in out)

    @staticmethod
    def backward(ctx, *grads):
        if torch.is_grad_enabled():  # (create_graph=True: the gradients would be
            # constants to a second derivative, silently: once_differentiable lets
            # them through when the incoming gradients do not require grad)
            raise RuntimeError(
                "DREAM.checkpoint_steps: the loop's spans give first derivatives only "
                "(create_graph=True asked for more); set checkpoint_steps = None to "
                "differentiate twice."
            )
        needs = ctx.needs_input_grad[1:]
        inputs = tuple(
            None if t is None else t.detach().requires_grad_(need)
            for t, need in zip(ctx.saved_tensors, needs, strict=True)
        )
        device, enabled, dtype = ctx.autocast
        with torch.enable_grad(), torch.autocast(device, dtype=dtype, enabled=enabled):
            out = ctx.fn(*inputs)
        pairs = [
            (o, g) for o, g in zip(out, grads, strict=True) if g is not None and o.requires_grad
        ]
        wanted = [t for t, need in zip(inputs, needs, strict=True) if need]
        got = [None] * len(wanted)
        if pairs and wanted:
            outs, gs = zip(*pairs, strict=True)
            got = torch.autograd.grad(outs, wanted, gs, allow_unused=True)
        got = iter(got)
        return (None, *(next(got) if need else None for need in needs))


def _is_dual(t: torch.Tensor) -> bool:
    """Whether ``t`` carries a forward-mode AD tangent (``torch.autograd.forward_ad``)."""
    return torch.autograd.forward_ad.unpack_dual(t).tangent is not None


def _run_spans(run, params, state, spans, *per_step):
    """``run(params, state, *inputs)`` over each span of steps, each through
    :class:`_Recomputed` (``spans`` given) or directly (one span, ``spans`` None).

    ``per_step`` holds the loop's inputs as functions of a span's ``(t0, t1)``
    (``t1`` None: to the end); ``run`` returns ``(*state, *records)``, the state
    after the span and its records (tensors). Returns the last state and each
    record's list over spans."""
    n_state, records = len(state), []
    for t0, t1 in spans or [(0, None)]:
        inputs = [get(t0, t1) for get in per_step]
        if spans is None:
            out = run(params, state, *inputs)
        else:
            out = _Recomputed.apply(*_recomputable(run, params, state, inputs))
        state = tuple(out[:n_state])
        records.append(out[n_state:])
    return state, [list(r) for r in zip(*records, strict=True)]


def _recomputable(run, params, state, inputs) -> tuple:
    """``(fn, *tensors)`` for :class:`_Recomputed` that calls ``run(params, state,
    *inputs)``: the parameters', the state's and the inputs' tensors passed (so that
    gradients reach them), the other values (floats, a list of sizes) held."""
    given = (*params, *state, *inputs)
    passed = [i for i, v in enumerate(given) if v is None or isinstance(v, torch.Tensor)]
    n_params, n_state = len(params), len(state)

    def fn(*tensors):
        values = list(given)
        for i, v in zip(passed, tensors, strict=True):
            values[i] = v
        state = tuple(values[n_params : n_params + n_state])
        return run(type(params)(*values[:n_params]), state, *values[n_params + n_state :])

    return (fn, *(given[i] for i in passed))


def _run_steps(params, flags, x, state, dts, step_mask, step=_sequence_step, span=None):
    """The loop over time, one Python-level ``step`` per time step.

    What does not depend on the state is computed for all steps at once outside it:
    the input projections ``x B`` and ``x V`` (two matrix products instead of two per
    step). ``dts`` (batch, time) holds each step's ``dt``; ``step_mask`` (batch, time)
    is True on valid steps, or ``None``; ``span``: the layer's ``checkpoint_steps``
    (:func:`_run_spans`). Returns ``(outputs, surprises, taus, state)``, the first
    three stacked over time (dimension 1), ``state`` a ``DREAMState``.
    """
    xB, xV = x @ params.B, x @ params.V

    def run(params, state, x, xB, xV, dts, step_mask):
        xs, xBs, xVs, dts = x.unbind(1), xB.unbind(1), xV.unbind(1), dts.unbind(1)
        valids = [None] * len(xs) if step_mask is None else step_mask.unbind(1)
        outputs, surprises, taus = [], [], []
        for t in range(len(xs)):
            state, surprise, tau = step(
                params, flags, xs[t], xBs[t], xVs[t], state, dts[t], valids[t]
            )
            outputs.append(_step_output(state, valids[t]))
            surprises.append(surprise)
            taus.append(tau)
        stack = torch.stack
        return (*state, stack(outputs, 1), stack(surprises, 1), stack(taus, 1))

    def by_time(a):  # (the span's steps of a (batch, time, ...) input)
        return lambda t0, t1: None if a is None else a[:, t0:t1]

    inputs = (by_time(a) for a in (x, xB, xV, dts, step_mask))
    state, records = _run_spans(run, params, tuple(state), _spans(x.shape[1], span), *inputs)
    outputs, surprises, taus = (r[0] if len(r) == 1 else torch.cat(r, 1) for r in records)
    return outputs, surprises, taus, DREAMState(*state)


def _packable(params: StepParams, x, state, dts, step_mask) -> bool:
    """Whether the eager loop may read the mask's values to run each step on the rows
    still going (:func:`_run_packed`): not when any of its tensors is mapped by
    ``torch.vmap`` (which refuses to read values, and to write a mapped value into a
    tensor it does not map: a vmap over ``h0``, ``timespans`` or an ensemble's
    parameters failed so; review 221), nor while ``torch.jit.trace`` records (the
    sizes would be traced as constants), nor on tensors without values (the ``meta``
    device, ``FakeTensorMode``)."""
    if torch.jit.is_tracing():
        return False
    tensors = (x, step_mask, dts, *state, *params)
    return all(_values_checkable(t) for t in tensors if isinstance(t, torch.Tensor))


def _run_eager(params, flags, x, state, dts, step_mask, sequences=True, span=None):
    """The eager loop over time: packed (:func:`_run_packed`) where the sequences'
    lengths differ and may be read, else padded (:func:`_run_steps`); with every step
    valid, without the mask (nothing to undo). ``sequences=False``: a layer that
    returns the last state only (the packed loop then builds no outputs); ``span``: the
    layer's ``checkpoint_steps`` (:func:`_run_spans`), left out where the packed loop
    may not run either (:func:`_packable`), under any functorch transform
    (``torch.func.grad``: a custom autograd function needs rules of its own there) and
    on forward-mode AD's dual tensors (no ``jvp`` rule: review 229)."""
    if span is not None and not torch.is_grad_enabled():
        span = None  # (nothing to recompute: the tests below are left out)
    plain = step_mask is None and span is None or _packable(params, x, state, dts, step_mask)
    if span is not None:
        tensors = [t for t in (x, step_mask, dts, *state, *params) if isinstance(t, torch.Tensor)]
        if not plain or any(_is_wrapped(t) or _is_dual(t) for t in tensors):
            span = None
    if step_mask is None:
        return _run_steps(params, flags, x, state, dts, None, span=span)
    if not plain:
        return _run_steps(params, flags, x, state, dts, step_mask, span=span)
    lengths = _prefix_lengths(step_mask)
    if lengths is None or not bool(lengths.any()):
        # (a mask with a gap; or no step at all, where the packed loop runs none and
        # its outputs would not reach the graph: backward() failed, review 223)
        return _run_steps(params, flags, x, state, dts, step_mask, span=span)
    if bool((lengths == x.shape[1]).all()):
        return _run_steps(params, flags, x, state, dts, None, span=span)
    return _run_packed(params, flags, x, state, dts, step_mask, lengths, sequences, span)


def _prefix_lengths(step_mask: torch.Tensor) -> torch.Tensor | None:
    """Each row's count of valid steps when they are its first steps (as ``lengths``
    give them), else ``None`` (a ``mask`` with a gap)."""
    lengths = step_mask.sum(1)
    steps = torch.arange(step_mask.shape[1], device=step_mask.device)
    return lengths if torch.equal(step_mask, steps[None, :] < lengths[:, None]) else None


def _run_packed(params, flags, x, state, dts, step_mask, lengths, sequences=True, span=None):
    """:func:`_run_steps` over sequences of unequal lengths, each step run on the
    sequences still going only (as ``nn.GRU`` runs a ``PackedSequence``).

    The rows are taken longest first, so that at step ``t`` those still going are the
    first ``n_t``; a row leaves the batch once its last step is done, with its final
    state. The padded loop ran every row to the longest and undid its padded steps:
    autograd kept the whole batch for every step, so one long sequence among short
    ones held a mini-batch's graph at the long one's length (the adam solver's peak,
    issue 15). Here what a step keeps is the size of the rows it runs, and the step
    needs no mask. The same values as the padded loop (up to rounding: the input
    projections are taken over other shapes); ``lengths`` as :func:`_prefix_lengths`
    gives them. With ``sequences=False`` the outputs come back as ``None`` (a layer
    that returns the last state only: the padded outputs were the rest of the peak).
    """
    batch, steps = x.shape[:2]
    order = torch.argsort(lengths, descending=True, stable=True)
    by_time = step_mask[order].transpose(0, 1)  # (time, batch): a prefix of rows valid
    sizes = [n for n in by_time.sum(1).tolist() if n > 0]
    flat = x[order].transpose(0, 1)[by_time]  # the valid steps, time-major
    dts = dts[order].transpose(0, 1)[by_time]
    state = tuple(a[order] for a in state)

    def run(params, state, x, xB, xV, dts, sizes):
        xs, xBs, xVs, dts = (a.split(sizes) for a in (x, xB, xV, dts))
        done, outputs, surprises, taus = [], [], [], []
        for t, n in enumerate(sizes):
            if n < state[0].shape[0]:  # the last rows have ended: their state is final
                done.append(tuple(a[n:] for a in state))
                state = tuple(a[:n] for a in state)
            state, surprise, tau = _sequence_step(
                params, flags, xs[t], xBs[t], xVs[t], state, dts[t], None
            )
            outputs.append(state[0])
            surprises.append(surprise)
            taus.append(tau)
        # (the rows that ended in the span, in their order: the later ones first)
        ended = (torch.cat(parts[::-1]) for parts in zip(*done, strict=True)) if done else ()
        ended = tuple(ended) or tuple(a[:0] for a in state)
        cat = torch.cat
        return (*state, cat(outputs), cat(surprises), cat(taus), *ended)

    starts = [0, *itertools.accumulate(sizes)]

    def flat_steps(a):  # (a span's valid steps of a time-major flattened input)
        return lambda t0, t1: a[starts[t0] : starts[len(sizes) if t1 is None else t1]]

    inputs = [flat_steps(a) for a in (flat, flat @ params.B, flat @ params.V, dts)]
    inputs.append(lambda t0, t1: sizes[t0:t1])
    state, (outputs, surprises, taus, *ended) = _run_spans(
        run, params, state, _spans(len(sizes), span), *inputs
    )
    done = [*zip(*ended, strict=True), state]
    inverse = torch.argsort(order)
    final = DREAMState(*(torch.cat(parts[::-1])[inverse] for parts in zip(*done, strict=True)))
    # each step's values put back at (row, time) of the padded tensors, the padded
    # steps as the padded loop leaves them: output and surprise 0, tau NaN
    rows = order.expand(steps, batch)[by_time]
    times = torch.arange(steps, device=x.device)[:, None].expand(steps, batch)[by_time]

    def padded(parts, fill, *width):  # (parts: one a step, at least one step run)
        return x.new_full((batch, steps, *width), fill).index_put_((rows, times), torch.cat(parts))

    hidden = final.h.shape[1]
    outputs = padded(outputs, 0.0, hidden) if sequences else None
    return outputs, padded(surprises, 0.0), padded(taus, math.nan), final


def _scan_steps(params, flags, x, state, dts, step_mask):
    """The same loop as :func:`_run_steps`, as one ``scan`` over time.

    Under ``torch.compile`` the whole loop, forward and backward, becomes one graph:
    inductor turns it into a loop in the generated C++ code, with no Python and no
    autograd bookkeeping between steps. Each step is :func:`_sequence_step` over
    :data:`_SCAN_OPS` (views inductor fuses, see :class:`_ScanOps`).
    """
    from torch._higher_order_ops.scan import scan

    xs = [a.transpose(0, 1) for a in (x, x @ params.B, x @ params.V, dts)]
    if step_mask is not None:
        xs.append(step_mask.transpose(0, 1))

    def combine(state, inputs):
        x_t, xB_t, xV_t, dt = inputs[:4]
        valid = inputs[4] if len(inputs) > 4 else None
        state, surprise, tau = _sequence_step(
            params, flags, x_t, xB_t, xV_t, state, dt, valid, ops=_SCAN_OPS
        )
        # scan's combine function may return neither one of its inputs (a mechanism
        # switched off leaves a state tensor as it was) nor one tensor twice.
        per_step = (_step_output(state, valid), surprise, tau)
        return tuple(a.clone() for a in state), tuple(a.clone() for a in per_step)

    state, per_step = scan(combine, tuple(state), xs)
    outputs, surprises, taus = (a.transpose(0, 1) for a in per_step)
    return outputs, surprises, taus, DREAMState(*state)


def _why(exc: Exception) -> str:
    """One line saying why compilation failed: the compiler's own error when wrapped."""
    cause = getattr(exc, "inner_exception", None) or exc
    return f"{type(cause).__name__}: {(str(cause).splitlines() or [''])[0]}"


class _CompiledStep:
    """``_sequence_step`` through ``torch.compile``, built on first use.

    Only the fallback of :class:`_CompiledLoop` (for a torch whose ``scan`` cannot be
    compiled). If the compiler backend fails, a warning says why and every later step
    runs eagerly: the results are the same either way.
    """

    def __init__(self) -> None:
        self._compiled = None
        self.failed: str | None = None

    def __call__(self, *args, warn: bool = True):
        if self.failed is None:
            if self._compiled is None:
                self._compiled = torch.compile(_sequence_step, dynamic=None)
            try:
                return self._compiled(*args)
            except torch._dynamo.exc.BackendCompilerFailed as exc:
                self.failed = _why(exc)
                if warn:  # (else the caller says it: _CompiledLoop)
                    warnings.warn(
                        f"torch.compile of the DREAM step failed ({self.failed}); "
                        "running eagerly instead (same results, slower).",
                        RuntimeWarning,
                        stacklevel=user_stacklevel(_OUTSIDE),
                    )
        return _sequence_step(*args)


_COMPILED_STEP = _CompiledStep()
# A compile's warning names the first frame outside these (the user's line, not torch's
# module call or the package's fit).
_OUTSIDE = (*OUTSIDE, "torch.")

# Inductor options of the compiled loop. A C++ wrapper runs the loop over time in C++
# (the Python wrapper calls back into Python at every step), and the size, stride and
# alignment checks of every intermediate buffer at every step are left out: the
# shapes are those dynamo's guards have checked on entry.
#
# The last option lets inductor's disk caches (the FX graph cache and AOTAutograd's)
# keep the loop for later processes. They refuse any graph holding a higher-order
# operator not marked cacheable ("Can't cache HigherOrderOperator: scan"), and scan is
# not marked in torch itself. Marking it is safe here: scan's body is a subgraph of
# the graph, hashed into the cache key with it, so any change of the step's code,
# switches, dtype or shapes' guards is a different key (tests/test_compile_cache.py).
# The value is part of the key: a new torch version misses. Passed as an option of
# this one ``torch.compile``, it is set only while this loop compiles, nowhere else
# (a torch without the option compiles as before, without the disk cache).
_LOOP_OPTIONS = {
    "cpp_wrapper": True,
    "size_asserts": False,
    "alignment_asserts": False,
    "scalar_asserts": False,
}
_CACHE_OPTION = "unsafe_marked_cacheable_functions"


def _loop_options() -> dict:
    """:data:`_LOOP_OPTIONS`, with scan marked cacheable where torch has the option."""
    from torch._inductor import config

    if not hasattr(config, _CACHE_OPTION):
        return dict(_LOOP_OPTIONS)
    return {**_LOOP_OPTIONS, _CACHE_OPTION: {"torch.ops.higher_order.scan": torch.__version__}}


class _CShimNote(logging.Filter):
    """Drops inductor's note that an op of the generated C++ goes through the
    dispatcher (a few microseconds per step): a remark on speed, not a problem. Over
    :data:`_SCAN_OPS` the loop's graph has no ``slice_copy``/``select_copy`` left
    (``tests/test_speed_paths.py``) and the default configuration's C++ calls no op
    through the dispatcher; kept for any other configuration's."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is missing a c-shim implementation" not in str(record.msg)


_C_SHIM_NOTE = _CShimNote()


def _own(a: torch.Tensor) -> torch.Tensor:
    """``a`` contiguous, as a tensor object of its own (a view: the same values)."""
    a = a.contiguous()
    return a.view(a.shape)


def _loop_inputs(params, flags, x, state, dts, step_mask):
    """The arguments of :func:`_scan_steps` as :class:`_CompiledLoop` hands them to
    ``torch.compile``: one graph for every batch size and sequence length.

    Batch (dimension 0) and time (dimension 1) are marked symbolic, and the strides
    made those of contiguous tensors (a slice or a time-first input would not match
    the graph's and compile anew). Shared with the test of the traced graph, so it
    traces what the compiled loop traces. The tensors marked are the loop's own
    objects (views of the caller's): marked, the caller's ``x`` or ``h0`` made a later
    ``torch.compile`` of the caller's, given the same tensor, compile anew (review 241).
    """
    x, dts = _own(x), _own(dts)
    state = DREAMState(*map(_own, state))
    step_mask = None if step_mask is None else _own(step_mask)
    for a in (x, dts, step_mask, *state):
        if a is not None:
            torch._dynamo.maybe_mark_dynamic(a, 0)
    for a in (x, dts, step_mask):
        if a is not None:
            torch._dynamo.maybe_mark_dynamic(a, 1)
    return params, flags, x, state, dts, step_mask


# StepParams' fixed constants (``lam`` ... ``fast_scale``: Python floats).
_CONSTANTS = ("lam", "beta", "beta_s", "target_norm", "zeta", "s_min", "fast_scale")


def _tensor_constants(params: StepParams, x: torch.Tensor) -> StepParams:
    """``params`` with the cell's fixed constants as 0-d tensors on ``x``'s device,
    for :class:`_CompiledLoop`: inputs of its graph, not values traced into it, so
    that one graph serves every setting of them (a grid search over
    ``error_smoothing`` compiled a graph per setting, and the 64th left every later
    setting compiling each step: review 165's note). In float64 where the device has
    it: in the graph a 0-d tensor promotes as the Python float it replaces (the
    arithmetic among constants in double, each product in the state's dtype), and
    the loop's results are those of the floats to the bit in float32, float16 and
    bfloat16 (review 173). Not in eager steps: there, in float16 and bfloat16, a 0-d
    tensor rounds otherwise than a float, so the eager fallbacks take ``params``.
    Made by ``torch.full``: a fill on the device, not a copy from the host, which
    on CUDA would wait for the stream seven times a call."""
    dtype = torch.float32 if x.device.type == "mps" else torch.float64
    return params._replace(
        **{
            name: torch.full((), float(getattr(params, name)), dtype=dtype, device=x.device)
            for name in _CONSTANTS
        }
    )


def _variant(params: StepParams, flags: StepFlags, x, state, step_mask, safe: bool) -> tuple:
    """What tells the compiled loop's graphs apart, for :class:`_CompiledLoop`'s
    variants past the limit: the switches, dtype, device, grad mode, mask, the sizes
    that are not symbolic (input, hidden, rank: the parameters' and the state's shapes
    but the batch), which tensors require a gradient, and the in-place buffers'
    choice. (Without the sizes, a model of another rank past the limit sent a model
    compiled before to the eager steps: review 174.)"""
    tensors = (*params, *state)
    grads = tuple(getattr(a, "requires_grad", None) for a in tensors)
    sizes = tuple(tuple(a.shape) for a in params if isinstance(a, torch.Tensor))
    sizes += tuple(tuple(a.shape[1:]) for a in state)
    return (
        safe,
        flags,
        x.dtype,
        x.device,
        x.shape[-1],
        torch.is_grad_enabled(),
        step_mask is None,
        x.requires_grad,
        grads,
        sizes,
    )


def _in_cpp_wrapper_codegen(exc: BaseException) -> bool:
    """Whether a compile error was raised in inductor's C++ wrapper code generation
    (``torch/_inductor/codegen/cpp_wrapper*.py``): not a missing or failing C++
    compiler, which the Python wrapper would meet too. (An error raised in code the
    wrapper's generation calls, a kernel's within the loop's subgraph, say, is retried
    too: one more failing compile, then the usual fallback.)"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
            if "/_inductor/codegen/cpp_wrapper" in name:
                return True
            tb = tb.tb_next
        exc = getattr(exc, "inner_exception", None) or exc.__cause__ or exc.__context__
    return False


class _CompiledLoop:
    """:func:`_scan_steps` through ``torch.compile``, built on first use.

    Compilation (inductor: C++ code on CPU, needs a C compiler) happens on the first
    call for each new combination of switches, dtype, grad mode, mask and device;
    batch size and sequence length are symbolic, so other sizes reuse it (a batch of
    1 compiles anew, without in-place buffers; a length of 1 runs eagerly: one step
    has no loop). Inductor caches it on disk, so later processes start faster.
    If inductor fails in the code generation of its C++ wrapper (torch 2.11's
    ``while_loop`` code on the CPU; on CUDA the same ``AssertionError`` was seen, its
    place in the code inferred), that variant compiles once more with the Python
    wrapper, which calls back into Python at each step (:attr:`cpp_wrapper_failed`
    says why). So do the variants its key (in-place buffers or not) compiled before,
    at their next call (a new ``torch.compile`` object holds none of their graphs), and
    every variant of a key first compiled after it; a key compiled before with the C++
    wrapper keeps it, and its own failing variant is retried alike. A failure
    elsewhere (no C++ compiler, say) is not retried.
    If compiling fails, a warning says why and later calls compile each step instead
    (:class:`_CompiledStep`), or run eagerly: the results are the same either way.
    """

    def __init__(self) -> None:
        self._compiled: dict[bool, object] = {}
        self.failed: str | None = None
        self.cpp_wrapper_failed: str | None = None
        self._python_wrapper: set[bool] = set()  # (the keys of _compiled without it)
        self.limit_warned = False  # (past the limit of graphs: said once a process)
        self._past_limit: set[tuple] = set()  # (the variants that met the limit: _variant)

    def __call__(self, params, flags, x, state, dts, step_mask):
        if self.failed is not None:
            return _run_steps(params, flags, x, state, dts, step_mask, step=_COMPILED_STEP)
        if x.shape[1] == 1:
            # One step: no loop to compile (inductor's C++ for a scan of length 1 failed
            # to compile in torch 2.13, which turned the loop off for the process).
            return _run_steps(params, flags, x, state, dts, step_mask)
        if x.device.type == "cpu":
            # (once a process: the step's memory stays in glibc's heap between steps,
            # not faulted in again at each; _malloc.py says why)
            raise_malloc_thresholds()
        # With one input feature or one sequence, inductor's in-place buffers gave wrong
        # gradients, the values right (torch 2.13: eta's about ten times its size with
        # one feature; W's about 30% off with one sequence, as a fit's last mini-batch
        # of one); those loops compile without them (about 20% slower at batch 32 x 50;
        # the others keep them).
        safe = x.shape[-1] == 1 or x.shape[0] == 1
        compiled = self._compiled.get(safe)
        if compiled is None:
            compiled = self._compiled[safe] = self._compile(safe)
        past = self._past_limit  # (dynamo would try such a variant again, and log it, each call)
        if past and _variant(params, flags, x, state, step_mask, safe) in past:
            return _run_steps(params, flags, x, state, dts, step_mask)
        args = _loop_inputs(_tensor_constants(params, x), flags, x, state, dts, step_mask)
        inductor_log = logging.getLogger("torch._inductor.ir")
        inductor_log.addFilter(_C_SHIM_NOTE)
        # Every variant (switches, dtype, grad mode, mask, sizes) is a graph of the one
        # loop function, and torch allows 8 by default: under fullgraph the 9th raised,
        # and the loop was off for the process (a grid search over a few settings).
        limit = max(torch._dynamo.config.recompile_limit, _RECOMPILE_LIMIT)
        # The cell's constants (forgetting_rate, error_smoothing...) come in as 0-d
        # tensors (_tensor_constants), one graph for every setting. As Python floats,
        # a second model with other values made dynamo trace them as symbolic floats,
        # which scan's partition into forward and backward refused ("only SymInt or
        # Tensor"), and the loop was off for the process, every model's (review 165).
        # Any float left in the arguments is specialised (a graph per value).
        try:
            with torch._dynamo.config.patch(recompile_limit=limit, specialize_float=True):
                try:
                    return compiled(*args)
                except torch._dynamo.exc.BackendCompilerFailed as exc:
                    if safe in self._python_wrapper or not _in_cpp_wrapper_codegen(exc):
                        raise
                    # (once more with the Python wrapper: this key's variants, and
                    # every key compiled from now on)
                    self.cpp_wrapper_failed = _why(exc)
                    self._python_wrapper.add(safe)
                    self._compiled[safe] = compiled = self._compile(safe)
                    try:
                        return compiled(*args)
                    except torch._dynamo.exc.BackendCompilerFailed as again:
                        raise again from exc  # (the warning names both)
        except torch._dynamo.exc.FailOnRecompileLimitHit:
            # Past the limit, this call's variant runs eagerly; the variants compiled
            # keep their graphs (the loop was off for the process, every variant's).
            self._past_limit.add(_variant(params, flags, x, state, step_mask, safe))
            if not self.limit_warned:
                self.limit_warned = True
                warnings.warn(
                    f"The DREAM loop has compiled {limit} graphs in this process, the "
                    "limit; a variant not compiled yet (switches, dtype, grad mode, mask, "
                    "device) runs eagerly (same results, slower), the compiled ones stay "
                    "compiled.",
                    RuntimeWarning,
                    stacklevel=user_stacklevel(_OUTSIDE),
                )
            return _run_steps(params, flags, x, state, dts, step_mask)
        except Exception as exc:  # the compiler's, or the caller's: told apart below
            # An error of the caller's (not the compiler's) raises again here. The
            # steps compiled alone say nothing of their own: one warning says both.
            result = _run_steps(
                params, *args[1:], step=functools.partial(_COMPILED_STEP, warn=False)
            )
            self.failed = _why(exc)
            if isinstance(exc.__cause__, torch._dynamo.exc.BackendCompilerFailed):
                self.failed += f"; with the C++ wrapper, {_why(exc.__cause__)}"
            then = (
                f"compiling each step failed too ({_COMPILED_STEP.failed}); running eagerly"
                if _COMPILED_STEP.failed is not None
                else "compiling each step"
            )
            warnings.warn(
                f"torch.compile of the DREAM loop failed ({self.failed}); {then} instead "
                "(same results, slower).",
                RuntimeWarning,
                stacklevel=user_stacklevel(_OUTSIDE),
            )
            return result
        finally:
            inductor_log.removeFilter(_C_SHIM_NOTE)

    def _compile(self, safe: bool):
        """``torch.compile`` of the loop with :func:`_loop_options`; without in-place
        buffers where ``safe``, and without the C++ wrapper once that has failed."""
        options = _loop_options()
        if safe:
            options["inplace_buffers"] = False
        if self.cpp_wrapper_failed is not None:
            options["cpp_wrapper"] = False
            self._python_wrapper.add(safe)
        return torch.compile(_scan_steps, fullgraph=True, dynamic=None, options=options)


_COMPILED_LOOP = _CompiledLoop()


@torch.compiler.disable
def _loop_outside_dynamo(params, flags, x, state, dts, step_mask):
    """:data:`_COMPILED_LOOP` as a user's ``torch.compile(model)`` calls it: outside
    the model's graph (looked up at each call, as the layer looks it up)."""
    return _COMPILED_LOOP(params, flags, x, state, dts, step_mask)


# How many graphs of the loop one process may compile (torch's recompile_limit, 8 by
# default, counts them per function: _CompiledLoop).
_RECOMPILE_LIMIT = 64


class DREAM(nn.Module):
    """A DREAM sequence layer, a drop-in for ``nn.GRU(batch_first=True)``.

    ``output, state = model(x)`` with ``x`` of shape (batch, time, input_dim) (or
    (time, input_dim) unbatched, or time first with ``batch_first=False``).

    Parameters
    ----------
    input_dim : int
        Number of input features (``nn.GRU``'s ``input_size`` is taken too).
    hidden_dim : int
        Number of hidden units (``nn.GRU``'s ``hidden_size`` is taken too).
    rank : int, default=8
        Rank of the fast weights.
    batch_first : bool, default=True
        Whether ``x`` is (batch, time, features) rather than (time, batch, features).
        ``nn.GRU``'s ``num_layers=1``, ``bidirectional=False``, ``dropout=0`` and
        ``bias=False`` are taken (what one layer does; the cell has no bias terms);
        their other values (``bias=True`` among them, ``nn.GRU``'s default) and
        ``proj_size`` raise a ``TypeError`` that says what to use instead.
    return_sequences : bool, default=True
        Return the output of every step, or only the last (valid) one (a tensor of
        its own, as ``nn.GRU``'s output: not the returned ``state.h``).
    device, dtype : optional
        Where and in which dtype the weights are made and drawn (torch's factory
        arguments, as ``nn.GRU`` takes them).
    **config : dict
        Any other field of :class:`DREAMConfig`.

    Attributes
    ----------
    compile_step : bool, default=False
        Set to True to run the loop over time through ``torch.compile``: the whole
        loop, forward and backward, becomes one graph (a ``scan``) that inductor
        turns into C++ loops (a training step about 5-6x faster at batch 32 x 50
        steps, 0.92x-1.05x ``nn.GRU``'s on one CPU thread; the README's "Training
        speed"). On its first call on the CPU, under glibc, it frees one 30 MiB
        block of ``malloc``'s once a process, so that glibc keeps the step's memory
        in its heap between steps: a change to the whole process's allocator (its
        thresholds raised, as freeing any such block does; ``_malloc.py`` says why,
        what it costs, and how to keep glibc's starting thresholds). It compiles
        lazily on the first call for each new dtype, grad mode, use of
        ``lengths``/``mask``, batch of one, or change of whether ``x`` or the
        state passed in requires a gradient (about 42-52 s on one CPU thread);
        inductor keeps it in its disk cache (``TORCHINDUCTOR_CACHE_DIR``),
        so a later process with the same configuration loads it in about 5-6.5 s.
        Other batch sizes and sequence lengths reuse the graph. Under a
        ``torch.compile`` of the model around the layer the loop runs so too,
        outside the model's graph (a graph break: one loop for every length, where
        dynamo would unroll the loop into a graph per length); so with
        ``fullgraph=True`` leave ``compile_step`` False (dynamo refuses the break).
        If compilation fails a warning says so, and it compiles each step alone
        instead, or runs eagerly. Same results either way, to floating-point rounding. With
        ``input_dim == 1`` or a batch of one the loop compiles without inductor's
        in-place buffers (they gave a wrong gradient of ``eta``, of ``W``, there in
        torch 2.13), about 20% slower; a sequence of one step runs eagerly. The
        cell's constants (``forgetting_rate``, ``error_smoothing``,
        ``surprise_smoothing``, ``target_norm``, ``sleep_rate``,
        ``min_surprise_for_sleep``, ``fast_weight_scale``) are inputs of the graph:
        every setting of them runs the same one. A process compiles up to 64
        variants of the loop (torch's own limit, 8, is raised for it alone); past
        them a new variant runs eagerly, with a warning (once), and the variants
        compiled stay compiled.
    checkpoint_steps : int or None, default=None
        Set to an int ``k`` to bound the memory that training on long sequences
        takes: while autograd records, the eager loop over more than ``k`` steps
        runs in spans of ``k``, each run without a graph and run again, with one,
        in the backward pass (activation checkpointing). Autograd then holds one
        span's graph and a state per span instead of a graph of every step (some
        100 nodes a step whatever the batch: about 1.8 GB for one sequence of 20,000
        steps at 64 units, 73-88 MB in spans of 142); ``k`` near ``sqrt(T)`` holds
        the least. Outputs are the same bit for bit, gradients to rounding (summed
        span by span). It costs a forward pass without a graph: about 1.2x the time
        at 2,000 steps, 0.74x-1.05x at 5,000-20,000 (by hand and in ``speed.py``'s
        memory rows). The compiled loop (``compile_step``), ``torch.func``
        transforms, forward-mode AD and a loop of at most ``k`` steps run whole;
        ``create_graph=True`` (a second derivative) raises. On a
        :class:`DREAMStack`, setting it sets every layer's. The scikit-learn
        estimators set it when training on sequences of over 4,096 steps
        (``docs/sklearn.md``, the ridge solver's memory paragraph).

    Notes
    -----
    Detach rule: a ``state`` passed in is detached, so gradients flow through the
    fast state within one call (backpropagation through time, plasticity included)
    and never across calls. Padded steps (``lengths`` or ``mask``) leave each
    sequence's state untouched and give zero outputs.

    Where ``nn.GRU`` code meets it:

    - ``x`` may be a ``PackedSequence`` (``pack_sequence``, ``pack_padded_sequence``,
      sorted or not): the output is a ``PackedSequence`` with the input's
      ``batch_sizes``, ``sorted_indices`` and ``unsorted_indices``, as ``nn.GRU``'s; the
      state (and ``state`` passed in) is each sequence's, in the caller's order, at its
      last valid step. It runs padded with ``lengths``, so each sequence's results are
      those it gets alone. Diagnostics are padded (batch, time), in the caller's order.
    - ``state`` may be a tensor ``h0`` of shape (batch, hidden_dim) or ``nn.GRU``'s
      (1, batch, hidden_dim): it is the hidden state ``h``, the rest of the fast state
      starts fresh (no fast weights, unit error variance). Unlike a ``DREAMState``, it
      is not detached: as with ``nn.GRU``, gradients reach what produced it.
      The returned state is always a ``DREAMState``: ``state.h`` is ``nn.GRU``'s
      ``h_n[0]`` for a batched input, (batch, hidden_dim); for an unbatched one it is
      (1, hidden_dim), ``nn.GRU``'s ``h_n`` itself (the cell's state is batched).
      The diagnostics keep that batch axis too: (1, time) for an unbatched input.
    - dtypes: the input's dtype must be the parameters' (a ``TypeError`` says how to
      convert either, as ``nn.GRU``'s ``ValueError`` does). ``model.to(torch.bfloat16)`` or
      ``model.half()`` run in that dtype. Under ``torch.autocast`` the layer acts as
      autocast's float32 ops do: the input is cast to the parameters' dtype and the
      recurrence runs there (a long recurrence of small fast-weight increments is lost
      in bfloat16), so outputs and state are float32 for a float32 model.
    - Export: under ``torch.export`` (and ``torch.onnx.export(..., dynamo=True)``) the
      loop over time is one ``scan``, so batch size and sequence length stay dynamic::

          batch, time = torch.export.Dim("batch"), torch.export.Dim("time")
          shapes = {"x": {0: batch, 1: time}}
          program = torch.export.export(model.eval(), (x,), dynamic_shapes=shapes)
          with torch.no_grad():  # the ONNX exporter needs it for the scan
              onnx_program = torch.onnx.export(
                  model.eval(), (x,), dynamic_shapes=shapes, dynamo=True
              )

      The legacy TorchScript exporter (``dynamo=False``) is not supported: it passes
      keyword-only arguments positionally and would fix the length anyway.
    - ``state_dict()`` holds the configuration that changes outputs (every
      :class:`DREAMConfig` field but the initial values of trainable parameters) as
      ``cell._extra_state``; ``load_state_dict`` refuses a checkpoint saved with other
      values, naming each field. A checkpoint without it (saved by an older version)
      loads as before.

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAM
    >>> _ = torch.manual_seed(0)
    >>> model = DREAM(input_dim=64, hidden_dim=128, rank=8, ltc_enabled=True)
    >>> output, state = model(torch.randn(32, 50, 64))
    >>> output.shape
    torch.Size([32, 50, 128])
    >>> out, state, diag = model(torch.randn(2, 5, 64), lengths=[5, 3], return_diagnostics=True)
    >>> diag.surprise.shape, bool(out[1, 3:].abs().sum() == 0)
    (torch.Size([2, 5]), True)

    ``nn.GRU``-style inputs: a ``PackedSequence`` and a tensor ``h0``.

    >>> from torch.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([torch.randn(5, 64), torch.randn(7, 64)], enforce_sorted=False)
    >>> out, state = model(packed, torch.zeros(1, 2, 128))
    >>> type(out).__name__, out.data.shape, state.h.shape
    ('PackedSequence', torch.Size([12, 128]), torch.Size([2, 128]))
    >>> DREAM(64, 128).load_state_dict(DREAM(64, 128, ltc_enabled=False).state_dict())
    Traceback (most recent call last):
    ...
    RuntimeError: Error(s) in loading state_dict for DREAM:
        DREAMCell configuration mismatch for cell: ltc_enabled=False in the checkpoint, ...
    """

    def __init__(
        self,
        input_dim: int = _REQUIRED,
        hidden_dim: int = _REQUIRED,
        *gru_args,
        rank: int = _cell_default("rank"),
        batch_first: bool = True,
        return_sequences: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **config,
    ) -> None:
        super().__init__()
        input_dim, hidden_dim = _gru_arguments(input_dim, hidden_dim, gru_args, config)
        for name, value in (("batch_first", batch_first), ("return_sequences", return_sequences)):
            # (nn.GRU takes any truthy value: 1 and 0 too, but not "no", which read True)
            if not isinstance(value, bool | np.bool_ | int | np.integer) or value not in (0, 1):
                raise TypeError(f"{name} must be True or False; got {value!r}.")
        self.cell = DREAMCell(
            input_dim, hidden_dim, rank=rank, device=device, dtype=dtype, **config
        )
        self.batch_first = bool(batch_first)
        self.return_sequences = bool(return_sequences)
        self.compile_step = False
        self.checkpoint_steps = None

    @property
    def config(self):
        return self.cell.config

    # nn.GRU's attributes, for code written against it (read-only: one layer, one way).
    @property
    def input_size(self) -> int:
        """``config.input_dim``, under ``nn.GRU``'s name."""
        return self.cell.config.input_dim

    @property
    def hidden_size(self) -> int:
        """``config.hidden_dim``, under ``nn.GRU``'s name."""
        return self.cell.config.hidden_dim

    @property
    def num_layers(self) -> int:
        """1, as ``nn.GRU``'s (stack layers with :class:`DREAMStack`)."""
        return 1

    @property
    def bidirectional(self) -> bool:
        """False, as ``nn.GRU``'s: the cell runs forward in time only."""
        return False

    def flatten_parameters(self) -> None:
        """Nothing to do (``nn.GRU`` compacts its cuDNN weights here): kept so that code
        calling it on an RNN runs unchanged."""

    def __prepare_scriptable__(self) -> NoReturn:
        """Refuse ``torch.jit.script`` saying why (it calls this first)."""
        _refuse_script("DREAM")

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw the cell's weights anew (see :meth:`DREAMCell.reset_parameters`)."""
        self.cell.reset_parameters(generator)

    def extra_repr(self) -> str:
        """The settings that differ from ``nn.GRU(batch_first=True)``'s reading, as
        ``nn.GRU``'s repr shows its own (they were missing: review 165)."""
        shown = [] if self.batch_first else ["batch_first=False"]
        if not self.return_sequences:
            shown.append("return_sequences=False")
        return ", ".join(shown)

    def _input_dtype(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        """``x`` in the parameters' dtype: cast under autocast, else it must match
        (``name``: the argument as the caller gave it, ``x`` or ``input``)."""
        dtype = self.cell.C.dtype
        if x.dtype == dtype:
            return x
        if _autocast_on(x.device.type):
            return x.to(dtype)
        model = f", or the model: model.to({x.dtype})" if x.dtype.is_floating_point else ""
        raise TypeError(
            f"{name} has dtype {x.dtype} but the DREAM parameters are {dtype}. Convert the "
            f"input: {name}.to({dtype}){model}."
        )

    def _span(self) -> int | None:
        """``checkpoint_steps``, checked (an attribute: set at any time, so read here;
        a layer pickled before it existed has none)."""
        span = getattr(self, "checkpoint_steps", None)
        if span is None:
            return None
        if isinstance(span, bool) or not isinstance(span, int | np.integer):
            raise TypeError(f"checkpoint_steps must be an int or None; got {span!r}.")
        if span < 1:
            raise ValueError(f"checkpoint_steps must be at least 1 (steps a span); got {span}.")
        return int(span)

    def _initial_state(self, state, batch: int, x: torch.Tensor, unbatched: bool) -> DREAMState:
        """The state to start from: fresh, a ``DREAMState`` (detached), or a tensor ``h0``."""
        cell = self.cell
        if state is None:
            return cell.initial_state(batch, x.device, x.dtype)
        if isinstance(state, DREAMState):
            if state.h.dtype != x.dtype and _autocast_on(x.device.type):
                state = state.to(x.dtype)  # as autocast casts every floating input
            if state.h.dtype != x.dtype:
                raise TypeError(
                    f"state has dtype {state.h.dtype} but x has {x.dtype}; "
                    f"pass state.to({x.dtype})."
                )
            cfg = cell.config
            state._check(batch, cfg.input_dim, cfg.hidden_dim, cfg.rank, x.device)
            return state.detach()
        if not isinstance(state, torch.Tensor):
            raise TypeError(
                f"state must be a DREAMState, a tensor h0 or None; got {type(state).__name__}."
            )
        n = cell.config.hidden_dim
        # nn.GRU's h0 is (num_layers, batch, hidden), or (num_layers, hidden) unbatched.
        h0 = state[0] if state.dim() == (2 if unbatched else 3) and state.shape[0] == 1 else state
        h0 = h0.reshape(1, -1) if unbatched and h0.dim() == 1 else h0
        if tuple(h0.shape) != (batch, n):
            want = f"({n},) or (1, {n})" if unbatched else f"({batch}, {n}) or (1, {batch}, {n})"
            raise ValueError(
                f"state given as a tensor is h0, of shape {want}; got {tuple(state.shape)}. "
                "To pass the whole fast state, pass a DREAMState."
            )
        if h0.dtype != x.dtype and _autocast_on(x.device.type):
            h0 = h0.to(x.dtype)
        if h0.dtype != x.dtype:
            raise TypeError(f"h0 has dtype {h0.dtype} but x has {x.dtype}; pass h0.to({x.dtype}).")
        if h0.device != x.device:  # (else torch's "Tensor on device ... is not on the expected")
            raise ValueError(
                f"h0 is on device {h0.device} but x is on {x.device}; "
                f"pass h0.to({str(x.device)!r})."
            )
        return cell.initial_state(batch, x.device, x.dtype)._replace(h=h0)

    def forward(
        self,
        x: torch.Tensor | PackedSequence | None = None,
        state: DREAMState | None = None,
        *,
        lengths: torch.Tensor | Sequence[int] | None = None,
        mask: torch.Tensor | None = None,
        timespans: torch.Tensor | None = None,
        return_diagnostics: bool = False,
        hx: DREAMState | torch.Tensor | None = None,
        input: torch.Tensor | PackedSequence | None = None,  # noqa: A002 (nn.GRU's name)
    ):
        """Run the cell over a sequence.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, time, input_dim) or PackedSequence
            The sequences (time first when ``batch_first=False``; no batch
            dimension for a single sequence), or packed (see Notes of the class).
        state : DREAMState or torch.Tensor, optional
            Initial fast state (detached on entry); zeros by default. A
            ``DREAMState`` must be for ``x``'s batch and this cell's sizes (a
            ``ValueError`` names the field that is not). A tensor is ``nn.GRU``'s
            ``h0``, (batch, hidden_dim) or (1, batch, hidden_dim): the hidden state,
            the rest of the state fresh.
        lengths : sequence of int of shape (batch,), optional
            Valid length of each padded sequence.
        mask : torch.Tensor of shape (batch, time), optional
            True on valid steps (an alternative to ``lengths``); numbers must be 0 or
            1 (checked eagerly; under ``torch.export``, as the lengths' values, not).
        timespans : torch.Tensor of shape (batch, time), optional
            Elapsed time of each step, used as its Euler step ``dt`` ((batch, time)
            with ``batch_first=False`` too, as ``mask``).
        return_diagnostics : bool, default=False
            Also return a :class:`DREAMDiagnostics`.
        hx : DREAMState or torch.Tensor, optional
            ``state`` by ``nn.GRU``'s name for it (``rnn(x, hx=h0)``); give one of the two.
        input : torch.Tensor or PackedSequence, optional
            ``x`` by ``nn.GRU``'s name for it (``rnn(input=x, hx=h0)``); give one of the two.

        Returns
        -------
        output : torch.Tensor or PackedSequence
            (batch, time, hidden_dim), or (batch, hidden_dim) with
            ``return_sequences=False``; a ``PackedSequence`` when ``x`` is one.
        state : DREAMState
            The state after the last valid step of each sequence.
        diagnostics : DREAMDiagnostics
            Only with ``return_diagnostics=True``.
        """
        x = _one_of(x, input, "the sequences as x or as input")
        if x is None:
            raise TypeError("DREAM.forward() missing the sequences: x (or input, nn.GRU's name).")
        # (the sequences named in errors as given: nn.GRU's input= was called x; review 157)
        name = "x" if input is None else "input"
        state = _one_of(state, hx, "the initial state as state or as hx")
        packed = x if isinstance(x, PackedSequence) else None
        if packed is None and timespans is not None:
            if isinstance(timespans, torch.Tensor):
                timespans = _real_tensor(timespans, "timespans")
            else:
                timespans = _as_float_tensor(timespans, "timespans", x.device)
        if packed is not None:
            x, lengths, timespans = _unpack(packed, lengths, mask, timespans)
            packed_lengths = lengths
            unbatched, time_first = False, False
        else:
            unbatched = x.dim() == 2
            time_first = not self.batch_first and not unbatched
        given = tuple(x.shape)
        if unbatched:
            x = x.unsqueeze(0)
            one = ((x.shape[1],), (1, x.shape[1]))  # (time,) or (1, time)
            if timespans is not None:
                if tuple(timespans.shape) not in one:
                    raise ValueError(
                        f"timespans must have shape {one[0]} for a single sequence; "
                        f"got {tuple(timespans.shape)}."
                    )
                timespans = timespans.reshape(1, -1)
            if mask is not None:  # (time,), as timespans
                mask = torch.as_tensor(mask)
                if tuple(mask.shape) not in one:
                    raise ValueError(
                        f"mask must have shape {one[0]} for a single sequence; "
                        f"got {tuple(mask.shape)}."
                    )
                mask = mask.reshape(1, -1)
        if x.dim() != 3:
            raise ValueError(f"{name} must be 2-D or 3-D; got shape {tuple(x.shape)}.")
        if time_first:  # (timespans and mask stay (batch, time), as documented)
            x = x.transpose(0, 1)
        batch, steps, _ = x.shape
        if timespans is not None and timespans.shape != (batch, steps):
            raise ValueError(
                f"timespans must have shape ({batch}, {steps}); got {tuple(timespans.shape)}."
            )
        span = self._span()
        exporting = _is_exporting()
        if not exporting and steps == 0:
            raise ValueError(
                f"{name} has no time steps (shape {given}); a sequence needs at least one step."
            )
        step_mask = _step_mask(lengths, mask, batch, steps, x.device, check=not exporting)
        cell = self.cell
        x = self._input_dtype(x, name)
        if x.device != cell.C.device:  # (then a state's device is judged against x's)
            raise ValueError(
                f"{name} is on device {x.device} but the DREAM parameters are on "
                f"{cell.C.device}; pass {name}.to({str(cell.C.device)!r}) or move the model: "
                f"model.to({name}.device)."
            )
        try:
            state = self._initial_state(state, batch, x, unbatched)
        except (TypeError, ValueError) as err:
            if hx is None or type(err) not in (TypeError, ValueError):
                raise
            # (given by nn.GRU's name: the message named state; a review's finding)
            raise type(err)(f"hx (DREAM's state): {err}") from err
        if x.shape[2] != cell.config.input_dim:
            d = cell.config.input_dim
            want = (
                f"(time, {d})"
                if unbatched
                else (f"(time, batch, {d})" if time_first else f"(batch, time, {d})")
            )
            raise ValueError(f"{name} must have shape {want}; got {given}.")
        _check_constants(cell.config, x.dtype, "layer")
        # (timespans are checked as given, then cast: a value the layer's dtype cannot
        # hold, 1e5 in float16, was refused as the inf it became; review 122)
        if timespans is None:
            if cell.config.time_step > torch.finfo(x.dtype).max:
                # (new_full raised torch's own RuntimeError, where the cell's step names
                # dt; review 271)
                raise ValueError(
                    f"time_step {cell.config.time_step:g} overflows the layer's dtype "
                    f"{x.dtype} (largest {torch.finfo(x.dtype).max:g}); give it in larger "
                    "units, or run the layer in a wider dtype."
                )
            dts = x.new_full((batch, steps), cell.config.time_step)
        else:
            dts = timespans
        if step_mask is not None:
            # Padded steps' values never reach the state, but their gradient did: a
            # NaN there (NaN-padded series) made every parameter's gradient NaN
            # through torch.where's discarded branch (a review's finding).
            x = x.masked_fill(~step_mask.unsqueeze(-1), 0.0)
            dts = dts.masked_fill(~step_mask, 0.0)
        if timespans is not None and not exporting and _values_checkable(dts):
            bad = ~torch.isfinite(dts) | (dts < 0)
            if bool(bad.any()):
                raise ValueError(
                    "timespans must be finite and at least 0 on every valid step; got "
                    f"{dts[bad][:5].tolist()} (a padded step's may be anything)."
                )
            over = ~torch.isfinite(dts.to(x.dtype))
            if bool(over.any()):
                raise ValueError(
                    f"timespans {dts[over][:5].tolist()} overflow the layer's dtype {x.dtype} "
                    f"(largest {torch.finfo(x.dtype).max:g}); give them in larger units, or "
                    "run the layer in a wider dtype."
                )
        dts = dts.to(x.dtype)
        if exporting:
            run = _scan_steps  # one loop whatever the length: batch and time stay symbolic
        elif torch.compiler.is_compiling() and getattr(self, "compile_step", False):
            # A user's torch.compile(model) of a layer with compile_step: the layer's own
            # compiled loop, run outside dynamo's graph (a graph break; dynamo cannot
            # trace into it, review 157): one loop for every length, where dynamo
            # unrolled the per-step loop, a graph (and minutes) per length.
            run = _loop_outside_dynamo
        elif torch.compiler.is_compiling():
            # Without compile_step, a user's torch.compile(model) traces the per-step
            # loop. Not the scan: inductor's lowering of scan failed on a graph of
            # static shapes (torch 2.13: DataDependentOutputException, review 160).
            run = _run_steps
        elif getattr(self, "compile_step", False):
            run = _COMPILED_LOOP
        else:
            run = functools.partial(_run_eager, sequences=self.return_sequences, span=span)
        # Under autocast the cell runs in its parameters' dtype (see Notes).
        autocast_on = _autocast_on(x.device.type)
        start = state
        with torch.autocast(x.device.type, enabled=False) if autocast_on else nullcontext():
            outputs, surprises, taus, state = run(
                cell.step_params(), cell.flags, x, state, dts, step_mask
            )
        state = _apart(state, start)
        # (the last step's output a tensor apart from state.h, as nn.GRU's: an in-place
        # op on it, an activation, rewrote the state carried into the next call)
        last = None if self.return_sequences else state.h.clone()
        if packed is not None:
            output = _repack(outputs, packed, packed_lengths) if last is None else last
            if not return_diagnostics:
                return output, state
            return output, state, DREAMDiagnostics(surprises, taus)
        output = outputs if last is None else last
        if unbatched:
            output = output.squeeze(0)
        elif time_first and self.return_sequences:
            output = output.transpose(0, 1)
        if not return_diagnostics:
            return output, state
        diagnostics = DREAMDiagnostics(surprises, taus)
        return output, state, diagnostics


def _stack_gru_arguments(input_dim: Any, hidden_dims: Any, config: dict) -> tuple:
    """``DREAMStack``'s ``(input_dim, hidden_dims)``, given under its names or
    ``nn.GRU``'s: ``input_size``, and ``hidden_size`` with ``num_layers`` (1 if not
    given) for ``[hidden_size] * num_layers``; its ``bidirectional=False`` and
    ``bias=False`` are taken.
    Else a TypeError naming what to use instead (reviews 140, 142)."""
    if "input_size" in config:
        if input_dim is not _REQUIRED:
            raise TypeError(
                "DREAMStack got input_dim and nn.GRU's name for it, input_size; give one."
            )
        input_dim = config.pop("input_size")
    if "hidden_dim" in config:  # (DREAM's own name: it met "got multiple values"; review 260)
        raise TypeError(
            f"DREAMStack takes hidden_dims, one size per layer (e.g. [64, 32]), or nn.GRU's "
            f"hidden_size= with num_layers=; got hidden_dim={config['hidden_dim']!r}, "
            "DREAM's name for one layer's size."
        )
    layers = config.pop("num_layers", None)
    if "hidden_size" in config:
        if hidden_dims is not _REQUIRED:
            raise TypeError(
                "DREAMStack got hidden_dims and nn.GRU's hidden_size; give one (hidden_dims: "
                "one size per layer)."
            )
        size, n = config.pop("hidden_size"), 1 if layers is None else layers
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
            raise ValueError(f"num_layers must be an int >= 1; got {n!r}.")
        # (named as given: a list here was blamed on hidden_dims[0]; review 297)
        size = _check_value("DREAMStack", "hidden_size", size, _INT_GE1)
        hidden_dims = [size] * int(n)
    elif layers is not None:
        raise TypeError(
            f"DREAMStack takes num_layers={layers!r} with nn.GRU's hidden_size only: else it "
            "has one layer per entry of hidden_dims (e.g. [64] * 2 for two layers of 64 units)."
        )
    for name in ("bidirectional", "bias"):  # (num_layers and dropout: above, its own)
        if name in config and _same(config[name], _GRU_SAME[name]):
            del config[name]
    _refuse_gru_only("DREAMStack", config)
    missing = [
        n for n, v in (("input_dim", input_dim), ("hidden_dims", hidden_dims)) if v is _REQUIRED
    ]
    if missing:
        raise TypeError(f"DREAMStack() missing required argument(s): {', '.join(missing)}.")
    return input_dim, hidden_dims


class DREAMStack(nn.Module):
    """Several DREAM layers in sequence; upper layers may integrate more slowly.

    Parameters
    ----------
    input_dim : int
        Number of input features of the first layer (``nn.GRU``'s ``input_size`` is
        taken too).
    hidden_dims : sequence of int
        Hidden units of each layer, bottom first. ``nn.GRU``'s ``hidden_size`` and
        ``num_layers`` are taken in its place (``[hidden_size] * num_layers``), and
        its ``bidirectional=False``.
    rank : int, default=8
        Rank of every layer's fast weights.
    tau_growth : float, default=1.0
        Layer ``k`` (from 0) starts with ``ltc_tau_sys * tau_growth ** k``
        (``ltc_tau_sys`` defaults to :class:`DREAMConfig`'s): values above 1 make
        upper layers slower; every layer's must be at least 0.001 (a ValueError names
        the layer).
    batch_first : bool, default=True
        As :class:`DREAM`'s, for every layer.
    return_sequences : bool, default=True
        Return the top layer's output at every step, or only at the last (valid)
        one; the layers below always pass every step up.
    dropout : float, default=0.0
        As ``nn.GRU``'s: in training mode, dropout with this probability on each
        layer's outputs but the top one's, as the next layer reads them.
    **config : dict
        Any other field of :class:`DREAMConfig`, shared by all layers, and torch's
        ``device`` and ``dtype`` (as :class:`DREAM`'s).

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAMStack
    >>> _ = torch.manual_seed(0)
    >>> stack = DREAMStack(4, [16, 8], rank=2, tau_growth=2.0)
    >>> out, states = stack(torch.randn(3, 7, 4))
    >>> out.shape, len(states), stack.layers[1].config.ltc_tau_sys
    (torch.Size([3, 7, 8]), 2, 10.0)

    ``nn.GRU``'s attributes read as a stack of its layers would have them
    (``hidden_size`` is the top layer's, the size of the output):

    >>> stack.num_layers, stack.input_size, stack.hidden_size, stack.bidirectional
    (2, 4, 8, False)
    """

    def __init__(
        self,
        input_dim: int = _REQUIRED,
        hidden_dims: Sequence[int] = _REQUIRED,
        *stack_args,
        rank: int = _cell_default("rank"),
        tau_growth: float = 1.0,
        batch_first: bool = True,
        return_sequences: bool = True,
        dropout: float = 0.0,
        **config,
    ) -> None:
        super().__init__()
        if stack_args:  # (as DREAM's: DREAMStack(16, [64, 64], 2) set rank 2; review 157)
            raise TypeError(
                "DREAMStack takes 2 positional arguments (input_dim, hidden_dims); got "
                f"{2 + len(stack_args)}. nn.GRU's third is num_layers: give hidden_dims one "
                "size per layer (e.g. [64] * 2), or hidden_size= with num_layers=; "
                "DREAMStack's rank is keyword-only (rank=...)."
            )
        # (nn.GRU's dropout, between layers: DREAM's refusal pointed here, and the
        # stack passed it to DREAM, which refused it under its own name; review 122)
        self.dropout = _check_value("DREAMStack", "dropout", dropout, _UNIT)
        input_dim, hidden_dims = _stack_gru_arguments(input_dim, hidden_dims, config)
        # (a set or a dict was taken in its own order, or as its keys: DREAMStack(3,
        # {7, 5}) built layers of 5 then 7 units, silently; review 297. An iterator is
        # read once; any other iterable, a pandas Series say, is taken in its order)
        if isinstance(hidden_dims, str | AbstractSet | Mapping | Iterator) or not isinstance(
            hidden_dims, Iterable
        ):
            raise TypeError(
                "hidden_dims must be a sequence of ints, one per layer, bottom first (e.g. "
                f"[64, 32]); got {hidden_dims!r}."
            )
        hidden_dims = list(hidden_dims)
        if not hidden_dims:
            raise ValueError("hidden_dims must name at least one layer; got an empty sequence.")
        if self.dropout > 0 and len(hidden_dims) == 1:  # (as nn.GRU warns; review 157)
            warnings.warn(
                f"DREAMStack's dropout falls between layers, and one layer has none: "
                f"dropout={self.dropout} does nothing with hidden_dims={hidden_dims}.",
                UserWarning,
                stacklevel=user_stacklevel(_OUTSIDE),
            )
        tau_growth = _check_value("DREAMStack", "tau_growth", tau_growth, _POSITIVE)
        # (checked before the layers' taus are made from it: True was read as 1.0, and
        # a string failed in the product with a message that did not name it)
        tau_sys = config.pop("ltc_tau_sys", _cell_default("ltc_tau_sys"))
        tau_sys = _check_cell_param("DREAMStack", "ltc_tau_sys", tau_sys)
        hidden_dims = [
            _check_value("DREAMStack", f"hidden_dims[{k}]", h, _INT_GE1)
            for k, h in enumerate(hidden_dims)
        ]
        dims = [input_dim, *hidden_dims]
        layers = []
        for k in range(len(hidden_dims)):
            try:
                layer_tau = tau_sys * tau_growth**k
            except OverflowError:  # (a float's power past its range raises)
                layer_tau = math.inf
            if not _AT_FLOOR.accepts(layer_tau):  # (the cell's own rule, one place)
                raise ValueError(
                    f"DREAMStack's layer {k} would get ltc_tau_sys * tau_growth**{k} = "
                    f"{layer_tau!r} (ltc_tau_sys={tau_sys!r}, tau_growth={tau_growth!r}); "
                    f"a layer's must be {_AT_FLOOR.expected}."
                )
            try:
                layer = DREAM(
                    dims[k],
                    dims[k + 1],
                    rank=rank,
                    batch_first=batch_first,
                    # (a layer below returning its last step only, the next one read that
                    # (batch, hidden) output as one unbatched sequence: a review's finding)
                    return_sequences=return_sequences if k == len(hidden_dims) - 1 else True,
                    ltc_tau_sys=layer_tau,
                    **config,
                )
            except ValueError as exc:
                if "'ltc_tau_sys'" not in str(exc):  # (an argument every layer shares)
                    raise
                # (which layer, from which of the stack's arguments)
                raise ValueError(
                    f"DREAMStack's layer {k} (ltc_tau_sys * tau_growth**{k} = {layer_tau!r}): {exc}"
                ) from exc
            layers.append(layer)
        self.layers = nn.ModuleList(layers)

    dropout = 0.0  # (a stack pickled before round 27 has none)

    def __prepare_scriptable__(self) -> NoReturn:
        """Refuse ``torch.jit.script`` saying why (its layers' refusal named DREAM)."""
        _refuse_script("DREAMStack")

    # nn.GRU's attributes, for code written against it (read-only but batch_first).
    @property
    def batch_first(self) -> bool:
        """The layers' ``batch_first``, as ``nn.GRU``'s (settable, as there: every
        layer's; an AttributeError until review 157)."""
        return self.layers[0].batch_first

    @batch_first.setter
    def batch_first(self, value: bool) -> None:
        for layer in self.layers:
            layer.batch_first = bool(value)

    @property
    def checkpoint_steps(self) -> int | None:
        """The first layer's ``checkpoint_steps`` (see :class:`DREAM`); set, every
        layer's, as ``batch_first`` (review 229 found it set on the stack doing
        nothing). Set a layer's own to give the layers different spans."""
        return getattr(self.layers[0], "checkpoint_steps", None)

    @checkpoint_steps.setter
    def checkpoint_steps(self, value: int | None) -> None:
        for layer in self.layers:
            layer.checkpoint_steps = value

    @property
    def return_sequences(self) -> bool:
        """The top layer's ``return_sequences`` (the layers below always return every
        step: the next one reads them); set, the top layer's. Setting it on the stack
        did nothing before review 260 (an attribute of the stack's own)."""
        return self.layers[-1].return_sequences

    @return_sequences.setter
    def return_sequences(self, value: bool) -> None:
        self.layers[-1].return_sequences = bool(value)

    @property
    def compile_step(self) -> bool:
        """The first layer's ``compile_step`` (see :class:`DREAM`); set, every layer's,
        as ``batch_first`` (setting it on the stack did nothing before review 260). Set
        a layer's own to compile some layers only."""
        return bool(getattr(self.layers[0], "compile_step", False))

    @compile_step.setter
    def compile_step(self, value: bool) -> None:
        for layer in self.layers:
            layer.compile_step = value

    @property
    def input_size(self) -> int:
        """The bottom layer's ``input_dim``, under ``nn.GRU``'s name."""
        return self.layers[0].input_size

    @property
    def hidden_size(self) -> int:
        """The top layer's ``hidden_dim`` (the output's size), under ``nn.GRU``'s name."""
        return self.layers[-1].hidden_size

    @property
    def num_layers(self) -> int:
        """The number of layers, as ``nn.GRU``'s."""
        return len(self.layers)

    @property
    def bidirectional(self) -> bool:
        """False, as ``nn.GRU``'s: every layer runs forward in time only."""
        return False

    def flatten_parameters(self) -> None:
        """Nothing to do, as :meth:`DREAM.flatten_parameters`."""

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every layer's weights anew, bottom first (:meth:`DREAM.reset_parameters`;
        ``nn.GRU`` has it, and the stack had not: review 165)."""
        for layer in self.layers:
            layer.reset_parameters(generator)

    def extra_repr(self) -> str:
        """``dropout`` where set, as ``nn.GRU``'s repr shows it (review 165)."""
        return f"dropout={self.dropout}" if self.dropout else ""

    def _drop(self, x: torch.Tensor | PackedSequence) -> torch.Tensor | PackedSequence:
        """``dropout`` on a layer's outputs, in training mode (``nn.GRU``'s, between layers)."""
        if not self.dropout or not self.training:
            return x
        if isinstance(x, PackedSequence):
            return PackedSequence(
                F.dropout(x.data, self.dropout, True),
                x.batch_sizes,
                x.sorted_indices,
                x.unsorted_indices,
            )
        return F.dropout(x, self.dropout, True)

    def forward(
        self,
        x: torch.Tensor | PackedSequence | None = None,
        states: Sequence[DREAMState | None] | None = None,
        *,
        lengths=None,
        mask=None,
        timespans=None,
        return_diagnostics: bool = False,
        hx: Sequence[DREAMState | torch.Tensor | None] | torch.Tensor | None = None,
        input: torch.Tensor | PackedSequence | None = None,  # noqa: A002 (nn.GRU's name)
    ):
        """Run every layer in turn; returns ``(output, states)`` (and diagnostics).

        ``states`` and the returned states and diagnostics are lists, one per layer;
        ``hx`` is ``states`` by ``nn.GRU``'s name (a (layers, batch, hidden) tensor
        is one ``h0`` per layer), ``input`` is ``x`` by its name.
        """
        x = _one_of(x, input, "the sequences as x or as input")
        if x is None:
            raise TypeError(
                "DREAMStack.forward() missing the sequences: x (or input, nn.GRU's name)."
            )
        states = _one_of(states, hx, "the initial states as states or as hx")
        name = "states" if hx is None else "hx"  # (as given: a review's finding)
        if states is None:
            states = [None] * len(self.layers)
        if isinstance(states, DREAMState):  # (its six tensors were counted as layers)
            raise TypeError(
                f"{name} must hold one state per layer (a list, or a (layers, batch, hidden) "
                "tensor h0); got one DREAMState: pass [state] for a stack of one layer."
            )
        if len(states) != len(self.layers):
            raise ValueError(
                f"{name} must hold {len(self.layers)} states, one per layer (a list, or a "
                f"({len(self.layers)}, batch, hidden) tensor h0); got {len(states)}."
            )
        new_states, diagnostics = [], []
        top = len(self.layers) - 1
        for k, (layer, state) in enumerate(zip(self.layers, states, strict=True)):
            # The first layer's errors name the sequences as given (x, or input=, nn.GRU's
            # name; review 161); the later layers' inputs are the layer below's outputs.
            # (positional otherwise, as before: a forward pre-hook reads args[0]; review 164.
            # Called with input=, the first layer is called so too, and a pre-hook on it
            # finds the sequences among its keyword arguments, as one on nn.GRU called
            # with input= does; review 167)
            by_name = k == 0 and input is not None
            args, given = ((), {"input": x, "state": state}) if by_name else ((x, state), {})
            try:
                x, state, diag = layer(
                    *args,
                    **given,
                    lengths=lengths,
                    mask=mask,
                    timespans=timespans,
                    return_diagnostics=True,
                )
            except (TypeError, ValueError) as err:  # (which layer: review 122)
                if type(err) not in (TypeError, ValueError):
                    raise
                at = "" if hx is None else f" (hx[{k}])"  # (as given: review 156)
                raise type(err)(f"DREAMStack layer {k}{at}: {err}") from err
            if k < top:
                x = self._drop(x)
            new_states.append(state)
            diagnostics.append(diag)
        if return_diagnostics:
            return x, new_states, diagnostics
        return x, new_states
