"""How the defaults of DREAMFeatures / DREAMClassifier were chosen (issue 13).

Development sets only (OSULeaf, ACSF1, PickupGestureWiimoteZ from the data bundled
with aeon; official train/test splits). Prints one table: test accuracy and fit
time (seconds, this machine) of each variant on each set, and the mean accuracy.

    OMP_NUM_THREADS=1 python benchmarks/_tuning_sequences.py [--quick] [--gradient]
    OMP_NUM_THREADS=1 python benchmarks/_tuning_sequences.py --regression

``--gradient`` adds gradient-trained DREAMClassifier variants (slow: minutes).
Needs aeon (the benchmark extra).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dream_sklearn import DREAMClassifier, DREAMFeatures

SETS = ("OSULeaf", "ACSF1", "PickupGestureWiimoteZ")


def load(name: str):
    """``(X_train, y_train, X_test, y_test)`` with X as (n, length, channels) or a list."""
    from aeon.datasets import load_classification

    out = []
    for split in ("train", "test"):
        X, y = load_classification(name, split=split)
        if isinstance(X, list):
            X = [np.asarray(x, dtype=float).T for x in X]
        else:
            X = np.asarray(X, dtype=float).transpose(0, 2, 1)
        out += [X, y]
    return out


def fast(seed=0, **params):
    return make_pipeline(
        DREAMFeatures(random_state=seed, **params),
        StandardScaler(),
        RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)),
    )


def gradient(seed=0, **params):
    return DREAMClassifier(random_state=seed, **params)


FAST = {
    "DREAMFeatures() (defaults)": {},
    "  plasticity on": {"plasticity": True},
    "  plasticity on, + fast weights U": {"plasticity": True, "fast_weights": True},
    "  plasticity on, U only (no pooled h)": {
        "plasticity": True,
        "fast_weights": True,
        "pooling": (),
    },
    "  no differences": {"differences": False},
    "  input_scale=1": {"input_scale": 1.0},
    "  input_scale=3": {"input_scale": 3.0},
    "  lags=0": {"lags": 0},
    "  timescales (4, 16, 64)": {"timescales": (4.0, 16.0, 64.0)},
    "  pooling mean+last only (no max, ppv)": {"pooling": ("mean", "last")},
    "  hidden_dim=128": {"hidden_dim": 128},
    "  hidden_dim=32": {"hidden_dim": 32},
    "  hidden_dim=32, plasticity on": {"hidden_dim": 32, "plasticity": True},
}

# The estimator's default solver ("ridge": the bank above with an exact ridge readout,
# its penalty by generalised cross-validation), with the estimator's cell parameters.
# (Plasticity by name in both rows: the default is off since 88a7827, so the first row
# and "plasticity=False" were one model, and no row printed plasticity on; review 168.)
ESTIMATOR = {
    "DREAMClassifier() (defaults, solver=ridge)": {},
    "  plasticity=False": {"plasticity": False},
    "  plasticity=True": {"plasticity": True},
}

GRADIENT = {
    "DREAMClassifier solver=adam max_iter=5": {"solver": "adam", "max_iter": 5},
    "  readout=mean, max_iter=5": {"solver": "adam", "max_iter": 5, "readout": "mean"},
    "  readout=pool, max_iter=5": {"solver": "adam", "max_iter": 5, "readout": "pool"},
    "  readout=pool, max_iter=50": {"solver": "adam", "max_iter": 50, "readout": "pool"},
    "  readout=mean, time_step=0.1, max_iter=5": {
        "solver": "adam",
        "max_iter": 5,
        "readout": "mean",
        "time_step": 0.1,
    },
}


def regression() -> None:
    """RMSE of the next value of aeon's Airline series from the previous 24 (first 70%
    of the windows to train, the rest to test, in time order)."""
    from aeon.datasets import load_airline
    from sklearn.linear_model import RidgeCV

    from dream_sklearn import DREAMRegressor

    series = np.asarray(load_airline(), dtype=float).ravel()
    X = np.stack([series[i : i + 24] for i in range(len(series) - 24)])[:, :, None]
    y = series[24:]
    n = int(0.7 * len(y))
    models = {
        "DREAMFeatures() + RidgeCV": make_pipeline(
            DREAMFeatures(random_state=0), StandardScaler(), RidgeCV(np.logspace(-3, 3, 10))
        ),
        "DREAMRegressor() (defaults)": DREAMRegressor(random_state=0),
    }
    rmse = lambda p: float(np.sqrt(np.mean((p - y[n:]) ** 2)))  # noqa: E731
    print(f"Airline, next value from 24: {n} training windows, {len(y) - n} test windows")
    print(f"| {'model':30s} |   RMSE | fit time |")
    print(f"| {'training mean':30s} | {rmse(np.full(len(y) - n, y[:n].mean())):6.1f} |          |")
    print(f"| {'last value':30s} | {rmse(X[n:, -1, 0]):6.1f} |          |")
    for label, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[:n], y[:n])
        fit_s = time.perf_counter() - start
        print(f"| {label:30s} | {rmse(model.predict(X[n:])):6.1f} | {fit_s:7.1f}s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the default fast mode")
    parser.add_argument("--gradient", action="store_true", help="add gradient training")
    parser.add_argument("--regression", action="store_true", help="only the Airline windows")
    parser.add_argument("--seeds", type=int, default=1, help="mean over this many seeds")
    parser.add_argument("--only", default="", help="variants whose label contains this")
    args = parser.parse_args()
    if args.regression:
        regression()
        return
    data = {name: load(name) for name in SETS}
    variants = [(k, fast, v) for k, v in FAST.items()]
    if args.quick:
        variants = variants[:1]
    variants += [(k, gradient, v) for k, v in ESTIMATOR.items()]
    if args.gradient:
        variants += [(k, gradient, v) for k, v in GRADIENT.items()]
    variants = [v for v in variants if args.only in v[0]]
    seeds = range(args.seeds)
    print(f"test accuracy and fit time, mean over {args.seeds} seed(s)")
    head = f"| {'variant':44s} | " + " | ".join(f"{s[:14]:>14s}" for s in SETS) + " |   mean |"
    print(head)
    print("|" + "-" * 46 + "|" + "|".join(["-" * 16] * len(SETS)) + "|--------|")
    for label, make, params in variants:
        cells, accs = [], []
        for name in SETS:
            X, y, Xt, yt = data[name]
            runs = []
            for seed in seeds:
                model = make(seed=seed, **params)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X, y)
                runs.append((model.score(Xt, yt), time.perf_counter() - start))
            acc, fit_s = np.mean(runs, axis=0)
            accs.append(acc)
            cells.append(f"{acc:.3f} {fit_s:6.1f}s")
        print(
            f"| {label:44s} | "
            + " | ".join(f"{c:>14s}" for c in cells)
            + f" | {np.mean(accs):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
