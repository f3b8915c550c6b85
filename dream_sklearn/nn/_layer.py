"""DREAM and DREAMStack: sequence layers that loop a DREAMCell over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from ._cell import DREAMCell
from ._state import DREAMState

__all__ = ["DREAM", "DREAMDiagnostics", "DREAMStack"]


class DREAMDiagnostics(NamedTuple):
    """Per-step diagnostics of one pass, each of shape (batch, time).

    ``surprise`` is the step's surprise in [0, 1]; ``tau`` the effective time
    constant it produced. Padded steps hold 0 and ``nan`` respectively.
    """

    surprise: torch.Tensor
    tau: torch.Tensor


def _step_mask(lengths, mask, batch: int, steps: int, device) -> torch.Tensor | None:
    if lengths is not None and mask is not None:
        raise ValueError("Pass either lengths or mask, not both.")
    if lengths is not None:
        lengths = torch.as_tensor(lengths, device=device)
        if lengths.shape != (batch,):
            raise ValueError(f"lengths must have shape ({batch},); got {tuple(lengths.shape)}.")
        if bool((lengths < 0).any()) or bool((lengths > steps).any()):
            raise ValueError(f"lengths must lie in [0, {steps}]; got {lengths.tolist()}.")
        return torch.arange(steps, device=device)[None, :] < lengths[:, None]
    if mask is not None:
        mask = torch.as_tensor(mask, device=device, dtype=torch.bool)
        if mask.shape != (batch, steps):
            raise ValueError(f"mask must have shape ({batch}, {steps}); got {tuple(mask.shape)}.")
        return mask
    return None


class DREAM(nn.Module):
    """A DREAM sequence layer, a drop-in for ``nn.GRU(batch_first=True)``.

    ``output, state = model(x)`` with ``x`` of shape (batch, time, input_dim) (or
    (time, input_dim) unbatched, or time first with ``batch_first=False``).

    Parameters
    ----------
    input_dim : int
        Number of input features.
    hidden_dim : int
        Number of hidden units.
    rank : int, default=8
        Rank of the fast weights.
    batch_first : bool, default=True
        Whether ``x`` is (batch, time, features) rather than (time, batch, features).
    return_sequences : bool, default=True
        Return the output of every step, or only the last (valid) one.
    **config : dict
        Any other field of :class:`DREAMConfig`.

    Notes
    -----
    Detach rule: a ``state`` passed in is detached, so gradients flow through the
    fast state within one call (backpropagation through time, plasticity included)
    and never across calls. Padded steps (``lengths`` or ``mask``) leave each
    sequence's state untouched and give zero outputs.

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
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        rank: int = 8,
        *,
        batch_first: bool = True,
        return_sequences: bool = True,
        **config,
    ) -> None:
        super().__init__()
        self.cell = DREAMCell(input_dim, hidden_dim, rank=rank, **config)
        self.batch_first = batch_first
        self.return_sequences = return_sequences

    @property
    def config(self):
        return self.cell.config

    def forward(
        self,
        x: torch.Tensor,
        state: DREAMState | None = None,
        *,
        lengths: torch.Tensor | Sequence[int] | None = None,
        mask: torch.Tensor | None = None,
        timespans: torch.Tensor | None = None,
        return_diagnostics: bool = False,
    ):
        """Run the cell over a sequence.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, time, input_dim)
            The sequences (time first when ``batch_first=False``; no batch
            dimension for a single sequence).
        state : DREAMState, optional
            Initial fast state (detached on entry); zeros by default.
        lengths : sequence of int of shape (batch,), optional
            Valid length of each padded sequence.
        mask : torch.Tensor of shape (batch, time), optional
            True on valid steps (an alternative to ``lengths``).
        timespans : torch.Tensor of shape (batch, time), optional
            Elapsed time of each step, used as its Euler step ``dt``.
        return_diagnostics : bool, default=False
            Also return a :class:`DREAMDiagnostics`.

        Returns
        -------
        output : torch.Tensor
            (batch, time, hidden_dim), or (batch, hidden_dim) with
            ``return_sequences=False``.
        state : DREAMState
            The state after the last valid step of each sequence.
        diagnostics : DREAMDiagnostics
            Only with ``return_diagnostics=True``.
        """
        unbatched = x.dim() == 2
        time_first = not self.batch_first and not unbatched
        if unbatched:
            x = x.unsqueeze(0)
            if timespans is not None:
                timespans = timespans.reshape(1, -1)
        if x.dim() != 3:
            raise ValueError(f"x must be 2-D or 3-D; got shape {tuple(x.shape)}.")
        if time_first:
            x = x.transpose(0, 1)
            if timespans is not None:
                timespans = timespans.transpose(0, 1)
        batch, steps, _ = x.shape
        if timespans is not None and timespans.shape != (batch, steps):
            raise ValueError(
                f"timespans must have shape ({batch}, {steps}); got {tuple(timespans.shape)}."
            )
        step_mask = _step_mask(lengths, mask, batch, steps, x.device)
        cell = self.cell
        state = cell.initial_state(batch, x.device, x.dtype) if state is None else state.detach()
        params = cell.step_params()
        outputs, surprises, taus = [], [], []
        for t in range(steps):
            dt = None if timespans is None else timespans[:, t]
            out = cell.step(x[:, t], state, dt, _params=params)
            if step_mask is None:
                state = out.state
                outputs.append(out.output)
                surprises.append(out.surprise)
                taus.append(out.tau)
            else:
                valid = step_mask[:, t]
                state = out.state.where(valid, state)
                outputs.append(out.output * valid[:, None])
                surprises.append(out.surprise * valid)
                taus.append(torch.where(valid, out.tau, torch.nan))
        output = torch.stack(outputs, 1) if self.return_sequences else state.h
        if unbatched:
            output = output.squeeze(0)
        elif time_first and self.return_sequences:
            output = output.transpose(0, 1)
        if not return_diagnostics:
            return output, state
        diagnostics = DREAMDiagnostics(torch.stack(surprises, 1), torch.stack(taus, 1))
        return output, state, diagnostics


class DREAMStack(nn.Module):
    """Several DREAM layers in sequence; upper layers may integrate more slowly.

    Parameters
    ----------
    input_dim : int
        Number of input features of the first layer.
    hidden_dims : sequence of int
        Hidden units of each layer, bottom first.
    rank : int, default=8
        Rank of every layer's fast weights.
    tau_growth : float, default=1.0
        Layer ``k`` (from 0) starts with ``ltc_tau_sys * tau_growth ** k``: values
        above 1 make upper layers slower.
    **config : dict
        Any other field of :class:`DREAMConfig`, shared by all layers.

    Examples
    --------
    >>> import torch
    >>> from dream_sklearn.nn import DREAMStack
    >>> _ = torch.manual_seed(0)
    >>> stack = DREAMStack(4, [16, 8], rank=2, tau_growth=2.0)
    >>> out, states = stack(torch.randn(3, 7, 4))
    >>> out.shape, len(states), stack.layers[1].config.ltc_tau_sys
    (torch.Size([3, 7, 8]), 2, 10.0)
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int],
        rank: int = 8,
        *,
        tau_growth: float = 1.0,
        batch_first: bool = True,
        **config,
    ) -> None:
        super().__init__()
        if not hidden_dims:
            raise ValueError("hidden_dims must name at least one layer; got an empty sequence.")
        if not tau_growth > 0:
            raise ValueError(f"tau_growth must be a float > 0; got {tau_growth!r}.")
        tau_sys = config.pop("ltc_tau_sys", 5.0)
        dims = [input_dim, *hidden_dims]
        self.layers = nn.ModuleList(
            DREAM(
                dims[k],
                dims[k + 1],
                rank,
                batch_first=batch_first,
                ltc_tau_sys=tau_sys * tau_growth**k,
                **config,
            )
            for k in range(len(hidden_dims))
        )

    def forward(
        self,
        x: torch.Tensor,
        states: Sequence[DREAMState | None] | None = None,
        *,
        lengths=None,
        mask=None,
        timespans=None,
        return_diagnostics: bool = False,
    ):
        """Run every layer in turn; returns ``(output, states)`` (and diagnostics).

        ``states`` and the returned states and diagnostics are lists, one per layer.
        """
        if states is None:
            states = [None] * len(self.layers)
        if len(states) != len(self.layers):
            raise ValueError(f"states must hold {len(self.layers)} states; got {len(states)}.")
        new_states, diagnostics = [], []
        for layer, state in zip(self.layers, states, strict=True):
            x, state, diag = layer(
                x,
                state,
                lengths=lengths,
                mask=mask,
                timespans=timespans,
                return_diagnostics=True,
            )
            new_states.append(state)
            diagnostics.append(diag)
        if return_diagnostics:
            return x, new_states, diagnostics
        return x, new_states
