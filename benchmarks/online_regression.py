"""DREAM's online regressor against river's regressors and the last value (MAE).

Tuning streams only (docs/streams.md): TrumpApproval, ChickWeights and FriedmanDrift
("lea": local expanding abrupt drift, changes at rows 2,000, 4,000 and 6,000 of
8,000; two seeds). Progressive validation (predict, then learn, every row), MAE
from the second row on (the first row, before anything is seen, is nobody's),
overall and, for FriedmanDrift, over the 500 rows after each change. Baselines: the
last value (the previous target), river's StandardScaler | LinearRegression,
HoeffdingAdaptiveTreeRegressor and ARFRegressor (cached in
benchmarks/out/online_regression.json; ``--fresh`` recomputes).

    python benchmarks/online_regression.py
    python benchmarks/online_regression.py --variant old='{"readouts": ["cell"]}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from river import datasets, forest, linear_model, preprocessing, tree
from river.datasets import synth

OUT = Path(__file__).parent / "out"
CHANGES = (2000, 4000, 6000)
AFTER = 500

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


class LastValue:
    """Predicts the previous target (0 before any)."""

    def __init__(self) -> None:
        self.last = 0.0

    def predict_one(self, x):
        return self.last

    def learn_one(self, x, y):
        self.last = y


BASELINES = {
    "last value": LastValue,
    "LinearRegression": lambda: preprocessing.StandardScaler() | linear_model.LinearRegression(),
    "HATR": lambda: tree.HoeffdingAdaptiveTreeRegressor(seed=1),
    "ARFRegressor": lambda: forest.ARFRegressor(seed=1),
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
        errors.append(abs(p - y))
    e = np.asarray(errors)[1:]  # no model is charged the first row (nothing seen yet)
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
