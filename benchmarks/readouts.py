"""Where the online regressor's error comes from: its mixture against each readout.

For each named regression stream of ``streams.py``, ``DREAMOnlineRegressor(seed=0,
n_neighbors=0)`` (defaults but the kNN expert, which the default runs since round 63
and which mixes in beside the readouts' mixture; compiled row) runs under progressive
validation, and each row's prediction
of each readout of the mixture's first generation is read beside the mixture's (the
readouts' outputs as the forward kernel leaves them, on the target's scale). Printed:
the MAE of the mixture, of each readout, and of the last value (river's no-change
forecast of the target); then the rows where the "hold" readout's previous target is
not the previous row's target (the outlier rule set that target aside: a lone target
more than 10 standard deviations from the running mean), with the mixture's summed
absolute error on them against the last value's.

A diagnosis, not a tuning run: nothing is chosen by it (round 44 ran it on WaterFlow, a
report stream, to find where its gap to the last value lies)::

    python benchmarks/readouts.py WaterFlow TrumpApproval
"""

from __future__ import annotations

import argparse
import itertools
from typing import NamedTuple

import numpy as np

from dream_sklearn import DREAMOnlineRegressor
from dream_sklearn.online._regressor import _forecast_weights


class Read(NamedTuple):
    """One stream's rows as the regressor read them (rows 1 on: every model's)."""

    heads: tuple  # the readouts' names
    y: np.ndarray  # (n,) the targets
    mixture: np.ndarray  # (n,) the regressor's predictions
    readouts: np.ndarray  # (n, J) each readout's prediction (NaN: the NumPy path read it)
    # (n, J) the weights the forecast mixed them by then: the mixture's, but a readout
    # far from the others (_forecast_weights; NaN: not one generation)
    weights: np.ndarray


def read_stream(rows: list[tuple[dict, float]], seed: int = 0) -> Read:
    """Predict, then learn, each row; each readout's prediction beside the mixture's
    (the readouts' mixture alone: without the kNN expert)."""
    model = DREAMOnlineRegressor(seed=seed, n_neighbors=0)
    mixture, readouts, weights = [], [], []
    for x, y in rows:
        mixture.append(model.predict_one(x))
        fast = model._fast
        if model._built and fast is not None and model._fast_row is not None:
            J = len(model._heads)
            start, shift = model._starts()
            readouts.append(start + model._y_scale() * (fast.out[:J, 0] - shift))
            one = len(model._weights) == J  # (drift recovery: two generations)
            far = model._far()  # (the forecast's bound in the mixture's spread)
            forecast = _forecast_weights(fast.out[:J, 0], model._weights, far) if one else None
            weights.append(None if forecast is None else forecast.copy())
        else:  # (before the first learned row, or a growth event's row)
            readouts.append(None)
            weights.append(None)
        model.learn_one(x, y)
    J = len(model._heads)

    def table(arrays):
        return np.array([np.full(J, np.nan) if a is None else a for a in arrays])

    y = np.array([y for _, y in rows], dtype=float)
    mixed = np.array(mixture, dtype=float)
    return Read(tuple(model._heads), y, mixed, table(readouts), table(weights))


def held_back(read: Read) -> np.ndarray:
    """The rows (from 2 on) where the "hold" readout did not predict the previous
    row's target."""
    hold = read.readouts[:, read.heads.index("hold")]
    rows = np.arange(2, len(read.y))
    previous = read.y[rows - 1]
    ok = ~np.isnan(hold[rows])
    return rows[ok & ~np.isclose(hold[rows], previous, rtol=1e-9, atol=1e-9)]


def report(name: str, read: Read) -> str:
    scored = np.arange(1, len(read.y))  # (every model is scored from the second row)
    y = read.y[scored]
    last = np.abs(read.y[scored - 1] - y)
    mix = np.abs(read.mixture[scored] - y)
    ok = ~np.isnan(read.readouts[scored]).any(axis=1)
    each = np.abs(read.readouts[scored][ok] - y[ok, None]).mean(axis=0)
    rows = held_back(read)
    excess = np.abs(read.mixture[rows] - read.y[rows]) - np.abs(read.y[rows - 1] - read.y[rows])
    cells = " | ".join(f"{v:.4f}" for v in each)
    return (
        f"| {name} | {len(scored):,} | {mix.mean():.4f} | {last.mean():.4f} | {cells} | "
        f"{len(rows)} | {excess.sum():,.1f} of {(mix - last).sum():,.1f} |"
    )


def main() -> None:
    import streams  # (this folder's: on the path when run as a script)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    regression = [k for k, s in streams.STREAMS.items() if s.task == "regression"]
    parser.add_argument("streams", nargs="+", choices=regression)
    args = parser.parse_args()
    lines = []
    for name in args.streams:
        stream = streams.STREAMS[name]
        n = stream.length or streams.N_ROWS
        read = read_stream(list(itertools.islice(stream.make(0, n), n)))
        lines.append(report(f"{name} ({stream.half})", read))
    heads = " | ".join(read.heads)
    print(
        "DREAMOnlineRegressor(seed=0, n_neighbors=0), progressive validation, MAE from the "
        "second row; "
        "'held back': rows where the hold readout's previous target is not the previous "
        "row's (the outlier rule set it aside), and the mixture's summed absolute error "
        "there minus the last value's, of its whole excess over the last value\n"
    )
    print(f"| stream | rows | mixture | last value | {heads} | held back | excess there |")
    print(
        "| --- | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in read.heads)
        + " | ---: | ---: |"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
