"""Robustness of the online classifier on tuning streams: one outlier row, delayed labels.

1. One outlier row: after ``--at`` rows of a stream (predict, then learn), a copy of the
   model (the twin) goes on without the next row; the model learns that row with one
   feature set to 1e6 or 1e30. Printed: the accuracy points the model loses against
   the twin over the 500 rows after it (mean and worst over every feature and the
   positions ``--at``).
2. Delayed labels: river's ``progressive_val_score`` on the first ``--rows`` rows of
   Elec2 with ``delay=None`` and ``delay=50``, with and without ``advance_on_predict``
   (river's LogisticRegression and HoeffdingAdaptiveTree for scale).

Streams: SEA, Elec2, Hyperplane, all tuning streams (docs/online.md).

    python benchmarks/online_robust.py
    python benchmarks/online_robust.py --part delay --rows 20000
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
from river import evaluate, linear_model, metrics, preprocessing, tree
from river.datasets import synth

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import DREAMOnlineClassifier


def _outlier_streams(n: int) -> dict:
    return {
        "SEA": list(synth.SEA(seed=1, variant=0).take(n)),
        "Elec2": list(iter_elec2(n)),
        "Hyperplane": list(synth.Hyperplane(seed=1, n_features=10, mag_change=0.001).take(n)),
    }


def _outlier_cost(rows, t0: int, feature, value: float) -> float:
    model = DREAMOnlineClassifier(seed=0)
    for x, y in rows[:t0]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    x, y = rows[t0]
    bad = {**x, feature: value}
    model.predict_one(bad)
    model.learn_one(bad, y)
    hits = twin_hits = 0
    for x, y in rows[t0 + 1 : t0 + 501]:
        hits += model.predict_one(x) == y
        twin_hits += twin.predict_one(x) == y
        model.learn_one(x, y)
        twin.learn_one(x, y)
    return 100.0 * (twin_hits - hits) / 500


def outliers(at: list[int]) -> None:
    print("One outlier row against a twin that never saw it: accuracy points lost over")
    print(f"the next 500 rows (every feature, after rows {at}; DREAMOnlineClassifier(seed=0))")
    print()
    print("| stream | value | mean | worst |")
    print("| --- | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(max(at) + 501).items():
        for value in (1e6, 1e30):
            lost = [_outlier_cost(rows, t0, f, value) for t0 in at for f in sorted(rows[0][0])]
            print(f"| {name} | {value:g} | {np.mean(lost):.2f} | {np.max(lost):.2f} |", flush=True)
    print()


def delay(n: int) -> None:
    rows = list(iter_elec2(n))
    models = {
        "DREAMOnlineClassifier(seed=0)": lambda: DREAMOnlineClassifier(seed=0),
        "DREAMOnlineClassifier(seed=0, advance_on_predict=True)": lambda: DREAMOnlineClassifier(
            seed=0, advance_on_predict=True
        ),
        "StandardScaler \\| LogisticRegression": lambda: (
            preprocessing.StandardScaler() | linear_model.LogisticRegression()
        ),
        "HoeffdingAdaptiveTree": lambda: tree.HoeffdingAdaptiveTreeClassifier(seed=1),
    }
    print(f"Elec2, first {n:,} rows, progressive_val_score accuracy")
    print()
    print("| model | no delay | delay=50 | lost (points) |")
    print("| --- | ---: | ---: | ---: |")
    for name, make in models.items():
        a = evaluate.progressive_val_score(rows, make(), metrics.Accuracy()).get()
        b = evaluate.progressive_val_score(rows, make(), metrics.Accuracy(), delay=50).get()
        print(f"| {name} | {a:.4f} | {b:.4f} | {100 * (a - b):.1f} |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["outliers", "delay", "all"], default="all")
    parser.add_argument("--at", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--rows", type=int, default=8000)
    args = parser.parse_args()
    if args.part in ("outliers", "all"):
        outliers(args.at)
    if args.part in ("delay", "all"):
        delay(args.rows)


if __name__ == "__main__":
    main()
