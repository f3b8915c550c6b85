"""DREAMCell: one time step of the DREAM cell for a batch, as a torch module."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from ._config import DREAMConfig
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
    """``build()``'s module with its weights drawn from a generator seeded with ``seed``.

    Building draws from torch's global CPU generator; ``fork_rng`` puts it back (and
    touches no CUDA generator), so a seed fixes the weights without moving any global
    generator. The module must have ``reset_parameters(generator)``.
    """
    with torch.random.fork_rng(devices=[]):
        module = build()
    module.reset_parameters(torch.Generator().manual_seed(seed))
    return module


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


class DREAMStepOutput(NamedTuple):
    """What one step returns: the output, the new state and the step's diagnostics."""

    output: torch.Tensor
    state: DREAMState
    surprise: torch.Tensor
    tau: torch.Tensor


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
        Number of input features.
    hidden_dim : int
        Number of hidden units.
    **config : dict
        Any other field of :class:`DREAMConfig` (``rank``, ``time_step``, switches...).

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

    def __init__(self, input_dim: int, hidden_dim: int, **config) -> None:
        super().__init__()
        self._setup(DREAMConfig(input_dim=input_dim, hidden_dim=hidden_dim, **config))
        self.reset_parameters()

    def _setup(self, config: DREAMConfig) -> None:
        """The parameters and buffers of a cell of ``config``, not yet drawn."""
        self.config = config
        cfg = config  # frozen: the switches are built once (read on every step)
        self._flags = StepFlags(
            plasticity=cfg.plasticity_enabled,
            ltc=cfg.ltc_enabled,
            sleep=cfg.sleep_enabled,
            relative=cfg.surprise_mode == "relative",
        )
        d, n, r = cfg.input_dim, cfg.hidden_dim, cfg.rank  # plain ints
        self.C = nn.Parameter(torch.empty(n, d))
        self.W = nn.Parameter(torch.empty(d, n))
        self.B = nn.Parameter(torch.empty(d, n))
        self.eta = nn.Parameter(torch.empty(n))
        self.tau0 = nn.Parameter(torch.empty(()))
        self.alpha = nn.Parameter(torch.empty(()))
        self.gamma = nn.Parameter(torch.empty(()))
        self.kappa = nn.Parameter(torch.empty(()))
        self.tau_sys = nn.Parameter(torch.empty(()))
        self.scale = nn.Parameter(torch.empty(()))
        self.register_buffer("V", torch.empty(d, r))

    @classmethod
    def from_config(cls, config: DREAMConfig) -> DREAMCell:
        """Build a cell from a :class:`DREAMConfig`."""
        fields = {k: v for k, v in vars(config).items() if k not in ("input_dim", "hidden_dim")}
        return cls(config.input_dim, config.hidden_dim, **fields)

    def _grown(self, input_dim: int, seed: int) -> DREAMCell:
        """This cell (float64) with ``input_dim`` inputs, its weights kept for its own.

        The online estimators' cell grows with the features seen. The new inputs'
        weights are drawn from generators seeded with ``(seed, input_dim)``, as a
        new cell of that size would be (:meth:`_fresh`): the result depends only on
        the seed and the growth history, and no global generator moves.
        """
        # This config with input_dim changed: its other fields were validated when it
        # was built (dataclasses.replace would check all 26 again, about 20 us).
        input_dim = operator.index(input_dim)  # (a Python int: torch's seed takes no other)
        config = copy.copy(self.config)
        object.__setattr__(config, "input_dim", input_dim)
        new = self._fresh(config, seed)
        generator = torch.Generator().manual_seed(seed * 1013 + input_dim)
        d_old = self.config.input_dim
        # The parameter dicts themselves (nn.Module's attribute look-up is a Python call).
        to, of = new._parameters, self._parameters
        with torch.no_grad():
            to["B"][:d_old] = of["B"]
            to["W"][:d_old] = of["W"]
            to["C"][:, :d_old] = of["C"]
            for name in ("eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"):
                to[name].copy_(of[name])
            new.V.copy_(_extend_v(self.V, input_dim, generator))
        return new

    @classmethod
    def _fresh(cls, config: DREAMConfig, seed: int) -> DREAMCell:
        """A float64 cell of ``config`` with weights drawn from ``(seed, input_dim)``.

        As ``_seeded(partial(cls.from_config, config), ...)`` builds it, without
        drawing the weights a first time from the global generator (``_seeded``
        draws them again, and puts that generator back) nor checking ``config``
        again: the online estimators grow a cell for every new feature or class.
        """
        cell = cls.__new__(cls)
        nn.Module.__init__(cell)
        cell._setup(config)
        cell.reset_parameters(torch.Generator().manual_seed(seed * 1009 + config.input_dim))
        # As cell.double() converts them (the same Parameter objects, drawn in float32
        # first: the same numbers), without Module._apply's walk (about 30 us of the
        # 165 a fresh cell took; the online estimators grow one at each growth event).
        with torch.no_grad():
            for param in cell._parameters.values():
                param.data = param.data.double()
            cell._buffers["V"] = cell._buffers["V"].double()
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
        cfg = self.config
        d, n, r = cfg.input_dim, cfg.hidden_dim, cfg.rank
        with torch.no_grad():
            for weight, fan in ((self.B, d), (self.W, d), (self.C, n)):
                bound = 1 / math.sqrt(fan)
                nn.init.uniform_(weight, -bound, bound, generator=generator)
            self.eta.fill_(cfg.base_plasticity)
            self.tau0.fill_(cfg.base_threshold)
            self.alpha.fill_(cfg.entropy_influence)
            self.gamma.fill_(cfg.surprise_temperature)
            self.kappa.fill_(cfg.kappa)
            self.tau_sys.fill_(cfg.ltc_tau_sys)
            self.scale.fill_(cfg.ltc_surprise_scale)
            # Semi-orthonormal V: orthonormal columns when r <= d, rows otherwise.
            device = None if generator is None else generator.device
            g = torch.randn(
                max(d, r), min(d, r), generator=generator, dtype=torch.float64, device=device
            )
            q, _ = torch.linalg.qr(g)
            self.V.copy_(q if r <= d else q.T)

    @property
    def flags(self) -> StepFlags:
        """The mechanism switches of ``config``, as :func:`dream_step` takes them."""
        return self._flags

    def step_params(self) -> StepParams:
        """The parameters as :func:`dream_step` takes them (constrained, differentiable)."""
        cfg = self.config
        return StepParams(
            C=self.C,
            W=self.W,
            B=self.B,
            V=self.V,
            eta=self.eta.clamp(min=0.0),
            tau0=self.tau0.clamp(min=0.0),
            alpha=self.alpha.clamp(min=0.0),
            gamma=self.gamma.clamp(min=1e-3),
            kappa=self.kappa.clamp(min=0.0),
            tau_sys=self.tau_sys.clamp(min=1e-3),
            scale=self.scale.clamp(min=0.0),
            lam=cfg.forgetting_rate,
            beta=cfg.error_smoothing,
            beta_s=cfg.surprise_smoothing,
            target_norm=cfg.target_norm,
            zeta=cfg.sleep_rate,
            s_min=cfg.min_surprise_for_sleep,
            fast_scale=cfg.fast_weight_scale,
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
        if dt is None:
            dt = self.config.time_step
        if isinstance(dt, torch.Tensor):
            return dt.to(like.dtype).expand(batch_size)
        return torch.full((batch_size,), float(dt), dtype=like.dtype, device=like.device)

    def step(
        self,
        x: torch.Tensor,
        state: DREAMState | None = None,
        dt: float | torch.Tensor | None = None,
    ) -> DREAMStepOutput:
        """One step with diagnostics: ``(output, state, surprise, tau)``.

        ``x`` is (batch, input_dim); ``dt`` a float or a (batch,) tensor of elapsed
        times (default ``config.time_step``).
        """
        if x.dim() != 2 or x.shape[1] != self.config.input_dim:
            raise ValueError(
                f"x must have shape (batch, {self.config.input_dim}); got {tuple(x.shape)}."
            )
        cfg = self.config
        if state is None:
            state = self.initial_state(x.shape[0], x.device, x.dtype)
        elif not isinstance(state, DREAMState):
            raise TypeError(
                "state must be a DREAMState (the cell's whole fast state, e.g. "
                "cell.initial_state(batch)._replace(h=h0) to start from a hidden state h0) "
                f"or None; got {type(state).__name__}."
            )
        else:
            state._check(x.shape[0], cfg.input_dim, cfg.hidden_dim, cfg.rank)
        h, U, Ut, em, ev, sb, surprise, tau = dream_step(
            TORCH_OPS, self.step_params(), self.flags, x, *state, self._dt(dt, x.shape[0], x)
        )
        return DREAMStepOutput(h, DREAMState(h, U, Ut, em, ev, sb), surprise, tau)

    def forward(
        self,
        x: torch.Tensor,
        state: DREAMState | None = None,
        dt: float | torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, DREAMState]:
        """One step: ``(output, new_state)`` for ``x`` of shape (batch, input_dim)."""
        out = self.step(x, state, dt)
        return out.output, out.state

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
