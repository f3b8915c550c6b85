"""DREAMCell: one time step of the DREAM cell for a batch, as a torch module."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, NamedTuple, NoReturn

import numpy as np
import torch
from torch import nn

from ._config import _STEP_FLOOR, DREAMConfig, _is_real
from ._state import DREAMState
from ._step import NUMPY_OPS, TORCH_OPS, StepFlags, StepParams, dream_step

__all__ = ["DREAMCell", "DREAMStepOutput"]


# Fields of DREAMConfig that only set a trainable parameter's initial value: a loaded
# state_dict overrides them, so they may differ between a checkpoint and the module.
# Every other field changes what the cell computes and is saved with its weights.
_INITIAL_VALUES = frozenset(
    {
        "base_plasticity",
        "base_threshold",
        "entropy_influence",
        "surprise_temperature",
        "kappa",
        "ltc_tau_sys",
        "ltc_surprise_scale",
    }
)


def _seeded(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """``build()``'s module with its weights drawn from a generator seeded with ``seed``,
    in float32 (the estimators cast it to their own dtype afterwards).

    Building draws from torch's global CPU generator; ``fork_rng`` puts it back (and
    touches no CUDA generator), so a seed fixes the weights without moving any global
    generator. The draw is in float32 whatever torch's default dtype: a float64 default
    draws other numbers from the same generator, and a seed fixed other weights in a
    process that had set it (a review's finding). The module must have
    ``reset_parameters(generator)``.
    """
    with torch.random.fork_rng(devices=[]):
        module = build().float()
    module.reset_parameters(torch.Generator().manual_seed(seed))
    return module


class _Required:
    """The default of the cells' and layers' sizes: required, but missing only after
    ``nn.GRU``'s / ``nn.GRUCell``'s names for them are looked for."""

    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


def _gru_cell_arguments(input_dim: Any, hidden_dim: Any, gru_args: tuple, config: dict) -> tuple:
    """``DREAMCell``'s ``(input_dim, hidden_dim)``, each given under its name or
    ``nn.GRUCell``'s (``input_size``, ``hidden_size``); ``nn.GRUCell``'s ``bias=False``
    taken (removed from ``config``: the cell has no bias terms), by keyword or as its
    third positional argument (``gru_args``), ``bias=True`` refused with why. (They
    reached DREAMConfig's "unexpected keyword" before: review 157; a positional one,
    Python's "takes from 1 to 3 positional arguments": review 251.)"""
    if len(gru_args) > 1:
        raise TypeError(
            f"DREAMCell takes at most 3 positional arguments (input_dim, hidden_dim and "
            f"nn.GRUCell's bias, which must be False); got {2 + len(gru_args)}. Give "
            "device, dtype and the cell's settings (rank=...) by keyword."
        )
    if gru_args:
        if "bias" in config:
            raise TypeError(
                "DREAMCell got bias twice: as its third positional argument (nn.GRUCell's) "
                "and by keyword; give one."
            )
        config["bias"] = gru_args[0]
    sizes = {"input_dim": input_dim, "hidden_dim": hidden_dim}
    for gru_name, name in (("input_size", "input_dim"), ("hidden_size", "hidden_dim")):
        if gru_name in config:
            if sizes[name] is not _REQUIRED:
                raise TypeError(
                    f"DREAMCell got {name} and nn.GRUCell's name for it, {gru_name}; give one."
                )
            sizes[name] = config.pop(gru_name)
    if "bias" in config:
        bias = config.pop("bias")
        # (any number equal to 0, as nn.GRUCell reads bias: 0.0 was refused; review 254)
        if not (isinstance(bias, bool | np.bool_ | int | float | np.number) and bias == 0):
            raise TypeError(
                f"DREAMCell has no bias terms (bias=False is taken); got bias={bias!r}."
            )
    missing = [name for name, value in sizes.items() if value is _REQUIRED]
    if missing:
        raise TypeError(f"DREAMCell() missing required argument(s): {', '.join(missing)}.")
    return sizes["input_dim"], sizes["hidden_dim"]


def _one_of(given: Any, alias: Any, names: str, torch_name: str = "nn.GRU") -> Any:
    """``given``, or in its place ``alias`` (its name in ``torch_name``'s ``forward``);
    a TypeError where both are given. ``names``: the two, as the error says them."""
    if alias is None:
        return given
    if given is not None:
        raise TypeError(f"Give {names} ({torch_name}'s), not both.")
    return alias


def _refuse_script(owner: str) -> NoReturn:
    """``torch.jit.script``'s refusal of ``owner``, saying so (it failed on the
    config's dataclass source, "Failed to get source", or on keyword-only arguments;
    review 251); ``torch.jit.script`` calls ``__prepare_scriptable__`` first."""
    raise RuntimeError(
        f"{owner} does not support TorchScript (torch.jit.script). Use torch.compile, "
        "or torch.export for a program to deploy (docs/design.md, 'Drop-in details')."
    )


def _extend_v(V: torch.Tensor, d_new: int, generator: torch.Generator) -> torch.Tensor:
    """Rows for new inputs of the fixed projection ``V`` (d, r), keeping the old rows.

    While there are fewer than ``r`` rows, the rows are orthonormal: new rows are
    completed orthonormally (random, projected off the old ones). Beyond ``r``, the
    first ``r`` rows form an orthogonal matrix, so the columns are orthonormal and
    zero rows keep them so (a new input then has no fast-weight term).
    """
    d_old, r = V.shape
    V = V.double()
    n_fill = max(0, min(d_new, r) - d_old)
    rows = [V]
    if n_fill:
        G = torch.randn(n_fill, r, generator=generator, dtype=torch.float64)
        G = G - (G @ V.T) @ V
        q, _ = torch.linalg.qr(G.T)  # (r, n_fill), orthonormal columns
        rows.append(q.T)
    rows.append(torch.zeros(d_new - d_old - n_fill, r, dtype=torch.float64))
    return torch.cat(rows)


# The trainable parameters that are scalars (eta: one per unit), in StepParams'
# order: the config field each starts from, and the floor step_params clamps it to.
_STARTS = {
    "eta": "base_plasticity",
    "tau0": "base_threshold",
    "alpha": "entropy_influence",
    "gamma": "surprise_temperature",
    "kappa": "kappa",
    "tau_sys": "ltc_tau_sys",
    "scale": "ltc_surprise_scale",
}
_SCALARS = tuple(_STARTS)
_FLOORS = {
    "eta": 0.0,
    "tau0": 0.0,
    "alpha": 0.0,
    "gamma": _STEP_FLOOR,
    "kappa": 0.0,
    "tau_sys": _STEP_FLOOR,
    "scale": 0.0,
}


class _Floors(torch.autograd.Function):
    """``p.clamp(min=floor)`` of each scalar parameter, whose gradient still lifts a
    parameter below its floor (one call for all: ``Function.apply`` costs tens of
    microseconds, review 182; :class:`_FloorsForward` adds the forward mode).

    ``clamp``'s gradient is 0 below the floor: a parameter an optimizer step took
    there (Adam's momentum carries it on) never learned again, even once the loss
    wanted it back up (review 175: ``kappa`` at -0.409, then -0.478 after 30 steps
    that pushed it up). Here, below the floor, a gradient that would raise the
    parameter passes and one that would lower it further is 0: it stays near its
    floor, and comes back when the loss asks. At or above the floor, ``clamp``'s."""

    generate_vmap_rule = True  # (torch.func's transforms take it as they take clamp)

    @staticmethod
    def forward(floors: tuple, *params: torch.Tensor) -> tuple:
        return tuple(p.clamp(min=f) for p, f in zip(params, floors, strict=True))

    @staticmethod
    def setup_context(ctx, inputs: tuple, output: tuple) -> None:
        ctx.floors, *params = inputs
        ctx.save_for_backward(*params)

    @staticmethod
    def backward(ctx, *grads: torch.Tensor) -> tuple:
        floors, params = ctx.floors, ctx.saved_tensors
        return None, *(  # (descent raises p where the gradient is negative)
            torch.where((p >= f) | (g < 0), g, 0.0)
            for p, f, g in zip(params, floors, grads, strict=True)
        )


class _FloorsForward(_Floors):
    """:class:`_Floors` with a forward-mode rule (``torch.func.jvp``, ``jacfwd``,
    ``hessian`` failed without one: review 182). Eager only: dynamo refuses a custom
    ``jvp``, and ``torch.compile(fullgraph=True)`` of the layer failed with it (review
    184), so a compiled graph takes :class:`_Floors`."""

    @staticmethod
    def setup_context(ctx, inputs: tuple, output: tuple) -> None:
        _Floors.setup_context(ctx, inputs, output)
        ctx.save_for_forward(*inputs[1:])

    @staticmethod
    def jvp(ctx, floors_tangent: None, *tangents: torch.Tensor | None) -> tuple:
        floors, params = ctx.floors, ctx.saved_tensors
        return tuple(
            torch.zeros_like(p) if t is None else torch.where(p >= f, t, 0.0)
            for p, f, t in zip(params, floors, tangents, strict=True)
        )


_FLOOR_VALUES = tuple(_FLOORS[name] for name in _SCALARS)


def _floored(params: tuple) -> tuple:
    """The scalar parameters ``params`` (in ``_SCALARS``' order) at their floors at
    least: through :class:`_Floors` where a gradient is taken, else plain ``clamp``
    (the same values; no Python autograd call). A trace (``torch.jit.trace``) takes
    ``clamp`` always: its check runs the model again without gradients, and the two
    graphs must be one."""
    if (
        torch.is_grad_enabled()
        and any(p.requires_grad for p in params)
        and not torch.jit.is_tracing()
    ):
        floors = _Floors if torch.compiler.is_compiling() else _FloorsForward
        return floors.apply(_FLOOR_VALUES, *params)
    return _clamped(params)


def _clamped(params: tuple) -> tuple:
    """The scalar parameters ``params`` clamped at their floors: ``clamp``'s values and
    gradient (0 below a floor), the cell's until round 35."""
    return tuple(p.clamp(min=f) for p, f in zip(params, _FLOOR_VALUES, strict=True))


# The config's fields the step reads as numbers (:func:`_constants`; the time step is
# checked as dt, or as the layer's time_step).
_CONSTANT_FIELDS = (
    "forgetting_rate",
    "error_smoothing",
    "surprise_smoothing",
    "target_norm",
    "sleep_rate",
    "min_surprise_for_sleep",
    "fast_weight_scale",
)


def _check_constants(cfg: DREAMConfig, dtype: torch.dtype, owner: str) -> None:
    """Refuse a constant of ``cfg`` that ``dtype``, the one the step runs in, cannot
    hold. The config takes any finite value, and the step's products take the dtype
    of its tensors: past its range a constant was inf, and inf * 0 NaN (the first
    step's fast weights with fast_weight_scale=1e39 in float32, the forgetting over
    dt=0 with forgetting_rate=1e39; review 303). Checked when the step runs, in the
    dtype it runs in: a float64 cell or estimator takes what float64 holds, and a
    cell cast to float32 afterwards is refused."""
    if not dtype.is_floating_point:
        return
    largest = torch.finfo(dtype).max
    for name in _CONSTANT_FIELDS:
        value = getattr(cfg, name)
        if abs(value) > largest:
            raise ValueError(
                f"The {name!r} parameter of the DREAM cell is {value!r}, which {dtype}, "
                f"the dtype of the {owner}, cannot hold (at most {largest:g}); run it in a "
                "wider dtype."
            )


def _constants(cfg: DREAMConfig) -> tuple:
    """StepParams' fixed constants (``lam`` ... ``fast_scale``) from ``cfg``."""
    return (
        cfg.forgetting_rate,
        cfg.error_smoothing,
        cfg.surprise_smoothing,
        cfg.target_norm,
        cfg.sleep_rate,
        cfg.min_surprise_for_sleep,
        cfg.fast_weight_scale,
    )


def _step_flags(cfg: DREAMConfig) -> StepFlags:
    """The mechanism switches of ``cfg``, as :func:`dream_step` takes them."""
    return StepFlags(
        plasticity=cfg.plasticity_enabled,
        ltc=cfg.ltc_enabled,
        sleep=cfg.sleep_enabled,
        relative=cfg.surprise_mode == "relative",
    )


def _uniform_weights(
    cfg: DREAMConfig,
    generator: torch.Generator | None,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
) -> dict[str, torch.Tensor]:
    """``B``, ``W`` (fan-in ``input_dim``) and ``C`` (fan-in ``hidden_dim``) of a new
    cell, uniform within 1 / sqrt(fan-in), drawn in that order from ``generator``
    (torch's global generator when None) in ``dtype`` (the default dtype when None)."""
    d, n = cfg.input_dim, cfg.hidden_dim
    out = {}
    for name, shape, fan in (("B", (d, n), d), ("W", (d, n), d), ("C", (n, d), n)):
        bound = 1 / math.sqrt(fan)
        weight = torch.empty(shape, dtype=dtype, device=device)
        out[name] = weight.uniform_(-bound, bound, generator=generator)
    return out


def _orthonormal(cfg: DREAMConfig, generator: torch.Generator | None) -> torch.Tensor:
    """A new cell's ``V`` (float64, drawn after :func:`_uniform_weights`): orthonormal
    columns when ``rank <= input_dim``, orthonormal rows otherwise."""
    d, r = cfg.input_dim, cfg.rank
    device = None if generator is None else generator.device
    g = torch.randn(max(d, r), min(d, r), generator=generator, dtype=torch.float64, device=device)
    q, _ = torch.linalg.qr(g)
    return q if r <= d else q.T


def _initial_weights(
    cfg: DREAMConfig,
    generator: torch.Generator | None,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
) -> dict[str, torch.Tensor]:
    """A new cell's weights, as ``reset_parameters`` copies them in: ``B``, ``W``,
    ``C`` (:func:`_uniform_weights`) and the scalars at ``cfg``'s starting values in
    ``dtype``, then ``V`` (:func:`_orthonormal`)."""
    dtype = torch.get_default_dtype() if dtype is None else dtype
    out = _uniform_weights(cfg, generator, dtype, device)
    largest = torch.finfo(dtype).max
    for name in _SCALARS:
        value = getattr(cfg, _STARTS[name])
        if abs(value) > largest:  # (torch.full's overflow error named no parameter)
            raise ValueError(  # (estimators draw in float32, then take their own dtype)
                f"The {_STARTS[name]!r} parameter of the DREAM cell must fit in "
                f"{dtype}, the dtype its starting weights are made in (at most "
                f"{largest:g}); got {value!r}."
            )
        shape = (cfg.hidden_dim,) if name == "eta" else ()
        out[name] = torch.full(shape, value, dtype=dtype, device=device)
    out["V"] = _orthonormal(cfg, generator)
    return out


def _with_inputs(config: DREAMConfig, input_dim: int) -> DREAMConfig:
    """``config`` with ``input_dim`` inputs, its other fields as they are (they were
    validated when it was built; ``dataclasses.replace`` would check all 22 again)."""
    input_dim = operator.index(input_dim)  # (a Python int: torch's seed takes no other)
    config = copy.copy(config)
    object.__setattr__(config, "input_dim", input_dim)
    return config


class _CellWeights(NamedTuple):
    """A float64 cell's weights as NumPy arrays: the online estimators' cell.

    The online estimators grow their cell with every new feature or class, and
    step it on NumPy arrays; they keep these, and build the :class:`DREAMCell`
    module (:meth:`DREAMCell._from_weights`) only when asked for it (``cell_``):
    a module per growth event cost more than the rest of the event.
    """

    C: np.ndarray  # (n, d)
    W: np.ndarray  # (d, n)
    B: np.ndarray  # (d, n)
    V: np.ndarray  # (d, r)
    eta: np.ndarray  # (n,)
    tau0: np.ndarray  # the other scalars: 0-d
    alpha: np.ndarray
    gamma: np.ndarray
    kappa: np.ndarray
    tau_sys: np.ndarray
    scale: np.ndarray

    @classmethod
    def drawn(cls, config: DREAMConfig, seed: int) -> _CellWeights:
        """The weights of a new cell of ``config``, drawn from ``(seed, input_dim)``:
        as ``_seeded(partial(DREAMCell.from_config, config), seed * 1009 +
        input_dim).double()`` holds them (drawn in float32, then float64), with no
        module built and no global generator moved."""
        generator = torch.Generator().manual_seed(seed * 1009 + config.input_dim)
        weights = _initial_weights(config, generator, torch.float32)
        # (V as the module's buffer holds it: in float32 (_seeded's), then float64, and
        # C-ordered: the QR's is column-major, and NumPy's products over it round
        # otherwise than over the module's copy; a review's finding)
        weights["V"] = weights["V"].to(weights["B"].dtype).contiguous()
        return cls(**{name: t.double().numpy() for name, t in weights.items()})

    @classmethod
    def of(cls, cell: DREAMCell) -> _CellWeights:
        """``cell``'s weights in float64 (sharing its memory where it is a float64
        cell on the CPU)."""
        with torch.no_grad():
            return cls(*(getattr(cell, name).cpu().double().numpy() for name in cls._fields))

    def grown(self, config: DREAMConfig, seed: int) -> _CellWeights:
        """These weights for ``config.input_dim`` inputs (at least as many as now),
        these kept for their own inputs. The new inputs' rows of ``B``, ``W`` and
        columns of ``C`` are a new cell's of that size (:meth:`drawn`); ``V`` grows
        by ``_extend_v`` from a generator seeded with ``(seed, input_dim)``. The
        result depends only on the seed and the growth history."""
        d_new, d_old = config.input_dim, self.B.shape[0]
        if d_new < d_old:
            raise ValueError(f"A cell grows: {d_new} inputs asked, it has {d_old}.")
        generator = torch.Generator().manual_seed(seed * 1009 + d_new)
        new = _uniform_weights(config, generator, torch.float32)  # (as drawn's)
        B, W, C = (new[name].double().numpy() for name in ("B", "W", "C"))
        extra = torch.Generator().manual_seed(seed * 1013 + d_new)
        V = _extend_v(torch.from_numpy(self.V), d_new, extra)
        # Every array new (the scalars copied): a module built from the old weights
        # (``cell_`` read before the growth) no longer reaches the grown ones.
        return type(self)(
            C=np.concatenate([self.C, C[:, d_old:]], axis=1),
            W=np.concatenate([self.W, W[d_old:]]),
            B=np.concatenate([self.B, B[d_old:]]),
            V=V.numpy(),
            **{name: np.array(getattr(self, name)) for name in _SCALARS},
        )

    def step_params(self, config: DREAMConfig) -> StepParams:
        """The parameters as :func:`dream_step` takes them on NumPy arrays, as
        :meth:`DREAMCell.numpy_step_params` gives them for a float64 cell."""
        return StepParams(
            self.C,
            self.W,
            self.B,
            self.V,
            *(np.maximum(getattr(self, name), _FLOORS[name]) for name in _SCALARS),
            *_constants(config),
        )


def _apart(state: DREAMState, start: DREAMState) -> DREAMState:
    """``state`` with each tensor that is ``start``'s own (a part no step changed: ``U``
    with plasticity off, ``U_target`` with sleep off) copied, so that the state returned
    shares no memory with the one passed in, as ``nn.GRU``'s ``h_n`` (an in-place edit
    of one changed the other; review 122)."""
    if not any(new is old for new, old in zip(state, start, strict=True)):
        return state
    return DREAMState(
        *(new.clone() if new is old else new for new, old in zip(state, start, strict=True))
    )


def _autocast_on(device_type: str) -> bool:
    """Whether autocast is on for this device type (never for one it does not know)."""
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4: no device argument, CUDA only
        return device_type == "cuda" and torch.is_autocast_enabled()
    except RuntimeError:  # a device type autocast does not support ("meta")
        return False


class DREAMStepOutput(NamedTuple):
    """What one step returns: the output, the new state and the step's diagnostics.

    :meth:`DREAMCell.step` returns it (``forward`` returns the output and the state
    only, where ``nn.GRUCell``'s returns the new hidden state alone, which is its
    output: ``h, state = cell(x, state)``). ``surprise`` (in [0, 1]) and ``tau`` (the
    effective time constant) are of shape ``(batch,)``.

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAMCell
    >>> cell = DREAMCell(3, 4, rank=2)
    >>> out = cell.step(torch.randn(2, 3), cell.initial_state(2))
    >>> out._fields
    ('output', 'state', 'surprise', 'tau')
    >>> tuple(out.output.shape), tuple(out.surprise.shape)
    ((2, 4), (2,))
    """

    output: torch.Tensor
    state: DREAMState
    surprise: torch.Tensor
    tau: torch.Tensor


def _as_float_tensor(values: Any, name: str, device: torch.device) -> torch.Tensor:
    """``values`` given as a list, tuple or array, as a float64 tensor on ``device`` (the
    callers cast it as they cast a tensor's). A TypeError naming ``name`` where they
    are not real numbers: text, booleans and complex numbers are refused, as one such
    value is (review 213: ``["0.5"]`` was read as 0.5, ``[True]`` as 1, a complex
    array as its real part)."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError, RuntimeError) as err:  # (a tensor that requires grad)
        array, why = None, f" ({err})"
    if array is not None and array.dtype.kind == "O" and all(map(_real_item, array.flat)):
        try:  # (real numbers held as objects: a frame's column)
            array = array.astype(np.float64)
        except OverflowError as err:  # (an int beyond float's range)
            array, why = None, f" ({err})"
    if array is not None and array.dtype.kind in "iuf":
        return torch.as_tensor(array.astype(np.float64), dtype=_span_dtype(device)).to(device)
    if array is not None:
        why = f" (of dtype {array.dtype})"
    raise TypeError(
        f"{name} must be a tensor (or a list or array) of real numbers; got "
        f"{type(values).__name__}{why}."
    )


def _real_tensor(t: torch.Tensor, name: str) -> torch.Tensor:
    """Tensor ``t`` of real numbers: integers as floating point (float64, or float32
    where the device has no float64, as :func:`_as_float_tensor` reads them), floats
    as they are. A TypeError naming ``name`` where it holds booleans or complex
    numbers, as :func:`_as_float_tensor` refuses them in a list or array (review 240:
    a bool tensor of timespans or ``dt`` ran as 1.0 and 0.0, a complex one raised
    torch's ``NotImplementedError``; so did uint16-uint64 ones, review 241)."""
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(
            f"{name} must be a tensor (or a list or array) of real numbers; got a tensor "
            f"of dtype {t.dtype}."
        )
    return t if t.dtype.is_floating_point else t.to(_span_dtype(t.device))


def _values_checkable(t: torch.Tensor) -> bool:
    """Whether ``t``'s values may be read to check them: not while ``torch.compile``
    traces (a data-dependent branch), nor under ``torch.vmap``, which refuses any
    (``dt`` and ``timespans`` mapped over failed in their checks; review 210), nor on
    tensors without values, the ``meta`` device's and ``FakeTensorMode``'s (``lengths``
    there failed in their checks; review 228)."""
    return not (torch.compiler.is_compiling() or t.is_meta or _is_batched(t) or _is_fake(t))


def _is_fake(t: torch.Tensor) -> bool:
    """Whether ``t`` is a ``FakeTensorMode`` tensor (shapes, no values)."""
    return _IS_FAKE is not None and _IS_FAKE(t)


# torch's test of a fake tensor, looked up once (None where a torch has none, and so no
# FakeTensorMode to run under)
try:
    from torch._subclasses.fake_tensor import is_fake as _IS_FAKE
except ImportError:
    _IS_FAKE = None


# torch's own tests of functorch's tensors (None where this torch has none), looked
# up once: the cell's step reads them on every call
_FUNCTORCH = getattr(torch._C, "_functorch", None)
_BATCHED = getattr(_FUNCTORCH, "is_batchedtensor", None)
_WRAPPED = getattr(_FUNCTORCH, "is_functorch_wrapped_tensor", None)
_UNWRAP = getattr(_FUNCTORCH, "get_unwrapped", None)


def _is_batched(t: torch.Tensor) -> bool:
    """Whether ``t`` is mapped by a ``torch.vmap``, also beneath another transform
    (``vmap(grad(f))``, per-sample gradients: the tensor is grad's wrapper of a
    batched one; review 220); False where this torch has no such test."""
    while _BATCHED is not None:
        if _BATCHED(t):
            return True
        if _WRAPPED is None or _UNWRAP is None or not _WRAPPED(t):
            return False
        t = _UNWRAP(t)
    return False


def _is_wrapped(t: torch.Tensor) -> bool:
    """Whether ``t`` is a functorch transform's tensor (``torch.func.grad``'s,
    ``vmap``'s); False where this torch has no such test."""
    return _WRAPPED is not None and _WRAPPED(t)


def _real_item(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _span_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64  # (MPS: no float64)


class DREAMCell(nn.Module):
    """One time step of the DREAM cell, for a batch (the analogue of ``nn.GRUCell``).

    Slow parameters (``C, W, B, eta`` and the scalars ``tau0, alpha, gamma, kappa,
    tau_sys, scale``) learn by backpropagation. The fast state (:class:`DREAMState`)
    is an explicit value passed in and returned; the fixed orthonormal projection
    ``V`` is a buffer. The mathematics is in one function shared with the online
    estimators; see ``docs/design.md``.

    Parameters
    ----------
    input_dim : int
        Number of input features (``nn.GRUCell``'s ``input_size`` is taken in its place).
    hidden_dim : int
        Number of hidden units (``nn.GRUCell``'s ``hidden_size`` is taken in its
        place; and its ``bias=False``: the cell has no bias terms).
    *gru_args : bool, optional
        ``nn.GRUCell``'s third positional argument, ``bias``: ``False`` (or 0) is
        taken, anything else refused (the cell's own settings are keyword-only).
    device, dtype : optional
        Where and in which dtype the weights are made and drawn (torch's factory
        arguments, as ``nn.GRUCell`` takes them); the default device and dtype
        otherwise.
    **config : dict
        Any other field of :class:`DREAMConfig` (``rank``, ``time_step``, switches...).

    Notes
    -----
    Under ``torch.autocast`` the step runs as :class:`DREAM`'s loop does: ``x`` and
    the state are cast to the parameters' dtype and the step runs there, autocast
    off, so the state it returns is the one it takes next (see ``docs/design.md``,
    "dtypes").

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAMCell
    >>> _ = torch.manual_seed(0)
    >>> cell = DREAMCell(input_dim=3, hidden_dim=8, rank=2)
    >>> h, state = cell(torch.randn(5, 3))
    >>> h.shape, state.U.shape
    (torch.Size([5, 8]), torch.Size([5, 8, 2]))
    """

    def __init__(
        self,
        input_dim: int = _REQUIRED,
        hidden_dim: int = _REQUIRED,
        *gru_args: Any,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **config,
    ) -> None:
        super().__init__()
        input_dim, hidden_dim = _gru_cell_arguments(input_dim, hidden_dim, gru_args, config)
        config = DREAMConfig(input_dim=input_dim, hidden_dim=hidden_dim, **config)
        self._setup(config, {"device": device, "dtype": dtype})
        self.reset_parameters()

    def _setup(self, config: DREAMConfig, factory: dict | None = None) -> None:
        """The parameters and buffers of a cell of ``config``, not yet drawn
        (``factory``: torch's ``device`` and ``dtype`` arguments)."""
        self._config = config
        cfg = config  # frozen: the switches are built once (read on every step)
        self._flags = _step_flags(cfg)
        d, n, r = cfg.input_dim, cfg.hidden_dim, cfg.rank  # plain ints
        kw = factory or {}
        self.C = nn.Parameter(torch.empty(n, d, **kw))
        self.W = nn.Parameter(torch.empty(d, n, **kw))
        self.B = nn.Parameter(torch.empty(d, n, **kw))
        self.eta = nn.Parameter(torch.empty(n, **kw))
        self.tau0 = nn.Parameter(torch.empty((), **kw))
        self.alpha = nn.Parameter(torch.empty((), **kw))
        self.gamma = nn.Parameter(torch.empty((), **kw))
        self.kappa = nn.Parameter(torch.empty((), **kw))
        self.tau_sys = nn.Parameter(torch.empty((), **kw))
        self.scale = nn.Parameter(torch.empty((), **kw))
        self.register_buffer("V", torch.empty(d, r, **kw))

    @classmethod
    def from_config(cls, config: DREAMConfig) -> DREAMCell:
        """Build a cell from a :class:`DREAMConfig`."""
        fields = {k: v for k, v in vars(config).items() if k not in ("input_dim", "hidden_dim")}
        return cls(config.input_dim, config.hidden_dim, **fields)

    @classmethod
    def _from_weights(cls, config: DREAMConfig, weights: _CellWeights) -> DREAMCell:
        """A float64 cell of ``config`` holding ``weights`` (its parameters and ``V``
        share their memory), built without drawing anything (see :class:`_CellWeights`)."""
        cell = cls.__new__(cls)
        nn.Module.__init__(cell)
        cell._setup(config)
        with torch.no_grad():
            for name, value in zip(weights._fields, weights, strict=True):
                tensor = torch.from_numpy(value)
                if name == "V":
                    cell._buffers["V"] = tensor
                else:  # (the same Parameter object, now holding the float64 values)
                    cell._parameters[name].data = tensor
        return cell

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw the weights anew and reset the scalars to ``config``'s values.

        Parameters
        ----------
        generator : torch.Generator, optional
            Where the random weights are drawn from (a generator on the weights'
            device); torch's global generator by default. A generator seeded by the
            caller reproduces the weights without touching any global generator.
        """
        weights = _initial_weights(self.config, generator, self.C.dtype, self.C.device)
        with torch.no_grad():
            for name, value in weights.items():
                getattr(self, name).copy_(value)

    @property
    def config(self) -> DREAMConfig:
        """The cell's configuration, fixed when it is built (read-only: the switches
        and sizes of the weights follow from it; build a new cell for another one)."""
        return self._config

    def __setstate__(self, state: dict) -> None:
        # A cell pickled before ``config`` became read-only held it as ``config``.
        if "config" in state and "_config" not in state:
            state["_config"] = state.pop("config")
        super().__setstate__(state)

    # nn.GRUCell's attributes, for code written against it (read-only).
    @property
    def input_size(self) -> int:
        """``config.input_dim``, under ``nn.GRUCell``'s name."""
        return self.config.input_dim

    @property
    def hidden_size(self) -> int:
        """``config.hidden_dim``, under ``nn.GRUCell``'s name."""
        return self.config.hidden_dim

    @property
    def flags(self) -> StepFlags:
        """The mechanism switches of ``config``, as :func:`dream_step` takes them."""
        return self._flags

    def step_params(self) -> StepParams:
        """The parameters as :func:`dream_step` takes them (constrained, differentiable)."""
        return StepParams(
            self.C,
            self.W,
            self.B,
            self.V,
            *_floored(tuple(getattr(self, name) for name in _SCALARS)),
            *_constants(self.config),
        )

    def numpy_step_params(self) -> StepParams:
        """The same parameters as float64 NumPy arrays, for the single-row NumPy path."""
        with torch.no_grad():
            p = self.step_params()
        return StepParams(
            *(v.detach().cpu().double().numpy() if isinstance(v, torch.Tensor) else v for v in p)
        )

    def initial_state(
        self,
        batch_size: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> DREAMState:
        """The zero state for ``batch_size`` sequences on this cell's device and dtype."""
        cfg = self.config
        return DREAMState.zeros(
            batch_size,
            cfg.input_dim,
            cfg.hidden_dim,
            cfg.rank,
            device=device if device is not None else self.C.device,
            dtype=dtype if dtype is not None else self.C.dtype,
        )

    def _dt(self, dt, batch_size: int, like: torch.Tensor) -> torch.Tensor:
        """``dt`` (a number, or a tensor, list or array of one or ``batch`` numbers) as a
        (batch,) tensor; refused unless finite and at least 0, as the
        layer refuses such ``timespans`` (a negative one reversed the fast weights'
        Hebbian step, a NaN or inf one poisoned the state). A tensor's values are not
        checked while ``torch.compile`` traces the step, nor under ``torch.vmap``
        (:func:`_values_checkable`)."""
        if dt is None:
            dt = self.config.time_step
        if isinstance(dt, np.ndarray) and dt.ndim == 0:  # (NumPy's 0-d: its number)
            dt = dt.item()
        elif isinstance(dt, list | tuple | np.ndarray):  # (as the layer's timespans)
            dt = _as_float_tensor(dt, "dt", like.device)
        if isinstance(dt, torch.Tensor):
            dt = _real_tensor(dt, "dt")
            if dt.dim() > 1 or (dt.dim() == 1 and dt.shape[0] not in (1, batch_size)):
                raise ValueError(
                    f"dt must be a float or a tensor of shape ({batch_size},); "
                    f"got shape {tuple(dt.shape)}."
                )
            if _values_checkable(dt) and not bool((torch.isfinite(dt) & (dt >= 0)).all()):
                raise ValueError(f"dt must be finite and at least 0; got {dt.tolist()[:5]}.")
            dt = dt.to(like.dtype).expand(batch_size)
        else:
            if isinstance(dt, bool) or not isinstance(dt, numbers.Real):
                # (text, a bool, a complex number: a TypeError, as in a list; review 311)
                raise TypeError(
                    f"dt must be a real number, or a tensor (or a list or array) of real "
                    f"numbers; got {type(dt).__name__}: {dt!r}."
                )
            if not _is_real(dt) or dt < 0:
                raise ValueError(f"dt must be a finite float >= 0 or a tensor; got {dt!r}.")
            # (a float beyond the dtype: torch.full raised its own RuntimeError in float32)
            dt = float(dt) if float(dt) <= torch.finfo(like.dtype).max else math.inf
            dt = torch.full((batch_size,), dt, dtype=like.dtype, device=like.device)
        # (checked as given, then as cast: 1e5 in a float16 cell became inf, and the
        # state NaN, without a word; review 122)
        if _values_checkable(dt) and not bool(torch.isfinite(dt).all()):
            raise ValueError(
                f"dt overflows the cell's dtype {like.dtype} (largest "
                f"{torch.finfo(like.dtype).max:g}); give it in larger units, or run the cell "
                "in a wider dtype."
            )
        return dt

    def step(
        self,
        x: torch.Tensor,
        state: DREAMState | None = None,
        dt: float | torch.Tensor | Sequence[float] | np.ndarray | None = None,
    ) -> DREAMStepOutput:
        """One step with diagnostics: ``(output, state, surprise, tau)``.

        ``x`` is (batch, input_dim); ``dt`` a float or a (batch,) tensor, list or array
        of elapsed times (default ``config.time_step``), as the layer's ``timespans``.
        """
        if x.dim() != 2 or x.shape[1] != self.config.input_dim:
            one = (
                " For one row, pass x.unsqueeze(0): unlike nn.GRUCell's, the cell's state is "
                "always batched."
                if x.dim() == 1
                else ""
            )
            raise ValueError(
                f"x must have shape (batch, {self.config.input_dim}); got {tuple(x.shape)}.{one}"
            )
        # Under autocast the step runs as the layer's loop does: in the parameters'
        # dtype, autocast off (its products in bfloat16 returned a state of two
        # dtypes, refused at the next step, and a recurrence apart from the layer's).
        autocast_on = _autocast_on(x.device.type)
        if x.dtype != self.C.dtype:
            if not autocast_on:  # (it failed deep in the step)
                # (a cell of integer dtype cannot be: no advice to make one)
                cell = f", or the cell: cell.to({x.dtype})" if x.dtype.is_floating_point else ""
                raise TypeError(
                    f"x has dtype {x.dtype} but the cell's parameters are {self.C.dtype}. "
                    f"Convert the input: x.to({self.C.dtype}){cell}."
                )
            x = x.to(self.C.dtype)  # (as autocast casts a float32 op's inputs)
        cfg = self.config
        _check_constants(cfg, x.dtype, "cell")
        if state is None:
            state = self.initial_state(x.shape[0], x.device, x.dtype)
        elif not isinstance(state, DREAMState):
            raise TypeError(
                "state must be a DREAMState (the cell's whole fast state, e.g. "
                "cell.initial_state(batch)._replace(h=h0) to start from a hidden state h0) "
                f"or None; got {type(state).__name__}. (The layer DREAM takes the tensor h0 "
                "itself, and keeps its gradient: a DREAMState given to it is detached.)"
            )
        else:
            state._check(x.shape[0], cfg.input_dim, cfg.hidden_dim, cfg.rank, x.device)
            if any(t.dtype != x.dtype for t in state):
                if not autocast_on:
                    raise TypeError(
                        f"state has dtype {state.h.dtype} but x has {x.dtype}; "
                        f"pass state.to({x.dtype})."
                    )
                state = state.to(x.dtype)
        with torch.autocast(x.device.type, enabled=False) if autocast_on else nullcontext():
            h, U, Ut, em, ev, sb, surprise, tau = dream_step(
                TORCH_OPS, self.step_params(), self.flags, x, *state, self._dt(dt, x.shape[0], x)
            )
        new = _apart(DREAMState(h, U, Ut, em, ev, sb), state)
        return DREAMStepOutput(h, new, surprise, tau)

    def forward(
        self,
        x: torch.Tensor | None = None,
        state: DREAMState | None = None,
        dt: float | torch.Tensor | Sequence[float] | np.ndarray | None = None,
        *,
        hx: DREAMState | None = None,
        input: torch.Tensor | None = None,  # noqa: A002 (nn.GRUCell's name)
    ) -> tuple[torch.Tensor, DREAMState]:
        """One step: ``(output, new_state)`` for ``x`` of shape (batch, input_dim).
        ``input`` and ``hx`` are ``x`` and ``state`` by ``nn.GRUCell``'s names for
        them (``cell(input=x, hx=state)``); give one of each pair. Unlike
        ``nn.GRUCell``'s, the state is a :class:`DREAMState` (a tensor is refused: the
        cell's fast weights are part of it), and the output comes with the new state."""
        x = _one_of(x, input, "the step's input as x or as input", "nn.GRUCell")
        if x is None:
            raise TypeError("DREAMCell.forward() missing the step's input: x (or input).")
        state = _one_of(state, hx, "the state as state or as hx", "nn.GRUCell")
        out = self.step(x, state, dt)
        return out.output, out.state

    def __prepare_scriptable__(self) -> NoReturn:
        """Refuse ``torch.jit.script`` saying why (it calls this first)."""
        _refuse_script("DREAMCell")

    def numpy_step(self, params: StepParams, x: np.ndarray, state: tuple, dt: float | np.ndarray):
        """One step on NumPy arrays (batch first) with parameters from
        :meth:`numpy_step_params`; returns ``dream_step``'s tuple. ``dt`` is a float or
        a (batch,) array (a caller stepping one row at a time can build it once)."""
        if not isinstance(dt, np.ndarray):
            dt = np.full(x.shape[0], dt)
        return dream_step(NUMPY_OPS, params, self.flags, x, *state, dt)

    def _saved_config(self) -> dict[str, Any]:
        """The fields of ``config`` that change what the cell computes: the mechanism
        switches, ``surprise_mode``, ``time_step``, the fixed rates, the sizes; not the
        initial values of trainable parameters (the weights themselves carry those)."""
        return {
            f.name: getattr(self.config, f.name)
            for f in dataclasses.fields(self.config)
            if f.name not in _INITIAL_VALUES
        }

    def get_extra_state(self) -> torch.Tensor:
        """The configuration saved with the weights in ``state_dict()``, as the bytes
        of a JSON object in a uint8 tensor (every value of a state_dict stays a tensor:
        ``torch.jit.trace``, safetensors and ``{k: v.clone() ...}`` all expect one)."""
        data = json.dumps(self._saved_config(), sort_keys=True).encode()
        return torch.frombuffer(bytearray(data), dtype=torch.uint8)

    @staticmethod
    def _decode_config(state: Any) -> dict[str, Any]:
        if isinstance(state, torch.Tensor) and state.dim() == 1:
            try:
                config = json.loads(bytes(state.to(torch.uint8).tolist()))
            except ValueError:
                config = None
            if isinstance(config, dict):
                return config
        raise ValueError(
            "The saved extra state of a DREAMCell must be its configuration as JSON bytes "
            f"in a 1-D uint8 tensor (as get_extra_state makes it); got {state!r}."
        )

    def set_extra_state(self, state: Any) -> None:
        """Check the saved configuration's format. The configuration is frozen: it was
        compared with this cell's before loading (a mismatch is refused)."""
        self._decode_config(state)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # A checkpoint saved with another configuration is refused, as a size mismatch
        # is (torch reports error_msgs whatever ``strict``). One from before the
        # configuration was saved loads as before: it gets this cell's.
        key = prefix + "_extra_state"
        if key not in state_dict:
            state_dict[key] = self.get_extra_state()
        else:
            saved, mine = self._decode_config(state_dict[key]), self._saved_config()
            differences = [
                f"{name}={value!r} in the checkpoint, {mine[name]!r} in this module"
                for name, value in saved.items()
                if name in mine and value != mine[name]
            ]
            if differences:
                error_msgs.append(
                    f"DREAMCell configuration mismatch for {prefix.rstrip('.') or 'the cell'}: "
                    + "; ".join(differences)
                    + ". Build the module with the checkpoint's values, or delete the key "
                    f"{key!r} from the state_dict to load the weights into this configuration."
                )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def extra_repr(self) -> str:
        cfg = self.config
        return f"input_dim={cfg.input_dim}, hidden_dim={cfg.hidden_dim}, rank={cfg.rank}"
