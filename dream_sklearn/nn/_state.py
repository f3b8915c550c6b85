"""The fast state of a batch of DREAM cells, as an explicit value."""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np
import torch

__all__ = ["DREAMState"]


def _ndim(index: Any) -> int:
    """The number of axes of an index (a list of lists is 2-d, as torch reads it)."""
    if isinstance(index, torch.Tensor):
        return index.dim()
    return np.ndim(index) if isinstance(index, list | np.ndarray) else 1


# torch's unsigned integer dtypes (uint16 to uint64 where this torch has them)
_UNSIGNED = tuple(
    getattr(torch, name) for name in ("uint8", "uint16", "uint32", "uint64") if hasattr(torch, name)
)


class DREAMState(NamedTuple):
    """Fast state of a batch of DREAM cells.

    The layer (``DREAM``) detaches the state it is given: a state returned by one
    call and passed to the next carries no gradient across the calls (the state it
    returns keeps its graph within the call). The cell (``DREAMCell``) passes
    gradients through a state it is given, as ``nn.GRUCell`` does through ``hx``,
    so that a loop of its steps is the layer's computation.

    Attributes
    ----------
    h : torch.Tensor of shape (batch, hidden_dim)
        Hidden state.
    U : torch.Tensor of shape (batch, hidden_dim, rank)
        Fast (Hebbian) weights.
    U_target : torch.Tensor of shape (batch, hidden_dim, rank)
        Consolidated memory that ``U`` decays towards.
    error_mean : torch.Tensor of shape (batch, input_dim)
        Moving average of the prediction error.
    error_var : torch.Tensor of shape (batch, input_dim)
        Moving variance of the prediction error.
    surprise : torch.Tensor of shape (batch,)
        Moving average of surprise (gates sleep).

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAMState
    >>> s = DREAMState.zeros(batch_size=2, input_dim=3, hidden_dim=4, rank=2)
    >>> s.h.shape, s.U.shape, s.batch_size
    (torch.Size([2, 4]), torch.Size([2, 4, 2]), 2)
    >>> s.select([1]).batch_size
    1
    """

    h: torch.Tensor
    U: torch.Tensor
    U_target: torch.Tensor
    error_mean: torch.Tensor
    error_var: torch.Tensor
    surprise: torch.Tensor

    @classmethod
    def zeros(
        cls,
        batch_size: int,
        input_dim: int,
        hidden_dim: int,
        rank: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> DREAMState:
        """The initial state: zero activity and memory, unit error variance."""
        kw = {"device": device, "dtype": dtype}
        return cls(
            h=torch.zeros(batch_size, hidden_dim, **kw),
            U=torch.zeros(batch_size, hidden_dim, rank, **kw),
            U_target=torch.zeros(batch_size, hidden_dim, rank, **kw),
            error_mean=torch.zeros(batch_size, input_dim, **kw),
            error_var=torch.ones(batch_size, input_dim, **kw),
            surprise=torch.zeros(batch_size, **kw),
        )

    @property
    def batch_size(self) -> int:
        return self.h.shape[0]

    def detach(self) -> DREAMState:
        """The same values cut from the autograd graph."""
        return DREAMState(*(t.detach() for t in self))

    def clone(self) -> DREAMState:
        """An independent copy (same graph)."""
        return DREAMState(*(t.clone() for t in self))

    def to(self, *args, **kwargs) -> DREAMState:
        """Move or cast every tensor, with the arguments of :meth:`torch.Tensor.to`."""
        return DREAMState(*(t.to(*args, **kwargs) for t in self))

    def select(self, index) -> DREAMState:
        """The state of some sequences of the batch (an index, slice, list of indices
        or mask). The batch axis stays: an int selects a batch of one."""
        if _is_scalar_bool(index):  # (t[True] adds an axis to every tensor)
            raise TypeError(
                f"index must be an int, a slice, a list of ints or a mask of shape (batch,); "
                f"got the bool {index!r}."
            )
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            index = [int(index)]  # (t[i] would drop the batch axis of every tensor)
        elif isinstance(index, torch.Tensor) and index.dim() == 0 and index.dtype != torch.bool:
            index = index.reshape(1)
        elif isinstance(index, np.ndarray) and index.ndim == 0 and index.dtype.kind in "iu":
            index = [int(index)]
        elif index is None or isinstance(index, tuple) or _ndim(index) > 1:
            # (None added an axis to every tensor, and a 2-d index one more: a state
            # of another shape; a tuple indexed other axes; review 210)
            raise TypeError(
                f"index must be an int, a slice, a list of ints or a mask of shape (batch,); "
                f"got {index!r}."
            )
        # Unsigned integers are indices (torch reads uint8 as a mask: tensor(0, uint8)
        # selected no sequence, [1, 1, 0] the first two; review 303), as int64; one
        # past int64's range is out of any batch's (a cast wrapped 2**64 - 1 to -1,
        # the last sequence; review 304).
        unsigned = None
        if isinstance(index, list | np.ndarray):
            array = np.asarray(index)
            if array.size and array.dtype.kind not in "iub":
                # (torch truncated float indices: [2.7] selected row 2, and a 0-d
                # float array dropped the batch axis; review 282)
                raise TypeError(
                    "index must be an int, a slice, a list of ints or a mask of shape "
                    f"(batch,); got {index!r} (of dtype {array.dtype})."
                )
            if array.dtype.kind == "u":
                unsigned = array
            elif array.size and isinstance(index, list):  # (a list of 0-d tensors: torch
                # read [tensor(True), ...] as indices of its own, a state of another
                # shape; review 337)
                index = torch.as_tensor(array, device=self.h.device)
        elif isinstance(index, torch.Tensor) and index.dtype in _UNSIGNED:
            unsigned = index.cpu().numpy()
        mask = _mask_length(index)
        if mask is not None and mask != self.batch_size:  # (torch's IndexError named no
            # argument; review 335)
            raise IndexError(
                f"index is a mask of {mask} entries; a state of batch {self.batch_size} "
                f"needs a mask of shape ({self.batch_size},)."
            )
        if unsigned is not None:
            if unsigned.size and unsigned.max() >= self.batch_size:
                raise IndexError(
                    f"index {int(unsigned.max())} is out of range for a state of batch "
                    f"{self.batch_size}."
                )
            index = torch.as_tensor(unsigned.astype(np.int64), device=self.h.device)
        return DREAMState(*(t[index] for t in self))

    def _check(
        self, batch: int, input_dim: int, hidden_dim: int, rank: int, device: Any = None
    ) -> None:
        """Raise a ValueError naming ``state`` unless every tensor has the shape a
        batch of ``batch`` cells of these sizes has (a state of another batch size
        broadcast silently in the cell's step) and is on ``device`` (x's, when given)."""
        want = {
            "h": (batch, hidden_dim),
            "U": (batch, hidden_dim, rank),
            "U_target": (batch, hidden_dim, rank),
            "error_mean": (batch, input_dim),
            "error_var": (batch, input_dim),
            "surprise": (batch,),
        }
        dtype = self.h.dtype
        for name, shape in want.items():
            tensor = getattr(self, name)
            if tensor.dtype != dtype:  # (it failed deep in the step: "expected Float")
                raise TypeError(
                    f"state.{name} has dtype {tensor.dtype} but state.h has {dtype}; every "
                    f"tensor of a state has one dtype: pass state.to({dtype})."
                )
            if device is not None and tensor.device != device:
                raise ValueError(
                    f"state.{name} is on device {tensor.device} but x is on {device}; pass "
                    f"state.to({str(device)!r})."
                )
            got = tuple(tensor.shape)
            if got != shape:
                raise ValueError(
                    f"state.{name} must have shape {shape} for x's batch of {batch} and "
                    f"this cell (input_dim={input_dim}, hidden_dim={hidden_dim}, "
                    f"rank={rank}); got {got}."
                )

    @staticmethod
    def cat(states: list[DREAMState]) -> DREAMState:
        """Join states along the batch dimension."""
        states = list(states)
        if not states:
            raise ValueError("states must hold at least one DREAMState; got none.")
        dtypes = sorted({str(t.dtype) for state in states for t in state})
        if len(dtypes) > 1:  # (torch.cat promoted them: a float64 state, silently)
            raise ValueError(
                f"states must share one dtype to be joined; got {', '.join(dtypes)}. Cast "
                "them first (DREAMState.to(dtype))."
            )
        first = states[0]
        for i, state in enumerate(states[1:], start=1):  # (torch's error named no field)
            for name, a, b in zip(first._fields, first, state, strict=True):
                if a.shape[1:] != b.shape[1:]:
                    raise ValueError(
                        f"states to be joined must have one shape but for the batch; "
                        f"states[0].{name} has shape {tuple(a.shape)} and states[{i}].{name} "
                        f"{tuple(b.shape)}."
                    )
        return DREAMState(*(torch.cat(ts) for ts in zip(*states, strict=True)))


def _mask_length(index: Any) -> int | None:
    """The length of ``index`` where it is a 1-d bool mask (a tensor, an array or a
    list of bools), else None."""
    if isinstance(index, torch.Tensor):
        return int(index.shape[0]) if index.dtype == torch.bool and index.dim() == 1 else None
    if isinstance(index, list | np.ndarray):
        array = np.asarray(index)
        return int(array.shape[0]) if array.dtype == bool and array.ndim == 1 else None
    return None


def _is_scalar_bool(index: Any) -> bool:
    """Whether ``index`` is one bool (Python's, NumPy's, or a 0-d tensor or array)."""
    if isinstance(index, bool | np.bool_):
        return True
    if isinstance(index, torch.Tensor | np.ndarray):
        return index.ndim == 0 and index.dtype in (torch.bool, np.dtype(bool))
    return False


# torch.load reads only allowed classes by default (weights_only=True, torch 2.6 on): a
# state saved with torch.save, as nn.GRU's h_n is, loads (review 175).
if hasattr(torch.serialization, "add_safe_globals"):
    torch.serialization.add_safe_globals([DREAMState])
