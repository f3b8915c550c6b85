"""Shared machinery of :class:`DREAMClassifier` and :class:`DREAMRegressor`.

Internal contract (relied on by ``from_sklearn``; keep it stable)
----------------------------------------------------------------
A fitted estimator holds:

``module_``
    a :class:`_DREAMNet` (a ``torch.nn.Module`` in the ``dtype`` parameter's dtype,
    float32 by default) with two attributes:
    ``.dream``, a :class:`dream_sklearn.nn.DREAM` (``batch_first=True``), and
    ``.head``, a ``torch.nn.Linear(hidden_dim, n_outputs)`` applied to the hidden
    state ``h`` of the last valid step of each sequence (with ``readout="last"``; the
    other readouts pool the whole trajectory, and ``from_sklearn`` refuses them).
    ``n_outputs`` is the number of classes for the classifier (two logits for a
    binary problem; softmax gives ``predict_proba``) and the number of targets for
    the regressor.
``memory_``
    a :class:`dream_sklearn.nn.DREAMState` of batch 1 (on the module's device): the
    state every new sequence starts from (``h``, fast weights ``U``, consolidated
    ``U_target``, error statistics, running surprise).
``x_mean_``, ``x_scale_``
    NumPy arrays of shape ``(n_features_in_,)`` (``(n_features_in_ // n_steps,)`` when
    ``n_steps`` is set); each step's features enter the cell as
    ``(x - x_mean_) / x_scale_`` (zeros and ones when ``standardize=False``).
``y_mean_``, ``y_scale_`` (regressor only)
    NumPy arrays of shape ``(n_outputs_,)``; the head predicts
    ``(y - y_mean_) / y_scale_``, so ``y = head(h) * y_scale_ + y_mean_``.

Memory rule
-----------
Sequences are processed in mini-batches of ``batch_size``. Every sequence of a
mini-batch starts from ``memory_``; after the mini-batch, ``memory_`` becomes the
mean over the mini-batch of the sequences' final states (each at its own last valid
step; weighted by ``sample_weight`` when given). So within a call the memory moves
forward mini-batch by mini-batch, in the order the mini-batches are seen (shuffled
per epoch in ``fit`` when ``shuffle=True``, in the order of ``X`` in ``partial_fit``
and ``advance_memory``). ``fit`` starts from a zero memory; ``partial_fit`` carries
it over from the previous call; ``predict``, ``predict_proba`` and ``score`` read it
and never change it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import torch
from scipy.special import gammaln
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from torch import nn
from tqdm.auto import tqdm

from ..nn import DREAM, DREAMState
from ..nn._cell import _seeded
from ..nn._config import _cell_kwargs, _check_cell_param, _front_defaults
from ._features import DREAMFeatures, _chunks
from ._input import (
    _DTYPES,
    _HUGE_WEIGHT,
    _INPUT_BOUND,
    _input_tensor,
    _is_multiindex_frame,
    _Ragged,
    _series_ids,
    _user_stacklevel,
    align_targets,
    check_flat,
    check_magnitude,
    check_time_columns,
    column_stats,
    fitted_scale,
    fitted_width,
    one_step_lengths,
    plain_input,
    to_long,
    unflatten,
)
from ._ridge import _counted, _RidgeStats

__all__: list[str] = []

_PREDICT_CHUNK = 1024


class _Batch(NamedTuple):
    """Sequences of the adam solver, padded to their longest (:meth:`_BaseDREAM._batch`)."""

    x: torch.Tensor  # (b, steps, d), zeros after each sequence's end
    ragged: torch.Tensor | None  # the lengths where they differ, as the module takes them
    lengths: np.ndarray

    def masked(self, per_step: torch.Tensor) -> np.ndarray:
        """``per_step`` (b, steps) as a NumPy array, NaN after each sequence's end."""
        out = per_step.detach().cpu().numpy()
        out[np.arange(out.shape[1])[None, :] >= self.lengths[:, None]] = np.nan
        return out


# The cell parameters these estimators expose, by their public names (DREAMConfig's
# fields, or the names in nn._config._FIELD_OF). Their defaults are DREAMConfig's,
# except the overrides in nn._config._FRONT_OVERRIDES["sklearn"]; their rules are
# DREAMConfig's (checked in _BaseDREAM._validate_params).
_CELL_PARAMS = (
    "hidden_dim",
    "rank",
    "time_step",
    "plasticity",
    "ltc",
    "sleep",
    "surprise_mode",
    "forgetting_rate",
    "base_plasticity",
    "base_threshold",
    "ltc_tau_sys",
    "sleep_rate",
    "fast_weight_scale",
    "target_norm",
)
_DEFAULT = _front_defaults("sklearn", _CELL_PARAMS)


_READOUT_WIDTH = {"last": 1, "mean": 1, "pool": 3}

# compile="auto" compiles the loop over time when a call runs at least this many
# step evaluations (one time step of one mini-batch, forward and backward: epochs x
# mini-batches x sequence length in fit). Where compiling repays its cost, measured
# by benchmarks/speed.py (section "sklearn"; docs/sklearn.md, "Speed"), on one CPU
# thread: after 11,232 step evaluations with inductor's disk cache warm (6.7 s of
# compilation), 62,556 with it cold (37.5 s), in the issue-15 run; round 12's printed
# 12,071 and 66,317, earlier runs 12,500-13,000 and 59,000-69,000 (round 23's, on a
# slower machine, about 8,000 and 40,000; round 42's 13,301 and 93,855). Between the
# two: a fit this long gains with a warm cache (about 14 s by round 42's figures) and
# loses on a cold one (about 7.5 s by the issue-15 run's, 17 s by round 42's).
# Measured for training at batch 32 on CPU, one compiled graph, every epoch run: the
# count takes max_iter epochs, so a fit that stops early (n_iter_no_change) or that
# needs more graphs (unequal lengths, a last mini-batch of one) repays less.
_COMPILE_AUTO_STEPS = 50_000


# ... unless the compiled loop, which pads each mini-batch to its longest sequence (the
# eager one runs unequal lengths packed, and long ones in recomputed spans), would pad a
# mini-batch to more than _COMPILE_AUTO_PADDING times its sequences' own steps and to
# more than _COMPILE_AUTO_PADDED sequence-steps (in the order given, any mini-batch;
# shuffled, any of up to 32 orders drawn: :func:`_padded_batches`).
# The largest padded mini-batch's training graph sets the compiled loop's peak memory,
# and it keeps every padded step: by hand, the default network, 0.95 to 2.8 kB a
# sequence-step (one series of 20,000 steps among 500 of 20, its mini-batch of 200
# padded to 4 million: 3,797 MB and 22.8 s an epoch compiled, warm, against 1,135 MB and
# 16.5 s eager in round 40, 118 MB in spans in round 41; 32 sequences of 5,000 steps:
# 452 MB and 1.0 s an epoch compiled, 202 MB and 5.9 s eager in spans), so 250,000 are
# 0.24 to 0.7 GB. Below that size time sets the line, and the compiled loop is about
# 4.6x faster a step: aeon's PickupGestureWiimoteZ (50 sequences of 29-361 steps, padded
# 2.5 times) took 0.05 s an epoch compiled against 0.24 s eager (review 230; a first
# version of this rule, by the padding ratio alone, ran it eagerly). The ratio is the
# mini-batch's, not the epoch's (review 231: one series of 20,000 steps among 10,000 of
# 1,000 padded the epoch 1.4 times, and its mini-batch of 200 to 4 million; review 232:
# in order, the mini-batch holding the longest is not always the most padded; review
# 233: nor, shuffled, the expected one).
_COMPILE_AUTO_PADDING = 2.0
_COMPILE_AUTO_PADDED = 250_000


def _auto_compile(step_evaluations: float) -> bool:
    """Whether ``compile="auto"`` compiles a call of ``step_evaluations`` steps."""
    return step_evaluations >= _COMPILE_AUTO_STEPS


def _batch_steps(lengths: np.ndarray, batch: int, shuffled: bool) -> float:
    """The time steps one pass over sequences of ``lengths`` runs in mini-batches of
    ``batch``, each as long as its longest sequence: in the order given, or over a
    random order, their expected count (a mini-batch of ``b`` drawn from ``n`` has
    its longest at the ``k``-th shortest with probability C(k-1, b-1) / C(n, b)).

    What ``compile="auto"`` counts: the loop runs a mini-batch's longest steps,
    compiled or not. Until round 40 it counted every mini-batch at the longest
    sequence of all, and one series of 20,000 steps among 500 of 20 was read as
    60,000 step evaluations for one epoch where about 20,000 ran: it compiled (22.8 s
    with a warm cache, 76.5 s cold, and 3.8 GB padded, against 16.5 s and 1.1 GB
    eager, where the loop runs them packed; docs/sklearn.md).
    """
    n = len(lengths)
    if n == 0:
        return 0.0
    if not shuffled:
        return float(np.maximum.reduceat(np.asarray(lengths), np.arange(0, n, batch)).sum())
    longest = np.sort(np.asarray(lengths, dtype=np.float64))
    total = 0.0
    for size, count in ((batch, n // batch), (n % batch, 1)):
        if size == 0 or count == 0:
            continue
        k = np.arange(size, n + 1)  # (rank of the longest, 1-based)
        log_p = gammaln(k) - gammaln(k - size + 1) - gammaln(size)
        log_p -= gammaln(n + 1) - gammaln(n - size + 1) - gammaln(size + 1)
        p = np.exp(log_p)
        total += count * float(p @ longest[size - 1 :] / p.sum())
    # (rounded: sequences of one length count exactly what they run, not a rounding
    # unit below the threshold)
    return round(total, 6)


def _padded_batches(
    lengths: np.ndarray, batch: int, shuffled: bool, epochs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The mini-batches as the compiled loop runs them (each padded to its longest):
    their sequence-steps and the ratio of those to their sequences' own steps. In the
    order given, every mini-batch's; in a random order, every mini-batch of
    ``min(epochs, _PADDING_DRAWS)`` orders drawn from a generator of their own (seed
    0: the fit's draws are left as they were). A shuffled epoch's worst mini-batch is
    what sets the compiled loop's peak memory, and one expected mini-batch missed it:
    a mix of long and short sequences pads some mini-batch over twice in every epoch
    where the expected one read 1.9 times (review 233). Orders rarer than the draws
    go unseen: where 1.8% of orders pad a mini-batch over the lines, 32 draws may see
    none and a fit of 200 epochs meet some (review 234)."""
    lengths = np.asarray(lengths, dtype=np.float64)
    n = len(lengths)
    if n == 0:
        return np.zeros(1), np.ones(1)
    starts = np.arange(0, n, batch)
    sizes = np.diff(np.append(starts, n))
    draw = np.random.default_rng(0)
    padded, own = [], []
    for _ in range(min(max(epochs, 1), _PADDING_DRAWS) if shuffled else 1):
        order = draw.permutation(lengths) if shuffled else lengths  # (one at a time)
        padded.append(np.maximum.reduceat(order, starts) * sizes)
        own.append(np.add.reduceat(order, starts))
    padded = np.concatenate(padded)
    return padded, padded / np.concatenate(own)


_PADDING_DRAWS = 32  # (the shuffled orders :func:`_padded_batches` reads at most)


# Training on a sequence longer than this many steps runs the layer's loop in spans
# of about the square root of the longest, each recomputed in the backward pass
# (``DREAM.checkpoint_steps``): autograd's graph is some 100 nodes a step whatever
# the batch, so one series of 20,000 steps held 1.2 GB in the default adam fit
# (``speed.py --only memory``, round 40; 118 MB in spans, round 41). Spans cost a
# forward pass without a graph: by hand, the default network (64 units, rank 4,
# plasticity off), 3 epochs, one thread, whole against spans: 4 sequences of 5,000
# steps 9.7 s and 296 MB against 10.2 s and 37 MB; 32 of 2,000 steps 4.7 s and 258 MB
# against 6.5 s and 99 MB; 256 of 1,000 steps 6.1 s and 734 MB against 10.7 s and 332
# MB. So past 4,096 steps (the ridge bank's window, ``_features._WINDOW``), where the
# graph's size is set by the length more than by the batch and the spans cost about
# 5% in time; up to it, the loop runs whole.
_CHECKPOINT_FROM = 4096


def _checkpoint_span(lengths: np.ndarray) -> int | None:
    """The layer's ``checkpoint_steps`` for training on sequences of ``lengths``."""
    longest = int(np.max(lengths, initial=0))
    return None if longest <= _CHECKPOINT_FROM else math.isqrt(longest - 1) + 1


def _chunk_steps(lengths: np.ndarray) -> float:
    """The time steps a pure pass (predict, validation) runs: in chunks of like
    lengths (:func:`_chunks`), each as long as its longest sequence."""
    return float(sum(lengths[part].max() for part in _chunks(lengths, _PREDICT_CHUNK)))


class _DREAMNet(nn.Module):
    """A DREAM layer and a linear head on a readout of the hidden states: the state of
    the last valid step (``"last"``), their mean over the valid steps (``"mean"``), or
    mean, maximum and last side by side (``"pool"``)."""

    def __init__(
        self, input_dim: int, hidden_dim: int, n_outputs: int, readout: str = "last", **config: Any
    ) -> None:
        super().__init__()
        self.readout = readout
        self.dream = DREAM(input_dim, hidden_dim, return_sequences=readout != "last", **config)
        width = _READOUT_WIDTH[readout] * self.dream.config.hidden_dim
        self.head = nn.Linear(width, n_outputs)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Draw every weight from ``generator`` (the head as ``nn.Linear`` draws it)."""
        self.dream.cell.reset_parameters(generator)
        weight, bias = self.head.weight, self.head.bias
        with torch.no_grad():
            nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(weight.shape[1])
            nn.init.uniform_(bias, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor, state: DREAMState, lengths: torch.Tensor | None):
        """``(head output, final state, diagnostics)`` for a padded batch ``x``."""
        out, final, diag = self.dream(x, state, lengths=lengths, return_diagnostics=True)
        readout = getattr(self, "readout", "last")  # models pickled before readout existed
        if readout == "last":
            return self.head(final.h), final, diag
        steps = x.shape[1]
        if lengths is None:
            mean = out.mean(1)
            valid = None
        else:
            valid = torch.arange(steps, device=x.device)[None, :] < lengths[:, None]
            mean = out.sum(1) / lengths.to(out.dtype)[:, None]  # padded steps output 0
        if readout == "mean":
            return self.head(mean), final, diag
        high = out if valid is None else out.masked_fill(~valid[:, :, None], -torch.inf)
        return self.head(torch.cat([mean, high.amax(1), final.h], dim=1)), final, diag


def _expand(memory: DREAMState, batch: int) -> DREAMState:
    return DREAMState(*(t.expand(batch, *t.shape[1:]) for t in memory))


def _mean_state(state: DREAMState, weight: torch.Tensor | None = None) -> DREAMState:
    """The mean over the batch of ``state``, weighted by ``weight`` (b,) when given."""
    if weight is None:
        return DREAMState(*(t.detach().mean(0, keepdim=True) for t in state))
    w = weight / weight.sum()
    return DREAMState(
        *((t.detach() * w.view(-1, *([1] * (t.dim() - 1)))).sum(0, keepdim=True) for t in state)
    )


def _has_memory(estimator: Any) -> bool:
    """Whether the estimator keeps a plastic memory: fitted with ``solver="adam"``, or
    not fitted with the ridge solver and set to adam (``reset_memory``,
    ``advance_memory``)."""
    if hasattr(estimator, "memory_"):
        return True
    return not hasattr(estimator, "features_") and estimator.solver == "adam"


def _on_cpu(module: nn.Module) -> bool:
    return all(p.device.type == "cpu" for p in module.parameters())


# The parameters that say how X is read and scaled, kept as each fit read them
# (``_read_as``): predict reads X as the fit did, a continued fit refuses a change.
_READ_AS = ("n_steps", "layout", "standardize")


def _as_read(name: str, value: Any) -> Any:
    """A parameter of :data:`_READ_AS` as it reads ``X``: ``layout=None`` reads
    ``"channels_last"`` (it only warns where ``X`` looks channels-first), so setting
    it explicitly, as the warning asks, is no change (review 283: partial_fit was
    refused)."""
    return "channels_last" if name == "layout" and value is None else value


def _all_or_nothing(fit: Callable) -> Callable:
    """``fit`` (``_fit``), all or nothing: a call that raises puts every attribute
    back, so a fitted model stays the model it was (a refit refused on its
    sample_weight had left the new classes_ over the old coefficients; one refused by
    an early-stopping split that could not stratify, a new untrained module) and an
    unfitted one stays unfitted (NotFittedError, not a missing attribute). The
    attributes, not the weights inside a module a warm fit trains in place: an error
    in the training steps themselves leaves those as trained so far, and so does a
    KeyboardInterrupt (as scikit-learn's MLP); a mini-batch refused for its sample
    weights, and a diverged loss, put them back (``_fit_gradient``). Under
    ``solver="ridge"``, which trains nothing in place, a KeyboardInterrupt puts every
    attribute back too: it had left a refit's new bank and classes over the old
    coefficients, a model that predicted without an error (review 169)."""

    @functools.wraps(fit)
    def guarded(self, *args: Any, **kwargs: Any):
        saved = dict(self.__dict__)
        try:
            result = fit(self, *args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, Exception) or saved.get("solver") == "ridge":
                self.__dict__.clear()
                self.__dict__.update(saved)
            raise
        # The finished fit's warnings (ConvergenceWarning), issued once its state is
        # whole: a filter that makes one an error leaves the model as fitted, as
        # scikit-learn's MLP does. Issued within the call, such an error put the
        # attributes back over weights trained in place (review 272: n_iter_ and
        # loss_curve_ of before beside trained weights; a diverged fit's NaN weights
        # kept, where its best epoch was to be put back).
        for message in self.__dict__.pop("_finished_warnings", ()):
            warnings.warn(message, ConvergenceWarning, stacklevel=_user_stacklevel())
        return result

    return guarded


def _plain_bank(params: dict) -> dict:
    """A cell bank's parameters with its cell's as their plain values (as the cell holds
    them: Fraction(1, 10) is 0.1, np.float32(0.1) is 0.10000000149...)."""
    out = dict(params)
    for name in ("hidden_dim", "rank", "plasticity"):
        out[name] = _check_cell_param("DREAMFeatures", name, out[name])
    cell = out.get("cell_params") or {}
    out["cell_params"] = {k: _check_cell_param("DREAMFeatures", k, v) for k, v in cell.items()}
    return out


def _finite(module: nn.Module) -> bool:
    """Whether every weight of ``module`` is a finite number."""
    return all(bool(torch.isfinite(p).all()) for p in module.parameters())


class _Weights(NamedTuple):
    """A fit's per-sequence weights: ``train`` weighs the loss (``sample_weight`` times
    ``class_weight``), ``score`` the early-stopping score (``sample_weight`` alone, as
    ``score(X, y, sample_weight)`` and scikit-learn's ``SGDClassifier`` weigh it).
    ``None`` where nothing is given."""

    train: np.ndarray | None
    score: np.ndarray | None


class _BatchWeightError(ValueError):
    """A mini-batch refused for its total sample weight (``_check_batch_weight``),
    raised mid-pass: the call puts back the network it continued (``_fit_gradient``)."""


def _put_back(module: nn.Module, optimizer, saved: tuple | None) -> None:
    """Load the weights and optimiser state a call started from (``saved``; None: a
    new network, nothing to put back)."""
    if saved is not None:
        module.load_state_dict(saved[0])
        optimizer.load_state_dict(saved[1])


def _non_finite(name: str, module: nn.Module, saved: tuple | None, optimizer) -> None:
    """Refuse a gradient fit whose weights left the finite numbers (as scikit-learn's
    MLP does: it predicted NaN or one class for every sequence, with no error). A
    network the call continued (warm_start, partial_fit) gets back the weights and
    the optimiser's state it had (``saved``), so the model stays the one it was."""
    _put_back(module, optimizer, saved)
    raise ValueError(
        f"{name}: the solver produced non-finite weights (the loss diverged). Lower "
        "learning_rate_init, or standardise the inputs (standardize=True)."
    )


@contextlib.contextmanager
def _named_conversion(name: str):
    """NumPy's refusal to read an argument as floats ("could not convert string to
    float: np.str_('a')") as a ValueError that names the argument ``name`` (review
    344: it named neither ``y`` nor ``sample_weight``)."""
    try:
        yield
    except ValueError as error:
        if not str(error).startswith("could not convert"):
            raise
        raise ValueError(f"{name} must hold numbers ({error}).") from None


def _warn_clipped(long: np.ndarray) -> None:
    """Warn where a fit in float32 reads raw inputs (``standardize=False``) beyond
    ``_input._INPUT_BOUND``: they are read at the bound, and the model is not float64's
    (review 352: at 1e31, R^2 0.523 against 0.848)."""
    if long.size and np.abs(long).max() > _INPUT_BOUND:
        warnings.warn(
            f"X holds values beyond +-{_INPUT_BOUND:g} (the largest: "
            f"{float(np.abs(long).max()):g}), which dtype='float32' reads as +-"
            f"{_INPUT_BOUND:g} with standardize=False: the model is not the one "
            "dtype='float64' fits. Set dtype='float64', or standardize=True.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )


def _targets_1d(y: Any) -> int | None:
    """How many targets ``y`` holds where it reads as a 1-D array; None where it does
    not (a ragged list: NumPy refuses it). Not by ``np.ndim`` or ``len``: an array-like
    that refuses NumPy's array functions and has no length (scikit-learn's
    ``_NotAnArray``) raised there."""
    shape = getattr(y, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(y).shape
        except (ValueError, TypeError):
            return None
    return int(shape[0]) if len(shape) == 1 else None


def _check_target_count(n_targets: int, lengths: np.ndarray, ids: Any) -> None:
    """Refuse ``n_targets`` targets for ``len(lengths)`` sequences (``ids``: a long
    frame's sequence ids, whose rows are no sequences: said so)."""
    if n_targets == len(lengths):
        return
    hint = ""
    if ids is not None:
        hint = (
            " X is a DataFrame with a (sequence id, time) index: it holds one "
            "sequence per id, so y needs one target per id, not per row. "
            "scikit-learn's splitters (train_test_split, cross_val_score, "
            "GridSearchCV) count rows, not sequences: convert X once with "
            "`sequences, ids = dream_sklearn.to_sequences(X)`, take y in the "
            "order of ids (`y.loc[ids]`), then split those."
        )
    raise ValueError(
        "Found input variables with inconsistent numbers of samples: "
        f"X has {len(lengths)} sequences but y has {n_targets} targets.{hint}"
    )


class _BaseDREAM(BaseEstimator):
    """Base class of the scikit-learn DREAM estimators (not for direct use)."""

    # The cell parameters are checked by DREAMConfig's rules in _validate_params (the
    # same words as every other front); scikit-learn's checks the training ones.
    _parameter_constraints: dict = {
        **dict.fromkeys(_CELL_PARAMS, "no_validation"),
        "standardize": ["boolean"],
        "solver": [StrOptions({"ridge", "adam"})],
        "n_steps": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "compile": ["boolean", StrOptions({"auto"})],
        "readout": [StrOptions(set(_READOUT_WIDTH))],
        "dtype": [StrOptions(set(_DTYPES))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "layout": [StrOptions({"channels_last", "channels_first"}), None],
    }

    def __init__(
        self,
        hidden_dim: int = _DEFAULT["hidden_dim"],
        *,
        rank: int = _DEFAULT["rank"],
        time_step: float = _DEFAULT["time_step"],
        plasticity: bool = _DEFAULT["plasticity"],
        ltc: bool = _DEFAULT["ltc"],
        sleep: bool = _DEFAULT["sleep"],
        surprise_mode: str = _DEFAULT["surprise_mode"],
        forgetting_rate: float = _DEFAULT["forgetting_rate"],
        base_plasticity: float = _DEFAULT["base_plasticity"],
        base_threshold: float = _DEFAULT["base_threshold"],
        ltc_tau_sys: float = _DEFAULT["ltc_tau_sys"],
        sleep_rate: float = _DEFAULT["sleep_rate"],
        fast_weight_scale: float = _DEFAULT["fast_weight_scale"],
        target_norm: float = _DEFAULT["target_norm"],
        standardize: bool = True,
        solver: str = "ridge",
        n_steps: int | None = None,
        max_iter: int = 200,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.01,
        alpha: float = 1e-4,
        shuffle: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str = "cpu",
        compile: bool | str = "auto",
        readout: str = "last",
        dtype: str = "float32",
        random_state: int | np.random.RandomState | None = None,
        verbose: bool | int = False,
        layout: str | None = None,
    ) -> None:
        self.hidden_dim = hidden_dim
        self.rank = rank
        self.time_step = time_step
        self.plasticity = plasticity
        self.ltc = ltc
        self.sleep = sleep
        self.surprise_mode = surprise_mode
        self.forgetting_rate = forgetting_rate
        self.base_plasticity = base_plasticity
        self.base_threshold = base_threshold
        self.ltc_tau_sys = ltc_tau_sys
        self.sleep_rate = sleep_rate
        self.fast_weight_scale = fast_weight_scale
        self.target_norm = target_norm
        self.standardize = standardize
        self.solver = solver
        self.n_steps = n_steps
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.compile = compile
        self.readout = readout
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.layout = layout

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    @property
    def _shown_name(self) -> str:
        """The estimator's name in its messages and warnings: its class's, or that of
        the estimator that wraps it (``dream_sklearn.aeon`` sets ``_shown_as``: the
        one the user built; review 343)."""
        return self.__dict__.get("_shown_as") or type(self).__name__

    def _validate_params(self) -> None:
        """scikit-learn's checks of ``_parameter_constraints``, then the cell's parameters
        by DREAMConfig's rules (the hook ``fit`` and ``partial_fit`` call first)."""
        super()._validate_params()
        owner = self._shown_name
        for name in _CELL_PARAMS:
            _check_cell_param(owner, name, getattr(self, name), InvalidParameterError)

    # -- hooks the subclasses fill in -------------------------------------------------

    def _encode_targets(self, y: Any, *, first: bool, incremental: bool, classes: Any):
        """Validated targets as a NumPy array ready for the loss (sets target attributes)."""
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _loss(
        self, output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
    ) -> torch.Tensor:
        """Mean loss of a mini-batch; with ``weight``, ``sum(w * loss) / sum(w)``."""
        raise NotImplementedError

    def _target_tensor(self, y: np.ndarray, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def _validation_score(
        self, output: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> float:
        raise NotImplementedError

    def _scale_targets(self, y: np.ndarray, weight: np.ndarray | None, *, first: bool):
        """The encoded targets as the loss reads them (the regressor standardises)."""
        return y

    def _extra_weights(
        self, y: np.ndarray, sample_weight: np.ndarray | None, *, incremental: bool
    ) -> np.ndarray | None:
        """Per-sequence weights from the estimator's parameters (``class_weight``),
        given the validated ``sample_weight`` (None: all 1)."""
        return None

    def _split(self, n: int, y: np.ndarray, rng: np.random.RandomState):
        raise NotImplementedError

    # -- inputs -----------------------------------------------------------------------

    def _module_dtype(self) -> torch.dtype:
        """The dtype the network was built in (its parameters')."""
        return next(self.module_.parameters()).dtype

    def _surprise_array(self, shape: tuple) -> np.ndarray:
        """``surprise_`` to fill: NaN, in the network's dtype, the one the surprise is
        computed in (float64 made it most of a pickled model, twice the network's
        own size many times over at 2,000 sequences; review 177)."""
        return np.full(
            shape, np.nan, dtype=torch.empty(0, dtype=self._module_dtype()).numpy().dtype
        )

    def _torch_device(self) -> torch.device:
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"The 'device' parameter of {self._shown_name} is 'cuda' but CUDA is "
                "not available on this machine; use device='cpu' or 'auto'."
            )
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def _validate_X(self, X: Any, *, reset: bool) -> tuple[_Ragged, np.ndarray, Any]:
        """``(standardised sequences, lengths, sequence ids)``; sets the scaler on reset."""
        long, lengths, ids = self._read_X(X, reset=reset)
        return self._scale_X(long, lengths, reset=reset, weight=None), lengths, ids

    def _read_X(
        self, X: Any, *, reset: bool, learn: bool = False
    ) -> tuple[np.ndarray, np.ndarray, Any]:
        """``(validated long table, lengths, sequence ids)`` of ``X`` (not yet scaled).

        ``learn`` (fit, partial_fit): record the longest sequence seen so far.
        """
        if reset:  # (labels of an earlier fit on a frame go, whatever this X is)
            self.__dict__.pop("_column_labels", None)
            self._read_as = self._settings_now()
        n_steps, layout = self._read_setting("n_steps"), self._read_setting("layout")
        name = self._shown_name
        if n_steps is None:
            check_time_columns(self, X, layout, reset=reset)
            fitted = getattr(self, "n_features_in_", None)
            long, lengths, ids = to_long(X, layout, None if reset else fitted_width(self))
            changed = not reset and layout != self.layout and fitted is not None
            width = np.shape(long)[1] if changed and np.ndim(long) == 2 else fitted
            if width != fitted:
                # (set_params(layout=...) after the fit: X read as the fit read it has
                # other features than expected; a review's finding)
                raise ValueError(
                    f"X has {width} features read with layout={layout!r}, as {name} was "
                    f"fitted, and {name} expects {fitted}: set_params(layout="
                    f"{self.layout!r}) takes effect at the next fit that starts a new model "
                    "(warm_start=False)."
                )
            table = long  # (a DataFrame's, or a list of DataFrames' as one: its labels)
            with _named_conversion("X"):
                long = validate_data(self, long, reset=reset, dtype=np.float64)
            if reset:
                self._keep_column_labels(table)
        else:
            # Flat rows (n_sequences, n_steps * n_features): validated as they come,
            # so n_features_in_ counts the flat columns; then read as sequences.
            X = plain_input(X)
            check_flat(X, n_steps, name, now=self.n_steps)
            with _named_conversion("X"):
                flat = validate_data(self, X, reset=reset, dtype=np.float64)
            if reset and n_steps == 1:  # (the columns are the features: their labels,
                # which from_sklearn keys the rows by; review 218)
                self._keep_column_labels(X)
            long, lengths = unflatten(flat, n_steps, layout)
            ids = None
        check_magnitude(long, "X")
        if learn and self.dtype == "float32" and not self.standardize:
            _warn_clipped(long)
        if lengths is None:
            seen = 1 if reset else getattr(self, "_max_steps", 1)
            lengths = one_step_lengths(long, seen, self._shown_name)
        if learn:
            seen = 0 if reset else getattr(self, "_max_steps", 1)
            self._max_steps = max(seen, int(lengths.max()))
        return long, lengths, ids

    def _settings_now(self) -> dict:
        """The parameters of :data:`_READ_AS` as they are now."""
        return {name: getattr(self, name) for name in _READ_AS}

    def _read_setting(self, name: str) -> Any:
        """A parameter of :data:`_READ_AS` as the last fit read it (its value now
        before a first fit, or in a model pickled before it was kept): a later
        ``set_params`` changes how ``X`` is read only at the next fit (``predict``
        after ``set_params(n_steps=12)`` on a model fitted with 4 read each sequence's
        12 flat columns as one feature a step and answered, silently: a review's
        finding); a continued fit refuses the change (:meth:`_check_built_with`)."""
        now = getattr(self, name)
        kept = getattr(self, "_read_as", {}).get(name, now)
        # (the setting now where it reads X as the kept one: layout="channels_last" set
        # over None, as the LayoutWarning asks, silences it; review 286)
        return now if _as_read(name, kept) == _as_read(name, now) else kept

    def _keep_column_labels(self, X: Any) -> None:
        """A DataFrame's column labels that are not names (scikit-learn records only
        string names as ``feature_names_in_``) and not the positions ``0..d-1`` in order:
        ``from_sklearn`` keys the online estimator's features by them, as river's rows
        from that frame are keyed (keyed by position, ``{1: a, 0: b}`` from columns
        ``[1, 0]`` was read with the two columns swapped: a review's finding)."""
        columns = getattr(X, "columns", None)
        if columns is None or hasattr(self, "feature_names_in_"):
            return
        labels = list(columns)
        if labels != list(range(len(labels))):
            self._column_labels = labels

    def _scale_X(
        self, long: np.ndarray, lengths: np.ndarray, *, reset: bool, weight: np.ndarray | None
    ) -> _Ragged:
        """The standardised sequences (read as the padded array, a chunk at a time);
        on reset the scaler is fitted first, each step weighted by its sequence's
        ``weight`` when given."""
        if reset:
            if self.standardize:
                w = None if weight is None else np.repeat(weight, lengths)
                self.x_mean_, scale = column_stats(long, w)
                self.x_scale_ = fitted_scale(scale, self.x_mean_, len(long))
            else:
                self.x_mean_ = np.zeros(long.shape[1])
                self.x_scale_ = np.ones(long.shape[1])
        return _Ragged((long - self.x_mean_) / self.x_scale_, lengths)

    def _sample_weight(
        self, sample_weight: Any, ids: Any, y: np.ndarray, *, incremental: bool
    ) -> _Weights:
        """Validated per-sequence weights: ``sample_weight`` times ``class_weight``
        to train on, and ``sample_weight`` alone to score by (:class:`_Weights`). A
        pandas ``sample_weight`` indexed by the sequence ids of a DataFrame ``X`` is
        aligned by id, like ``y``."""
        weight = None
        if sample_weight is not None:
            aligned = align_targets(sample_weight, ids, "sample_weight")
            with _named_conversion("sample_weight"):
                weight = _check_sample_weight(
                    aligned,
                    np.zeros(len(y)),
                    dtype=np.float64,
                    ensure_non_negative=True,
                    copy=True,
                )
        given = weight
        extra = self._extra_weights(y, weight, incremental=incremental)
        if extra is not None:
            with np.errstate(over="ignore"):
                weight = extra if weight is None else weight * extra
            if not np.isfinite(weight).all():
                # (such a product was read as the lightest weight of all by the ridge
                # solver, and its fit silently NaN; review 263)
                largest = "" if given is None else f" (largest sample_weight {given.max():g})"
                raise ValueError(
                    "sample_weight times class_weight overflows: expected finite products, "
                    f"got inf for {int(np.isinf(weight).sum())} sequence(s){largest}. "
                    "Weights count relative to each other: scale sample_weight down."
                )
        if weight is not None and not weight.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number "
                "(after class_weight); every sequence has zero weight."
            )
        return _Weights(weight, given)

    @staticmethod
    def _aligned_y(X: Any, y: Any, name: str = "y") -> Any:
        """``y`` in the order of the sequences of ``X`` (see :func:`align_targets`): a
        DataFrame with a (sequence id, time) index orders its sequences by id, and so
        does a pandas Series of sequences by its index; any other form keeps ``y`` as
        it is. ``name``: the argument's, for the errors. (A
        list has an ``index`` method too: testing for that attribute re-read a
        channels-first list under the default layout.)"""
        if _is_multiindex_frame(X):
            return align_targets(y, to_long(X)[2], name)
        return align_targets(y, _series_ids(X), name)  # (a torch tensor: its values)

    # -- persistence --------------------------------------------------------------------

    def __getstate__(self) -> dict:
        """The pickled state, with every torch object on the CPU.

        A model trained on a GPU then loads on a machine without one (the estimator
        being pickled is left where it is). On the CPU nothing is copied.
        """
        state = super().__getstate__()
        module = state.get("module_")
        if module is None or _on_cpu(module):
            return state
        state = dict(state)
        cpu = copy.deepcopy(module).to("cpu")
        state["module_"] = cpu
        if "memory_" in state:
            state["memory_"] = state["memory_"].to("cpu")
        if "optimizer_" in state:
            # An Adam on the CPU copy's parameters, its moments loaded (and moved) over.
            optimizer = torch.optim.Adam(cpu.parameters(), lr=self.learning_rate_init)
            optimizer.load_state_dict(state["optimizer_"].state_dict())
            state["optimizer_"] = optimizer
        return state

    def __setstate__(self, state: dict) -> None:
        """Load a pickled state (held on the CPU) where ``device`` says: onto CUDA for
        ``"cuda"`` or ``"auto"`` when this machine has it, else it stays on the CPU
        (so a model fitted with ``device="cuda"`` still loads and predicts without a
        GPU; fitting it again there raises the usual error)."""
        # Pickled before these parameters existed: float64, last-step readout.
        state = {"dtype": "float64", "readout": "last", "solver": "adam", **state}
        super().__setstate__(state)
        if state.get("module_") is None or self.device == "cpu" or not torch.cuda.is_available():
            return
        self._move_to(torch.device("cuda"))

    def _move_to(self, device: torch.device) -> None:
        """Move the network, the memory and the optimiser's moments to ``device``."""
        self.module_.to(device)  # in place: the optimiser keeps its parameters
        if hasattr(self, "memory_"):
            self.memory_ = self.memory_.to(device)
        if hasattr(self, "optimizer_"):
            # load_state_dict casts the moments to the device of their parameters.
            self.optimizer_.load_state_dict(self.optimizer_.state_dict())

    # -- the network ------------------------------------------------------------------

    def _build_module(self, n_features: int, rng: np.random.RandomState) -> None:
        seed = int(rng.randint(np.iinfo(np.int32).max))
        config = _cell_kwargs({name: getattr(self, name) for name in _CELL_PARAMS})
        hidden_dim = config.pop("hidden_dim")
        # random_state alone fixes the weights; no global generator moves.
        module = _seeded(
            lambda: _DREAMNet(
                n_features, hidden_dim, self._n_outputs(), readout=self.readout, **config
            ),
            seed,
        )
        self.module_ = module.to(device=self._torch_device(), dtype=_DTYPES[self.dtype])

    def _built_with_other_params(self, ridge: bool) -> list[str]:
        """The shaping parameters whose values now differ from those the fitted model
        was built with (its cell's configuration, the gradient network's readout and
        dtype, the ridge solver's cell bank), as ``"name=built -> now"``."""
        changed = [
            f"{name}={self._read_setting(name)!r} -> {getattr(self, name)!r}"
            for name in _READ_AS
            if self._read_setting(name) != getattr(self, name)  # (_as_read there)
        ]
        return changed + self._built_with_other_cell(ridge)

    def _built_with_other_cell(self, ridge: bool) -> list[str]:
        """:meth:`_built_with_other_params` of the network or the cell bank."""
        if ridge:
            built = _plain_bank(self.features_.get_params())
            now = _plain_bank(self._feature_bank().get_params())
            # (a bank pickled before it had a dtype ran in float32 whatever the
            # estimator said: its dtype is not compared)
            skip = ("random_state", "layout", "standardize")
            if getattr(self.features_, "_dtype_defaulted", False):
                skip += ("dtype",)
            # (nor time_step: the bank steps each cell by its own timescale, and a
            # change of it changes no feature; partial_fit refused it)
            for params in (built, now):
                params["cell_params"].pop("time_step", None)
            keys = [k for k in now if k not in skip]
            return [f"{k}={built[k]!r} -> {now[k]!r}" for k in keys if built[k] != now[k]]
        config = self.module_.dream.config
        changed = []
        for name in _CELL_PARAMS:
            field = _cell_kwargs({name: None}).popitem()[0]
            value = getattr(self, name)  # (as its plain value: Fraction(1, 10) is 0.1)
            if getattr(config, field) != _check_cell_param(self._shown_name, name, value):
                changed.append(f"{name}={getattr(config, field)!r} -> {value!r}")
        built = getattr(self.module_, "readout", "last")  # (a network pickled before it)
        if built != self.readout:
            changed.append(f"readout={built!r} -> {self.readout!r}")
        if self._module_dtype() != _DTYPES[self.dtype]:
            built = str(self._module_dtype()).removeprefix("torch.")
            changed.append(f"dtype={built!r} -> {self.dtype!r}")
        return changed

    def _check_read_as(self, name: str, ridge: bool) -> None:
        """:meth:`_check_built_with` where a parameter of :data:`_READ_AS` changed; one
        pickled before ``_read_as`` existed records what it reads now."""
        if not hasattr(self, "_read_as"):
            self._read_as = self._settings_now()
        now = self._settings_now()
        if any(_as_read(k, self._read_as.get(k, now[k])) != _as_read(k, now[k]) for k in now):
            self._check_built_with(name, ridge)

    def _check_built_with(self, name: str, ridge: bool) -> None:
        """Refuse to continue (warm_start, partial_fit) a model built with other
        shaping parameters: it went on training the old one while ``get_params()``
        described another (a review's finding)."""
        changed = self._built_with_other_params(ridge)
        if changed:
            how = "partial_fit continues" if ridge else "a warm_start fit or partial_fit continues"
            raise ValueError(
                f"{name}: the model was built with other parameters than it has now "
                f"({', '.join(changed)}); {how} that model. Set them back, or "
                + (
                    "call fit to build a new one."
                    if ridge
                    else "set warm_start=False (fit) to build a new one."
                )
            )

    def _zero_memory(self) -> DREAMState:
        return self.module_.dream.cell.initial_state(1)

    def _check_batch_weight(self, size: float, dtype: torch.dtype, weighted: bool) -> None:
        """Refuse a mini-batch whose total sample weight ``size`` (its sequences,
        unweighted) makes the L2 penalty's factor (_penalty) too large for ``dtype``:
        Adam squares its gradient, which past about sqrt(max) / 1e3 overflowed
        (float32: a total of 4e-39 left every step 0, of 4e-49 made the penalty itself
        inf; a batch of tiny weights froze the matrices it reached, silently). Checked
        without weights too: alpha=1e22 froze them with none, where weights of 1 were
        refused (review 310)."""
        if 0.5 * self.alpha / size <= math.sqrt(torch.finfo(dtype).max) / 1e3:
            return
        penalty = (
            f"the L2 penalty, alpha / 2 / that {'sum' if weighted else 'number'} times the "
            f"squared weights (alpha={self.alpha!r}), is too large for {dtype} (its "
            "gradient squared overflows)."
        )
        if not weighted:
            raise _BatchWeightError(
                f"alpha: a mini-batch of {size:g} sequences (batch_size="
                f"{self.batch_size!r}): {penalty} Lower alpha, give the mini-batches more "
                "sequences (a larger batch_size), or fit with dtype='float64'."
            )
        raise _BatchWeightError(
            f"sample_weight: a mini-batch's weights sum to {size:g} (batch_size="
            f"{self.batch_size!r}): {penalty} Scale the weights up (the loss is their "
            "weighted mean, the same under any scale: only the penalty's share changes), "
            "lower alpha, give the mini-batches more weight (a larger batch_size), or fit "
            "with dtype='float64'."
        )

    def _penalty(self, batch: float) -> torch.Tensor:
        """MLP-style L2 penalty: ``alpha / 2 * sum of squared weight matrices / batch``
        (``batch``: the mini-batch's size, or its total sample weight)."""
        weights = [p for p in self.module_.parameters() if p.dim() >= 2]
        # (the factor as a Python float: divided in the module's dtype, a batch weight
        # below about 3e-39 made the gradient of 1 / batch inf in float32, and with
        # alpha=0 NaN)
        return (0.5 * self.alpha / batch) * sum((w * w).sum() for w in weights)

    # -- the one training routine -------------------------------------------------------

    @_all_or_nothing
    def _fit(
        self,
        X: Any,
        y: Any,
        *,
        incremental: bool,
        classes: Any = None,
        sample_weight: Any = None,
    ):
        """Shared by ``fit`` (``incremental=False``) and ``partial_fit``."""
        name = self._shown_name
        if incremental:
            # scikit-learn's _fit_context checks a partial_fit of an unfitted model
            # only: batch_size=-5 set between two calls learned nothing while n_iter_
            # counted on, a negative alpha trained (review 177)
            self._validate_params()
        ridge = self.solver == "ridge"
        if incremental and self.early_stopping and not ridge:
            raise ValueError(
                f"{name}.partial_fit does not support early_stopping=True; "
                "set early_stopping=False or use fit."
            )
        # A model fitted with the other solver is replaced by fit, never continued; a
        # ridge fit starts afresh (warm_start belongs to the gradient solver). A
        # partial_fit refuses it, as it refuses a change of the cell's parameters: it
        # threw the fitted model away for one of this chunk alone, silently (review 283).
        fitted = hasattr(self, "features_" if ridge else "module_")
        other = "module_" if ridge else "features_"
        if incremental and not fitted and hasattr(self, other):
            built = "adam" if ridge else "ridge"
            raise ValueError(
                f"{name}: the model was fitted with solver={built!r}, and solver is "
                f"{self.solver!r} now; partial_fit would replace it with a model of this "
                f"chunk alone. Set solver={built!r} back to continue it, or call fit to "
                "build a new one."
            )
        first = not fitted or not (incremental or (self.warm_start and not ridge))
        if not first:  # before X is read with the settings of the last fit (an X
            # shaped for a new n_steps was refused for its width, not for the change:
            # review 121)
            self._check_read_as(name, ridge)
        long, lengths, ids = self._read_X(X, reset=first, learn=True)
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        y = align_targets(y, _series_ids(X) if ids is None else ids)
        # A 1-D y's count is checked before its labels are read (a short y was blamed
        # on its classes, review 307); another shape gets _encode_targets' message.
        n_targets = _targets_1d(y)
        if n_targets is not None:
            _check_target_count(n_targets, lengths, ids)
        y = self._encode_targets(y, first=first, incremental=incremental, classes=classes)
        _check_target_count(len(y), lengths, ids)
        weights = self._sample_weight(
            sample_weight, _series_ids(X) if ids is None else ids, y, incremental=incremental
        )
        weight = weights.train
        y = self._scale_targets(y, weight, first=first)
        X3 = self._scale_X(long, lengths, reset=first, weight=weight)
        rng = check_random_state(self.random_state)
        if ridge:
            if not first:
                self._check_built_with(name, ridge=True)
            return self._fit_ridge(
                X3, lengths, y, weight, rng, first=first, incremental=incremental
            )
        # The compile setting of this fit (validated by fit); predict and
        # advance_memory read it, not a value set_params put there since.
        self._compile = self.compile
        if first:
            self._forget("features_", "coef_", "intercept_", "alpha_", "_ridge_stats")
            self._build_module(X3.shape[2], rng)
            self.n_iter_ = 0
            self.loss_curve_ = []
        else:
            self._check_built_with(name, ridge=False)
            # (a new list: the one kept by _all_or_nothing stays as it was if this raises)
            self.loss_curve_ = list(self.loss_curve_)
        if first or not incremental:
            # fit (warm or not) starts a new optimiser and a fresh memory.
            self.optimizer_ = torch.optim.Adam(
                self.module_.parameters(), lr=self.learning_rate_init
            )
            self.memory_ = self._zero_memory()
        n = len(lengths)
        batch = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        train, val = np.arange(n), None
        if self.early_stopping:
            if n - math.ceil(self.validation_fraction * n) < 1:  # (as train_test_split counts)
                # (train_test_split's own error named its test_size and train_size, which
                # the user did not set: review 187)
                raise ValueError(
                    f"early_stopping=True: validation_fraction={self.validation_fraction} of "
                    f"{n} sequences leaves none to train on. Lower validation_fraction or "
                    "give more sequences."
                )
            train, val = self._split(n, y, rng)
            if len(val) < 2:  # (as MLPClassifier / MLPRegressor refuse it)
                # (one sequence: the regressor's R^2 was NaN every epoch, so nothing
                # stopped the fit and no best epoch was kept)
                raise ValueError(
                    f"early_stopping=True: the validation split holds {len(val)} sequence of "
                    f"{n} (validation_fraction={self.validation_fraction}); it needs at least "
                    "2. Increase validation_fraction or the number of sequences."
                )
            for part, rows, w in (("validation", val, weights.score), ("training", train, weight)):
                if w is not None and not w[rows].sum() > 0:
                    # (the validation score divided by 0: a bare ZeroDivisionError, or
                    # scikit-learn's message that every weight was 0)
                    what = "sample_weight"
                    if w is not weights.score:
                        what += " times class_weight"
                    raise ValueError(
                        f"early_stopping=True: the {part} split (validation_fraction="
                        f"{self.validation_fraction}) holds only sequences whose {what} is "
                        "0; give more of them weight, or a larger validation_fraction."
                    )
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            best = None
        else:  # (an earlier fit's scores were left, and drawn against this call's epochs)
            self._forget("validation_scores_", "best_validation_score_")
        device = next(self.module_.parameters()).device
        dtype = self._module_dtype()
        # Adam's first step is learning_rate_init / (1 - 0.9): past the dtype's range
        # torch failed converting it, with an error that did not name the parameter.
        if self.learning_rate_init / (1.0 - 0.9) > torch.finfo(dtype).max:
            raise ValueError(
                f"learning_rate_init={self.learning_rate_init:g} is too large for {dtype}: "
                f"Adam's first step, 10 times it, overflows {torch.finfo(dtype).max:g}."
            )
        yt = self._target_tensor(y, device)
        # The weights as the module's dtype, divided by their largest: the loss is a
        # weighted mean, the same under any scale, and float32 held 1e-50 as 0 (every
        # mini-batch skipped as weightless: nothing learned) and 1e39 as inf. Their
        # sums (the L2 penalty's, the loss curve's) are taken at their scale, w_scale.
        wt, w_scale = None, 1.0
        if weight is not None:  # (_pass refuses a mini-batch whose total is too small)
            w_scale = float(weight.max()) if weight.max() > 0 else 1.0
            wt = torch.as_tensor(weight / w_scale, dtype=dtype, device=device)
        surprise = self._surprise_array(X3.shape[:2])
        best_loss, no_change = np.inf, 0
        epochs = 1 if incremental else self.max_iter
        shuffled = self.shuffle and not incremental
        lengths = X3.lengths[train]
        padded, padding = 0.0, 1.0  # (read by compile="auto" alone)
        if getattr(self, "_compile", False) == "auto":
            padded, padding = _padded_batches(lengths, batch, shuffled, epochs)
        steps = epochs * _batch_steps(lengths, batch, shuffled)
        train_compile = self._compile_for(steps, padding, padded)
        if self.early_stopping:
            val_compile = self._compile_for(epochs * _chunk_steps(X3.lengths[val]))
        # A network this call continues, as it was (put back if the loss diverges).
        saved = None
        if not first:
            saved = (
                copy.deepcopy(self.module_.state_dict()),
                copy.deepcopy(self.optimizer_.state_dict()),
            )
        if incremental and not first:
            # A rate set since is used, as alpha is (it was kept silently, review 187);
            # set after the checks and after ``saved``, which a refused call puts back
            # with the rate it had (review 189).
            for group in self.optimizer_.param_groups:
                group["lr"] = self.learning_rate_init
        self.module_.dream.checkpoint_steps = _checkpoint_span(lengths)
        bar = tqdm(range(epochs), desc=name, disable=not self.verbose, leave=False)
        finished: list[str] = []  # the warnings of the fit, issued once it is whole
        for _ in bar:
            order = rng.permutation(train) if (self.shuffle and not incremental) else train
            self.module_.dream.compile_step = train_compile
            try:
                loss = self._pass(X3, yt, order, batch, surprise, wt, w_scale)
            except _BatchWeightError:
                # (the mini-batches before it stepped: a network this call continued
                # gets back the weights and optimiser state it had, review 108)
                _put_back(self.module_, self.optimizer_, saved)
                raise
            # (the loss is measured before each step: the epoch's last step may leave the
            # weights NaN under a finite loss, and validation read them: a review's finding)
            if not (math.isfinite(loss) and _finite(self.module_)):
                if self.early_stopping and best is not None:
                    # The best epoch is put back below (the diverged epoch's optimiser
                    # state and surprise were NaN too: a review's finding).
                    finished.append(
                        f"{name}: the loss diverged at epoch {self.n_iter_ + 1}; the fit ends "
                        f"on its best epoch (validation score {self.best_validation_score_:.4g}). "
                        "Lower learning_rate_init to train further."
                    )
                    break
                _non_finite(name, self.module_, saved, self.optimizer_)
            self.n_iter_ += 1
            self.loss_curve_.append(loss)
            bar.set_postfix(loss=f"{loss:.4f}")
            if incremental:
                continue
            if self.early_stopping:
                self.module_.dream.compile_step = val_compile
                out = self._outputs(X3, val, surprise=surprise)
                # (scored by sample_weight alone: class_weight weighs the loss only)
                held = None if weights.score is None else weights.score[val]
                score = self._validation_score(out, y[val], held)
                self.validation_scores_.append(score)
                no_change = no_change + 1 if score < self.best_validation_score_ + self.tol else 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best = (
                        copy.deepcopy(self.module_.state_dict()),
                        self.memory_,
                        copy.deepcopy(self.optimizer_.state_dict()),
                        surprise.copy(),
                    )
            else:
                no_change = no_change + 1 if loss > best_loss - self.tol else 0
                best_loss = min(best_loss, loss)
            if no_change > self.n_iter_no_change:
                break
        else:
            if not incremental:
                finished.append(
                    f"{name}: maximum iterations ({self.max_iter}) reached and the "
                    "optimisation has not converged yet."
                )
        bar.close()
        if self.early_stopping and best is not None:
            # The best epoch's weights, as MLP's; with them its memory, optimiser state
            # and surprise: a later partial_fit goes on as from a fit that stopped there
            # (it took the last epoch's Adam moments to the best's weights: review 187).
            self.module_.load_state_dict(best[0])
            self.memory_ = best[1]
            self.optimizer_.load_state_dict(best[2])
            surprise[:] = best[3]
        self.module_.dream.compile_step = train_compile
        self.module_.eval()
        self.surprise_ = surprise
        self._finished_warnings = finished  # (issued by _all_or_nothing, once whole)
        return self

    def _compile_for(self, step_evaluations: float, padding: Any = 1.0, padded: Any = 0.0) -> bool:
        """Whether a call of ``step_evaluations`` steps runs the compiled loop: as
        ``compile`` says, or for ``"auto"``, when it is long enough to repay it and
        no mini-batch (:func:`_padded_batches`) is both padded over
        ``_COMPILE_AUTO_PADDING`` times its own steps (``padding``) and over
        ``_COMPILE_AUTO_PADDED`` sequence-steps (``padded``)."""
        setting = getattr(self, "_compile", False)  # (a model pickled before: eager)
        if setting == "auto":
            over = np.asarray(padding) > _COMPILE_AUTO_PADDING
            pads = bool(np.any(over & (np.asarray(padded) > _COMPILE_AUTO_PADDED)))
            return _auto_compile(step_evaluations) and not pads
        return bool(setting)

    # -- solver="ridge" -------------------------------------------------------------------

    def _forget(self, *names: str) -> None:
        """Drop the fitted attributes ``names`` (those of the other solver)."""
        for name in names:
            self.__dict__.pop(name, None)

    def _feature_bank(self) -> DREAMFeatures:
        """The untrained cell bank of ``solver="ridge"``, from the cell parameters."""
        config = _cell_kwargs({name: getattr(self, name) for name in _CELL_PARAMS})
        hidden_dim, rank = config.pop("hidden_dim"), config.pop("rank")
        plasticity = config.pop("plasticity_enabled")
        bank = DREAMFeatures(
            hidden_dim,
            rank=rank,
            plasticity=plasticity,
            cell_params=config,
            standardize=self.standardize,
            layout=self.layout,
            dtype=self.dtype,
            random_state=self.random_state,
        )
        bank._start()
        return bank

    def _ridge_targets(self, y: np.ndarray) -> np.ndarray:
        """The encoded targets as the columns the ridge readout fits (n, n_outputs)."""
        raise NotImplementedError

    def _ridge_offset(self) -> np.ndarray | None:
        """What was subtracted from the targets the readout fits, in their units there
        (_RidgeStats.solve's ``offset``), for targets on scales of their own (the
        regressor's), whose penalty then weighs each by its own spread; None for
        targets on one scale (the classifier's class indicators)."""
        return None

    def _bank_features(self, X3: _Ragged, lengths: np.ndarray):
        """Yield ``(rows, features of those sequences)``, :data:`_PREDICT_CHUNK`
        sequences at a time (the features, 1,024 a sequence by default, would
        otherwise be held for every sequence at once)."""
        bank = self.features_
        for start in range(0, len(lengths), _PREDICT_CHUNK):
            rows = slice(start, start + _PREDICT_CHUNK)
            yield rows, bank._features(X3[rows], lengths[rows])

    def _fit_ridge(
        self,
        X3: _Ragged,
        lengths: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        rng: np.random.RandomState,
        *,
        first: bool,
        incremental: bool,
    ) -> _BaseDREAM:
        """``solver="ridge"``: the bank's pooled features, then the exact ridge readout.

        ``fit`` starts the statistics afresh; ``partial_fit`` adds to them, so the
        readout after several calls is the one a single call on all their sequences
        would give (with the feature map and scaling of the first call).
        """
        if first:
            self._forget("module_", "memory_", "optimizer_", "loss_curve_", "surprise_")
            self._forget("validation_scores_", "best_validation_score_")
            bank = self._feature_bank()
            keep = _counted(weight)  # weight 0, or in the negligible tail: as if absent
            bank._build(X3[keep], lengths[keep], rng)
            # The estimator's scaling, so that features_.transform(X) reads raw sequences.
            bank.n_features_in_ = X3.shape[2]
            bank.x_mean_, bank.x_scale_ = self.x_mean_, self.x_scale_
            if hasattr(self, "feature_names_in_") and self.n_steps is None:
                bank.feature_names_in_ = self.feature_names_in_
            self.features_ = bank
            self.n_iter_ = 0
        if not incremental or first:
            stats = _RidgeStats(self.features_.n_features_out_, self._n_outputs())
        else:
            # A copy, kept only once solved: a call that raises (or is interrupted)
            # part-way through its chunks had left them in the statistics, and a rerun
            # of the call counted them twice (review 123; _all_or_nothing puts back
            # attributes, not what an object they hold changed in place).
            stats = copy.deepcopy(self._ridge_stats)
        targets = self._ridge_targets(y)
        for rows, features in self._bank_features(X3, lengths):
            stats.update(features, targets[rows], None if weight is None else weight[rows])
        offset = self._ridge_offset()
        solution = stats.solve(per_target=offset is not None, offset=offset)
        self._ridge_stats = stats
        self.features_._max_steps = self._max_steps  # refuses 2-D rows after sequences
        self.coef_ = solution.coef.T
        self.intercept_ = solution.intercept
        self.alpha_ = solution.alpha
        self.n_iter_ += 1
        return self

    def _batch(self, X3: _Ragged, rows: Any) -> _Batch:
        """The sequences ``rows`` of ``X3`` padded to their longest, on the network's
        device and in its dtype. Only these rows are padded, never the whole collection
        (one series of 20,000 steps among 500 of 20 padded them all to 80 MB, for 0.24
        MB of values)."""
        param = next(self.module_.parameters())
        lengths = X3.lengths[rows]
        steps = int(lengths.max())
        x = _input_tensor(X3[rows, :steps], param.dtype, param.device)
        same = bool((lengths == steps).all())
        return _Batch(x, None if same else torch.as_tensor(lengths, device=param.device), lengths)

    def _pass(self, X3, yt, order, batch, surprise, wt=None, w_scale=1.0) -> float:
        """One pass over ``order`` in mini-batches, advancing ``memory_`` after each.

        With ``yt`` a tensor each mini-batch also takes one Adam step and the mean
        loss is returned; with ``yt=None`` (``advance_memory``) nothing is learned.
        With sample weights ``wt``, each mini-batch's loss is the weighted mean
        ``sum(w * loss) / sum(w)`` plus the L2 penalty over ``sum(w)`` (as in
        ``MLPClassifier``), ``memory_`` the weighted mean of the final states, and
        the returned loss the mean of the mini-batch losses weighted by ``sum(w)``;
        a mini-batch of zero total weight changes nothing, as if it were absent
        (``wt`` is the weights divided by ``w_scale``: their sums are taken back at
        that scale).
        """
        module, total, seen = self.module_, 0.0, 0.0
        module.train(yt is not None)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            xb = self._batch(X3, idx)
            it = torch.as_tensor(idx, device=xb.x.device)
            wb = None if wt is None else wt[it]
            size = len(idx) if wb is None else float(wb.sum()) * w_scale
            # (the loss curve's weights in units of w_scale where they are huge, the
            # penalty's as given: 30 weights of 1e307 summed to inf, and the curve's
            # inf / inf was NaN, read as a diverged loss; review 202. Below, as given:
            # the curve to the bit as before, review 203)
            rel = size if w_scale <= _HUGE_WEIGHT else float(wb.sum())
            with torch.set_grad_enabled(yt is not None):
                out, final, diag = module(xb.x, _expand(self.memory_, len(idx)), xb.ragged)
                if yt is not None and size > 0:
                    self._check_batch_weight(size, xb.x.dtype, wb is not None)
                    loss = self._loss(out, yt[it], wb) + self._penalty(size)
                    self.optimizer_.zero_grad()
                    loss.backward()
                    self.optimizer_.step()
                    total += float(loss.detach()) * rel
            if size > 0:
                self.memory_ = _mean_state(final, wb)
            surprise[idx, : xb.x.shape[1]] = xb.masked(diag.surprise)
            seen += rel
        return total / seen if seen > 0 else 0.0

    def _outputs(self, X3: _Ragged, rows: Any = None, *, surprise=None) -> np.ndarray:
        """Head outputs for the sequences ``rows`` of ``X3`` (all by default), each
        started from ``memory_``; pure. They run in chunks of like lengths
        (:func:`_chunks`, as the ridge solver's): in the order given, one long sequence
        among short ones padded its whole chunk of 1,024 (until round 39: 160 MB of
        NumPy arrays for 0.24 MB of values in speed.py's memory row).

        With ``surprise`` given, the per-step surprise is written to
        ``surprise[rows]`` (the validation sequences during early stopping).
        """
        module = self.module_
        rows = np.arange(len(X3)) if rows is None else np.asarray(rows)
        out = None
        module.eval()
        with torch.inference_mode():
            for part in _chunks(X3.lengths[rows], _PREDICT_CHUNK):
                xb = self._batch(X3, rows[part])
                head, _, diag = module(xb.x, _expand(self.memory_, len(part)), xb.ragged)
                if out is None:
                    out = np.empty((len(rows), head.shape[1]))
                out[part] = head.cpu().numpy()
                if surprise is not None:
                    surprise[rows[part], : xb.x.shape[1]] = xb.masked(diag.surprise)
        return out

    def _predict_outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X3, lengths, _ = self._validate_X(X, reset=False)
        if hasattr(self, "features_"):  # fitted with solver="ridge"
            out = np.empty((len(lengths), len(self.intercept_)))
            for rows, features in self._bank_features(X3, lengths):
                out[rows] = features @ self.coef_.T + self.intercept_
            return out
        self.module_.dream.compile_step = self._compile_for(_chunk_steps(X3.lengths))
        return self._outputs(X3)

    # -- memory -----------------------------------------------------------------------

    @available_if(_has_memory)
    def reset_memory(self):
        """Forget the plastic memory: ``memory_`` goes back to the zero state.

        The learned (slow) weights are kept. Returns ``self``.
        """
        check_is_fitted(self, "memory_")
        self.memory_ = self._zero_memory()
        return self

    @available_if(_has_memory)
    def advance_memory(self, X: Any):
        """Run sequences through the cell to move ``memory_`` forward, without learning.

        The same rule as in ``partial_fit`` (mini-batches of ``batch_size`` in the
        order of ``X``, each starting from ``memory_``, which then becomes the mean
        of their final states), but no gradient step: only the plastic memory
        changes. ``surprise_`` is set to the surprise of these sequences. Returns
        ``self``.
        """
        check_is_fitted(self, "memory_")
        # (the one parameter read here, not the fit's: batch_size=-1 set since left
        # memory_ where it was without a word, 0 died in a ZeroDivisionError; review
        # 177. The others keep what the fit ran with, as predict's do.)
        validate_parameter_constraints(
            {"batch_size": self._parameter_constraints["batch_size"]},
            {"batch_size": self.batch_size},
            caller_name=self._shown_name,
        )
        X3, lengths, _ = self._validate_X(X, reset=False)
        n = len(lengths)
        batch = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        surprise = self._surprise_array(X3.shape[:2])
        # (no graph kept here: the padding costs time only, and compiling repays it)
        self.module_.dream.compile_step = self._compile_for(_batch_steps(X3.lengths, batch, False))
        self._pass(X3, None, np.arange(n), batch, surprise)
        self.module_.eval()
        self.surprise_ = surprise
        return self
