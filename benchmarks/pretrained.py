"""The pretrained cell against the random cell and river's baselines, on the stream benchmark.

Runs, under progressive validation (predict, then learn, every row), the online
estimators with the pretrained cell (``cell="pretrained"``), the same with its
plasticity off (``cell_params={"plasticity_enabled": False}``: the fast weights
never change), the default random cell, and river's baselines of
``benchmarks/streams.py`` (its runners and streams, unchanged), on the streams of
one half of that benchmark. The pretrained cell was trained on the prior of
``dream_sklearn/online/_prior.py`` only; the report half's streams are river's
generators and data sets, which it never saw.

Prints two tables per task: the score over the whole stream (accuracy; MAE for
regression), and the score over the ``--after`` rows from each known change point, cut
at the next change as the stream benchmark cuts them
(the streams without one show '-'). Cells read ``mean (min-max)`` over the seeds.

    python benchmarks/pretrained.py                              # report half, 2,000 rows, 3 seeds
    python benchmarks/pretrained.py --half tuning --streams SEA STAGGER --seeds 2
    python benchmarks/pretrained.py --weights /tmp/x.pt           # other weights (tuning only)
    python benchmarks/pretrained.py --throughput                 # rows/s: Elec2, 3,000 rows

``--throughput`` times the pretrained cell against the random cell alone, side by side
in one process: on each stream (Elec2 unless ``--streams`` says otherwise; seed 0),
``--repeats`` rounds, each running the random cell then the pretrained cell over the
same rows; a table of the best round of each (the least disturbed by other work on a
shared machine), every round's rate and the ratio of the best rates.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor, _pretrained

_HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("streams_bench", _HERE / "streams.py")
streams = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = streams
_spec.loader.exec_module(streams)


def _dream(**kw):
    def make(seed, task):
        cls = DREAMOnlineRegressor if task == "regression" else DREAMOnlineClassifier
        return cls(seed=seed, **kw)

    return make


OURS = {
    "pretrained": _dream(cell="pretrained"),
    "pretrained, plasticity off": _dream(
        cell="pretrained", cell_params={"plasticity_enabled": False}
    ),
    "random (default)": _dream(),
}
RIVER_CLF = ["majority", "LogReg", "HAT", "ARF", "kNN-ADWIN"]
RIVER_REG = ["last-value", "LinReg", "HATR", "ARFR"]


def _make(name: str, seed: int, task: str):
    if name in OURS:
        return OURS[name](seed, task)
    return streams.make_model(name, seed, task)


def run_one(stream, name: str, seed: int, n_rows: int, after: int) -> dict:
    n = streams.stream_rows(stream, n_rows)
    regression = stream.task == "regression"
    scores, seconds = streams.progressive(
        _make(name, seed, stream.task), stream.make(seed, n), n, regression
    )
    # the stream benchmark's windows: cut at the next change, left out when the
    # stream's end cuts one short (none with --after 0, as --throughput runs)
    windows = streams.change_windows(stream.changes(n), len(scores), after) if after > 0 else []
    return {
        "score": float(np.nanmean(scores)),
        "after": [float(np.nanmean(scores[a:b])) for a, b in windows],
        "rows_per_s": len(scores) / seconds if seconds > 0 else float("inf"),
    }


def throughput(names: list, n_rows: int, repeats: int) -> str:
    """The ``--throughput`` table (see the module's docstring)."""
    pair = ["random (default)", "pretrained"]
    lines = [
        f"**rows/s (predict_one + learn_one), best of {repeats} alternating rounds, "
        f"{n_rows} rows at most, seed 0**",
        "",
        "| stream | " + " | ".join(pair) + " | pretrained / random"
        " | every round (random; pretrained) |",
        "| --- |" + " ---: |" * 3 + " --- |",
    ]
    for name in names:
        stream = streams.STREAMS[name]
        rates: dict = {m: [] for m in pair}
        for _ in range(repeats):
            for m in pair:
                rates[m].append(run_one(stream, m, 0, n_rows, 0)["rows_per_s"])
        best = [max(rates[m]) for m in pair]
        rounds = "; ".join(" ".join(f"{r:.0f}" for r in rates[m]) for m in pair)
        lines.append(
            f"| {name} | {best[0]:.0f} | {best[1]:.0f} | {best[1] / best[0]:.3f} | {rounds} |"
        )
    return "\n".join(lines)


def _cell(values: list, digits: int) -> str:
    if not values:
        return "-"
    v = np.array(values)
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ({v.min():.{digits}f}-{v.max():.{digits}f})"


def table(results: dict, names: list, models: list, key: str, digits: int, title: str) -> str:
    lines = [f"**{title}**", "", "| stream | " + " | ".join(models) + " |"]
    lines.append("| --- |" + " ---: |" * len(models))
    per_stream: dict = {m: [] for m in models}
    for s in names:
        cells = []
        for m in models:
            runs = results[s][m]
            if key == "after":
                vals = [float(np.mean(r["after"])) for r in runs if r["after"]]
            else:
                vals = [r[key] for r in runs]
            if vals:
                per_stream[m].append(vals)
            cells.append(_cell(vals, digits))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    if key != "rows_per_s":
        means = []
        for m in models:
            # seed by seed; a stream run once (bundled) counts the same for every seed
            n = max((len(v) for v in per_stream[m]), default=0)
            vals = [
                float(np.mean([v[min(i, len(v) - 1)] for v in per_stream[m]])) for i in range(n)
            ]
            means.append(_cell(vals, digits))
        lines.append("| **mean** | " + " | ".join(means) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--half", choices=streams.HALVES, default="report")
    ap.add_argument("--streams", nargs="*", default=None)
    ap.add_argument("--rows", type=int, default=None, help="2,000 (3,000: --throughput)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--after", type=int, default=200)
    ap.add_argument("--river", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--weights", type=Path, default=None)
    ap.add_argument("--throughput", action="store_true", help="rows/s only (see above)")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of --throughput")
    args = ap.parse_args(argv)
    if args.throughput:
        start = time.perf_counter()
        print(throughput(args.streams or ["Elec2"], args.rows or 3000, args.repeats))
        print(f"\n({time.perf_counter() - start:.0f} s)")
        return {}
    args.rows = args.rows or 2000
    if args.weights is not None:
        if args.half == "report":
            ap.error("--weights is for choosing on the tuning half only")
        _pretrained.WEIGHTS = args.weights
    chosen = [
        s
        for s in streams.STREAMS.values()
        if s.half == args.half and (args.streams is None or s.name in args.streams)
    ]
    results: dict = {}
    start = time.perf_counter()
    for task in ("classification", "regression"):
        group = [s for s in chosen if (s.task == "regression") == (task == "regression")]
        if not group:
            continue
        river = (RIVER_REG if task == "regression" else RIVER_CLF) if args.river else []
        models = [*OURS, *river]
        for s in group:
            results[s.name] = {}
            for m in models:
                results[s.name][m] = [
                    run_one(s, m, seed, args.rows, args.after)
                    for seed in streams.seeds_of(s, args.seeds)
                ]
                print(f"  {s.name:18s} {m:28s} done", file=sys.stderr, flush=True)
        names = [s.name for s in group]
        score = "MAE" if task == "regression" else "accuracy"
        print(
            f"\n### {args.half} half, {task}: {args.rows} rows at most, seeds 0-{args.seeds - 1}\n"
        )
        print(
            table(
                results,
                names,
                models,
                "score",
                3,
                f"{score} over the stream",
            )
        )
        print()
        print(
            table(
                results,
                names,
                models,
                "after",
                3,
                f"{score} over the {args.after} rows after each change point",
            )
        )
        print()
        print(table(results, names, models, "rows_per_s", 0, "rows/s (predict_one + learn_one)"))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return results


if __name__ == "__main__":
    main()
