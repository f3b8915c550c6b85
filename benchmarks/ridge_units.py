"""Targets in tiny units in the ridge solver's ``partial_fit``.

A first ``partial_fit`` chunk of one sequence leaves the regressor's targets unscaled
(``y_scale_`` 1, docs/sklearn.md): later targets reach the ridge readout's running
statistics in their own units. Their squares underflow below about 1e-154, and before
round 48 the readout then chose the largest penalty. This script prints, for targets
in units of 1 down to 1e-300, the penalty chosen and the held-out R² (predictions
divided by the unit) of ``DREAMRegressor(hidden_dim=16)``:

- ``partial_fit``: one sequence, then chunks of 83 sequences (the case above);
- ``fit``: one call on the same sequences (it standardises the targets first);
- the training mean (R² about 0), the naive baseline.

Data: 300 sequences of 6 steps x 2 features, ``y = x[-1, 0] + 0.5 x[-2, 1]`` plus
noise 0.1, 250 to train, 50 held out, seeds 0-2.

    python benchmarks/ridge_units.py
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.metrics import r2_score

from dream_sklearn import DREAMRegressor

UNITS = (1.0, 1e-150, 1e-160, 1e-200, 1e-300)


def one_draw(seed: int, unit: float) -> dict:
    """Penalties and held-out R² of each way of fitting, targets in ``unit``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 6, 2))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1] + 0.1 * rng.normal(size=300)
    train, test = slice(0, 250), slice(250, 300)
    chunked = DREAMRegressor(hidden_dim=16, random_state=seed)
    chunked.partial_fit(X[:1], unit * y[:1])
    for start in range(1, 250, 83):
        rows = slice(start, min(start + 83, 250))
        chunked.partial_fit(X[rows], unit * y[rows])
    whole = DREAMRegressor(hidden_dim=16, random_state=seed).fit(X[train], unit * y[train])
    mean = np.full(50, y[train].mean())
    return {
        "partial_fit alpha_": chunked.alpha_,
        "partial_fit R2": r2_score(y[test], chunked.predict(X[test]) / unit),
        "fit alpha_": whole.alpha_,
        "fit R2": r2_score(y[test], whole.predict(X[test]) / unit),
        "training mean R2": r2_score(y[test], mean),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    columns = ["partial_fit alpha_", "partial_fit R2", "fit alpha_", "fit R2", "training mean R2"]
    print(
        "DREAMRegressor(hidden_dim=16), solver='ridge': held-out R² (predictions / unit), "
        f"mean (min-max) over seeds 0-{args.seeds - 1}; alpha_: the penalty chosen, median"
    )
    print()
    print("| unit | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for unit in UNITS:
        draws = [one_draw(seed, unit) for seed in range(args.seeds)]
        cells = []
        for name in columns:
            values = np.array([d[name] for d in draws])
            if "alpha" in name:
                cells.append(f"{np.median(values):g}")
            else:
                cells.append(f"{values.mean():.3f} ({values.min():.3f}-{values.max():.3f})")
        print(f"| {unit:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
