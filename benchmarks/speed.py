"""Speed of dream_sklearn against its baselines (DESIGN.md §4), on one CPU thread.

Prints one markdown table. Every ratio in it compares figures measured in the same
run, interleaved: each repeat runs every contender of a section once, in turn, and
the table shows the median over repeats, so that load from other processes hits all
contenders alike. Times are CPU time of this process (``time.process_time``; torch is
limited to one thread), which is steadier than wall time on a shared machine.

    python benchmarks/speed.py                        # every section
    python benchmarks/speed.py --only training        # some sections
    python benchmarks/speed.py --repeats 9 --no-compile

Sections (``--only``):

- ``training``: one training step (forward, backward, Adam step; same linear head
  and MSE loss on the last output) at batch 32 x 50 steps, 16 features, 64 units,
  rank 8: ``nn.GRU``, ``dream_sklearn.nn.DREAM`` (eager, and with
  ``compile_step=True``), and the straightforward per-step reference cell of
  ``benchmarks/reference_cell.py``.
- ``online``: ``predict_one`` + ``learn_one`` rows/s on Elec2 for the default
  ``DREAMOnlineClassifier`` and ``DREAMOnlineRegressor`` (target: NSW demand), on
  the compiled row and on the NumPy path, against river's HoeffdingAdaptiveTree,
  ARF and ``StandardScaler | LogisticRegression`` (regression: ``LinearRegression``).
- ``sklearn``: ``DREAMClassifier.fit`` time per epoch against plain torch loops
  over the same batches: of the per-step reference cell (float64, like the
  estimator) and of ``nn.GRU``.
- ``memory``: memory traced by ``tracemalloc`` while ``DREAMOnlineClassifier`` runs
  over a long stream: after 2,000 rows and at the end.

A section whose estimator does not exist (yet) prints a "skipped" row. To add a
section, write ``def my_section(args) -> list[Row]`` and decorate it with
``@section("name")``; use :func:`interleaved_cpu_times` for anything compared.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import statistics
import sys
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


def interleaved_cpu_times(
    fns: dict[str, Callable[[], object]], repeats: int, inner: int = 1, warmup: int = 1
) -> dict[str, float]:
    """Median CPU seconds per call of each function, over ``repeats`` rounds.

    Each round calls every function ``inner`` times, one function after the other,
    so slow periods of a shared machine fall on all of them alike.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.process_time()
            for _ in range(inner):
                fn()
            samples[name].append((time.process_time() - start) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


def skipped(section_name: str, what: str, reason: str) -> list[Row]:
    return [Row(section_name, what, "skipped", compared=reason)]


# --- training -------------------------------------------------------------------------


def _training_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, hidden: int):
    """A closure doing one Adam step of ``model`` + a linear head on the last output."""
    head = torch.nn.Linear(hidden, y.shape[1])
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)

    def step():
        opt.zero_grad()
        out, _ = model(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()
        opt.step()

    return step


@section("training")
def training(args) -> list[Row]:
    batch, steps, d, n, r = 32, 50, 16, 64, 8
    shape = f"batch {batch} x {steps} steps, {d}->{n}, rank {r}"
    torch.manual_seed(0)
    x, y = torch.randn(batch, steps, d), torch.randn(batch, 1)
    torch.manual_seed(0)
    eager = DREAM(d, n, rank=r)
    contenders = {
        "nn.GRU": torch.nn.GRU(d, n, batch_first=True),
        "DREAM": eager,
        "reference per-step cell": _load_reference().from_layer(eager),
    }
    rows, compile_rows = [], []
    if not args.no_compile:
        compiled = DREAM(d, n, rank=r)
        compiled.load_state_dict(eager.state_dict())
        compiled.compile_step = True
        first = _training_step(compiled, x, y, n)
        start = time.perf_counter()
        first()
        compile_rows.append(
            Row(
                "training",
                "DREAM compile_step=True: first step, compilation included",
                f"{time.perf_counter() - start:.1f}",
                "s (wall)",
                "inductor caches on disk: a second process compiles faster",
            )
        )
        contenders["DREAM compile_step=True"] = compiled
    steps_fns = {name: _training_step(m, x, y, n) for name, m in contenders.items()}
    times = interleaved_cpu_times(steps_fns, repeats=args.repeats, inner=3)
    gru, ref = times["nn.GRU"], times["reference per-step cell"]
    for name in contenders:
        t = times[name]
        compared = f"{t / gru:.2f}x nn.GRU"
        if name not in ("nn.GRU", "reference per-step cell"):
            compared += f"; {ref / t:.1f}x faster than the reference"
        rows.append(
            Row("training", f"{name}: training step, {shape}", f"{1e3 * t:.1f}", "ms", compared)
        )
    return rows + compile_rows


# --- online ---------------------------------------------------------------------------


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


def _online_rows(task: str, makers: dict, stream: list, repeats: int) -> list[Row]:
    """Interleaved rows/s of each contender on ``stream``; ratios against the first
    (the default DREAM estimator, compiled) and the river pipeline (the last)."""
    fns = {name: (lambda run=run: run(stream)) for name, run in makers.items()}
    times = interleaved_cpu_times(fns, repeats=repeats, warmup=0)
    rate = {name: len(stream) / t for name, t in times.items()}
    names = list(makers)
    dream, river_linear = names[0], names[-1]
    rows = []
    for name in names:
        compared = f"{names[0]} / this: {rate[dream] / rate[name]:.2f}x" if name != dream else ""
        if name == dream:
            compared = f"this / {river_linear}: {rate[dream] / rate[river_linear]:.2f}x"
        rows.append(
            Row(
                "online",
                f"{name}: predict_one + learn_one, Elec2 first {len(stream):,} rows ({task})",
                f"{rate[name]:,.0f}",
                "rows/s",
                compared,
            )
        )
    return rows


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
    # Regression: Elec2's NSW demand from the other columns.
    reg_stream = [
        ({k: v for k, v in x.items() if k != "nswdemand"}, x["nswdemand"]) for x, _ in stream
    ]
    repeats = max(1, args.repeats // 3)
    rows = []
    if not compiled_available():
        rows += skipped("online", "compiled row", "numba is not installed")
    else:  # compile (or load from numba's cache) before timing
        _on_path(DREAMOnlineClassifier, True)(stream[:300])
        _on_path(DREAMOnlineRegressor, True)(reg_stream[:300])
    classifiers = {
        "DREAMOnlineClassifier() compiled": _on_path(DREAMOnlineClassifier, True),
        "DREAMOnlineClassifier() NumPy": _on_path(DREAMOnlineClassifier, False),
        "river HoeffdingAdaptiveTreeClassifier(seed=1)": lambda s: _progressive(
            tree.HoeffdingAdaptiveTreeClassifier(seed=1), s
        ),
        "river ARFClassifier(seed=1)": lambda s: _progressive(forest.ARFClassifier(seed=1), s),
        "river StandardScaler \\| LogisticRegression": lambda s: _progressive(
            preprocessing.StandardScaler() | linear_model.LogisticRegression(), s
        ),
    }
    regressors = {
        "DREAMOnlineRegressor() compiled": _on_path(DREAMOnlineRegressor, True),
        "DREAMOnlineRegressor() NumPy": _on_path(DREAMOnlineRegressor, False),
        "river HoeffdingAdaptiveTreeRegressor(seed=1)": lambda s: _progressive(
            tree.HoeffdingAdaptiveTreeRegressor(seed=1), s
        ),
        "river ARFRegressor(seed=1)": lambda s: _progressive(forest.ARFRegressor(seed=1), s),
        "river StandardScaler \\| LinearRegression": lambda s: _progressive(
            preprocessing.StandardScaler() | linear_model.LinearRegression(), s
        ),
    }
    if not compiled_available():
        del classifiers["DREAMOnlineClassifier() compiled"]
        del regressors["DREAMOnlineRegressor() compiled"]
    rows += _online_rows("classification", classifiers, stream, repeats)
    rows += _online_rows("regression", regressors, reg_stream, repeats)
    return rows


# --- scikit-learn -----------------------------------------------------------------------


@section("sklearn")
def sklearn_fit(args) -> list[Row]:
    try:
        from dream_sklearn import DREAMClassifier
    except ImportError as exc:
        return skipped("sklearn", "DREAMClassifier.fit per epoch", str(exc))
    n_seq, steps, d, n, r, batch = 256, 50, 16, 64, 8, 32
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_seq, steps, d)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    epochs = 2

    def fit_dream(compile=False, max_iter=epochs):
        with warnings.catch_warnings():  # max_iter=2 does not converge, on purpose
            warnings.simplefilter("ignore")
            DREAMClassifier(
                hidden_dim=n,
                rank=r,
                solver="adam",
                max_iter=max_iter,
                batch_size=batch,
                random_state=0,
                compile=compile,
            ).fit(X, y)

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def fit_gru():
        torch.manual_seed(0)
        gru, head = torch.nn.GRU(d, n, batch_first=True), torch.nn.Linear(n, 2)
        opt = torch.optim.Adam([*gru.parameters(), *head.parameters()], lr=1e-3)
        for _ in range(epochs):
            for idx in torch.randperm(n_seq).split(batch):
                opt.zero_grad()
                out, _ = gru(Xt[idx])
                torch.nn.functional.cross_entropy(head(out[:, -1]), yt[idx]).backward()
                opt.step()

    # The reference cell in a plain loop, in float64 like the estimator, with the
    # estimator's time step: the same model the estimator trains, none of its checks.
    X64 = Xt.double()

    def fit_reference():
        torch.manual_seed(0)
        cell = _load_reference().from_layer(DREAM(d, n, rank=r, time_step=1.0)).double()
        head = torch.nn.Linear(n, 2).double()
        opt = torch.optim.Adam([*cell.parameters(), *head.parameters()], lr=1e-3)
        for _ in range(epochs):
            for idx in torch.randperm(n_seq).split(batch):
                opt.zero_grad()
                out, _ = cell(X64[idx])
                torch.nn.functional.cross_entropy(head(out[:, -1]), yt[idx]).backward()
                opt.step()

    contenders = {"dream": fit_dream, "gru": fit_gru, "reference": fit_reference}
    extra = []
    if not args.no_compile:
        start = time.perf_counter()
        fit_dream(compile=True, max_iter=1)  # compiles (float64, masked, grad and no_grad)
        first = time.perf_counter() - start
        contenders["compiled"] = lambda: fit_dream(compile=True)
    times = interleaved_cpu_times(contenders, repeats=args.repeats)
    what = f"{n_seq} sequences x {steps} steps, {d}->{n}, rank {r}, batch {batch}"
    if not args.no_compile:
        extra = [
            Row(
                "sklearn",
                f"DREAMClassifier(compile=True).fit, per epoch: {what}",
                f"{1e3 * times['compiled'] / epochs:.0f}",
                "ms",
                f"{times['reference'] / times['compiled']:.2f}x faster than the reference "
                f"loop; {times['compiled'] / times['gru']:.2f}x a plain nn.GRU loop",
            ),
            Row(
                "sklearn",
                "DREAMClassifier(compile=True).fit: first fit, compilation included",
                f"{first:.1f}",
                "s (wall)",
                "once per process (inductor caches on disk)",
            ),
        ]
    return extra + [
        Row(
            "sklearn",
            f"DREAMClassifier.fit, per epoch: {what}",
            f"{1e3 * times['dream'] / epochs:.0f}",
            "ms",
            f"{times['reference'] / times['dream']:.2f}x faster than the reference loop; "
            f"{times['dream'] / times['gru']:.2f}x a plain nn.GRU loop",
        ),
        Row(
            "sklearn",
            f"plain torch loop of the reference per-step cell (float64), per epoch: {what}",
            f"{1e3 * times['reference'] / epochs:.0f}",
            "ms",
        ),
        Row(
            "sklearn",
            f"plain torch loop of nn.GRU (float32), per epoch: {what}",
            f"{1e3 * times['gru'] / epochs:.0f}",
            "ms",
        ),
    ]


# --- memory ---------------------------------------------------------------------------


@section("memory")
def memory(args) -> list[Row]:
    try:
        from dream_sklearn.online import DREAMOnlineClassifier
    except ImportError as exc:
        return skipped("memory", "DREAMOnlineClassifier memory over a stream", str(exc))
    from dream_sklearn.datasets import iter_elec2

    rows_total = args.memory_rows
    stream = itertools.islice(itertools.cycle(list(iter_elec2())), rows_total)
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
    parser.add_argument("--memory-rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread, Python "
        f"{sys.version.split()[0]}; median of {args.repeats} interleaved repeats, CPU time\n"
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
