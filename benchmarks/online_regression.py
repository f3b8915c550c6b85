"""DREAM's online regressor against river's regressors and the last value (MAE).

Tuning streams only (docs/streams.md): TrumpApproval, ChickWeights and FriedmanDrift
("lea": local expanding abrupt drift, changes at rows 2,000, 4,000 and 6,000 of
8,000; two seeds). Progressive validation (predict, then learn, every row), MAE
from the second row on (the first row, before anything is seen, is nobody's),
overall and, for FriedmanDrift, over the 500 rows after each change. Baselines: the
stream benchmark's regressors (``REGRESSORS`` of benchmarks/streams.py, seed 1): the
last value, the running mean, LinReg, HATR and ARFR with inputs and target standardised
as DREAM's are, and LinReg+prev and ARFR+prev, which read the previous target as DREAM
does. Until round 35 they were this script's own, unfair ones (review: HATR and
ARFRegressor unscaled, LinearRegression's target unscaled, 474,540,588 and 1.272 on
TrumpApproval). Cached in benchmarks/out/online_regression.json, kept only while its
version is CACHE_VERSION and streams.py's BENCH_VERSION; ``--fresh`` recomputes.

    python benchmarks/online_regression.py
    python benchmarks/online_regression.py --variant old='{"readouts": ["cell"]}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from river import datasets
from river.datasets import synth
from streams import BENCH_VERSION, REGRESSORS  # benchmarks/streams.py: the fair baselines

OUT = Path(__file__).parent / "out"
CHANGES = (2000, 4000, 6000)
AFTER = 500
SEED = 1  # the baselines' seed (HATR, ARFR, ARFR+prev), as before round 35
# The cache's figures were measured with these baselines: raise it when they change
# (2: streams.py's REGRESSORS in place of this script's own, round 35).
CACHE_VERSION = 2

STREAMS = {
    "TrumpApproval": (lambda: datasets.TrumpApproval(), []),
    "ChickWeights": (lambda: datasets.ChickWeights(), []),
    "FriedmanDrift lea s1": (
        lambda: synth.FriedmanDrift("lea", position=CHANGES, seed=1).take(8000),
        list(CHANGES),
    ),
    "FriedmanDrift lea s2": (
        lambda: synth.FriedmanDrift("lea", position=CHANGES, seed=2).take(8000),
        list(CHANGES),
    ),
}

# name -> factory(): every regressor of the stream benchmark but its DREAM columns
BASELINES = {
    name: (lambda make=make: make(SEED, "regression"))
    for name, (make, _) in REGRESSORS.items()
    if not name.startswith("DREAM")
}


def _dream(kw):
    from dream_sklearn.online import DREAMOnlineRegressor

    return DREAMOnlineRegressor(**{"seed": 0, **kw})


def evaluate(model, stream):
    make, changes = STREAMS[stream]
    errors, seconds = [], 0.0
    for x, y in make():
        start = time.perf_counter()
        p = model.predict_one(x)
        model.learn_one(x, y)
        seconds += time.perf_counter() - start
        errors.append(np.nan if p is None else abs(p - y))  # (last-value: None at first)
    e = np.asarray(errors, dtype=float)[1:]  # nobody is charged the first row (nothing seen)
    changes = [c - 1 for c in changes]
    after = [float(e[c : c + AFTER].mean()) for c in changes]
    return {
        "mae": float(e.mean()),
        "after": float(np.mean(after)) if after else None,
        "rows_per_s": len(e) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", nargs="+", default=list(STREAMS))
    parser.add_argument("--variant", action="append", default=[], help="NAME=JSON")
    parser.add_argument("--no-default", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    streams = [s for s in STREAMS if any(s.startswith(p) for p in args.streams)]
    variants = {} if args.no_default else {"DREAM": {}}
    for v in args.variant:
        name, _, kw = v.partition("=")
        variants[name] = json.loads(kw)
    OUT.mkdir(exist_ok=True)
    cache_path = OUT / "online_regression.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    version = f"{CACHE_VERSION}.{BENCH_VERSION}"
    if cache.get("version") != version:  # (figures of other baselines: none kept)
        cache = {"version": version}
    results: dict = {s: {} for s in streams}
    for s in streams:
        for name, make in BASELINES.items():
            key = f"{s}|{name}"
            if args.fresh or key not in cache:
                cache[key] = evaluate(make(), s)
                cache_path.write_text(json.dumps(cache))
            results[s][name] = cache[key]
        for name, kw in variants.items():
            results[s][name] = evaluate(_dream(kw), s)
    models = [*BASELINES, *variants]
    print(
        "MAE under progressive validation (FriedmanDrift: MAE over the 500 rows after "
        "each change, mean over the changes, in brackets).\n"
    )
    print(f"| stream | {' | '.join(models)} |")
    print("| --- |" + " ---: |" * len(models))
    for s in streams:
        cells = []
        for m in models:
            r = results[s][m]
            extra = "" if r["after"] is None else f" ({r['after']:.3f})"
            cells.append(f"{r['mae']:.3f}{extra}")
        print(f"| {s} | {' | '.join(cells)} |")
    speed = {m: np.mean([results[s][m]["rows_per_s"] for s in streams]) for m in models}
    print("\nrows/s: " + ", ".join(f"{m} {v:,.0f}" for m, v in speed.items()))


if __name__ == "__main__":
    main()
