"""Speed of dream_sklearn against its baselines (DESIGN.md §4), on one CPU thread.

Prints one markdown table. Every ratio in it compares figures measured in the same
run, interleaved: each repeat runs every contender of a section once, in turn, and
the table shows the median over repeats, so that load from other processes hits all
contenders alike. Times are CPU time of this process (``time.process_time``; torch is
limited to one thread), which is steadier than wall time on a shared machine.

    python benchmarks/speed.py                        # every section
    python benchmarks/speed.py --only training        # some sections
    python benchmarks/speed.py --repeats 9 --no-compile
    python benchmarks/speed.py --only training sklearn --device cuda   # on a GPU

``--device cuda`` runs the training section and the sklearn section's per-epoch rows
on the GPU, timed by wall clock after ``torch.cuda.synchronize()`` (CPU time does not
see the GPU's work), with DREAM's eager step and fit on the machine's CPU (one thread)
beside them on the same clock: whether the GPU pays at all (``device="auto"`` picks
it; round 49's H100 run found it did not at this size, and the default is now
``device="cpu"``). The sklearn section's end-to-end fits stay on the CPU rows only (they are skipped
on cuda), and the online sections are CPU-only (NumPy and numba).

Sections (``--only``):

- ``training``: one training step (forward, backward, Adam step; same linear head
  and MSE loss on the last output) at batch 32 x 50 steps, 16 features, 64 units,
  rank 8: ``nn.GRU``, ``dream_sklearn.nn.DREAM`` (eager, and with
  ``compile_step=True``), and the straightforward per-step reference cell of
  ``benchmarks/reference_cell.py``; the compiled step against ``nn.GRU``'s again in
  two new processes, with glibc's malloc as it comes (the loop raises its thresholds
  itself, ``dream_sklearn/nn/_malloc.py``) and with its thresholds set high by hand
  (``_MALLOC_KEPT``), with the page faults a step of each (CPU only); and the first
  compiled step in a new process, with an empty (cold) inductor cache and with the
  cache that process filled (warm).
- ``online``: ``predict_one`` + ``learn_one`` rows/s on Elec2 for the default
  ``DREAMOnlineClassifier`` and ``DREAMOnlineRegressor`` (target: NSW demand), on
  the compiled row and on the NumPy path, and the classifier with its opt-in kNN
  expert (``n_neighbors=5``, compiled), against river's HoeffdingAdaptiveTree,
  ARF and ``StandardScaler | LogisticRegression`` (regression: ``LinearRegression``);
  then the default estimators (compiled) against the linear pipelines from row 50 on,
  and over the whole stream, 45,312 rows (``--no-online-whole`` skips those). The
  NumPy path, the kNN expert, HAT and ARF are timed over a third of ``--repeats``
  rounds (at least one), with DREAM's compiled row and river's linear pipeline beside
  them, and their ratios over DREAM are from those rounds; every pair of a DREAM
  estimator and river's linear pipeline, whose ratio is a target, is then timed again
  over ``--repeats`` rounds (at least 3), and the pair's rows show those.
- ``online-parts``: where a row's time goes on the compiled row: each default online
  estimator's ``predict_one`` + ``learn_one`` on Elec2's rows 201-4,200, its two
  numba kernels alone on the same rows (inputs prepared beforehand), the Python around
  them (the difference), and river's linear pipeline on the same rows.
- ``online-start``: where the first rows of a stream lose their time: each default
  online estimator (compiled) and river's linear pipeline on Elec2's first
  ``--online-rows`` rows, every row timed by wall clock (``time.perf_counter``), the
  median of each row over ``--repeats`` rounds (at least 3), summed over spans: row 0
  (the model built), rows 1-9 (the other growth events of Elec2's start: the compiled
  row's buffers laid out, then again after pair features are granted and, for the
  classifier, after its second class, which the NumPy path learns), rows 10-199 (the
  kNN expert's first rows: in play on every row until it loses its place, about 200
  rows for the classifier, 100 for the regressor) and the rest; then the median of the
  rounds' totals, as the ``online`` section times them but by wall clock. A sum of
  each row's median leaves out the rows' occasional spikes (a garbage collection, a
  drift's replay, the host's other work), which the totals keep.
- ``online-delayed``: rows/s with labels 50 rows late (``river.stream.simulate_qa``)
  on Elec2's first ``--online-rows`` rows: the default classifier, the same with
  ``advance_on_predict`` (compiled since round 70, and on the NumPy path:
  ``set_compiled(False)``), ``DREAMDelayedClassifier`` (both), river's
  ``StandardScaler | LogisticRegression`` and ARF; then (since round 73) on Elec2's
  demand as a regression stream the default regressor, the same with
  ``advance_on_predict`` (on the NumPy path, its only one), ``DREAMDelayedRegressor``
  and river's ``StandardScaler | LinearRegression``; a new model each round, over a
  third of ``--repeats`` rounds (at least 3), interleaved.
- ``online-replay``: the classifier's replay at a drift as one kernel against the
  NumPy loop as it was before round 67 (einsum) and as it is now (its reference), the
  default classifier on the whole Elec2 stream and on STAGGER switching concept every
  500 rows, rounds interleaved; its drifts counted.
- ``online-base`` (with ``--base REV``): this checkout's compiled row against the
  package at git revision ``REV``, both in this process, rounds interleaved: the
  default estimators on Elec2's rows 201-2,200 and the classifier on river's
  Hyperplane with 30 features (the pairs' budget spent); each ratio within a round,
  its median and range.
- ``training-base`` (with ``--base REV``): this checkout's compiled training step
  against the one at git revision ``REV``, both in this process, and ``nn.GRU``'s,
  rounds interleaved (the CPU only).
- ``online-many``: river's mini-batch API, ``predict_many`` then ``learn_many`` on
  each frame of 100 and of 1,000 rows, against ``predict_one`` + ``learn_one`` on the
  same rows (Elec2's rows 201-5,200), and ``learn_many`` alone against ``learn_one``
  alone, for each default online estimator (compiled).
- ``online-wide``: wide, sparse rows: a one-hot categorical feature of 10, 100 and
  1,000 categories beside two numeric features, the default classifier (compiled)
  against river's logistic pipeline, over the first 3,000 rows (growth events) and
  the next 3,000; the row's cost grows with the categories seen.
- ``online-narrow``: ``predict_one`` + ``learn_one`` rows/s on river's Bananas (two
  features), where the default classifier runs its kNN expert (``n_neighbors="auto"``),
  against the same without it and river's HoeffdingAdaptiveTree, ARF and logistic
  pipeline, timed as the ``online`` section times Elec2's.
- ``sklearn``: ``DREAMClassifier(solver="adam").fit`` (float32, the default
  configuration) per epoch, eager and compiled, against a plain ``nn.GRU`` loop over
  the same batches (256 sequences x 50 steps x 16 features, batch 32); then end to
  end, each in a new process, over ``--fit-repeats`` rounds (CPU time, each ratio
  within a round, its median and range; wall time beside it): 100 epochs with
  ``compile=True`` on a cold
  and on a warm inductor cache, the same plain ``nn.GRU`` loop, where compiling
  repays itself (what ``compile="auto"`` is set from), the default adam fit
  (``compile="auto"``, ``batch_size="auto"``) against the loop at its batch size,
  and the default ``fit`` (``solver="ridge"``) for reference.
- ``user-compile``: ``torch.compile`` of a model around the layer (a linear head on
  its last output), one training step at length 10 then 20, each setting in a new
  process with a cold inductor cache: the first step's wall time at each length and
  the step's time after, with ``compile_step=False`` (dynamo unrolls the loop: a graph
  per length) and ``compile_step=True`` (the layer's compiled loop, outside dynamo's
  graph).
- ``memory``: memory traced by ``tracemalloc`` while ``DREAMOnlineClassifier`` runs
  over a long stream (its compiled kernels loaded before): after 2,000 rows and at the
  end; and the growth of a process's peak resident memory while ``DREAMClassifier``
  (ridge, and adam for one epoch) fits and predicts sequences of unequal lengths (one
  long among many short), against their padded array, with ``tracemalloc``'s peak
  beside it (it leaves out what torch allocates); and the layer's forward and backward
  pass over one sequence of 20,000 steps, whole and in recomputed spans.

A section whose estimator does not exist (yet) prints a "skipped" row. To add a
section, write ``def my_section(args) -> list[Row]`` and decorate it with
``@section("name")``; use :func:`interleaved_cpu_times` for anything compared.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import itertools
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dream_sklearn.nn import DREAM

HERE = Path(__file__).resolve().parent


def _load_reference():
    spec = importlib.util.spec_from_file_location("reference_cell", HERE / "reference_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ReferenceDREAM


@dataclass
class Row:
    """One line of the table."""

    section: str
    what: str
    value: str
    unit: str = ""
    compared: str = ""


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {}


def section(name: str):
    """Register a function ``args -> list[Row]`` as a section of the table."""

    def register(fn):
        SECTIONS[name] = fn
        return fn

    return register


def _cuda_wall() -> float:
    """Wall seconds once the GPU has finished the work queued so far."""
    torch.cuda.synchronize()
    return time.perf_counter()


def _clock(device: str) -> Callable[[], float]:
    """The clock of a comparison on ``device``: CPU time on the CPU, wall time after a
    synchronisation on a GPU (the process's CPU time does not count the GPU's work)."""
    return time.process_time if device == "cpu" else _cuda_wall


def interleaved_cpu_times(
    fns: dict[str, Callable[[], object]],
    repeats: int,
    inner: int = 1,
    warmup: int = 1,
    clock: Callable[[], float] = time.process_time,
) -> dict[str, float]:
    """Median seconds per call of each function by ``clock`` (CPU time unless told),
    over ``repeats`` rounds.

    Each round calls every function ``inner`` times, one function after the other,
    so slow periods of a shared machine fall on all of them alike; the order is
    drawn anew each round (seeded), so that no function always runs after the same
    other (a row's first call after ARF's cost about twice its usual: docs/online.md).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        order = list(names)
        random.Random(r).shuffle(order)
        for name in order:
            fn = fns[name]
            start = clock()
            for _ in range(inner):
                fn()
            samples[name].append((clock() - start) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


class _CompileFailed(RuntimeError):
    """The DREAM loop did not compile: a row labelled compiled would time the eager
    fallback. Said in the table as a "failed" row; any other error stops the run."""

    def reason(self) -> str:
        """The message on one line, at most 300 characters (a table cell)."""
        return " ".join(str(self).split())[-300:]


def _check_compiled() -> None:
    """Refuse to time a compiled row whose compilation failed: the layer then runs
    each step compiled, or eagerly, with a warning only (a review's finding)."""
    from dream_sklearn.nn._layer import _COMPILED_LOOP

    why = _not_compiled(_COMPILED_LOOP)
    if why is not None:
        raise _CompileFailed(why)


def _not_compiled(loop) -> str | None:
    """Why a compiled row of this process would time the eager loop, or None: the
    compilation failed, or a variant went past the limit of graphs a process compiles
    and ran eagerly (a warning only; ``loop``: a package's ``_COMPILED_LOOP``)."""
    if getattr(loop, "failed", None) is not None:
        return f"torch.compile of the DREAM loop failed: {loop.failed}"
    if getattr(loop, "_past_limit", None):
        return "a variant of the DREAM loop went past the recompile limit and ran eagerly"
    return None


def _wrapper_note() -> str:
    """Where the loop runs on inductor's Python wrapper (its C++ wrapper failed, as on
    torch 2.11), a note for the compiled rows' labels; else nothing."""
    from dream_sklearn.nn._layer import _COMPILED_LOOP

    why = _COMPILED_LOOP.cpp_wrapper_failed  # (the process's: this row's variant may
    # have kept the C++ wrapper, if compiled before; "may" says so)
    if why is None:
        return ""
    return f" (the C++ wrapper failed in this process, {why}: may run Python's)"


def skipped(section_name: str, what: str, reason: str) -> list[Row]:
    return [Row(section_name, what, "skipped", compared=reason)]


# --- training -------------------------------------------------------------------------


def _training_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, hidden: int):
    """A closure doing one Adam step of ``model`` + a linear head on the last output."""
    head = torch.nn.Linear(hidden, y.shape[1], device=x.device)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)

    def step():
        opt.zero_grad()
        out, _ = model(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()
        opt.step()

    return step


def _compiled_training(eager: DREAM, x, y, n: int, device: str) -> tuple[list[Row], DREAM]:
    """The rows of the first compiled step in a new process, with an empty (cold)
    inductor cache and with the cache the first process filled (warm); and a compiled
    copy of ``eager``, compiled here. Raises _CompileFailed if compilation failed (the
    layer would run eagerly, with a warning only: not a compiled row)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cold = _fresh("layer", Path(tmp), device=device)
        warm = _fresh("layer", Path(tmp), device=device)
        if device == "cpu":
            rows += _fresh_step_rows(Path(tmp))
    # (on a GPU inductor compiles in a pool of worker processes that is not waited
    # for: their CPU time is not counted)
    whose = "with the C++ compiler's" if device == "cpu" else "this process's alone"
    for label, run in (("cold", cold), ("warm", warm)):
        note = _child_wrapper_note(run)
        rows.append(
            Row(
                "training",
                f"DREAM compile_step=True: first step in a new process, {label} cache "
                f"(compilation included){'' if device == 'cpu' else ', on ' + device}",
                f"{run['first']:.1f}",
                "s (wall)",
                f"{run['first_cpu']:.1f} s CPU ({whose}){note}",
            )
        )
    compiled = copy.deepcopy(eager)
    compiled.compile_step = True
    _training_step(compiled, x, y, n)()  # compiles here (or loads from the cache)
    _check_compiled()
    return rows, compiled


# glibc's malloc returns a freed block at the top of its heap to the system once the
# free space there passes a threshold that it raises as it goes (to twice the largest
# block it has mapped and freed). The compiled loop allocates about 6 MB a step in
# large blocks (the per-step stacks, and torch's reversed copies of them for the
# backward scan); where the threshold is below that, the memory goes back after each
# step and faults in again at the next. What earlier blocks the process freed decides
# which: two new processes on the same code differed, and this script's own process
# differed again (round 43). Since round 44 the loop frees one 30 MiB block on its
# first call (dream_sklearn/nn/_malloc.py), which raises both thresholds. These rows
# time the step in new processes, as it comes (with that block) and with the
# thresholds set high by hand (the environment variables below, read at start-up;
# setting one turns off glibc's raising of both, so the block changes nothing there).
_MALLOC_KEPT = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(2**30)}
# What else sets the allocator of a new process: left out of the "as it comes" run
# (a shell that exported _MALLOC_KEPT, as the README says, gave that row the
# thresholds set, under the other label: review 239).
_ALLOCATOR_VARIABLES = ("LD_PRELOAD", "GLIBC_TUNABLES")


def _child_wrapper_note(run: dict) -> str:
    """Where a child's loop ran on inductor's Python wrapper (its C++ wrapper failed),
    a note for the row's comparison; else nothing."""
    wrapper = run.get("cpp_wrapper_failed")
    return "" if wrapper is None else f"; the C++ wrapper failed ({wrapper}), Python's ran"


def _faults_a_step(step: Callable[[], object], n: int = 15) -> float:
    """The minor page faults of this process per call of ``step``, over ``n`` calls."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / n


def _fresh_step_rows(cache: Path, rounds: int = 15) -> list[Row]:
    """The compiled training step against ``nn.GRU``'s in two new processes on the warm
    ``cache``: the C library's malloc as it comes (no allocator variable of this
    process's environment passed on), and on glibc with :data:`_MALLOC_KEPT`."""
    rows = []
    shape = "batch 32 x 50 steps, 16->64, rank 8"
    libc = platform.libc_ver()[0]
    unset = tuple(k for k in os.environ if k.startswith("MALLOC_") or k in _ALLOCATOR_VARIABLES)
    runs = {f"{libc or 'the C library'}'s malloc as it comes": {k: None for k in unset}}
    if libc == "glibc":
        runs[" and ".join(f"{k}={v}" for k, v in _MALLOC_KEPT.items())] = {
            **{k: None for k in unset},
            **_MALLOC_KEPT,
        }
    for label, env in runs.items():
        run = _fresh("steps", cache, epochs=rounds, env=env)
        note = _child_wrapper_note(run)
        rows.append(
            Row(
                "training",
                f"DREAM compile_step=True in a new process, {label}: training step, {shape} "
                f"(median of {rounds} rounds of 5 steps)",
                f"{1e3 * run['dream']:.1f}",
                "ms",
                f"{run['dream'] / run['gru']:.2f}x nn.GRU in that process ({1e3 * run['gru']:.1f} "
                f"ms); page faults a step: {run['dream_faults']:,.0f} (nn.GRU: "
                f"{run['gru_faults']:,.0f}){note}",
            )
        )
    return rows


@section("training")
def training(args) -> list[Row]:
    batch, steps, d, n, r = 32, 50, 16, 64, 8
    shape = f"batch {batch} x {steps} steps, {d}->{n}, rank {r}"
    device = args.device
    if device != "cpu":
        shape += f", on {device} ({torch.cuda.get_device_name()}; wall time)"
    torch.manual_seed(0)
    x, y = torch.randn(batch, steps, d), torch.randn(batch, 1)
    x, y = x.to(device), y.to(device)
    torch.manual_seed(0)
    eager = DREAM(d, n, rank=r).to(device)
    contenders = {
        "nn.GRU": torch.nn.GRU(d, n, batch_first=True, device=device),
        "DREAM": eager,
        "reference per-step cell": _load_reference().from_layer(eager).to(device),
    }
    rows, compile_rows = [], []
    if not args.no_compile:
        try:
            compile_rows, compiled = _compiled_training(eager, x, y, n, device)
        except _CompileFailed as exc:  # (said in the table, and the other rows kept)
            reason = exc.reason()
            what = f"DREAM compile_step=True on {device}"
            compile_rows = [Row("training", what, "failed", compared=reason)]
        else:
            contenders["DREAM compile_step=True"] = compiled
    steps_fns = {name: _training_step(m, x, y, n) for name, m in contenders.items()}
    if device != "cpu":  # (the same step on this machine's CPU, one thread, same clock)
        on_cpu = copy.deepcopy(eager).cpu()
        steps_fns["DREAM on the CPU"] = _training_step(on_cpu, x.cpu(), y.cpu(), n)
    times = interleaved_cpu_times(steps_fns, repeats=args.repeats, inner=3, clock=_clock(device))
    gru, ref = times["nn.GRU"], times["reference per-step cell"]
    faults = {}
    if device == "cpu" and "DREAM compile_step=True" in steps_fns:
        # (this process's page faults a step, as the rows in new processes count them)
        faults = {k: _faults_a_step(steps_fns[k]) for k in ("DREAM compile_step=True", "nn.GRU")}
    for name in contenders:
        t = times[name]
        compared = f"{t / gru:.2f}x nn.GRU"
        if name not in ("nn.GRU", "reference per-step cell"):
            compared += f"; {ref / t:.1f}x faster than the reference"
        if name == "DREAM compile_step=True" and faults:
            compared += (
                f"; page faults a step in this process: {faults[name]:,.0f} (nn.GRU: "
                f"{faults['nn.GRU']:,.0f})"
            )
        rows.append(
            Row(
                "training",
                f"{name}{_wrapper_note() if 'compile' in name else ''}: training step, {shape}",
                f"{1e3 * t:.1f}",
                "ms",
                compared,
            )
        )
    if "DREAM on the CPU" in times:
        t = times["DREAM on the CPU"]
        rows.append(
            Row(
                "training",
                "DREAM on this machine's CPU (one thread, wall time): the same training step",
                f"{1e3 * t:.1f}",
                "ms",
                f"DREAM on {device} (eager) takes {times['DREAM'] / t:.2f}x this",
            )
        )
    return rows + compile_rows + _ragged_training_rows(args, d, n, r)


def _ragged_training_rows(args, d: int, n: int, r: int) -> list[Row]:
    """One eager training step on 32 sequences of unequal lengths (31 of 4 to 50
    steps, one of 200), the head on each sequence's last valid state: DREAM given ``lengths``,
    against ``nn.GRU`` given the same as a ``PackedSequence``, in one interleaved run.
    Both run each step on the sequences still going only (DREAM since round 40)."""
    from torch.nn.utils.rnn import pack_padded_sequence

    device = args.device
    gen = torch.Generator().manual_seed(0)
    lengths = torch.randint(4, 51, (32,), generator=gen)
    lengths[0] = 200
    x = torch.randn(32, 200, d, generator=gen).to(device)
    y = torch.randn(32, 1, generator=gen).to(device)
    torch.manual_seed(0)
    dream, gru = DREAM(d, n, rank=r).to(device), torch.nn.GRU(d, n, batch_first=True).to(device)

    def step_of(model, forward):
        head = torch.nn.Linear(n, 1, device=device)
        opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(head(forward(model)), y)
            loss.backward()
            opt.step()

        return step

    def dream_last(model):  # (the state: each sequence's last valid step's)
        return model(x, lengths=lengths)[1].h

    def gru_last(model):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return model(packed)[1][0]

    fns = {"DREAM": step_of(dream, dream_last), "nn.GRU": step_of(gru, gru_last)}
    times = interleaved_cpu_times(fns, repeats=args.repeats, inner=1, clock=_clock(device))
    shape = f"31 sequences of 4-50 steps and one of 200 (lengths), {d}->{n}, rank {r}"
    gru_what = "nn.GRU given them as a PackedSequence"
    return [
        Row("training", f"nn.GRU: training step, {shape}", f"{1e3 * times['nn.GRU']:.1f}", "ms"),
        Row(
            "training",
            f"DREAM (eager) given lengths: training step, {shape}",
            f"{1e3 * times['DREAM']:.1f}",
            "ms",
            f"{times['DREAM'] / times['nn.GRU']:.2f}x {gru_what}",
        ),
    ]


# --- online ---------------------------------------------------------------------------


def _demand_rows(stream: list) -> list:
    """Elec2's rows as a regression stream: NSW demand from the other columns."""
    return [({k: v for k, v in x.items() if k != "nswdemand"}, x["nswdemand"]) for x, _ in stream]


def _progressive(model, stream) -> None:
    for x, y in stream:
        model.predict_one(x)
        model.learn_one(x, y)


def _on_path(make, compiled: bool):
    """``make`` run with the online estimators' compiled row on or off."""
    from dream_sklearn.online import set_compiled

    def run(stream):
        previous = set_compiled(compiled)
        try:
            _progressive(make(), stream)
        finally:
            set_compiled(previous)

    return run


def _online_rows(
    task: str,
    makers: dict,
    stream: list,
    repeats: int,
    pair_repeats: int,
    data: str = "Elec2",
    name_of_section: str = "online",
) -> list[Row]:
    """Interleaved rows/s of each contender on ``stream``; ratios against the first
    (the default DREAM estimator, compiled) and the river pipeline (the last).

    Every contender runs ``repeats`` rounds (ARF and the NumPy path take seconds
    each); the first and the last, whose ratio is a target, are then timed again
    by themselves over ``pair_repeats`` interleaved rounds, and their rates are the
    median over those: a single round's rate of the first 5,000 rows moved by 30%
    from one run to the next on a shared machine."""
    fns = {name: (lambda run=run: run(stream)) for name, run in makers.items()}
    times = interleaved_cpu_times(fns, repeats=repeats, warmup=0)
    names = list(makers)
    dream, river_linear = names[0], names[-1]
    # DREAM's rate in the rounds every contender ran in: the ratios over HAT, ARF and
    # the NumPy path divide rates from the same rounds (a review found them dividing
    # the pair's later rounds by the first ones; rates moved by 25% between sections)
    first = {name: len(stream) / t for name, t in times.items()}
    pair = {name: fns[name] for name in (dream, river_linear)}
    times.update(interleaved_cpu_times(pair, repeats=pair_repeats, warmup=0))
    rate = {name: len(stream) / t for name, t in times.items()}
    rows = []
    pair_ratio = rate[dream] / rate[river_linear]
    for name in names:
        if name == dream:
            compared = f"this / {river_linear}: {pair_ratio:.2f}x"
        elif name == river_linear:  # (the pair's ratio, as on DREAM's row: this row gave
            # the first rounds' beside it, two ratios for one pair; review 178)
            compared = f"{dream} / this: {pair_ratio:.2f}x (the pair's {pair_repeats} rounds)"
        else:
            ratio = first[dream] / first[name]
            compared = f"{dream} / this: {ratio:.2f}x (the same {repeats} rounds)"
        rows.append(
            Row(
                name_of_section,
                f"{name}: predict_one + learn_one, {data} first {len(stream):,} rows ({task})",
                f"{rate[name]:,.0f}",
                "rows/s",
                compared,
            )
        )
    return rows


_WARM_ROWS = 50  # the steady-state rows: after the first rows' growth of the cell


def _steady_rows(task: str, makers: dict, stream: list, repeats: int) -> list[Row]:
    """Rows/s from row ``_WARM_ROWS`` on: each contender is built and run on the first
    rows untimed (the cell's growth events are there), then timed on the rest;
    interleaved as ``_online_rows``; the ratio of the first over the last."""
    samples: dict[str, list[float]] = {name: [] for name in makers}
    from dream_sklearn.online import set_compiled

    head, rest = stream[:_WARM_ROWS], stream[_WARM_ROWS:]
    for r in range(repeats):
        order = list(makers)  # (drawn anew each round, as interleaved_cpu_times does)
        random.Random(r).shuffle(order)
        for name in order:
            make, compiled = makers[name]
            previous = set_compiled(compiled)
            try:
                model = make()
                _progressive(model, head)
                start = time.process_time()
                _progressive(model, rest)
                samples[name].append(time.process_time() - start)
            finally:
                set_compiled(previous)
    rate = {name: len(rest) / statistics.median(t) for name, t in samples.items()}
    first, last = list(makers)[0], list(makers)[-1]
    return [
        Row(
            "online",
            f"{name}: predict_one + learn_one, Elec2 rows {_WARM_ROWS:,}-{len(stream):,}, "
            f"after {_WARM_ROWS} untimed rows ({task})",
            f"{rate[name]:,.0f}",
            "rows/s",
            f"this / {last}: {rate[first] / rate[last]:.2f}x" if name == first else "",
        )
        for name in makers
    ]


def _whole_stream_rows(task: str, makers: dict, stream: list, repeats: int) -> list[Row]:
    """Rows/s over the whole Elec2 stream (45,312 rows), growth events included:
    the default DREAM estimator (compiled) and river's linear pipeline (the last),
    interleaved as ``_online_rows`` (no untimed warm-up row); the ratio of the first
    over the last. Over the whole stream the first rows' cell growth weighs less than
    over 5,000."""
    fns = {name: (lambda run=run: run(stream)) for name, run in makers.items()}
    times = interleaved_cpu_times(fns, repeats=repeats, warmup=0)
    rate = {name: len(stream) / t for name, t in times.items()}
    first, last = list(makers)[0], list(makers)[-1]
    return [
        Row(
            "online",
            f"{name}: predict_one + learn_one, Elec2 whole stream, {len(stream):,} rows ({task})",
            f"{rate[name]:,.0f}",
            "rows/s",
            f"this / {last}: {rate[first] / rate[last]:.2f}x" if name == first else "",
        )
        for name in makers
    ]


def _river_classifiers() -> dict:
    """River's classifiers the online sections time DREAM's against, each a function of
    the rows (``_progressive``): HoeffdingAdaptiveTree, ARF, and the logistic pipeline
    last (the ratios' reference)."""
    from river import forest, linear_model, preprocessing, tree

    return {
        "river HoeffdingAdaptiveTreeClassifier(seed=1)": lambda s: _progressive(
            tree.HoeffdingAdaptiveTreeClassifier(seed=1), s
        ),
        "river ARFClassifier(seed=1)": lambda s: _progressive(forest.ARFClassifier(seed=1), s),
        "river StandardScaler \\| LogisticRegression": lambda s: _progressive(
            preprocessing.StandardScaler() | linear_model.LogisticRegression(), s
        ),
    }


@section("online")
def online(args) -> list[Row]:
    try:
        from dream_sklearn.online import (
            DREAMOnlineClassifier,
            DREAMOnlineRegressor,
            compiled_available,
        )
    except ImportError as exc:
        return skipped("online", "DREAMOnlineClassifier rows/s", str(exc))
    from river import forest, linear_model, preprocessing, tree

    from dream_sklearn.datasets import iter_elec2

    stream = list(iter_elec2(args.online_rows))
    reg_stream = _demand_rows(stream)
    repeats = max(1, args.repeats // 3)
    linear = {  # river's linear pipelines, the ratios' reference
        "classification": lambda: (
            preprocessing.StandardScaler() | linear_model.LogisticRegression()
        ),
        "regression": lambda: preprocessing.StandardScaler() | linear_model.LinearRegression(),
    }

    def with_knn():  # (the opt-in kNN expert: its vote beside the compiled row)
        return DREAMOnlineClassifier(n_neighbors=5)

    rows = []
    if not compiled_available():
        rows += skipped("online", "compiled row", "numba is not installed")
    else:  # compile (or load from numba's cache) before timing
        # (the whole stream: the classifier's replay kernel runs at its first drift, and
        # its loading, some ms, fell in a timed round of the kNN row: 47,653 -> 17,979
        # rows/s, round 67)
        _on_path(lambda: DREAMOnlineClassifier(seed=0), True)(stream)
        _on_path(DREAMOnlineRegressor, True)(reg_stream[:300])
        _on_path(with_knn, True)(stream[:300])  # (its vote's kernel)
    classifiers = {
        "DREAMOnlineClassifier() compiled": _on_path(DREAMOnlineClassifier, True),
        "DREAMOnlineClassifier() NumPy": _on_path(DREAMOnlineClassifier, False),
        "DREAMOnlineClassifier(n_neighbors=5) compiled": _on_path(with_knn, True),
        **_river_classifiers(),
    }
    regressors = {
        "DREAMOnlineRegressor() compiled": _on_path(DREAMOnlineRegressor, True),
        "DREAMOnlineRegressor() NumPy": _on_path(DREAMOnlineRegressor, False),
        "river HoeffdingAdaptiveTreeRegressor(seed=1)": lambda s: _progressive(
            tree.HoeffdingAdaptiveTreeRegressor(seed=1), s
        ),
        "river ARFRegressor(seed=1)": lambda s: _progressive(forest.ARFRegressor(seed=1), s),
        "river StandardScaler \\| LinearRegression": lambda s: _progressive(
            linear["regression"](), s
        ),
    }
    if not compiled_available():
        del classifiers["DREAMOnlineClassifier() compiled"]
        del classifiers["DREAMOnlineClassifier(n_neighbors=5) compiled"]
        del regressors["DREAMOnlineRegressor() compiled"]
    pair_repeats = max(3, args.repeats)
    rows += _online_rows("classification", classifiers, stream, repeats, pair_repeats)
    rows += _online_rows("regression", regressors, reg_stream, repeats, pair_repeats)
    if compiled_available():
        for task, make, data in (
            ("classification", DREAMOnlineClassifier, stream),
            ("regression", DREAMOnlineRegressor, reg_stream),
        ):
            pipeline = "LogisticRegression" if task == "classification" else "LinearRegression"
            makers = {
                f"{make.__name__}() compiled": (make, True),
                f"river StandardScaler \\| {pipeline}": (linear[task], True),
            }
            rows += _steady_rows(task, makers, data, pair_repeats)  # (a pair: --repeats)
        if args.online_whole:
            whole = list(iter_elec2())
            whole_reg = _demand_rows(whole)
            for task, make, data in (
                ("classification", DREAMOnlineClassifier, whole),
                ("regression", DREAMOnlineRegressor, whole_reg),
            ):
                pipeline = "LogisticRegression" if task == "classification" else "LinearRegression"
                makers = {
                    f"{make.__name__}() compiled": _on_path(make, True),
                    f"river StandardScaler \\| {pipeline}": lambda s, t=task: _progressive(
                        linear[t](), s
                    ),
                }
                rows += _whole_stream_rows(task, makers, data, pair_repeats)
    return rows


def _stagger_switching(rows: int, every: int) -> list:
    """STAGGER whose concept moves to the next of its three every ``every`` rows (an
    abrupt change each time)."""
    from river.datasets import synth

    out = []
    for i in range(0, rows, every):
        stream = synth.STAGGER(classification_function=(i // every) % 3, seed=i)
        out += list(stream.take(min(every, rows - i)))
    return out


def _einsum_replay(W, phis, classes, lr, mask, l2, epochs) -> int:
    """The replay's steps as the NumPy loop took them before round 67 (bc94f49): each
    step's outputs by einsum, then ``_Readouts._sgd``'s step (the baseline the kernel
    replaced; the loop now sums the outputs in order, which is slower)."""
    from dream_sklearn.online._classifier import _softmax

    for _ in range(epochs):
        for phi, c in zip(phis, classes, strict=True):
            g = _softmax(np.einsum("jkf,f->jk", W, phi))
            g[:, c] -= 1.0
            g *= lr[:, None]
            if l2:
                W[:, :, :-1] *= np.maximum(0.0, 1.0 - lr * l2)[:, None, None]
            W -= g[:, :, None] * (mask * phi)[:, None, :]
    return epochs * len(phis)


@section("online-replay")
def online_replay(args) -> list[Row]:
    """The classifier's replay at a drift as one compiled kernel (``_kernels.replay``,
    round 67) against the NumPy loop of SGD steps as it was before (einsum's outputs)
    and as it is now (its reference: outputs summed in order, slower), in one process,
    rounds interleaved: the default classifier (seed 0) on the compiled row, on the
    whole Elec2 stream and on STAGGER switching concept every 500 rows; its drifts
    (each one replay) counted."""
    try:
        from dream_sklearn.online import DREAMOnlineClassifier, _readouts, compiled_available
    except ImportError as exc:
        return skipped("online-replay", "the replay's kernel", str(exc))
    if not compiled_available():
        return skipped("online-replay", "the replay's kernel", "numba is not installed")
    from dream_sklearn.datasets import iter_elec2

    kernel = _readouts._compiled_call
    taken = [0]  # (replays the loops took: a run labelled so that took none while the
    # stream drifts timed the kernel, and stops the run)

    def numpy_loop(name, *call_args):  # (None: the caller runs its NumPy loop)
        if name == "replay":
            taken[0] += 1
            return None
        return kernel(name, *call_args)

    def einsum_loop(name, *call_args):
        if name == "replay":
            taken[0] += 1
            return _einsum_replay(*call_args)
        return kernel(name, *call_args)

    def run(stream, call) -> DREAMOnlineClassifier:
        _readouts._compiled_call = call
        try:
            model = DREAMOnlineClassifier(seed=0)
            _on_path(lambda: model, True)(stream)
        finally:
            _readouts._compiled_call = kernel
        return model

    rows = []
    for data, stream in (
        ("Elec2 whole stream", list(iter_elec2())),
        ("STAGGER switching concept every 500 rows", _stagger_switching(10_000, 500)),
    ):
        drifts = run(stream, kernel).n_drifts_  # (and the kernel compiled or loaded)
        for loop in (numpy_loop, einsum_loop):
            taken[0] = 0
            run(stream, loop)
            if drifts and not taken[0]:
                raise SystemExit("online-replay: a loop's run replayed nothing by it")
        fns = {
            "the replay as one kernel": lambda s=stream: run(s, kernel),
            "the NumPy loop before round 67 (einsum)": lambda s=stream: run(s, einsum_loop),
            "the NumPy loop now (its reference, in order)": lambda s=stream: run(s, numpy_loop),
        }
        times = interleaved_cpu_times(fns, repeats=max(3, args.repeats // 2), warmup=0)
        rate = {name: len(stream) / t for name, t in times.items()}
        kernel_rate = rate["the replay as one kernel"]
        for name, r in rate.items():
            rows.append(
                Row(
                    "online-replay",
                    f"DREAMOnlineClassifier(seed=0) compiled, {data} ({len(stream):,} rows, "
                    f"{drifts} drifts): {name}",
                    f"{r:,.0f}",
                    "rows/s",
                    "" if r == kernel_rate else f"the kernel / this: {kernel_rate / r:.2f}x",
                )
            )
    return rows


_PARTS_ROWS = (200, 4200)  # the steady rows the parts are timed on (after the growth)


def _kernel_rows(model, rows: list):
    """The compiled row's two kernels alone on ``rows``: the inputs each row's
    ``predict_one`` + ``learn_one`` would pass them, prepared beforehand (slots,
    values, target); nothing in Python between calls (no drift detector, no state
    read back). ``model`` has read its first row in the compiled row."""
    fast = model._fast
    prepared = [
        (fast.slots_of(tuple(x)), np.array(tuple(x.values())), model._fast_target(y))
        for x, y in rows
    ]

    hold = 1 if fast.regression else 0  # (as _fast_commit calls it: review 216)

    def run():
        for slots, values, target in prepared:
            fast.forward(fast.fb, fast.ib, values, slots)
            if fast.learn(fast.fb, fast.ib, *target, 0, hold) == -2.0:  # (a far run)
                fast.learn(fast.fb, fast.ib, *target, 0, 0)

    return run


@section("online-parts")
def online_parts(args) -> list[Row]:
    """Where a row's time goes on the compiled row: each default estimator's
    ``predict_one`` + ``learn_one`` from row 200 on (after the cell's growth), and its
    two numba kernels alone on the same rows; the rest is the Python around them
    (reading the row, the checks that the buffers are the estimator's, the drift
    detectors, the state read back). river's linear pipeline, timed alike, for scale."""
    import copy

    from river import linear_model, preprocessing

    from dream_sklearn.datasets import iter_elec2
    from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor, compiled_available

    if not compiled_available():
        return skipped("online-parts", "the compiled row's parts", "numba is not installed")
    start, end = _PARTS_ROWS
    stream = list(iter_elec2(end))
    reg_stream = _demand_rows(stream)
    rows = []
    for task, make, linear, data in (
        ("classification", DREAMOnlineClassifier, linear_model.LogisticRegression, stream),
        ("regression", DREAMOnlineRegressor, linear_model.LinearRegression, reg_stream),
    ):
        head, rest = data[: start + 1], data[start + 1 :]
        warmed, pipeline = make(), preprocessing.StandardScaler() | linear()
        _progressive(warmed, head)  # (and the kernels compiled or loaded)
        _progressive(pipeline, head)
        samples: dict[str, list[float]] = {"row": [], "kernels": [], "river": []}
        for _ in range(max(3, args.repeats)):
            for name in samples:
                model = copy.deepcopy(pipeline if name == "river" else warmed)
                if name != "river":  # (a copy lays its compiled row out again: untimed)
                    model.predict_one(head[-1][0])
                if name == "kernels":
                    run = _kernel_rows(model, rest)
                else:
                    run = lambda m=model, r=rest: _progressive(m, r)  # noqa: E731
                began = time.process_time()
                run()
                samples[name].append(time.process_time() - began)
        us = {name: 1e6 * statistics.median(t) / len(rest) for name, t in samples.items()}
        what = f"{make.__name__}() compiled, Elec2 rows {start + 1:,}-{end:,} ({task})"
        rows += [
            Row(
                "online-parts",
                f"{what}: predict_one + learn_one",
                f"{us['row']:.2f}",
                "µs/row",
                f"{1e6 / us['row']:,.0f} rows/s",
            ),
            Row(
                "online-parts",
                f"{what}: its two kernels alone",
                f"{us['kernels']:.2f}",
                "µs/row",
                f"{us['kernels'] / us['row']:.0%} of the row",
            ),
            Row(
                "online-parts",
                f"{what}: the Python around them (the difference)",
                f"{us['row'] - us['kernels']:.2f}",
                "µs/row",
                f"{(us['row'] - us['kernels']) / us['row']:.0%} of the row",
            ),
            Row(
                "online-parts",
                f"river StandardScaler \\| {linear.__name__}: predict_one + "
                f"learn_one, the same rows ({task})",
                f"{us['river']:.2f}",
                "µs/row",
                f"{1e6 / us['river']:,.0f} rows/s",
            ),
        ]
    return rows


# online-delayed: the labels' delay, in rows (issue 12's)
_DELAY = 50


def _delayed_run(model, events: list) -> None:
    """``events`` (``river.stream.simulate_qa``'s) through ``model``: a question is
    predicted, an answer learned."""
    for _, x, y in events:
        if y is None:
            model.predict_one(x)
        else:
            model.learn_one(x, y)


def _delayed_rows(makers: dict, n_rows: int, repeats: int) -> list[Row]:
    """Each of ``makers`` (name -> a function running a new model through the events)
    timed over ``repeats`` interleaved rounds, as rows/s with the ratio to the last
    one's (river's pipeline)."""
    seconds = interleaved_cpu_times(makers, repeats=repeats)
    river = n_rows / seconds[list(makers)[-1]]
    out = []
    for name in makers:
        rate = n_rows / seconds[name]
        out.append(
            Row(
                "online-delayed",
                f"{name}: predict_one + learn_one, Elec2 first {n_rows:,} rows, labels "
                f"{_DELAY} rows late",
                f"{rate:,.0f}",
                "rows/s",
                f"this / river's pipeline: {rate / river:.2f}x",
            )
        )
    return out


@section("online-delayed")
def online_delayed(args) -> list[Row]:
    """Rows/s under labels ``_DELAY`` rows late on Elec2's first rows: the default
    classifier (compiled; it learns each row when its label comes), the same with
    ``advance_on_predict`` (compiled, and on the NumPy path), ``DREAMDelayedClassifier``
    (both copies), river's ``StandardScaler | LogisticRegression`` and ARF; then on
    Elec2's demand as a regression stream the default regressor, the same with
    ``advance_on_predict`` (the NumPy path: its only one), ``DREAMDelayedRegressor``
    and river's ``StandardScaler | LinearRegression``. A new model each round, rounds
    interleaved, each rate's ratio to river's pipeline of its task."""
    from river import forest, linear_model, preprocessing
    from river import stream as river_stream

    from dream_sklearn.datasets import iter_elec2
    from dream_sklearn.online import (
        DREAMDelayedClassifier,
        DREAMDelayedRegressor,
        DREAMOnlineClassifier,
        DREAMOnlineRegressor,
        set_compiled,
    )

    def numpy_path(events: list) -> None:  # (the reference: set_compiled(False))
        previous = set_compiled(False)
        try:
            _delayed_run(DREAMOnlineClassifier(advance_on_predict=True), events)
        finally:
            set_compiled(previous)

    rows = list(iter_elec2(args.online_rows))
    events = list(river_stream.simulate_qa(rows, moment=None, delay=_DELAY))
    makers = {
        "DREAMOnlineClassifier()": DREAMOnlineClassifier,
        "DREAMOnlineClassifier(advance_on_predict=True)": lambda: DREAMOnlineClassifier(
            advance_on_predict=True
        ),
        "DREAMOnlineClassifier(advance_on_predict=True), NumPy path": None,
        "DREAMDelayedClassifier()": DREAMDelayedClassifier,
        "river ARFClassifier(seed=0)": lambda: forest.ARFClassifier(seed=0),
        "river StandardScaler \\| LogisticRegression": lambda: (
            preprocessing.StandardScaler() | linear_model.LogisticRegression()
        ),
    }
    runs = {
        name: (lambda m=m: _delayed_run(m(), events)) if m else (lambda: numpy_path(events))
        for name, m in makers.items()
    }
    repeats = max(3, args.repeats // 3)
    out = _delayed_rows(runs, len(rows), repeats)
    demand = list(river_stream.simulate_qa(_demand_rows(rows), moment=None, delay=_DELAY))
    makers = {
        "DREAMOnlineRegressor()": DREAMOnlineRegressor,
        "DREAMOnlineRegressor(advance_on_predict=True), NumPy path": lambda: DREAMOnlineRegressor(
            advance_on_predict=True
        ),
        "DREAMDelayedRegressor()": DREAMDelayedRegressor,
        "river StandardScaler \\| LinearRegression": lambda: (
            preprocessing.StandardScaler() | linear_model.LinearRegression()
        ),
    }
    runs = {name: (lambda m=m: _delayed_run(m(), demand)) for name, m in makers.items()}
    return out + _delayed_rows(runs, len(rows), repeats)


# The spans of online-start: (first row, end, what happens there on Elec2)
_START_SPANS = (
    (0, 1, "row 0 (the model built)"),
    (1, 10, "rows 1-9 (the start's other growth events)"),
    (10, 200, "rows 10-199 (the kNN expert's first rows)"),
)


def _row_times(model, stream: list) -> np.ndarray:
    """Each row's ``predict_one`` + ``learn_one`` time on ``stream``, in seconds (wall
    clock: a row is too short for the process's CPU clock)."""
    times = np.empty(len(stream))
    clock = time.perf_counter
    for i, (x, y) in enumerate(stream):
        began = clock()
        model.predict_one(x)
        model.learn_one(x, y)
        times[i] = clock() - began
    return times


@section("online-start")
def online_start(args) -> list[Row]:
    """Where the first rows lose their time: each default estimator (compiled, a new
    one each round) and river's linear pipeline on Elec2's first rows, each row's
    median over interleaved rounds summed over ``_START_SPANS`` and the rest."""
    from river import linear_model, preprocessing

    from dream_sklearn.datasets import iter_elec2
    from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor, compiled_available

    if not compiled_available():
        return skipped("online-start", "the first rows' time", "numba is not installed")
    stream = list(iter_elec2(args.online_rows))
    reg_stream = _demand_rows(stream)
    rows = []
    for task, make, linear, data in (
        ("classification", DREAMOnlineClassifier, linear_model.LogisticRegression, stream),
        ("regression", DREAMOnlineRegressor, linear_model.LinearRegression, reg_stream),
    ):
        makers = {
            "dream": make,
            "river": lambda linear=linear: preprocessing.StandardScaler() | linear(),
        }
        for build in makers.values():  # (the kernels compiled or loaded; first calls)
            _row_times(build(), data)
        samples: dict[str, list[np.ndarray]] = {name: [] for name in makers}
        for r in range(max(3, args.repeats)):
            order = list(makers)
            random.Random(r).shuffle(order)
            for name in order:
                samples[name].append(_row_times(makers[name](), data))
        rows += _start_rows(
            f"{make.__name__}() compiled",
            f"river StandardScaler \\| {linear.__name__}",
            task,
            samples["dream"],
            samples["river"],
        )
    return rows


def _start_spans(n: int) -> list[tuple[int, int, str]]:
    """``_START_SPANS`` within ``n`` rows, the rest, and the whole."""
    spans = [span for span in _START_SPANS if span[1] <= n]
    rest = spans[-1][1]
    if rest < n:
        spans.append((rest, n, f"rows {rest:,}-{n - 1:,}"))
    spans.append((0, n, f"all {n:,} rows"))
    return spans


def _start_rows(name: str, river_name: str, task: str, dream: list, river: list) -> list[Row]:
    """online-start's rows from each round's row times (seconds: a list of arrays of
    one length, for DREAM and for river): each row's median over the rounds, summed
    over each span of :func:`_start_spans`; then the median of the rounds' totals."""
    n = len(dream[0])
    mine, theirs = np.median(np.stack(dream), axis=0), np.median(np.stack(river), axis=0)
    rows = []
    for lo, hi, what in _start_spans(n):
        a, b = mine[lo:hi], theirs[lo:hi]
        rows.append(
            Row(
                "online-start",
                f"{name}, Elec2 {what} ({task})",
                f"{1e3 * a.sum():.2f}",
                "ms (wall)",
                f"{1e6 * a.mean():.1f} µs/row; {river_name}: "
                f"{1e3 * b.sum():.2f} ms, {1e6 * b.mean():.1f} µs/row",
            )
        )
    # (the rows' spikes, which each row's median leaves out, in)
    total = statistics.median([t.sum() for t in dream])
    river_total = statistics.median([t.sum() for t in river])
    rows.append(
        Row(
            "online-start",
            f"{name}, Elec2 all {n:,} rows, the median of the rounds' totals ({task})",
            f"{1e3 * total:.2f}",
            "ms (wall)",
            f"{n / total:,.0f} rows/s; {river_name}: "
            f"{1e3 * river_total:.2f} ms, {n / river_total:,.0f} rows/s",
        )
    )
    return rows


_VERSUS_ROWS = (200, 2200)  # the rows --base's comparison times (after the growth)


def _package_at(rev: str, into: Path, module: str = "online"):
    """``dream_sklearn.<module>`` as it was at git revision ``rev`` of this checkout,
    imported as ``dream_base.<module>`` (the package's imports are relative)."""
    import io
    import tarfile

    got = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", rev, "dream_sklearn"], capture_output=True
    )
    if got.returncode:
        raise SystemExit(f"--base {rev}: {got.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(got.stdout)) as archive:
        # (the "data" filter, where this Python has it: 3.10.12, 3.11.4 and later)
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(into, **safe)
    (into / "dream_sklearn").rename(into / "dream_base")
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(f"dream_base.{module}")
    finally:
        sys.path.remove(str(into))


def _forget_base() -> None:
    """Drop the package at ``--base`` from the imported modules (it leaves with its
    temporary folder)."""
    for name in [m for m in sys.modules if m == "dream_base" or m.startswith("dream_base.")]:
        del sys.modules[name]


@section("online-base")
def online_base(args) -> list[Row]:
    """This checkout's compiled row against the one at ``--base`` (a git revision),
    in one process, rounds interleaved: each default estimator's ``predict_one`` +
    ``learn_one`` on Elec2's rows 201-2,200, and the classifier's on a wider stream
    (river's Hyperplane with 30 features, where the pairs' budget of 4,096 is spent),
    river's linear pipeline beside them for scale. Skipped without ``--base``."""
    import copy

    from river import linear_model, preprocessing
    from river.datasets import synth

    import dream_sklearn.online as this
    from dream_sklearn.datasets import iter_elec2

    if args.base is None:
        return skipped("online-base", "this checkout against --base", "no --base given")
    if Path(this.__file__).resolve().parents[2] != HERE.parent:  # (review 141)
        raise SystemExit(
            f"online-base: dream_sklearn is imported from {Path(this.__file__).parents[1]}, "
            f"not this checkout ({HERE.parent}): install it (pip install -e .) or set "
            "PYTHONPATH to it."
        )
    if not this.compiled_available():
        return skipped("online-base", "the compiled row", "numba is not installed")
    start, end = _VERSUS_ROWS
    elec2 = list(iter_elec2(end))
    streams = [
        ("classification", "Elec2", elec2),
        (
            "regression",
            "Elec2",
            _demand_rows(elec2),
        ),
        ("classification", "Hyperplane(n_features=30)", list(synth.Hyperplane(1, 30).take(end))),
    ]
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = _package_at(args.base, Path(tmp))
            for task, name, data in streams:
                head, rest = data[: start + 1], data[start + 1 :]
                kind = "Classifier" if task == "classification" else "Regressor"
                linear = (
                    linear_model.LogisticRegression
                    if kind == "Classifier"
                    else linear_model.LinearRegression
                )
                warmed = {}
                for label, package in (("this", this), ("base", base)):
                    warmed[label] = getattr(package, f"DREAMOnline{kind}")()
                    _progressive(warmed[label], head)  # (and the kernels compiled or loaded)
                warmed["river"] = preprocessing.StandardScaler() | linear()
                _progressive(warmed["river"], head)
                samples: dict[str, list[float]] = {label: [] for label in warmed}
                for r in range(max(3, args.repeats)):
                    order = list(warmed)
                    random.Random(r).shuffle(order)
                    for label in order:
                        model = copy.deepcopy(warmed[label])
                        if label != "river":  # (a copy lays its compiled row out again: untimed)
                            model.predict_one(head[-1][0])
                        began = time.process_time()
                        _progressive(model, rest)
                        samples[label].append(time.process_time() - began)
                        if label != "river" and model._fast is None:  # (review 141)
                            raise RuntimeError(f"{label}'s row did not run compiled")
                us = {label: 1e6 * statistics.median(t) / len(rest) for label, t in samples.items()}
                ratios = [b / t for b, t in zip(samples["base"], samples["this"], strict=True)]
                what = f"DREAMOnline{kind}() compiled, {name} rows {start + 1:,}-{end:,}"
                rows += [
                    Row(
                        "online-base",
                        f"{what}: this checkout",
                        f"{us['this']:.2f}",
                        "µs/row",
                        f"--base / this: {statistics.median(ratios):.2f}x "
                        f"({min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} rounds)",
                    ),
                    Row(
                        "online-base", f"{what}: --base {args.base}", f"{us['base']:.2f}", "µs/row"
                    ),
                    Row(
                        "online-base",
                        f"river StandardScaler \\| {linear.__name__}, the same rows",
                        f"{us['river']:.2f}",
                        "µs/row",
                    ),
                ]
    finally:
        _forget_base()
    return rows


@section("training-base")
def training_base(args) -> list[Row]:
    """This checkout's compiled training step (``compile_step=True``, the ``training``
    section's shape) against the one at ``--base`` (a git revision), in one process
    (its package imported beside this one, as ``online-base`` does), and ``nn.GRU``'s,
    rounds interleaved: a regression of the compiled loop shows here within one run,
    where two runs of ``training`` differ by some 5%. CPU only; skipped without
    ``--base``."""
    import dream_sklearn.nn as this

    if args.base is None:
        return skipped("training-base", "this checkout against --base", "no --base given")
    if args.device != "cpu":
        return skipped("training-base", "this checkout against --base", "CPU only")
    if Path(this.__file__).resolve().parents[2] != HERE.parent:
        raise SystemExit(
            f"training-base: dream_sklearn is imported from {Path(this.__file__).parents[1]}, "
            f"not this checkout ({HERE.parent}): install it (pip install -e .) or set "
            "PYTHONPATH to it."
        )
    batch, steps, d, n, r = 32, 50, 16, 64, 8
    torch.manual_seed(0)
    x, y = torch.randn(batch, steps, d), torch.randn(batch, 1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = _package_at(args.base, Path(tmp), "nn")
            fns = {}
            for label, package in (("this", this), ("base", base)):
                layer = importlib.import_module(f"{package.__name__}._layer")
                if not hasattr(layer, "_COMPILED_LOOP"):  # (before the loop was one scan)
                    raise SystemExit(f"training-base: --base {args.base} has no compiled loop")
                torch.manual_seed(0)
                model = package.DREAM(d, n, rank=r)
                model.compile_step = True
                fns[label] = _training_step(model, x, y, n)
                fns[label]()  # (compiled here, or loaded from the cache: untimed)
                # (a failure, or a variant past the limit, would run eagerly with a
                # warning only: refused, as _check_compiled refuses it)
                why = _not_compiled(layer._COMPILED_LOOP)
                if why is not None:
                    raise _CompileFailed(f"{label}: {why}")
            fns["nn.GRU"] = _training_step(torch.nn.GRU(d, n, batch_first=True), x, y, n)
            rounds = max(args.repeats, 15)
            times = interleaved_cpu_times(fns, repeats=rounds, inner=5)
    finally:
        _forget_base()
    shape = f"batch {batch} x {steps} steps, {d}->{n}, rank {r}"
    gru = times["nn.GRU"]
    return [
        Row(
            "training-base",
            f"DREAM compile_step=True, this checkout: training step, {shape} "
            f"(median of {rounds} rounds of 5 steps)",
            f"{1e3 * times['this']:.2f}",
            "ms",
            f"{times['this'] / times['base']:.3f}x --base; {times['this'] / gru:.2f}x nn.GRU",
        ),
        Row(
            "training-base",
            f"DREAM compile_step=True, --base {args.base}: the same step",
            f"{1e3 * times['base']:.2f}",
            "ms",
            f"{times['base'] / gru:.2f}x nn.GRU",
        ),
        Row("training-base", "nn.GRU: the same step", f"{1e3 * gru:.2f}", "ms", "1.00x nn.GRU"),
    ]


_MANY_ROWS = (200, 5200)  # the rows the mini-batch API is timed on (after the growth)
_MANY_SIZES = (100, 1000)  # rows per frame


def _by_frames(model, frames: list, predict: bool = True) -> None:
    """``predict_many`` (unless not ``predict``) then ``learn_many`` on each ``(X, y)``
    frame in turn."""
    for X, y in frames:
        if predict:
            model.predict_many(X)
        model.learn_many(X, y)


def _learn_rows(model, stream) -> None:
    for x, y in stream:
        model.learn_one(x, y)


@section("online-many")
def online_many(args) -> list[Row]:
    """river's mini-batch API against the row API on the same rows: ``predict_many``
    then ``learn_many`` on each frame of a DataFrame against ``predict_one`` +
    ``learn_one`` on each row, and ``learn_many`` alone against ``learn_one`` alone;
    each default estimator, Elec2's rows 201-5,200 in frames of 100 and 1,000 rows,
    from a model that learned the first 200 rows by the same API."""
    import copy

    import pandas as pd

    from dream_sklearn.datasets import iter_elec2
    from dream_sklearn.online import (
        DREAMOnlineClassifier,
        DREAMOnlineRegressor,
        compiled_available,
    )

    if not compiled_available():  # (the rows are the compiled row's)
        return skipped("online-many", "predict_many / learn_many", "numba is not installed")
    start, end = _MANY_ROWS
    stream = list(iter_elec2(end))
    reg_stream = _demand_rows(stream)
    rows = []
    for task, make, data in (
        ("classification", DREAMOnlineClassifier, stream),
        ("regression", DREAMOnlineRegressor, reg_stream),
    ):
        head, rest = data[:start], data[start:]
        X = pd.DataFrame([x for x, _ in data])
        y = pd.Series([t for _, t in data], index=X.index)
        X_rest, y_rest = X.iloc[start:], y.iloc[start:]
        frames = {
            size: [
                (X_rest.iloc[i : i + size], y_rest.iloc[i : i + size])
                for i in range(0, len(rest), size)
            ]
            for size in _MANY_SIZES
        }
        # (river's linear pipeline is not timed on frames: on Elec2, whose first rows
        # hold constant columns, its StandardScaler.learn_many leaves a variance below
        # zero and transform_many then fails on its square root)
        by_rows, by_frames = make(seed=0), make(seed=0)
        _progressive(by_rows, head)  # (and the kernels compiled or loaded)
        _by_frames(by_frames, [(X.iloc[:start], y.iloc[:start])])
        # (what, model, run, the key of the row API it is compared with)
        runs = {
            "rows": (
                "predict_one + learn_one",
                by_rows,
                lambda m, r=rest: _progressive(m, r),
                None,
            ),
            "learn": ("learn_one alone", by_rows, lambda m, r=rest: _learn_rows(m, r), None),
        }
        for size, fr in frames.items():
            runs[size] = (
                f"predict_many + learn_many, frames of {size:,} rows",
                by_frames,
                lambda m, fr=fr: _by_frames(m, fr),
                "rows",
            )
            runs[f"learn {size}"] = (
                f"learn_many alone, frames of {size:,} rows",
                by_frames,
                lambda m, fr=fr: _by_frames(m, fr, predict=False),
                "learn",
            )
        samples: dict = {key: [] for key in runs}
        for _ in range(max(3, args.repeats)):
            for key, (_, warmed, run, _) in runs.items():
                model = copy.deepcopy(warmed)
                model.predict_one(head[-1][0])  # (a copy lays its compiled row out again)
                began = time.process_time()
                run(model)
                samples[key].append(time.process_time() - began)
        per_row = {key: statistics.median(t) / len(rest) for key, t in samples.items()}
        for key, (what, _, _, versus) in runs.items():
            t = per_row[key]
            compared = (
                "" if versus is None else f"over {runs[versus][0]}: {per_row[versus] / t:.2f}x"
            )
            rows.append(
                Row(
                    "online-many",
                    f"{make.__name__}(): {what}, Elec2 rows {start + 1:,}-{end:,} ({task})",
                    f"{1 / t:,.0f}",
                    "rows/s",
                    compared,
                )
            )
    return rows


_WIDE_CATEGORIES = (10, 100, 1000)  # the online-wide section's one-hot widths
_WIDE_ROWS = 3000  # rows in each of its two halves


def _wide_stream(k: int, n: int, seed: int = 0) -> list:
    """``n`` rows of a categorical feature of ``k`` categories one-hot encoded as river's
    ``OneHotEncoder(drop_zeros=True)`` gives it (the row's category's key alone, at 1)
    and two numeric features; the label is whether the category is even, flipped where
    the first numeric feature is above 1."""
    rng = np.random.default_rng(seed)
    cats, x = rng.integers(0, k, n), rng.normal(size=(n, 2))
    return [
        ({f"cat_{c}": 1.0, "x0": float(a), "x1": float(b)}, bool((c % 2 == 0) ^ (a > 1.0)))
        for c, (a, b) in zip(cats.tolist(), x.tolist(), strict=True)
    ]


@section("online-wide")
def online_wide(args) -> list[Row]:
    """Rows/s on wide, sparse rows: a one-hot categorical feature of 10, 100 and 1,000
    categories beside two numeric features (:func:`_wide_stream`), the default
    classifier (compiled) against river's ``LogisticRegression`` with the numeric
    features standardised, on the same rows, rounds interleaved: over the first 3,000
    rows (each new category a growth event, read on the NumPy path with the compiled
    row laid out again) and over the next 3,000 (most categories seen). Each category
    is a slot: one more input of the cell and more columns of every readout, so
    DREAM's row costs more the more categories it has seen, where river's linear model
    reads the row's keys alone. The progressive accuracy over the 6,000 rows is beside
    the rates."""
    from river import compose, linear_model, metrics, preprocessing

    from dream_sklearn.online import DREAMOnlineClassifier, compiled_available

    if not compiled_available():
        return skipped("online-wide", "the compiled row on wide rows", "numba is not installed")
    numeric = ("x0", "x1")
    makers = {
        "DREAMOnlineClassifier(seed=0)": lambda: DREAMOnlineClassifier(seed=0),
        # (the numeric features scaled, the one-hot keys as they are: river's
        # StandardScaler reads a key present only at 1 as constant, and scales it to 0)
        "river (Select(x0, x1) \\| StandardScaler) + Discard(x0, x1) \\| LogisticRegression": (
            lambda: (
                (
                    (compose.Select(*numeric) | preprocessing.StandardScaler())
                    + compose.Discard(*numeric)
                )
                | linear_model.LogisticRegression()
            )
        ),
    }
    _progressive(DREAMOnlineClassifier(), _wide_stream(10, 200))  # (kernels loaded: untimed)
    rows = []
    for k in _WIDE_CATEGORIES:
        stream = _wide_stream(k, 2 * _WIDE_ROWS)
        halves = (stream[:_WIDE_ROWS], stream[_WIDE_ROWS:])
        seconds = {name: ([], []) for name in makers}
        accuracy = {}
        for r in range(max(3, args.repeats)):
            order = list(makers)
            random.Random(r).shuffle(order)
            for name in order:
                model, acc = makers[name](), metrics.Accuracy()
                for half, times in zip(halves, seconds[name], strict=True):
                    began = time.process_time()
                    for x, y in half:
                        acc.update(y, model.predict_one(x))
                        model.learn_one(x, y)
                    times.append(time.process_time() - began)
                accuracy[name] = acc.get()
        rate = {
            name: [_WIDE_ROWS / statistics.median(t) for t in times]
            for name, times in seconds.items()
        }
        dream, river_linear = makers
        for name in makers:
            for i, part in enumerate(("rows 1-3,000", "rows 3,001-6,000")):
                compared = f"accuracy over the 6,000 rows {accuracy[name]:.3f}"
                if name == dream:
                    ratio = rate[dream][i] / rate[river_linear][i]
                    compared = f"this / river's pipeline: {ratio:.2f}x; {compared}"
                rows.append(
                    Row(
                        "online-wide",
                        f"{name}: predict_one + learn_one, one-hot of {k:,} categories and "
                        f"2 numeric features, {part}",
                        f"{rate[name][i]:,.0f}",
                        "rows/s",
                        compared,
                    )
                )
    return rows


@section("online-narrow")
def online_narrow(args) -> list[Row]:
    """Rows/s on a stream of two features, where the default classifier runs its kNN
    expert (``n_neighbors="auto"``: at most three features seen): river's Bananas,
    its first ``--online-rows`` rows (at most 5,300), the default classifier
    (compiled) and the same without the expert (``n_neighbors=0``), against river's
    HoeffdingAdaptiveTree, ARF and ``StandardScaler | LogisticRegression``, timed as
    the ``online`` section times Elec2's."""
    from river import datasets

    from dream_sklearn.online import DREAMOnlineClassifier, compiled_available

    if not compiled_available():
        return skipped("online-narrow", "the compiled row on narrow rows", "numba is not installed")
    stream = list(itertools.islice(datasets.Bananas(), args.online_rows))

    def without_knn():
        return DREAMOnlineClassifier(n_neighbors=0)

    _on_path(DREAMOnlineClassifier, True)(stream[:300])  # (kernels loaded: untimed)
    makers = {
        "DREAMOnlineClassifier() compiled": _on_path(DREAMOnlineClassifier, True),
        "DREAMOnlineClassifier(n_neighbors=0) compiled": _on_path(without_knn, True),
        **_river_classifiers(),
    }
    repeats, pair_repeats = max(1, args.repeats // 3), max(3, args.repeats)
    return _online_rows(
        "classification", makers, stream, repeats, pair_repeats, "Bananas", "online-narrow"
    )


# --- scikit-learn ---------------------------------------------------------------------

# The data of the end-to-end fits: 256 sequences x 50 steps x 16 features, two classes.
_FIT_DATA = """
import json, resource, sys, time, warnings
import numpy as np
import torch
torch.set_num_threads(1)

def cpu():  # CPU seconds of this process and of the compilers it ran and waited for
    return sum(
        u.ru_utime + u.ru_stime
        for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )
rng = np.random.RandomState(0)
X = rng.normal(size=(256, 50, 16)).astype(np.float32)
y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
"""

# One child process: what it runs (``kind``), timed by wall clock and by CPU time (its
# own and that of the C++ compiler processes it runs: inductor compiles in this process,
# one file at a time, with TORCHINDUCTOR_COMPILE_THREADS=1). Prints JSON.
_CHILD = (
    _FIT_DATA
    + """
kind, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
device = sys.argv[4]
out = {}
if kind == "layer":  # the training section's compiled step, first call in this process
    from dream_sklearn.nn import DREAM
    torch.manual_seed(0)
    model = DREAM(16, 64, rank=8, device=device)
    model.compile_step = True
    head = torch.nn.Linear(64, 1, device=device)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)
    x, t = torch.randn(32, 50, 16, device=device), torch.randn(32, 1, device=device)
    if device != "cpu":
        torch.cuda.synchronize()  # (the GPU's start-up is not the compilation's)
    start, start_cpu = time.perf_counter(), cpu()
    opt.zero_grad()
    torch.nn.functional.mse_loss(head(model(x)[0][:, -1]), t).backward()
    opt.step()
    if device != "cpu":
        torch.cuda.synchronize()
    out["first"], out["first_cpu"] = time.perf_counter() - start, cpu() - start_cpu
    from dream_sklearn.nn._layer import _COMPILED_LOOP
    out["failed"] = _COMPILED_LOOP.failed or (  # (a failed compile falls back, with a warning)
        "past the recompile limit" if _COMPILED_LOOP._past_limit else None
    )
    out["cpp_wrapper_failed"] = _COMPILED_LOOP.cpp_wrapper_failed
elif kind == "steps":  # the compiled training step against nn.GRU's, in this process
    from dream_sklearn.nn import DREAM
    from dream_sklearn.nn._layer import _COMPILED_LOOP
    torch.manual_seed(0)
    x, t = torch.randn(32, 50, 16), torch.randn(32, 1)
    torch.manual_seed(0)
    dream = DREAM(16, 64, rank=8)
    dream.compile_step = True
    fns = {}
    for name, model in (("dream", dream), ("gru", torch.nn.GRU(16, 64, batch_first=True))):
        head = torch.nn.Linear(64, 1)
        opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)

        def step(model=model, head=head, opt=opt):
            opt.zero_grad()
            torch.nn.functional.mse_loss(head(model(x)[0][:, -1]), t).backward()
            opt.step()

        for _ in range(3):  # (the first compiles, or loads from the warm cache)
            step()
        fns[name] = step
    out["failed"] = _COMPILED_LOOP.failed or (
        "past the recompile limit" if _COMPILED_LOOP._past_limit else None
    )
    samples = {name: [] for name in fns}
    faults = {name: 0 for name in fns}
    for r in range(epochs):  # (rounds, each contender 5 steps, in turn)
        for name, step in sorted(fns.items(), reverse=r % 2 == 1):
            before, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, cpu()
            for _ in range(5):
                step()
            samples[name].append((cpu() - start) / 5)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    import statistics
    for name, s in samples.items():
        out[name] = statistics.median(s)
        out[name + "_faults"] = faults[name] / (5 * epochs)
    out["cpp_wrapper_failed"] = _COMPILED_LOOP.cpp_wrapper_failed
elif kind == "user-compile":  # torch.compile(model) of a model around the layer
    from dream_sklearn.nn import DREAM
    torch.manual_seed(0)
    layer = DREAM(16, 64, rank=8)
    layer.compile_step = sys.argv[5] == "1"
    head = torch.nn.Linear(64, 1)
    opt = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=1e-3)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer, self.head = layer, head

        def forward(self, x):
            return self.head(self.layer(x)[0][:, -1])

    net = torch.compile(Net())

    def step(x):
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()

    for steps in (10, 20):  # (epochs: unused)
        xs = torch.randn(7, batch, steps, 16)  # (a new tensor each step, as a loader's)
        start = time.perf_counter()
        step(xs[0])
        out[f"first_{steps}"] = time.perf_counter() - start
        step(xs[1])  # (untimed: at the first length dynamo compiles the model again)
        start = time.process_time()
        for x in xs[2:]:
            step(x)
        out[f"step_{steps}"] = (time.process_time() - start) / 5
    from dream_sklearn.nn._layer import _COMPILED_LOOP
    out["failed"] = _COMPILED_LOOP.failed or (
        "past the recompile limit" if _COMPILED_LOOP._past_limit else None
    )
elif kind == "gru":  # the plain loop the estimator is compared with
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    start, start_cpu = time.perf_counter(), cpu()
    torch.manual_seed(0)
    gru, head = torch.nn.GRU(16, 64, batch_first=True), torch.nn.Linear(64, 2)
    opt = torch.optim.Adam([*gru.parameters(), *head.parameters()], lr=0.01)
    for _ in range(epochs):
        for idx in torch.randperm(len(Xt)).split(batch):
            opt.zero_grad()
            o, _ = gru(Xt[idx])
            torch.nn.functional.cross_entropy(head(o[:, -1]), yt[idx]).backward()
            opt.step()
    out["fit"], out["fit_cpu"] = time.perf_counter() - start, cpu() - start_cpu
else:
    from dream_sklearn import DREAMClassifier
    if kind == "ridge":
        params = {"random_state": 0}
    elif kind == "adam":  # the default configuration, compiled, all the epochs
        params = dict(solver="adam", compile=True, max_iter=epochs, n_iter_no_change=epochs,
                      batch_size=batch, random_state=0)
    else:  # "default": compile and batch_size left at their defaults ("auto")
        params = dict(solver="adam", max_iter=epochs, n_iter_no_change=epochs, random_state=0)
    # "again" (adam): the same fit once more, compiled already in this process
    for name in ("fit", "again")[: 2 if kind == "adam" else 1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start, start_cpu = time.perf_counter(), cpu()
            # (on the run's device: "auto" took a GPU where one was, and its fit's CPU
            # time was compared with the CPU loop's; review 216)
            est = DREAMClassifier(**params, device=device).fit(X, y)
            out[name], out[name + "_cpu"] = time.perf_counter() - start, cpu() - start_cpu
    out["n_iter"] = est.n_iter_
    if kind != "ridge":
        from dream_sklearn.nn._layer import _COMPILED_LOOP
        out["failed"] = _COMPILED_LOOP.failed or (
        "past the recompile limit" if _COMPILED_LOOP._past_limit else None
    )
        out["compiled"] = bool(est.module_.dream.compile_step)  # (the fit's choice)
print(json.dumps(out))
"""
)


def _child_env(**extra: str) -> dict:
    """The environment of a child process of this script: one thread, this checkout's
    package first on the path, and ``extra``."""
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        **extra,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
    }


def _fresh(
    kind: str,
    cache: Path,
    epochs: int = 100,
    batch: int = 32,
    device: str = "cpu",
    env: dict | None = None,
    extra_args: tuple[str, ...] = (),
) -> dict:
    """Run ``kind`` of :data:`_CHILD` in a new Python process with inductor's cache in
    ``cache`` (empty: a cold cache; filled by an earlier run: a warm one), and ``env``
    added to its environment (a variable given as None: left out of it)."""
    # (on a GPU, inductor compiles its Triton kernels in parallel, as a user's would)
    threads = {"TORCHINDUCTOR_COMPILE_THREADS": "1"} if device == "cpu" else {}
    extra = {"TORCHINDUCTOR_CACHE_DIR": str(cache), **threads, **(env or {})}
    env = _child_env(**{k: v for k, v in extra.items() if v is not None})
    for k in (k for k, v in extra.items() if v is None):
        env.pop(k, None)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(epochs), str(batch), device, *extra_args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {kind!r} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out.get("failed"):  # a row labelled compiled would time the eager fallback
        raise _CompileFailed(f"child {kind!r}: torch.compile failed ({out['failed']})")
    return out


@section("sklearn")
def sklearn_fit(args) -> list[Row]:
    try:
        from dream_sklearn import DREAMClassifier
        from dream_sklearn._sklearn._base import _COMPILE_AUTO_STEPS
    except ImportError as exc:
        return skipped("sklearn", "DREAMClassifier.fit", str(exc))
    n_seq, steps, d, n, batch, epochs = 256, 50, 16, 64, 32, 100
    what = f"{n_seq} sequences x {steps} steps x {d} features, batch {batch}"
    evals_per_epoch = math.ceil(n_seq / batch) * steps  # step evaluations per epoch
    rows = []
    device = args.device
    if device != "cpu":
        what += f", on {device} (wall time)"
    # Per epoch, in this process, interleaved: eager and compiled fits of the default
    # configuration (compiled once beforehand), and the plain nn.GRU loop.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_seq, steps, d)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    short = 2

    def fit_dream(compile, max_iter=short, on=device):
        with warnings.catch_warnings():  # max_iter=2 does not converge, on purpose
            warnings.simplefilter("ignore")
            DREAMClassifier(
                solver="adam",
                max_iter=max_iter,
                batch_size=batch,
                random_state=0,
                compile=compile,
                device=on,
            ).fit(X, y)

    # (on a GPU the data sit there, as DREAMClassifier.fit puts them)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)

    def fit_gru():
        torch.manual_seed(0)
        gru = torch.nn.GRU(d, n, batch_first=True, device=device)
        head = torch.nn.Linear(n, 2, device=device)
        opt = torch.optim.Adam([*gru.parameters(), *head.parameters()], lr=0.01)
        for _ in range(short):
            for idx in torch.randperm(n_seq, device=device).split(batch):
                opt.zero_grad()
                out, _ = gru(Xt[idx])
                torch.nn.functional.cross_entropy(head(out[:, -1]), yt[idx]).backward()
                opt.step()

    contenders = {"eager": lambda: fit_dream(False), "gru": fit_gru}
    if device != "cpu":  # (the same fit on this machine's CPU, one thread, same clock)
        contenders["eager_cpu"] = lambda: fit_dream(False, on="cpu")
    compile_failed = None
    if not args.no_compile:
        try:
            fit_dream(True, max_iter=1)  # compiles in this process (from the user's cache)
            _check_compiled()
        except _CompileFailed as exc:  # (said in the table, and the other rows kept)
            compile_failed = exc.reason()
        else:
            contenders["compiled"] = lambda: fit_dream(True)
    times = interleaved_cpu_times(contenders, args.repeats, clock=_clock(device))
    times = {k: v / short for k, v in times.items()}
    gru = times["gru"]
    for name, label in (("eager", "compile=False"), ("compiled", "compile=True")):
        if name in times:
            rows.append(
                Row(
                    "sklearn",
                    f"DREAMClassifier(solver='adam', {label}).fit"
                    f"{_wrapper_note() if name == 'compiled' else ''}, per epoch: {what}",
                    f"{1e3 * times[name]:.0f}",
                    "ms",
                    f"{times[name] / gru:.2f}x the plain nn.GRU loop",
                )
            )
    rows.append(
        Row("sklearn", f"plain nn.GRU loop (float32), per epoch: {what}", f"{1e3 * gru:.0f}", "ms")
    )
    if "eager_cpu" in times:  # (where a fit should run: the GPU or the CPU)
        cpu_time, eager = times["eager_cpu"], times["eager"]
        rows.append(
            Row(
                "sklearn",
                "DREAMClassifier(solver='adam', compile=False, device='cpu').fit, per epoch, "
                "the same data (one CPU thread, wall time)",
                f"{1e3 * cpu_time:.0f}",
                "ms",
                f"the eager fit on {device} takes {eager / cpu_time:.2f}x this",
            )
        )
    if compile_failed is not None:
        what = f"DREAMClassifier(solver='adam', compile=True).fit on {device}"
        return [*rows, Row("sklearn", what, "failed", compared=compile_failed)]
    if args.no_compile or device != "cpu":
        return rows
    # End to end, each in a new process, --fit-repeats rounds: the default adam fit
    # (compile=True) with an empty inductor cache, then again with the cache the first
    # one filled; the plain nn.GRU loop; the default fits. Each ratio is taken within
    # a round, CPU time first (wall time moves with the machine's other load: a
    # review found a wall ratio of 0.86x beside a CPU ratio of 1.27x), and the table
    # shows its median and range over the rounds; the rounds alternate the order.
    runs: dict[str, list[dict]] = {}
    order = ["cold", "warm", "plain", "default", "plain_default", "ridge"]
    jobs = {
        "cold": ("adam", epochs, batch),
        "warm": ("adam", epochs, batch),
        "plain": ("gru", epochs, batch),
        "default": ("default", epochs, batch),
        "plain_default": ("gru", epochs, min(200, n_seq)),  # batch_size="auto"
        "ridge": ("ridge", epochs, batch),
    }
    for r in range(args.fit_repeats):
        with tempfile.TemporaryDirectory() as tmp:
            # (cold before warm, which reads the cache cold filled)
            names = order if r % 2 == 0 else order[2:] + order[:2]
            for name in names:
                runs.setdefault(name, []).append(
                    _fresh(*jobs[name][:1], Path(tmp), *jobs[name][1:])
                )

    def spread(values: list[float], fmt: str = ".2f") -> str:
        med = statistics.median(values)
        if len(values) == 1:
            return f"{med:{fmt}}"
        return f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"

    def ratios(a: str, b: str, field: str) -> list[float]:
        return [x[field] / y[field] for x, y in zip(runs[a], runs[b], strict=True)]

    k = args.fit_repeats
    saving = (times["eager"] - times["compiled"]) / evals_per_epoch  # s per step evaluation
    for label in ("cold", "warm"):
        overhead = [x["fit_cpu"] - x["again_cpu"] for x in runs[label]]
        rows.append(
            Row(
                "sklearn",
                f"DREAMClassifier(solver='adam', compile=True).fit, {epochs} epochs, new "
                f"process, {label} cache (compilation included): {what}; median (min-max) "
                f"of {k} rounds",
                spread([x["fit_cpu"] for x in runs[label]], ".1f"),
                "s (CPU)",
                f"{spread(ratios(label, 'plain', 'fit_cpu'))}x the plain nn.GRU loop in CPU "
                f"time (wall: {spread([x['fit'] for x in runs[label]], '.1f')} s, "
                f"{spread(ratios(label, 'plain', 'fit'))}x); compilation "
                f"{spread(overhead, '.1f')} s CPU (the same fit again: "
                f"{spread([x['again_cpu'] for x in runs[label]], '.1f')} s CPU)",
            )
        )
        if saving > 0:
            rows.append(
                Row(
                    "sklearn",
                    f"compiling repays itself ({label} cache) after",
                    spread([o / saving for o in overhead], ",.0f"),
                    "step evaluations",
                    f"= {statistics.median(overhead) / saving / evals_per_epoch:.0f} epochs "
                    f"of this fit ({evals_per_epoch} step evaluations each: mini-batches x "
                    f'steps); compile="auto" compiles from {_COMPILE_AUTO_STEPS:,}',
                )
            )
    rows.append(
        Row(
            "sklearn",
            f"plain nn.GRU loop, {epochs} epochs, new process: {what}",
            spread([x["fit_cpu"] for x in runs["plain"]], ".1f"),
            "s (CPU)",
            f"wall: {spread([x['fit'] for x in runs['plain']], '.1f')} s",
        )
    )
    default_batch = min(200, n_seq)
    compiled = {x["compiled"] for x in runs["default"]}
    how = "compiled" if compiled == {True} else "eager" if compiled == {False} else "mixed"
    rows.append(
        Row(
            "sklearn",
            f"DREAMClassifier(solver='adam', max_iter={epochs}).fit: compile='auto' "
            f"({how} here: {epochs * math.ceil(n_seq / default_batch) * steps:,} step "
            f"evaluations), batch_size='auto' ({default_batch}), new process",
            spread([x["fit_cpu"] for x in runs["default"]], ".1f"),
            "s (CPU)",
            f"{spread(ratios('default', 'plain_default', 'fit_cpu'))}x the plain nn.GRU loop "
            f"at batch {default_batch} in CPU time (wall: "
            f"{spread(ratios('default', 'plain_default', 'fit'))}x)",
        )
    )
    rows.append(
        Row(
            "sklearn",
            f"DREAMClassifier().fit (default: solver='ridge'), new process: {what}",
            spread([x["fit_cpu"] for x in runs["ridge"]], ".1f"),
            "s (CPU)",
            f"{spread(ratios('ridge', 'plain', 'fit_cpu'))}x the {epochs}-epoch nn.GRU loop "
            "in CPU time",
        )
    )
    return rows


# --- memory ---------------------------------------------------------------------------


@section("user-compile")
def user_compile(args) -> list[Row]:
    """``torch.compile`` of a model around the layer (the layer, then a linear head on
    its last output), trained at two sequence lengths in turn, each in a new process
    with an empty inductor cache: with ``compile_step=False`` dynamo unrolls the
    layer's loop over time into its graph, a graph per length; with
    ``compile_step=True`` the layer's own compiled loop runs outside the graph (one
    loop for every length). CPU only."""
    if args.device != "cpu":
        return skipped("user-compile", "torch.compile(model)", "CPU only")
    if args.no_compile:
        return skipped("user-compile", "torch.compile(model)", "--no-compile")
    rows = []
    shape = "batch 32, 16->64, rank 8"
    for flag in ("0", "1"):
        with tempfile.TemporaryDirectory() as tmp:
            run = _fresh("user-compile", Path(tmp), extra_args=(flag,))
        label = f"torch.compile(model), the layer's compile_step={flag == '1'}"
        for steps in (10, 20):
            rows.append(
                Row(
                    "user-compile",
                    f"{label}: first training step at length {steps}, new process, cold "
                    f"cache ({shape})",
                    f"{run[f'first_{steps}']:.1f}",
                    "s (wall)",
                    f"then {1e3 * run[f'step_{steps}']:.1f} ms a step (CPU, mean of 5)",
                )
            )
    return rows


@section("memory")
def memory(args) -> list[Row]:
    try:
        from dream_sklearn.online import DREAMOnlineClassifier
    except ImportError as exc:
        return skipped("memory", "DREAMOnlineClassifier memory over a stream", str(exc))
    from dream_sklearn.datasets import iter_elec2

    rows = list(iter_elec2())
    # (the compiled row's kernels loaded first, untraced: loaded in the traced window,
    # they were 29 MB of its 29.5 MB, and hid the model's own growth; review 216)
    warm = DREAMOnlineClassifier()
    for x, y in rows[:100]:
        warm.predict_one(x)
        warm.learn_one(x, y)
    rows_total = args.memory_rows
    stream = itertools.islice(itertools.cycle(rows), rows_total)
    model = DREAMOnlineClassifier()
    tracemalloc.start()
    early = None
    for i, (x, y) in enumerate(stream, 1):
        model.predict_one(x)
        model.learn_one(x, y)
        if i == 2000:
            early = tracemalloc.get_traced_memory()[0]
    end, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        _online_memory_rows(rows_total, early, end, peak)
        + _ragged_memory_rows()
        + _layer_memory_rows()
    )


# One child process for a row of the ragged memory rows: a fit and predict_proba of
# ``DREAMClassifier(**params)`` on 500 sequences of 20 steps and one of 20,000 (or
# without it), after an untraced fit on four of them (the modules a fit imports are
# not its arrays). Prints the growth of the process's peak resident memory over the
# fit and predict (what the machine gave it, torch's allocations included) and the
# peak ``tracemalloc`` traced (NumPy's arrays, and tensors made from them only).
_MEMORY_CHILD = """
import json, re, sys, tracemalloc, warnings
import numpy as np
import torch
torch.set_num_threads(1)
from dream_sklearn import DREAMClassifier
params, long = json.loads(sys.argv[1]), sys.argv[2] == "long"
shorts, steps = int(sys.argv[3]), int(sys.argv[4])
params["device"] = "cpu"  # ("auto" takes a GPU where one is: review 217)
rng = np.random.RandomState(0)
X = [rng.normal(size=(20, 1)) for _ in range(shorts)] + [rng.normal(size=(steps, 1))]
X = X if long else X[:-1]
y = np.arange(len(X)) % 2
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    DREAMClassifier(random_state=0, **params).fit(X[:4], y[:4]).predict_proba(X[:4])

    def status(key):  # (Linux: kB)
        return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

    # the peak resident memory reset to the memory resident now (the imports' peak
    # was above the ridge fit's: a first version read no growth at all)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS")
    DREAMClassifier(random_state=0, **params).fit(X, y).predict_proba(X)
    grown = (status("VmHWM") - base) * 1024
    # (traced in a fit of its own: tracemalloc's bookkeeping took a third of the
    # growth read with it; review 217)
    tracemalloc.start()
    DREAMClassifier(random_state=0, **params).fit(X, y).predict_proba(X)
    traced = tracemalloc.get_traced_memory()[1]
print(json.dumps({"grown": grown, "traced": traced}))
"""


def _memory_child(params: dict, long: bool, shorts: int = 500, steps: int = 20_000) -> dict:
    env = _child_env()
    args = [
        sys.executable,
        "-c",
        _MEMORY_CHILD,
        json.dumps(params),
        "long" if long else "-",
        str(shorts),
        str(steps),
    ]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child {params!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ragged_memory_rows() -> list[Row]:
    """``DREAMClassifier`` (the default ridge solver, and the adam solver for one
    epoch, uncompiled, and with ``compile="auto"``, the default, which runs it
    eagerly since round 40, and for three epochs, which "auto" compiled, padded,
    until round 41) on sequences
    of unequal lengths: 500 of 20 steps and one of 20,000 (one feature), fit then
    predict_proba on the CPU, each in a process of its own (:data:`_MEMORY_CHILD`): the
    growth of its peak resident memory (in a fit of its own, untraced), against the
    padded array of those sequences (what the ridge solver held until round 38, the
    adam solver until round 39) and the same without the long one. ``tracemalloc``'s
    peak, beside it, leaves out what torch allocates: the adam fit's graph over a
    mini-batch padded to 20,000 steps (review 216: 6.8 GB of the process's, 0.1 GB
    traced). Then the default on one series of 100,000 steps among 20 of 20."""
    if not os.path.exists("/proc/self/clear_refs"):  # (Linux's: the peak is reset there)
        what = "DREAMClassifier fit + predict_proba, 500 sequences of 20 and one of 20,000"
        return skipped("memory", what, "the resident memory's peak is read on Linux only")
    padded = 501 * 20_000 * 8
    values = (500 * 20 + 20_000) * 8
    adam = {"solver": "adam", "max_iter": 1}
    eager = {**adam, "compile": False}
    cases = (
        ("", {}),
        ('solver="adam", max_iter=1, compile=False', eager),
        ('solver="adam", max_iter=1', adam),  # (compile="auto", the default: eager here)
        # (60,120 step evaluations: "auto" compiled it until round 41, padded; now
        # eager: the compiled loop would pad its steps some 120 times over, the
        # mini-batch of the long one to 4 million sequence-steps)
        ('solver="adam", max_iter=3', {**adam, "max_iter": 3}),
    )
    out = []
    for label, params in cases:
        with_long, without = _memory_child(params, True), _memory_child(params, False)
        what = (
            f"DREAMClassifier({label}) fit + predict_proba, "
            "500 sequences of 20 steps and one of 20,000"
        )
        out.append(
            Row(
                "memory",
                f"{what}: growth of the process's peak resident memory",
                f"{with_long['grown'] / 1e6:,.0f}",
                "MB",
                f"{with_long['grown'] / padded:.2f}x their padded array ({padded / 1e6:.1f} "
                f"MB; their values {values / 1e6:.2f} MB); without the long one "
                f"{without['grown'] / 1e6:,.0f} MB; tracemalloc's peak "
                f"{with_long['traced'] / 1e6:,.1f} MB (without it "
                f"{without['traced'] / 1e6:,.1f} MB)",
            )
        )
    # One very long series among a few short ones, so that it is among the sequences
    # the bank draws its PPV thresholds from: the ridge bank runs it in windows of
    # 4,096 steps, its thresholds keep the values they draw (round 40; 724-736 MB by
    # hand before).
    long_one, short = _memory_child({}, True, 20, 100_000), _memory_child({}, False, 20, 100_000)
    values = (20 * 20 + 100_000) * 8
    out.append(
        Row(
            "memory",
            "DREAMClassifier() fit + predict_proba, 20 sequences of 20 steps and one of "
            "100,000: growth of the process's peak resident memory",
            f"{long_one['grown'] / 1e6:,.0f}",
            "MB",
            f"their values {values / 1e6:.2f} MB; without the long one "
            f"{short['grown'] / 1e6:,.0f} MB",
        )
    )
    return out


# One child process for a row of the layer's memory rows: a forward and backward pass
# of DREAM(16, 64) over one sequence, whole or in recomputed spans
# (``checkpoint_steps``). Prints the growth of the peak resident memory over the pass
# and its CPU time.
_LAYER_MEMORY_CHILD = """
import json, re, sys, time
import torch
torch.set_num_threads(1)
from dream_sklearn.nn import DREAM
steps, span = int(sys.argv[1]), json.loads(sys.argv[2])
torch.manual_seed(0)
model = DREAM(16, 64, return_sequences=False)
model(torch.randn(1, 8, 16))[0].sum().backward()  # (the first call's allocations)
model.zero_grad()
model.checkpoint_steps = span
x = torch.randn(1, steps, 16)

def status(key):  # (Linux: kB)
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status("VmRSS")
start = time.process_time()
model(x)[0].sum().backward()
seconds = time.process_time() - start
print(json.dumps({"grown": (status("VmHWM") - base) * 1024, "seconds": seconds}))
"""


def _layer_memory_rows(steps: int = 20_000) -> list[Row]:
    """The layer's training pass over one long sequence: whole, and in recomputed
    spans of ``ceil(sqrt(steps))`` (``DREAM.checkpoint_steps``, what the estimators
    set past 1,024 steps; round 41), each in a process of its own."""
    span = math.isqrt(steps - 1) + 1
    runs = {}
    for key in (None, span):
        args = [sys.executable, "-c", _LAYER_MEMORY_CHILD, str(steps), json.dumps(key)]
        done = subprocess.run(args, env=_child_env(), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"layer memory child {key!r} failed:\n{done.stderr[-3000:]}")
        runs[key] = json.loads(done.stdout.strip().splitlines()[-1])
    whole, spans = runs[None], runs[span]
    what = f"DREAM(16, 64) forward + backward, one sequence of {steps:,} steps"
    return [
        Row(
            "memory",
            f"{what}, whole: growth of the process's peak resident memory",
            f"{whole['grown'] / 1e6:,.0f}",
            "MB",
            f"{whole['seconds']:.1f} s CPU",
        ),
        Row(
            "memory",
            f"{what}, checkpoint_steps={span}: growth of the process's peak resident memory",
            f"{spans['grown'] / 1e6:,.0f}",
            "MB",
            f"{spans['grown'] / whole['grown']:.2f}x whole; {spans['seconds']:.1f} s CPU, "
            f"{spans['seconds'] / whole['seconds']:.2f}x whole (the same run)",
        ),
    ]


def _online_memory_rows(rows_total: int, early: int, end: int, peak: int) -> list[Row]:
    return [
        Row(
            "memory",
            "DREAMOnlineClassifier: traced memory after 2,000 rows",
            f"{early / 1e3:.0f}",
            "kB",
        ),
        Row(
            "memory",
            f"DREAMOnlineClassifier: traced memory after {rows_total:,} rows",
            f"{end / 1e3:.0f}",
            "kB",
            f"{end / early:.2f}x the 2,000-row figure; peak {peak / 1e3:.0f} kB",
        ),
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--repeats", type=int, default=7, help="rounds per comparison")
    parser.add_argument("--no-compile", action="store_true", help="skip compile_step=True")
    parser.add_argument("--online-rows", type=int, default=5000)
    parser.add_argument(
        "--fit-repeats",
        type=int,
        default=3,
        help="rounds of the sklearn section's end-to-end fits (each a new process)",
    )
    parser.add_argument(
        "--no-online-whole",
        dest="online_whole",
        action="store_false",
        help="skip the online rows over the whole Elec2 stream (45,312 rows)",
    )
    parser.add_argument("--memory-rows", type=int, default=50_000)
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="where the training and sklearn sections run (the online sections: CPU)",
    )
    parser.add_argument(
        "--base",
        default=None,
        help="a git revision: online-base and training-base time this checkout against it",
    )
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available on this machine")
    if args.memory_rows <= 2000:  # (the memory rows compare with the figure at 2,000)
        parser.error(f"--memory-rows must be more than 2000; got {args.memory_rows}")
    torch.set_num_threads(1)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread, Python "
        f"{sys.version.split()[0]}; CPU time, the median of interleaved rounds: "
        f"{args.repeats} (--repeats) for the training and per-epoch fit rows; for the online "
        f"rows {max(3, args.repeats)} for DREAM's compiled row and river's linear pipeline, "
        f"{max(1, args.repeats // 3)} for the NumPy path, the kNN expert, HAT and ARF"
        + (
            f"; the training and sklearn rows on {args.device} ({torch.cuda.get_device_name()}, "
            f"torch CUDA {torch.version.cuda}), by wall time after a synchronisation"
            if args.device != "cpu"
            else ""
        )
        + "\n"
    )
    print("| section | measurement | value | unit | compared (same run) |")
    print("| --- | --- | ---: | --- | --- |")
    for name in args.only:
        for row in SECTIONS[name](args):
            print(
                f"| {row.section} | {row.what} | {row.value} | {row.unit} | {row.compared} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
