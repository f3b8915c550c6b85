"""A straightforward per-step PyTorch implementation of the DREAM cell, kept as the reference.

This is the cell the way one would first write it: an ``nn.Module`` whose ``forward``
runs one Python-level step per time step, every equation spelled out with plain
torch ops, nothing precomputed, nothing fused, and the products written the
textbook way: the fast-weight drive through the full (n, d) matrix ``U Vᵀ``, the
Hebbian term through the (n, d) outer product ``h ⊗ e`` then ``@ V``. It shares no
code with ``dream_sklearn.nn._step``; ``tests/test_speed_paths.py`` checks that the
package's layer computes the same outputs, final state and gradients, and
``benchmarks/speed.py`` times the package against it.

    from benchmarks.reference_cell import ReferenceDREAM
    ref = ReferenceDREAM.from_layer(model)   # same config and parameter values
    out, state = ref(x)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dream_sklearn.nn import DREAM, DREAMConfig

EPS = 1e-6


def _renormalise(M: torch.Tensor, target_norm: float) -> torch.Tensor:
    """Homeostasis: shrink each (n, r) matrix of the batch to Frobenius norm ``target_norm``."""
    norm = torch.sqrt((M**2).sum(dim=(1, 2)) + EPS)
    factor = torch.clamp(target_norm / norm, max=1.0)
    return M * factor.view(-1, 1, 1)


class ReferenceDREAM(nn.Module):
    """The DREAM cell and its loop over time, one unfused step per time step.

    Parameters have the package's names and shapes, so ``load_state_dict`` of a
    ``DREAMCell`` fits (see :meth:`from_layer`).
    """

    def __init__(self, config: DREAMConfig) -> None:
        super().__init__()
        self.config = config
        d, n, r = config.input_dim, config.hidden_dim, config.rank
        self.C = nn.Parameter(torch.zeros(n, d))
        self.W = nn.Parameter(torch.zeros(d, n))
        self.B = nn.Parameter(torch.zeros(d, n))
        self.eta = nn.Parameter(torch.full((n,), config.base_plasticity))
        self.tau0 = nn.Parameter(torch.tensor(config.base_threshold))
        self.alpha = nn.Parameter(torch.tensor(config.entropy_influence))
        self.gamma = nn.Parameter(torch.tensor(config.surprise_temperature))
        self.kappa = nn.Parameter(torch.tensor(config.kappa))
        self.tau_sys = nn.Parameter(torch.tensor(config.ltc_tau_sys))
        self.scale = nn.Parameter(torch.tensor(config.ltc_surprise_scale))
        self.register_buffer("V", torch.zeros(d, r))

    @classmethod
    def from_layer(cls, layer: DREAM) -> ReferenceDREAM:
        """A reference with the configuration and a copy of the parameters of ``layer``."""
        ref = cls(layer.config)
        # The cell's state_dict also holds its configuration ("_extra_state"): the
        # reference takes its configuration from ``layer.config`` instead.
        weights = layer.cell.state_dict()
        weights.pop("_extra_state", None)
        ref.load_state_dict(weights)
        return ref.to(layer.cell.C.dtype)

    def initial_state(self, batch: int) -> dict[str, torch.Tensor]:
        cfg, like = self.config, self.C
        n, d, r = cfg.hidden_dim, cfg.input_dim, cfg.rank
        return {
            "h": like.new_zeros(batch, n),
            "U": like.new_zeros(batch, n, r),
            "U_target": like.new_zeros(batch, n, r),
            "error_mean": like.new_zeros(batch, d),
            "error_var": like.new_ones(batch, d),
            "surprise": like.new_zeros(batch),
        }

    def step(self, x: torch.Tensor, state: dict, dt: torch.Tensor) -> tuple[dict, torch.Tensor]:
        """One time step for a batch: ``x`` (b, d), ``dt`` (b,). Returns (new state, S)."""
        cfg = self.config
        h, U, U_target = state["h"], state["U"], state["U_target"]
        mu, var, s_bar = state["error_mean"], state["error_var"], state["surprise"]
        # Constrained slow parameters.
        eta = torch.clamp(self.eta, min=0.0)
        tau0 = torch.clamp(self.tau0, min=0.0)
        alpha = torch.clamp(self.alpha, min=0.0)
        gamma = torch.clamp(self.gamma, min=1e-3)
        kappa = torch.clamp(self.kappa, min=0.0)
        tau_sys = torch.clamp(self.tau_sys, min=1e-3)
        scale = torch.clamp(self.scale, min=0.0)

        # Predictive coding.
        x_hat = torch.tanh(torch.matmul(h, self.C))
        e = x - x_hat

        # Surprise with an entropy-adaptive threshold.
        entropy = 0.5 * torch.log(2 * math.pi * math.e * (var.mean(dim=1) + EPS))
        tau_eff = tau0 * (1 + alpha * entropy)
        delta = e - mu
        if cfg.surprise_mode == "relative":
            z2 = delta**2 / (var + EPS)
            error = torch.sqrt(z2.mean(dim=1) + EPS) - 1
        else:
            error = torch.sqrt((e**2).mean(dim=1) + EPS)
        S = torch.sigmoid((error - tau_eff) / gamma)
        beta = cfg.error_smoothing
        new_mu = mu + beta * delta
        new_var = (1 - beta) * (var + beta * delta**2)
        new_s_bar = s_bar + cfg.surprise_smoothing * (S - s_bar)

        # Input drive: gain on B, the full fast-weight matrix U Vᵀ (n, d), error injection.
        fast_matrix = torch.matmul(U, self.V.t())  # (b, n, d)
        fast = torch.matmul(fast_matrix, x.unsqueeze(2)).squeeze(2)
        drive = (
            torch.matmul(x, self.B) * (1 + kappa * S).unsqueeze(1)
            + cfg.fast_weight_scale * fast
            + torch.matmul(e, self.W)
        )
        h_target = torch.tanh(drive)

        # Liquid time constant, Euler step capped at 1.
        if cfg.ltc_enabled:
            tau = tau_sys / (1 + scale * S)
        else:
            tau = tau_sys.expand_as(S)
        a = torch.clamp(dt / tau, 0.0, 1.0).unsqueeze(1)
        new_h = (1 - a) * h + a * h_target

        # Hebbian fast weights, with the outer product h ⊗ e materialised as (n, d).
        if cfg.plasticity_enabled:
            outer = new_h.unsqueeze(2) * e.unsqueeze(1)  # (b, n, d)
            hebb = eta.view(1, -1, 1) * S.view(-1, 1, 1) * torch.matmul(outer, self.V)
            # the decay's step capped at 1, as h's (a long gap takes U to U_target, no
            # further), the Hebbian term scaled by dt
            decay = torch.clamp(cfg.forgetting_rate * dt, 0.0, 1.0).view(-1, 1, 1)
            step = U + decay * (U_target - U) + dt.view(-1, 1, 1) * hebb
            new_U = _renormalise(step, cfg.target_norm)
        else:
            new_U = U

        # Sleep: consolidate while the running surprise is low.
        if cfg.sleep_enabled:
            moved = U_target + cfg.sleep_rate * (new_U - U_target)
            asleep = (new_s_bar < cfg.min_surprise_for_sleep).view(-1, 1, 1)
            new_U_target = torch.where(asleep, moved, U_target)
        else:
            new_U_target = U_target

        new_state = {
            "h": new_h,
            "U": new_U,
            "U_target": new_U_target,
            "error_mean": new_mu,
            "error_var": new_var,
            "surprise": new_s_bar,
        }
        return new_state, S

    def forward(self, x: torch.Tensor, lengths=None, timespans=None):
        """Run over ``x`` (batch, time, d); returns ``(outputs, final state dict)``.

        Past its length a sequence keeps its state and outputs zeros.
        """
        batch, steps, _ = x.shape
        state = self.initial_state(batch)
        outputs = []
        for t in range(steps):
            if timespans is None:
                dt = x.new_full((batch,), self.config.time_step)
            else:
                dt = timespans[:, t]
            new_state, _ = self.step(x[:, t], state, dt)
            if lengths is None:
                state = new_state
                outputs.append(state["h"])
            else:
                valid = torch.as_tensor(lengths) > t
                state = {
                    k: torch.where(valid.view(-1, *[1] * (v.dim() - 1)), v, state[k])
                    for k, v in new_state.items()
                }
                outputs.append(state["h"] * valid.unsqueeze(1))
        return torch.stack(outputs, dim=1), state
