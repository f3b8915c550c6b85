"""Sample weights in the ridge solver: which penalty the readout picks, and what it scores.

The readout's penalty is chosen by generalised cross-validation over the sequences that
count (docs/sklearn.md, "Weights"). This script prints two tables:

1. Synthetic ridge problems, 200 rows x 20 features (half of them informative),
   noise 2, 40 draws (the same 40 data sets for every weighting), with weights drawn
   independently of the data, so the best fit on held-out rows is the plain one: the
   readout's statistics (``_RidgeStats``) given the weights, against two baselines,
   the same readout ignoring the weights and scikit-learn's ``RidgeCV`` (exact
   weighted leave-one-out over the same penalties, on the weighted standardised
   features, the weights rescaled to average 1 over the rows of positive weight).
   Held-out MSE, mean and median over the draws, and the median number of rows that
   count.
2. ``AdaBoostClassifier(DREAMClassifier(hidden_dim=1), n_estimators=20)`` on aeon's
   ItalyPowerDemand, GunPoint and BasicMotions, learning rates 1 and 3, seeds 0-2: the
   test accuracy, beside one ``DREAMClassifier(hidden_dim=1)`` and the majority class.

Run it against another checkout of the package (``PYTHONPATH=<checkout>``) to compare
rules: it reads only ``_RidgeStats(...).update/solve/count`` and public estimators.

    python benchmarks/ridge_weights.py
    python benchmarks/ridge_weights.py --draws 10 --no-boost
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.linear_model import RidgeCV

from dream_sklearn._sklearn._ridge import _ALPHAS, _RidgeStats

N_ROWS, N_FEATURES = 200, 20


def weights(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One draw of the named weighting over ``N_ROWS`` rows."""
    n = N_ROWS
    if kind == "none":
        return np.ones(n)
    if kind == "junk 1e-12":  # 40 real rows, the rest as good as missing
        return np.r_[np.ones(40), np.full(n - 40, 1e-12)]
    if kind == "one heavy":  # one row at 1,000 times the others
        return np.r_[1000.0, np.ones(n - 1)]
    if kind == "class 5:1":
        return np.where(rng.uniform(size=n) < 0.2, 5.0, 1.0)
    if kind == "recency hl=10":  # half-life 10 rows, the newest last
        return 0.5 ** (np.arange(n)[::-1] / 10)
    if kind == "log-uniform 4":
        return 10.0 ** rng.uniform(-4, 0, n)
    if kind == "log-uniform 12":
        return 10.0 ** rng.uniform(-12, 0, n)
    if kind == "boost exp(6k)":  # k ~ Poisson(2) rounds misclassified
        return np.exp(6.0 * rng.poisson(2.0, n))
    raise ValueError(kind)


KINDS = (
    "none",
    "junk 1e-12",
    "one heavy",
    "class 5:1",
    "recency hl=10",
    "log-uniform 4",
    "log-uniform 12",
    "boost exp(6k)",
)


def _ridgecv(X, y, w):
    """RidgeCV's exact weighted leave-one-out on the weighted standardised features."""
    w = w * ((w > 0).sum() / w.sum())
    mean = np.average(X, axis=0, weights=w)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    model = RidgeCV(alphas=_ALPHAS).fit((X - mean) / scale, y, sample_weight=w)
    return lambda Z: model.predict((Z - mean) / scale)


def synthetic(draws: int) -> None:
    print("### Synthetic ridge problems: held-out MSE, mean / median over the draws\n")
    print(
        "| weights | rows that count (median) | readout | readout ignoring the weights "
        "| RidgeCV (exact weighted LOO) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in KINDS:
        errors: dict[str, list[float]] = {"readout": [], "plain": [], "ridgecv": []}
        counts = []
        for draw in range(draws):
            # (the same data for every weighting: the weights draw from their own)
            rng, weight_rng = np.random.default_rng(draw), np.random.default_rng([1, draw])
            beta = rng.normal(size=N_FEATURES) * (rng.uniform(size=N_FEATURES) < 0.5)
            X = rng.normal(size=(N_ROWS, N_FEATURES))
            y = X @ beta + 2 * rng.normal(size=N_ROWS)
            Xt = rng.normal(size=(2000, N_FEATURES))
            yt = Xt @ beta + 2 * rng.normal(size=2000)
            w = weights(kind, weight_rng)
            for name, given in (("readout", w), ("plain", None)):
                stats = _RidgeStats(N_FEATURES, 1)
                stats.update(X, y[:, None], given)
                fit = stats.solve()
                errors[name].append(np.mean((Xt @ fit.coef[:, 0] + fit.intercept[0] - yt) ** 2))
                if given is not None:
                    counts.append(stats.count)
            errors["ridgecv"].append(np.mean((_ridgecv(X, y, w)(Xt) - yt) ** 2))
        cells = [f"{np.mean(v):.2f} / {np.median(v):.2f}" for v in errors.values()]
        print(f"| {kind} | {np.median(counts):.0f} | " + " | ".join(cells) + " |", flush=True)


def boosting(seeds: int) -> None:
    from aeon.datasets import load_basic_motions, load_gunpoint, load_italy_power_demand
    from sklearn.ensemble import AdaBoostClassifier

    from dream_sklearn import DREAMClassifier

    print("\n### AdaBoost over DREAMClassifier(hidden_dim=1): test accuracy, mean (min-max)\n")
    print(
        "| data | majority class | one DREAMClassifier | AdaBoost, learning_rate=1 "
        "| AdaBoost, learning_rate=3 |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    data = (
        ("ItalyPowerDemand", load_italy_power_demand),
        ("GunPoint", load_gunpoint),
        ("BasicMotions", load_basic_motions),
    )
    for name, loader in data:
        X, y = loader(split="train")
        Xt, yt = loader(split="test")
        X, Xt = X.transpose(0, 2, 1), Xt.transpose(0, 2, 1)  # (n, steps, channels)
        labels, counts = np.unique(y, return_counts=True)
        cells = [f"{np.mean(yt == labels[counts.argmax()]):.3f}"]
        single = [
            DREAMClassifier(hidden_dim=1, random_state=s).fit(X, y).score(Xt, yt)
            for s in range(seeds)
        ]
        cells.append(f"{np.mean(single):.3f} ({min(single):.3f}-{max(single):.3f})")
        for rate in (1.0, 3.0):
            scores = []
            for s in range(seeds):
                model = AdaBoostClassifier(
                    DREAMClassifier(hidden_dim=1, random_state=s),
                    n_estimators=20,
                    learning_rate=rate,
                    random_state=s,
                )
                scores.append(model.fit(X, y).score(Xt, yt))
            cells.append(f"{np.mean(scores):.3f} ({min(scores):.3f}-{max(scores):.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-boost", action="store_true", help="skip the AdaBoost table")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    synthetic(args.draws)
    if not args.no_boost:
        boosting(args.seeds)


if __name__ == "__main__":
    main()
