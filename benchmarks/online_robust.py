"""Robustness of the online estimators on tuning streams: one outlier row, delayed labels.

1. One outlier row: after ``--at`` rows of a stream (predict, then learn), a copy of the
   model (the twin) goes on without the next row; the model learns that row with one
   feature set to 1e6 or 1e30. Printed: the accuracy points the model loses against
   the twin over the 500 rows after it (mean and worst over every feature, the
   positions ``--at`` and the cell's seeds ``--outlier-seeds``; and how many cases
   lose more than issue 12's 0.5 point), beside the same row with the feature left
   out ("absent": what a value set aside is read as in its row, for comparison).
2. Delayed labels: river's ``progressive_val_score`` with ``delay=None`` and
   ``delay=50`` on the tuning half's classification streams (Elec2 on its first
   ``--rows`` rows, the others on ``--small-rows``, ``--seeds`` seeds), DREAM with
   and without ``advance_on_predict`` and its delayed-label readout,
   ``DREAMDelayedClassifier`` (both, chosen by the labels as they come; round 69),
   and the baselines of ``streams.py`` (no-change: under the delay, the latest label known;
   majority; LogisticRegression; HoeffdingAdaptiveTree; ARF, since round 34). First
   a table of each
   stream's temporal structure (no-change against majority, no delay).
3. The unavoidable floor under ``delay=50``, on the streams whose concepts are known
   (STAGGER, SEA, Agrawal: river generators switched at known rows): an oracle that
   knows every concept and predicts row ``t`` with the concept of the latest row whose
   label is known (``t - 1`` without delay, ``t - 50`` with it). After each change, the
   50 rows before the first label of the new concept are predicted under the old one
   by any learner (nothing in the rows says the concept changed: the inputs do not
   change); what the oracle loses there is the floor (a row "unavoidable floor" in the
   delay table). Then where DREAM's points go: in those rows, in the 150 after, and
   elsewhere.

4. A glitch that ends (``--part glitch``): one feature at 1e30 for 1, 4, 6 or 10 rows
   running from row 1,000 (SEA's feature 0, Elec2's nswprice, Hyperplane's feature
   0; 4,000 rows); printed: the accuracy points lost over rows 2,000-3,999 against a
   twin that never saw it, with the kept statistics (``_scaling._UNDO_ROWS``) and
   without them (``_UNDO_ROWS = 0``: the rule before part undo, where a run of more
   than 3 rows is taken in for good). Both on the NumPy path (the compiled row
   equals it to 1e-12, and reads the constant as compiled); each twin under its rule.

5. A far value among a slot's first 8 (``--part first8``): on SEA, Elec2 and
   Hyperplane (4,000 rows), one feature at 1e6 or 1e30 on row 3, 6 or 7 (its 4th,
   7th or 8th value; every feature); printed: the accuracy points lost over rows
   2,000-3,999 against the same stream unchanged (mean and worst over the features
   and rows), and over the 500 rows after it (the ``outliers`` part's twin, which
   never saw the row, with ``--at 3 6 7``). Compiled row. Then what any early row
   moves, the noise floor of that figure: the same twin protocol over the cell's
   seeds 0-4 for the row as it is, one feature at a plausible value (its own value
   50 rows later), and at 1e6 or 1e30 (mean, least, worst). Then the designs of the
   test compared on the tuning streams' first 8 rows (seeds 0-19 for the synthetic
   ones; ``streams.py``) and on every 8-row block of their first 2,000 rows: how many
   columns have a value set aside by the test against the other 7 alone (before
   round 14), by this one (``_scaling._first_outliers``, which also finds a pair of
   far values) and by the median and 30 scaled MADs of the 8.

5b. Two far values among a slot's first 8 (``--part pairs``): one feature at 1e6 or
   1e30 on rows 3 and 6, 6 and 7, or 1 and 7 of SEA, Elec2 and Hyperplane (every
   feature), accuracy points lost against the stream unchanged over the 500 rows
   after the second and over rows 2,000-3,999; the regressor's target at 1e4 or
   1e30 on the same rows of the tuning half's regression streams, MAE over the
   stream unchanged's over the 500 rows after the 8th and from row 1,000 on. Then
   part first8's table of designs on every half's streams (the report and held-out
   ones for the record: the test was chosen on the tuning half), and on synthetic
   columns of 8 values with nothing far put in (light and heavy tails, counts,
   binary): the share of columns that lose a real value.

6. The regressor's outlier row (``--part regression``): on the tuning half's
   regression streams (``streams.py``; seed 1 for the synthetic ones), the same
   twin protocol with the row's target set to 1e4, -1e6 or 1e30, or one feature
   set to 1e6 or 1e30 (every feature). Printed: the model's MAE over the next 500
   rows (fewer where the stream ends sooner) divided by the twin's, mean and worst
   over the positions ``--at`` that fit in the stream (else one third of the way).
   Then a target stuck far out (1e4 or 1e30) for 2, 3, 4, 10, 20, 60 or 200 rows
   running (the undo covers up to 19): the MAE from the second row after them (the first is
   forecast from the glitch's value, as the last value would forecast it) over the
   twin's, worst over the positions. Then (round 37) a glitch on a constant target:
   0 for 300 rows with 1e6 or 1e30 on 1 to 8 rows from row 150, then a sine of
   period 12 (amplitude 10, noise 0.3), no features; the MAE over rows 400-999 and
   1,000-1,499 over a twin's that never saw the glitch, with the defaults, with
   ``standardize_rate=0.005`` and with ``slow_rate=0.001``.

4b. Every feature at once (``--part glitch-all``, round 27): every feature of SEA,
   Elec2 and Hyperplane at 1e6 or 1e30 for 1, 2, 3 or 5 rows running from row 1,000
   (4,000 rows; NumPy path, seed 0; the glitched rows are predicted and learned with
   their labels); printed: the accuracy points lost against a twin that never saw
   them, over the 500 rows after the glitch and over rows 2,000-3,999.

7. Delayed labels behind a scaler (``--part pipeline``): the delay part's streams and
   rows with river's ``StandardScaler`` before the model in a ``Pipeline`` (it learns,
   so a row differs between predict and learn), DREAM with ``advance_on_predict``'s
   labels matched by values (the default) and by order (``match_labels_by="order"``),
   beside DREAM alone and the baselines.

8. A target with a trend (``--part trend``, round 50): ``y = slope * t + a + noise``
   (``a`` and ``b`` standard normal features, ``a`` read by the target, unit noise;
   slopes 0.1, 1 and 10), 100,000 rows (``--trend-rows``), seeds 0-2 (the stream's and
   the model's). Printed: the MAE over rows 5,000-9,999, 45,000-49,999 and the last
   5,000, mean (min-max) over the seeds, of the default regressor, of the same without
   the ``"average"`` readout, of river's ``StandardScaler | LinearRegression`` and of
   the last value. No default was chosen on it: it checks that the error does not grow
   with the stream (review 312).

9. A target switching between two levels (``--part levels``, round 51, review 330):
   ``y = level + a + noise``, the level 0 or the amplitude (10, 100, 1,000), switching
   every period rows (200, 500, 2,000), 20,000 rows (``--level-rows``), seeds 0-2.
   Printed: the MAE over the stream and over the 50 rows after each switch, for the
   models of part 8. It measures what the "average" readout's bound (``_AVG_CAP``)
   costs where the mean of every target seen, between the levels, helps at a switch;
   with parts 11 and 12 it chose the mixture's spread (round 57).

10. Delayed labels behind river's ``OneHotEncoder()`` (``--part one-hot``, round 53,
    review 349): a category learned every 40 rows (up to 20) and a value of three,
    the label whether the category is even, flipped where the value is above 0.15;
    1,500 rows, seeds 0-2, ``delay`` 10 and 50 (the first rows are predicted before
    anything is built). The encoder adds a key at 0 to every row once it has learned a
    category, so a row predicted before then lacks the key its label has, and rows of
    equal values abound. Printed: the accuracy of ``advance_on_predict`` with its
    labels matched by values and by order (every label its own row: what "values"
    should score), and the baselines, each behind the same encoder. A synthetic
    development stream: it found the fault and tests the mend, and chose nothing else.

11. A level shift that ends (``--part excursion``, round 55, review 357): ``y = a +
    noise`` (as part 9), shifted by an amplitude (1,000 or 1e6) over rows 1,000 to
    1,000 + length - 1 (length 5, 20, 60 or 200), 2,000 rows, seeds 0-2. Printed: the
    MAE over the shift's rows from its third on (its first row no model can forecast,
    and the second follows a lone far target, which the regressor sets aside) and over
    the 500 rows from its end (its first row, the return, likewise), for the models
    of part 8. A development stream: it measured a settling of a far run of the
    target (round 55, reverted: docs/online.md), and with parts 9 and 12 it chose the
    mixture's spread (round 57: ``_target._STEP_LOSS`` and ``_STEP_FAR``). Then
    (round 59, review 383) a shorter, medium shift of a target that holds a value
    (N(0, 1), redrawn every 10 rows, a feature reading it with noise 0.1) or walks
    (unit steps): 300, 1,000 or 3,000 higher for 25 rows from row 1,000, 1,600 rows;
    the MAE over the 475 rows after, beside DREAM with the mixture as in round 56 (its
    spread off, Fixed Share's cap at 50; the NumPy path). It chose Fixed Share's cap
    (round 59, ``_regressor._LOSS_CAP``; ``--loss-cap`` runs the part at another).

12. A level announced by a feature (``--part regimes``, round 55, review 375): ``y = a
    + noise + amplitude * r``, where ``r``, a feature, switches between 0 and 1 every
    block rows (40, 100, 250; amplitude 100 or 1,000), 3,000 rows, seeds 0-2. Printed:
    the MAE over the last 1,000 rows, for the models of part 8 and DREAM with
    ``n_neighbors=5``. A learner that reads ``r`` can forecast each switch; the last
    value cannot. A development stream: it found what the settling of round 55 cost,
    and weighed the mixture's spread of round 57 (part 11). Then (round 58) the same
    with the level held exactly (``y = amplitude`` where ``r`` is 1, ``a + noise``
    elsewhere: a saturated reading a feature announces), whose runs look like a
    target stuck at one value: it found what an undo of stuck targets cost.

13. A feature offset for good (``--part offset``, round 56): a recalibrated sensor or
    a unit change. On SEA (variant 0) and Hyperplane (10 features, no drift), 4,000
    rows, seeds 0-2, feature 0 is read ``D`` of its standard deviations (over the
    rows before) higher from row 2,000 on (D = 0, 5, 50, 1,000); the labels stay
    those of the true values, so a learner that reads the feature relative to its
    new level loses nothing. Printed: the accuracy over rows 100-499 and 500-1,999
    after the offset, for DREAM and the baselines of the delay part. Then the case
    where a far move of a feature's level carries meaning: a feature ``r = D * level
    + noise`` (unit noise, D = 50 or 1,000) whose level switches between 0 and 1 every
    block rows (250, 1,000), the label SEA's, flipped while the level is 1; accuracy
    over the rows from 2,000 on. A development stream: it chose the settling of a
    feature's fast scaling on a level never seen (round 56, docs/online.md,
    "Outliers"), and its second table kept that rule to the fast scaling.

14. Lost labels (``--part lost-labels``, round 59, review 172): Elec2's first 4,000
    rows under ``delay=50`` with the labels of 5% of the rows never given (drawn by
    the seed, seeds 0-2): the accuracy of ``advance_on_predict`` with its labels
    matched by values and by order, the model without it, and two baselines, beside
    the same with every label; and whether the model warned. A tuning stream, read
    to show a documented limit; it chose nothing.
15. The regressor under a delay (``--part delay-regression``, round 73): every
    half's regression streams of streams.py (their first ``--small-rows`` rows at
    most, ``--seeds`` seeds on the synthetic ones), MAE over rows 50 on with no
    delay and ``delay=50``: the last value, the running mean, LinReg, HATR, ARFR,
    DREAM with and without ``advance_on_predict``, and DREAM with no part that reads
    the previous target (its settings chosen on TrumpApproval and ChickWeights, tuning
    streams), and DREAMDelayedRegressor (both, chosen by the targets as they come). It
    chose no default.

Streams: SEA, Elec2, Hyperplane, all tuning streams (docs/online.md), and the
tuning half's regression streams of streams.py (every half's: part 15).

    python benchmarks/online_robust.py
    python benchmarks/online_robust.py --part delay --rows 20000
    python benchmarks/online_robust.py --part regression
    python benchmarks/online_robust.py --part glitch
    python benchmarks/online_robust.py --part glitch-all
    python benchmarks/online_robust.py --part first8
    python benchmarks/online_robust.py --part pairs
    python benchmarks/online_robust.py --part pipeline
    python benchmarks/online_robust.py --part trend
    python benchmarks/online_robust.py --part levels
    python benchmarks/online_robust.py --part one-hot
    python benchmarks/online_robust.py --part excursion
    python benchmarks/online_robust.py --part regimes
    python benchmarks/online_robust.py --part offset
    python benchmarks/online_robust.py --part lost-labels
    python benchmarks/online_robust.py --part delay-regression
    python benchmarks/online_robust.py --part excursion --loss-cap 50   # round 59's table
"""

from __future__ import annotations

import argparse
import copy
import itertools
import numbers
import warnings

import numpy as np
from river import base, evaluate, metrics
from river import stream as river_stream
from river.datasets import synth

from dream_sklearn.datasets import iter_elec2
from dream_sklearn.online import (
    DREAMDelayedClassifier,
    DREAMDelayedRegressor,
    DREAMOnlineClassifier,
    DREAMOnlineRegressor,
    _scaling,
    set_compiled,
)


def _outlier_streams(n: int) -> dict:
    return {
        "SEA": list(synth.SEA(seed=1, variant=0).take(n)),
        "Elec2": list(iter_elec2(n)),
        "Hyperplane": list(synth.Hyperplane(seed=1, n_features=10, mag_change=0.001).take(n)),
    }


def _against_twin(model, rows, t0: int, x_bad: dict, y_bad, score) -> tuple[float, float]:
    """``model`` learns ``rows[:t0]``, then a twin is copied and ``model`` alone learns
    ``(x_bad, y_bad)`` for row ``t0``; both then predict and learn the next 500 rows.
    The sums of ``score(prediction, y)`` over those rows: ``model``'s, the twin's."""
    for x, y in rows[:t0]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    model.predict_one(x_bad)
    model.learn_one(x_bad, y_bad)
    total = twin_total = 0.0
    for x, y in rows[t0 + 1 : t0 + 501]:
        total += score(model.predict_one(x), y)
        twin_total += score(twin.predict_one(x), y)
        model.learn_one(x, y)
        twin.learn_one(x, y)
    return total, twin_total


def _outlier_cost(rows, t0: int, feature, value: float | None, seed: int = 0) -> float:
    """Points lost with ``feature`` at ``value`` on row ``t0`` (None: left out)."""
    x, y = rows[t0]
    if feature is None:
        x_bad = x
    elif value is None:
        x_bad = {k: v for k, v in x.items() if k != feature}
    else:
        x_bad = {**x, feature: value}
    hits, twin_hits = _against_twin(
        DREAMOnlineClassifier(seed=seed), rows, t0, x_bad, y, lambda p, y: p == y
    )
    return 100.0 * (twin_hits - hits) / 500


def outliers(at: list[int], seeds: int = 1) -> None:
    print("One outlier row against a twin that never saw it: accuracy points lost over")
    print(
        f"the next 500 rows (every feature, after rows {at}; "
        f"DREAMOnlineClassifier(seed=s), s in 0-{seeds - 1}); cases over 0.5 point"
    )
    print()
    print("| stream | value | mean | worst | over 0.5 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(max(at) + 501).items():
        # (absent: the feature left out of the row, what a value set aside is read as
        # in its row: for comparison)
        for value in (1e6, 1e30, None):
            lost = [
                _outlier_cost(rows, t0, f, value, seed)
                for seed in range(seeds)
                for t0 in at
                for f in sorted(rows[0][0])
            ]
            over = sum(v > 0.5 for v in lost)
            said = "absent" if value is None else f"{value:g}"
            print(
                f"| {name} | {said} | {np.mean(lost):.2f} | {np.max(lost):.2f} "
                f"| {over} of {len(lost)} |",
                flush=True,
            )
    print()


def _late_accuracy(rows: list, t0: int, feature, value: float) -> float:
    """DREAMOnlineClassifier(seed=0)'s accuracy over rows 2,000 on, ``feature`` at
    ``value`` on row ``t0`` (-1: none)."""
    model, hits = DREAMOnlineClassifier(seed=0), 0
    for t, (x, y) in enumerate(rows):
        if t == t0:
            x = {**x, feature: value}
        hits += t >= 2000 and model.predict_one(x) == y
        model.learn_one(x, y)
    return hits / (len(rows) - 2000)


def first8(at: list[int]) -> None:
    print("A far value among a slot's first 8: one feature at 1e6 or 1e30 on an early row;")
    print("accuracy points lost over rows 2,000-3,999 against the stream unchanged (every")
    print(f"feature, rows {at}; DREAMOnlineClassifier(seed=0))")
    print()
    print("| stream | value | twin | mean | worst |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(4000).items():
        twin = _late_accuracy(rows, -1, None, 0.0)
        for value in (1e6, 1e30):
            lost = [
                100.0 * (twin - _late_accuracy(rows, t0, f, value))
                for t0 in at
                for f in sorted(rows[0][0])
            ]
            print(
                f"| {name} | {value:g} | {twin:.4f} | {np.mean(lost):.2f} | {np.max(lost):.2f} |",
                flush=True,
            )
    print()
    outliers(at)
    first8_noise(at)
    first8_designs()


def first8_noise(at: list[int], seeds: int = 5) -> None:
    """What any early row moves: the 500 rows after an early row against the twin
    that never saw it, for the row as it is, for one feature at a plausible value (its
    value 50 rows later) and at 1e6 or 1e30; over the cell's seeds 0..seeds-1."""
    print("What an early row moves: accuracy points lost over the 500 rows after row")
    print(f"3, 6 or 7 against a twin that never saw the row (rows {at}, every feature;")
    print(f"DREAMOnlineClassifier(seed=0..{seeds - 1})): the row as it is, one feature at")
    print("a plausible value (its value 50 rows later), one feature at 1e6 or 1e30;")
    print("mean, least and worst")
    print()
    print("| stream | row as it is | plausible value | 1e6 | 1e30 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(max(at) + 551).items():
        cells = []
        for kind in ("as it is", "plausible", 1e6, 1e30):
            lost = []
            for seed, t0 in itertools.product(range(seeds), at):
                features = [None] if kind == "as it is" else sorted(rows[t0][0])
                for f in features:
                    value = rows[t0 + 50][0][f] if kind == "plausible" else kind
                    lost.append(_outlier_cost(rows, t0, f, value, seed))
            cells.append(f"{np.mean(lost):.2f} ({np.min(lost):.2f} to {np.max(lost):.2f})")
        print(f"| {name} | {' | '.join(cells)} |", flush=True)
    print()


def _mad_outliers(first: np.ndarray) -> np.ndarray:
    """The design not kept: more than 30 scaled MADs (1.4826) from the median of the
    8 values, and outside the others' range widened by its width."""
    med = np.median(first, axis=0)
    mad = 1.4826 * np.median(np.abs(first - med), axis=0)
    out = np.abs(first - med) > _scaling._SET_ASIDE * mad
    for i in range(len(first)):
        others = np.delete(first, i, axis=0)
        lo, hi = others.min(axis=0), others.max(axis=0)
        out[i] &= (first[i] > 2 * hi - lo) | (first[i] < 2 * lo - hi)
    return out


def _leave_one_out(first: np.ndarray) -> np.ndarray:
    """The test before round 14: each value against the other 7 only (a pair of far
    values hid each other)."""
    others = first[_scaling._LEAVE_ONE_OUT[len(first)]]
    return _scaling._far_from(first, others)[0] & ~np.isnan(first).any(axis=0)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


def _numeric_columns(data: list) -> np.ndarray:
    """(rows, columns): a stream's numeric features (those every row has: a feature
    some rows lack, whose first 8 values come from rows further apart, is left out),
    and its target when it is a number."""
    rows = [dict(x, __y=y) if _is_number(y) else dict(x) for x, y in data]
    keys = [k for k in rows[0] if all(_is_number(r.get(k)) for r in rows)]
    return np.array([[float(r[k]) for k in keys] for r in rows]).reshape(len(rows), len(keys))


_DESIGNS = {
    "leave one out (before round 14)": _leave_one_out,
    "with pairs (now)": _scaling._first_outliers,
    "median / MAD": _mad_outliers,
}


def first8_designs(halves: tuple = ("tuning",)) -> None:
    """The designs of a slot's first-8 test on real values: the first 8 rows of each
    stream (a value set aside there is a real value lost), and every 8-row block of the
    first 2,000 rows (the same test on more values: how often each design would set
    a real value aside). Seeds 0-19 for the synthetic streams."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from streams import STREAMS

    names = [s for s, stream in STREAMS.items() if stream.half in halves]
    print(f"The first-8 test's designs on real values ({', '.join(halves)} streams; seeds 0-19")
    print("for the synthetic ones; numeric features, and the target of a regression):")
    print("columns with a value set aside in the first 8 rows, and 8-row blocks of the")
    print("first 2,000 rows (block x column) with one")
    print()
    cols = " | ".join(f"first 8: {d}" for d in _DESIGNS)
    blocks = " | ".join(f"blocks: {d}" for d in _DESIGNS)
    print(f"| stream | columns | {cols} | blocks x columns | {blocks} |")
    print("| --- | ---: |" + " ---: |" * len(_DESIGNS) + " ---: |" + " ---: |" * len(_DESIGNS))
    total = np.zeros(2 + 2 * len(_DESIGNS), dtype=int)
    for name in names:
        stream = STREAMS[name]
        counts = np.zeros_like(total)
        for seed in range(20 if stream.synthetic else 1):
            data = list(
                itertools.islice(stream.make(seed, 2000 if stream.synthetic else 10**6), 2000)
            )
            values = _numeric_columns(data)
            blocks8 = np.stack([values[s : s + 8] for s in range(0, len(values) - 7, 8)])
            flat = blocks8.transpose(1, 0, 2).reshape(8, -1)
            counts[0] += values.shape[1]
            counts[1 : 1 + len(_DESIGNS)] += [
                f(values[:8]).any(axis=0).sum() for f in _DESIGNS.values()
            ]
            counts[1 + len(_DESIGNS)] += flat.shape[1]
            counts[2 + len(_DESIGNS) :] += [f(flat).any(axis=0).sum() for f in _DESIGNS.values()]
        total += counts
        print(f"| {name} | {' | '.join(f'{c:,}' for c in counts)} |", flush=True)
    print(f"| all | {' | '.join(f'{c:,}' for c in total)} |")
    print()


def first8_heavy_tails(columns: int = 200_000) -> None:
    """The designs on synthetic columns of 8 values with no far value in them: the
    share with a value set aside (a real value lost), heavy tails beside light ones."""
    rng = np.random.default_rng(0)
    shape = (8, columns)
    draws = {
        "normal": rng.standard_normal(shape),
        "Student t, 3 degrees": rng.standard_t(3, shape),
        "lognormal, sigma 1": rng.lognormal(0.0, 1.0, shape),
        "lognormal, sigma 2": rng.lognormal(0.0, 2.0, shape),
        "lognormal, sigma 3": rng.lognormal(0.0, 3.0, shape),
        "negative binomial (0.2, 0.01)": rng.negative_binomial(0.2, 0.01, shape).astype(float),
        "exponential, 70% zeros": np.where(rng.random(shape) < 0.7, 0.0, rng.exponential(1, shape)),
        "Poisson 0.3": rng.poisson(0.3, shape).astype(float),
        "Bernoulli 0.3": (rng.random(shape) < 0.3).astype(float),
    }
    print(f"The first-8 test's designs on synthetic columns ({columns:,} of 8 values each, no")
    print("far value put in): the share with a value set aside")
    print()
    print(f"| values | {' | '.join(_DESIGNS)} |")
    print("| --- |" + " ---: |" * len(_DESIGNS))
    for name, values in draws.items():
        cells = [f"{100.0 * f(values).any(axis=0).mean():.2f}%" for f in _DESIGNS.values()]
        print(f"| {name} | {' | '.join(cells)} |", flush=True)
    print()


_PAIRS = [(3, 6), (6, 7), (1, 7)]


def _hits_with(rows: list, at: tuple, feature, value: float) -> np.ndarray:
    """DREAMOnlineClassifier(seed=0)'s hits on every row, ``feature`` at ``value`` on
    the rows ``at``."""
    model, hits = DREAMOnlineClassifier(seed=0), []
    for t, (x, y) in enumerate(rows):
        if t in at:
            x = {**x, feature: value}
        hits.append(model.predict_one(x) == y)
        model.learn_one(x, y)
    return np.array(hits)


def _errors_with(rows: list, at: tuple, value: float) -> np.ndarray:
    """DREAMOnlineRegressor(seed=0)'s absolute errors on every row, the target at
    ``value`` on the rows ``at``."""
    model, errors = DREAMOnlineRegressor(seed=0), []
    for t, (x, y) in enumerate(rows):
        errors.append(abs(model.predict_one(x) - y))
        model.learn_one(x, value if t in at else y)
    return np.array(errors)


def first8_pairs() -> None:
    """Two far values among a slot's first 8 (rows 3 and 6, 6 and 7, 1 and 7: a
    feature, every one; or the regressor's target), against the stream unchanged."""
    print("Two far values among a slot's first 8: one feature at 1e6 or 1e30 on two of")
    print(f"the first 8 rows ({_PAIRS}, every feature; DREAMOnlineClassifier(seed=0)):")
    print("accuracy points lost against the stream unchanged over the 500 rows after the")
    print("second, and over rows 2,000-3,999; mean and worst")
    print()
    print("| stream | value | 500 rows after: mean | worst | rows 2,000-3,999: mean | worst |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(4000).items():
        base = _hits_with(rows, (), None, 0.0)
        for value in (1e6, 1e30):
            after, late = [], []
            for pair in _PAIRS:
                for feature in sorted(rows[0][0]):
                    hits = _hits_with(rows, pair, feature, value)
                    span = slice(pair[1] + 1, pair[1] + 501)
                    after.append(100.0 * (base[span].mean() - hits[span].mean()))
                    late.append(100.0 * (base[2000:].mean() - hits[2000:].mean()))
            cells = [np.mean(after), np.max(after), np.mean(late), np.max(late)]
            print(f"| {name} | {value:g} | {' | '.join(f'{c:.2f}' for c in cells)} |", flush=True)
    print()
    print("The regressor: its target at 1e4 or 1e30 on two of its first 8 rows (the same")
    print("pairs; DREAMOnlineRegressor(seed=0), tuning streams, synthetic ones with seed 1):")
    print("MAE over the 500 rows after the 8th (the rows before it are predicted on the far")
    print("targets' scale: they are tested when the 8th comes), and over the rows from 1,000")
    print("on (from a third of the way where the stream is shorter), over the stream")
    print("unchanged's; worst over the pairs")
    print()
    print("| stream | value | 500 rows after | later rows |")
    print("| --- | ---: | ---: | ---: |")
    for name, rows in _tuning_regression_rows():
        start = 1000 if len(rows) >= 2000 else len(rows) // 3
        base = _errors_with(rows, (), 0.0)
        for value in (1e4, 1e30):
            after, late = [], []
            for pair in _PAIRS:
                errors = _errors_with(rows, pair, value)
                span = slice(8, 508)
                after.append(errors[span].mean() / base[span].mean())
                late.append(errors[start:].mean() / base[start:].mean())
            print(
                f"| {name} | {value:g} | {_ratio(max(after))} | {_ratio(max(late))} |", flush=True
            )
    print()


_GLITCH_FEATURE = {"SEA": 0, "Elec2": "nswprice", "Hyperplane": 0}


def _glitch_hits(rows: list, start: int, feature, length: int, undo_rows: int) -> list:
    """Hits over rows 2,000 on of DREAMOnlineClassifier(seed=0) on the NumPy path with
    ``_UNDO_ROWS = undo_rows``, ``feature`` at 1e30 on ``length`` rows from ``start``."""
    previous, kept = set_compiled(False), _scaling._UNDO_ROWS
    _scaling._UNDO_ROWS = undo_rows
    try:
        model, hits = DREAMOnlineClassifier(seed=0), []
        for t, (x, y) in enumerate(rows):
            if start <= t < start + length:
                x = {**x, feature: 1e30}
            p = model.predict_one(x)
            if t >= 2000:
                hits.append(p == y)
            model.learn_one(x, y)
    finally:
        set_compiled(previous)
        _scaling._UNDO_ROWS = kept
    return hits


def glitch(lengths: list[int]) -> None:
    print("A glitch that ends: one feature at 1e30 for a run of rows from row 1,000;")
    print("accuracy points lost over rows 2,000-3,999 against a twin that never saw it")
    print(f"(DREAMOnlineClassifier(seed=0); before: _UNDO_ROWS = 0, after: {_scaling._UNDO_ROWS})")
    print()
    print(
        "| stream | feature | rows at 1e30 | twin before | twin after | lost before | lost after |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rows in _outlier_streams(4000).items():
        f = _GLITCH_FEATURE[name]
        twins = [np.mean(_glitch_hits(rows, 0, f, 0, u)) for u in (0, _scaling._UNDO_ROWS)]
        for n in lengths:
            lost = [
                100.0 * (tw - np.mean(_glitch_hits(rows, 1000, f, n, u)))
                for tw, u in zip(twins, (0, _scaling._UNDO_ROWS), strict=True)
            ]
            print(
                f"| {name} | {f} | {n} | {twins[0]:.4f} | {twins[1]:.4f} "
                f"| {lost[0]:.2f} | {lost[1]:.2f} |",
                flush=True,
            )
    print()


def _all_glitched_hits(start, rows: list, n: int, value: float) -> np.ndarray:
    """Hits of a copy of ``start`` (which learned ``rows[:1000]``) on rows 1,000 on,
    every feature at ``value`` on the first ``n`` of them."""
    model, out = copy.deepcopy(start), []
    for t, (x, y) in enumerate(rows[1000:], 1000):
        if t < 1000 + n:
            x = dict.fromkeys(x, value)
        out.append(model.predict_one(x) == y)
        model.learn_one(x, y)
    return np.array(out)


def glitch_all(lengths: list[int]) -> None:
    print("Every feature at once far out for a run of rows from row 1,000 (a row of glitches:")
    print("a sensor bus reset); accuracy points lost against a twin that never saw them")
    print("(DREAMOnlineClassifier(seed=0), NumPy path)")
    print()
    print("| stream | value | rows | lost over the 500 rows after | lost over rows 2,000-3,999 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    previous = set_compiled(False)
    try:
        for name, rows in _outlier_streams(4000).items():
            start = DREAMOnlineClassifier(seed=0)
            for x, y in rows[:1000]:
                start.predict_one(x)
                start.learn_one(x, y)

            twin = _all_glitched_hits(start, rows, 0, 0.0)
            for value in (1e6, 1e30):
                for n in lengths:
                    h = _all_glitched_hits(start, rows, n, value)
                    after = 100.0 * (twin[n : n + 500].mean() - h[n : n + 500].mean())
                    late = 100.0 * (twin[1000:].mean() - h[1000:].mean())
                    print(f"| {name} | {value:g} | {n} | {after:.2f} | {late:.2f} |", flush=True)
    finally:
        set_compiled(previous)
    print()


def _tuning_regression_rows():
    """``(name, rows)`` of the tuning half's regression streams (``streams.py``; seed 1
    for the synthetic ones)."""
    from streams import STREAMS

    for name, stream in STREAMS.items():
        if stream.half == "tuning" and stream.task == "regression":
            yield name, list(stream.make(1, stream.length or 5_000))


def _regression_cost(rows, t0: int, target=None, feature=None, value=0.0) -> float:
    """The MAE over the rows after row ``t0`` (at most 500) of a model that learned
    row ``t0`` with its target (or ``feature``) at ``value``, over its twin's."""
    x, y = rows[t0]
    if feature is not None:
        x = {**x, feature: value}
    error, twin_error = _against_twin(
        DREAMOnlineRegressor(seed=0), rows, t0, x, value if target else y, lambda p, y: abs(p - y)
    )
    return error / twin_error


def _ratio(v: float) -> str:
    return f"{v:.3f}" if v < 1000 else f"{v:.3g}"


def regression_outliers(at: list[int]) -> None:
    print("The regressor: one outlier row against a twin that never saw it: MAE over the")
    print(f"next 500 rows / the twin's (after rows {at} where they fit, else a third of the")
    print("way; DREAMOnlineRegressor(seed=0), synthetic streams with seed 1)")
    print()
    print("| stream | row's target | mean | worst | one feature (every one) | mean | worst |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, rows in _tuning_regression_rows():
        spots = [t for t in at if t + 501 <= len(rows)] or [len(rows) // 3]
        for tv, fv in itertools.zip_longest((1e4, -1e6, 1e30), (1e6, 1e30)):
            t = [_regression_cost(rows, t0, target=True, value=tv) for t0 in spots]
            cells = [f"{tv:g}", _ratio(np.mean(t)), _ratio(np.max(t))]
            if fv is None:
                cells += ["", "", ""]
            else:
                keys = sorted(rows[0][0])
                f = [_regression_cost(rows, t0, feature=k, value=fv) for t0 in spots for k in keys]
                cells += [f"{fv:g}", _ratio(np.mean(f)), _ratio(np.max(f))]
            print(f"| {name} | {' | '.join(cells)} |", flush=True)
    print()
    target_glitch(at)


def _glitch_cost(rows, t0: int, value: float, length: int) -> float:
    """The MAE over the 500 rows (fewer where the stream ends sooner) from the second
    row after ``length`` rows running whose target is ``value`` (from row ``t0``),
    over the MAE of a twin that never saw them. The first row after them is left out:
    it is forecast from the last target, the glitch's value, as the last value would."""
    model = DREAMOnlineRegressor(seed=0)
    for x, y in rows[:t0]:
        model.predict_one(x)
        model.learn_one(x, y)
    twin = copy.deepcopy(model)
    for x, _ in rows[t0 : t0 + length]:
        model.predict_one(x)
        model.learn_one(x, value)
    error = twin_error = 0.0
    for i, (x, y) in enumerate(rows[t0 + length : t0 + length + 501]):
        p, q = model.predict_one(x), twin.predict_one(x)
        if i:
            error, twin_error = error + abs(p - y), twin_error + abs(q - y)
        model.learn_one(x, y)
        twin.learn_one(x, y)
    return error / twin_error


def target_glitch(at: list[int]) -> None:
    lengths = (2, 3, 4, 10, 20, 60, 200)
    print("The regressor: a target stuck far out for 2, 3, 4, 10, 20, 60 or 200 rows running")
    print("(20 or more: beyond the 19 rows a glitch's undo covers), against a twin")
    print("that never saw them: MAE over the 500 rows from the second row after them / the")
    print(f"twin's (after rows {at} where they fit, else a third of the way; worst position;")
    print("DREAMOnlineRegressor(seed=0), synthetic streams with seed 1)")
    print()
    cells = [f"{v:g} x {n}" for v in (1e4, 1e30) for n in lengths]
    print(f"| stream | {' | '.join(cells)} |")
    print("| --- |" + " ---: |" * len(cells))
    for name, rows in _tuning_regression_rows():
        spots = [t for t in at if t + 505 <= len(rows)] or [len(rows) // 3]
        worst = [
            max(_glitch_cost(rows, t0, v, n) for t0 in spots) for v in (1e4, 1e30) for n in lengths
        ]
        print(f"| {name} | {' | '.join(_ratio(w) for w in worst)} |", flush=True)
    print()
    constant_target_glitch()


def _constant_then_sine() -> np.ndarray:
    """0 for 300 rows, then a sine of period 12 (amplitude 10) with noise 0.3."""
    rng = np.random.default_rng(0)
    ys = np.zeros(1500)
    ys[300:] = 10 * np.sin(np.arange(1200) * 2 * np.pi / 12) + 0.3 * rng.normal(size=1200)
    return ys


def _forecast_errors(ys: np.ndarray, params: dict, clean: np.ndarray) -> list[float]:
    """DREAMOnlineRegressor(seed=0, **params) on targets ``ys`` (no features): its
    MAE against ``clean`` over rows 400-999 and 1,000-1,499."""
    model, forecasts = DREAMOnlineRegressor(seed=0, **params), []
    for y in ys:
        forecasts.append(model.predict_one({}))
        model.learn_one({}, float(y))
    f = np.array(forecasts)
    return [float(np.abs(f[a:b] - clean[a:b]).mean()) for a, b in ((400, 1000), (1000, 1500))]


def constant_target_glitch() -> None:
    clean = _constant_then_sine()
    lengths, values = (1, 2, 3, 5, 8), (1e6, 1e30)
    print("The regressor: a glitch on a constant target (0 for 300 rows, the glitch from")
    print("row 150, then a sine of period 12): MAE over rows 400-999 / 1,000-1,499 over a")
    print("twin's that never saw it (DREAMOnlineRegressor(seed=0, ...), no features)")
    print()
    cells = [f"{v:g} x {n}" for v in values for n in lengths]
    print(f"| parameters | twin's MAE | {' | '.join(cells)} |")
    print("| --- | ---: |" + " ---: |" * len(cells))
    for params in ({}, {"standardize_rate": 0.005}, {"slow_rate": 0.001}):
        twin = _forecast_errors(clean, params, clean)
        out = []
        for v, n in itertools.product(values, lengths):
            ys = clean.copy()
            ys[150 : 150 + n] = v
            e = _forecast_errors(ys, params, clean)
            out.append(f"{e[0] / twin[0]:.3f} / {e[1] / twin[1]:.3f}")
        name = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        print(f"| {name} | {twin[0]:.3f} / {twin[1]:.3f} | {' | '.join(out)} |", flush=True)
    print()


class _NoChange(base.Classifier):
    """The latest label known (under a delay: the label ``delay`` rows back)."""

    def __init__(self) -> None:
        self.last = None

    def learn_one(self, x: dict, y) -> None:
        self.last = y

    def predict_proba_one(self, x: dict) -> dict:
        return {} if self.last is None else {self.last: 1.0}

    def predict_one(self, x: dict):
        return self.last


def _delay_models() -> dict:
    """name -> factory(seed, task) for the delay table (streams.py's baselines)."""
    from streams import CLASSIFIERS

    return {
        "no-change": lambda seed, task: _NoChange(),
        "majority": CLASSIFIERS["majority"][0],
        "LogReg": CLASSIFIERS["LogReg"][0],
        "HAT": CLASSIFIERS["HAT"][0],
        "ARF": CLASSIFIERS["ARF"][0],
        "DREAM": lambda seed, task: DREAMOnlineClassifier(seed=seed),
        "DREAM advance, no delayed readout": lambda seed, task: DREAMOnlineClassifier(
            seed=seed, advance_on_predict=True, delayed_readout=False
        ),
        "DREAM advance": lambda seed, task: DREAMOnlineClassifier(
            seed=seed, advance_on_predict=True
        ),
        # both, chosen by the labels as they come (round 69)
        "DREAMDelayedClassifier": lambda seed, task: DREAMDelayedClassifier(
            DREAMOnlineClassifier(seed=seed)
        ),
    }


def _score(rows: list, model, delay: int | None) -> float:
    return evaluate.progressive_val_score(rows, model, metrics.Accuracy(), delay=delay).get()


def _hits(rows: list, model, delay: int | None, lost: frozenset = frozenset()) -> np.ndarray:
    """Per row: 1.0 if predicted right, 0.0 if wrong, nan where the model predicted
    None (no label seen yet; ``progressive_val_score`` does not count those rows).
    The labels of the rows in ``lost`` never come (no ``learn_one`` for them)."""
    out = np.full(len(rows), np.nan)
    for i, x, y in river_stream.simulate_qa(rows, moment=None, delay=delay):
        if y is None:
            pred = model.predict_one(x)
            if pred is not None:
                out[i] = pred == rows[i][1]
        elif i not in lost:
            model.learn_one(x, y)
    return out


def _regression_errors(rows: list, model, delay: int | None) -> np.ndarray:
    """Per row, ``model``'s absolute error under progressive validation with labels
    ``delay`` rows late (river's ``simulate_qa``); a prediction of None (a no-change
    baseline before any label) reads 0.0, as a regressor's before any learning."""
    errors = np.zeros(len(rows))
    for i, x, y in river_stream.simulate_qa(rows, moment=None, delay=delay):
        if y is None:
            prediction = model.predict_one(x)
            errors[i] = abs((0.0 if prediction is None else prediction) - rows[i][1])
        else:
            model.learn_one(x, y)
    return errors


# The regressor's readouts that do not read the previous target (its "last" and "hold"
# do): the delay-regression part's last model
_NO_PREVIOUS_TARGET = ("cell", "pairs", "mean", "average")


def delay_regression(n_small: int, seeds: int, lag: int = 50) -> None:
    """The regressor under ``delay=lag`` on every half's regression streams of
    ``streams.py`` (their first ``n_small`` rows at most), against the baselines of
    issue 12 (the last value, the running mean, LinReg, HATR, ARFR), with and without
    ``advance_on_predict``, with no part that reads the previous target, and
    ``DREAMDelayedRegressor``, both of those chosen by the targets (round 73; the second
    model's readouts were chosen on two tuning streams, TrumpApproval and ChickWeights;
    no default was chosen on it)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from streams import REGRESSORS, STREAMS, stream_rows

    baselines = ("last-value", "mean", "LinReg", "HATR", "ARFR")
    models = {name: REGRESSORS[name][0] for name in baselines}
    models["DREAM"] = lambda seed, task: DREAMOnlineRegressor(seed=seed)
    models["DREAM advance"] = lambda seed, task: DREAMOnlineRegressor(
        seed=seed, advance_on_predict=True
    )
    # (no part of it reads the previous target, which a delay makes stale at the
    # prediction: set on TrumpApproval and ChickWeights, tuning streams, round 73)
    models["DREAM, no previous target"] = lambda seed, task: DREAMOnlineRegressor(
        seed=seed, feedback="none", readouts=_NO_PREVIOUS_TARGET
    )
    # both, chosen by the targets as they come (round 73)
    models["DREAMDelayedRegressor"] = lambda seed, task: DREAMDelayedRegressor(
        DREAMOnlineRegressor(seed=seed)
    )
    print(
        f"The regressor under delay={lag}: MAE over rows {lag} on (every row has a label "
        f"before it under both protocols) of each regression stream's first {n_small:,} rows "
        f"at most, no delay and delay={lag}; mean (min-max) over model seeds 0-{seeds - 1} "
        "(synthetic streams: stream seeds too; one run of a deterministic model on a data "
        "set). 'DREAM advance': advance_on_predict=True (without a delay it is the default "
        "model). 'last-value' under the delay: the latest target known, the one "
        f"{lag} rows back. 'DREAM, no previous target': feedback='none', readouts="
        f"{_NO_PREVIOUS_TARGET!r} (none of its parts reads the previous target; set on "
        "TrumpApproval and ChickWeights, tuning streams). DREAMDelayedRegressor: both copies, "
        "the closer on the targets that came predicting. ratio: MAE with the delay over MAE "
        "without."
    )
    print()
    print(f"| half | stream | model | no delay | delay={lag} | ratio |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    fixed_models = ("last-value", "mean", "LinReg")
    for half in ("tuning", "report", "held-out", "fresh"):
        for name, stream in STREAMS.items():
            if stream.task != "regression" or stream.half != half:
                continue
            rows_n = stream_rows(stream, n_small)
            draws = {
                seed: list(itertools.islice(stream.make(seed, rows_n), rows_n))
                for seed in (range(seeds) if stream.synthetic else [0])
            }
            for model_name, make in models.items():
                runs = []
                for seed in range(seeds):
                    if not stream.synthetic and seed and model_name in fixed_models:
                        break  # (deterministic on a fixed stream: one run)
                    rows = draws[seed if stream.synthetic else 0]
                    runs.append(
                        [
                            _regression_errors(rows, make(seed, "regression"), d)[lag:].mean()
                            for d in (None, lag)
                        ]
                    )
                runs = np.array(runs)
                ratio = runs[:, 1:] / runs[:, :1]
                print(
                    f"| {half} | {name} | {model_name} | {_spread_cells(runs, '.4g')} | "
                    f"{_spread_cells(ratio, '.3f')} |",
                    flush=True,
                )
    print()


def lost_labels(n: int, seeds: int, delay: int = 50, share: float = 0.05) -> None:
    """Elec2's accuracy under ``delay`` where a ``share`` of the labels never comes:
    what ``match_labels_by="order"`` costs then, against matching by values."""
    majority = _delay_models()["majority"]
    models = {
        "no-change": lambda seed: _NoChange(),
        "majority": lambda seed: majority(seed, "classification"),
        "DREAM": lambda seed: DREAMOnlineClassifier(seed=seed),
        "DREAM advance, by values": lambda seed: DREAMOnlineClassifier(
            seed=seed, advance_on_predict=True
        ),
        "DREAM advance, by order": lambda seed: DREAMOnlineClassifier(
            seed=seed, advance_on_predict=True, match_labels_by="order"
        ),
    }
    rows = list(iter_elec2(n))
    print(
        f"Lost labels: Elec2's first {n:,} rows under delay={delay}, the labels of "
        f"{share:.0%} of the rows (drawn by the seed, seeds 0-{seeds - 1}) never given "
        "(no learn_one for them); accuracy over the rows predicted, mean (min-max) over "
        "the seeds. 'advance': advance_on_predict=True, its labels matched to the rows "
        "predicted by their values (the default) or by order; warned: the runs with "
        "labels lost in which the model warned that labels meet rows not their own"
    )
    print()
    print(f"| model | every label | {share:.0%} lost | lost (points) | warned |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, make in models.items():
        scores, warned = np.zeros((seeds, 2)), 0
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            lost = frozenset(rng.choice(n, size=round(share * n), replace=False).tolist())
            for k, dropped in enumerate((frozenset(), lost)):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    hits = _hits(rows, make(seed), delay, dropped)
                scores[seed, k] = np.nanmean(hits)
                if dropped and any("labels in a row came while" in str(w.message) for w in caught):
                    warned += 1
        points = 100 * (scores[:, :1] - scores[:, 1:])
        cells = _spread_cells(scores, ".3f")
        print(
            f"| {name} | {cells} | {_spread_cells(points, '.1f')} | {warned}/{seeds} |",
            flush=True,
        )
    print()


def advance_cost(n_small: int, streams: list[str], seeds: int, lag: int = 50) -> None:
    """What ``advance_on_predict`` costs under ``delay=lag`` against the default (which
    steps the cell at the label), on ``streams`` (by default the tuning half's):
    accuracy of both, with the delayed-label readout off (the cost is the advance's
    own), for the full model, its linear readout alone, and a standardisation ten times
    slower (``standardize_rate=0.002``). A readout that learns a row under the scaling
    of the row's own time, and predicts under the scaling now, is 50 rows out of step
    with it (round 66)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from streams import STREAMS, stream_rows

    variants = {
        "full model": {},
        "linear readout alone": {"readouts": ("linear",)},
        "standardize_rate=0.002": {"standardize_rate": 0.002},
    }
    print(
        f"advance_on_predict's cost under delay={lag}: progressive_val_score accuracy over "
        f"each stream's first {n_small:,} rows at most (Elec2's too), mean (min-max) over model "
        f"seeds 0-{seeds - 1} (synthetic streams: stream seeds too); 'advance': "
        "advance_on_predict=True, delayed_readout=False"
    )
    print()
    print("| stream | model | default | advance | advance - default (points) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name in streams:
        stream = STREAMS[name]
        rows_n = stream_rows(stream, n_small)

        def draw(seed: int, stream=stream, rows_n=rows_n) -> list:
            return list(itertools.islice(stream.make(seed, rows_n), rows_n))

        # (a data set's rows are read once; a synthetic stream is drawn per seed)
        fixed = None if stream.synthetic else draw(0)
        data = {seed: draw(seed) if stream.synthetic else fixed for seed in range(seeds)}
        for label, kw in variants.items():
            scores = np.array(
                [
                    [
                        _score(data[seed], DREAMOnlineClassifier(seed=seed, **kw, **extra), lag)
                        for extra in ({}, {"advance_on_predict": True, "delayed_readout": False})
                    ]
                    for seed in range(seeds)
                ]
            )
            gap = 100 * (scores[:, 1:] - scores[:, :1])
            print(
                f"| {name} | {label} | {_spread_cells(scores, '.4f')} | "
                f"{_spread_cells(gap, '.1f')} |",
                flush=True,
            )
    print()


def _print_lost(stream: str, model: str, a: list, b: list) -> None:
    """One row of a delay table: the mean accuracy without (``a``) and with (``b``)
    the delay over seeds, and the points lost, with their spread where there are seeds."""
    lost = 100 * (np.array(a) - np.array(b))
    spread = f" [{lost.min():.1f}, {lost.max():.1f}]" if len(lost) > 1 else ""
    print(
        f"| {stream} | {model} | {np.mean(a):.4f} | {np.mean(b):.4f} | {lost.mean():.1f}{spread} |",
        flush=True,
    )


# The concepts of the streams of streams.py that switch river generators at known rows,
# in order (one labelling function of x per segment); checked against the stream's own
# labels by _check_concepts.
def _stagger_concept(f: int):
    fn = synth.STAGGER(classification_function=f)._functions[f]
    return lambda x: fn(x["size"], x["color"], x["shape"])


def _agrawal_concept(f: int):
    fn = synth.Agrawal(classification_function=f)._classification_functions[f]
    return lambda x: fn(**x)


def _sea_concept(variant: int):
    threshold = synth.SEA(variant=variant)._threshold
    return lambda x: x[0] + x[1] > threshold


CONCEPTS = {
    "STAGGER": [_stagger_concept(f) for f in (0, 1, 2, 0, 1)],
    "SEA": [_sea_concept(0), _sea_concept(2)],
    "Agrawal": [_agrawal_concept(0), _agrawal_concept(4)],
}


def _segment_of(changes: list[int], n: int) -> np.ndarray:
    """The concept (segment index) of each row."""
    return np.searchsorted(np.asarray(changes, dtype=int), np.arange(n), side="right")


def _check_concepts(rows: list, changes: list[int], concepts: list) -> None:
    seg = _segment_of(changes, len(rows))
    wrong = [t for t, (x, y) in enumerate(rows) if concepts[seg[t]](x) != y]
    if wrong:
        raise AssertionError(f"the concepts do not give the stream's labels (rows {wrong[:5]})")


def oracle_hits(rows: list, changes: list[int], concepts: list, lag: int) -> np.ndarray:
    """Per row, whether the oracle predicts it right under a delay of ``lag`` rows
    (``lag=1``: no delay): row ``t`` is predicted with the concept of row ``t - lag``,
    the latest row whose label is known then (river's protocol: row ``t - lag``'s label
    comes before row ``t`` is predicted); nan for the first ``lag`` rows, where no label
    is known and ``progressive_val_score`` counts no prediction."""
    seg = _segment_of(changes, len(rows))
    out = np.full(len(rows), np.nan)
    for t in range(lag, len(rows)):
        x, y = rows[t]
        out[t] = concepts[seg[t - lag]](x) == y
    return out


def _points(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """Accuracy points that ``b``'s errors in ``region`` cost against ``a``'s (the
    regions of a partition of the rows add up to ``nanmean(a) - nanmean(b)``)."""
    na, nb = np.sum(~np.isnan(a)), np.sum(~np.isnan(b))
    ea, eb = np.nansum(1.0 - a[region]), np.nansum(1.0 - b[region])
    return 100.0 * (eb / nb - ea / na)


def _where_the_points_go(data: dict, changes: list[int], seeds: int, lag: int) -> list:
    """For each seed: DREAM without delay against DREAM advance with ``delay=lag``, per
    row; the points lost in the rows ``c .. c+lag-1`` after each change ``c`` (no label
    of the new concept known), in ``c+lag .. c+lag+149`` and elsewhere; the oracle's
    floor; accuracy in the blind rows (DREAM delayed, oracle delayed); accuracy over the
    150 rows from the first label of the new concept on (delayed: rows c+lag..,
    predicted with the labels up to c..c+149; no delay: rows c+1.., the same labels:
    river hands row t - lag's label over before row t is predicted, without a delay
    row t - 1's)."""
    out = []
    for seed in range(seeds):
        rows, concepts = data[seed], data["concepts"]
        n = len(rows)
        a = _hits(rows, DREAMOnlineClassifier(seed=seed), None)
        b = _hits(rows, DREAMOnlineClassifier(seed=seed, advance_on_predict=True), lag)
        blind = np.zeros(n, bool)
        after = np.zeros(n, bool)
        for c in changes:
            blind[c : c + lag] = True
            after[c + lag : c + lag + 150] = True
        rest = ~(blind | after)
        after_idx = np.flatnonzero(after)
        oa, ob = oracle_hits(rows, changes, concepts, 1), oracle_hits(rows, changes, concepts, lag)
        out.append(
            [
                100 * (np.nanmean(a) - np.nanmean(b)),
                _points(a, b, blind),
                _points(a, b, after),
                _points(a, b, rest),
                100 * (np.nanmean(oa) - np.nanmean(ob)),
                np.nanmean(b[blind]),
                np.nanmean(ob[blind]),
                np.nanmean(b[after_idx]),
                np.nanmean(a[after_idx - lag + 1]),  # (rows c+1..: row c's label known)
            ]
        )
    return out


def delay(n: int, n_small: int, streams: list[str], seeds: int, lag: int = 50) -> None:
    """Accuracy with and without ``delay=lag`` on the tuning half's classification
    streams (Elec2 on its first ``n`` rows, the others on ``n_small``)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from streams import STREAMS, stream_rows

    models = _delay_models()
    print("Temporal structure: accuracy of the previous row's label (no-change) against")
    print("the majority class so far, no delay. A stream whose labels follow each other")
    print("(no-change well above majority) is one a delay takes something from.")
    print()
    print("| stream | rows | seeds | no-change | majority |")
    print("| --- | ---: | ---: | ---: | ---: |")
    data = {}
    for name in streams:
        stream = STREAMS[name]
        rows_n = stream_rows(stream, n if name == "Elec2" else n_small)
        seed_list = list(range(seeds))
        data[name] = {
            seed: list(
                itertools.islice(stream.make(seed if stream.synthetic else 0, rows_n), rows_n)
            )
            for seed in (seed_list if stream.synthetic else [0])
        }
        if name in CONCEPTS:
            for r in data[name].values():
                _check_concepts(r, stream.changes(rows_n), CONCEPTS[name])
        nc = [_score(r, models["no-change"](0, stream.task), None) for r in data[name].values()]
        mj = [_score(r, models["majority"](0, stream.task), None) for r in data[name].values()]
        print(
            f"| {name} | {rows_n:,} | {len(data[name])} | {np.mean(nc):.4f} | {np.mean(mj):.4f} |",
            flush=True,
        )
    print()
    print(f"progressive_val_score accuracy, no delay and delay={lag}; mean over seeds")
    print("(model seeds; synthetic streams: stream seeds too), [min, max] where they vary.")
    print("'DREAM advance': advance_on_predict=True (its no-delay figure is the default")
    print("model's, equal by test_advance_on_predict_without_delay_is_the_default_model).")
    print()
    print(f"| stream | model | no delay | delay={lag} | lost (points) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name in streams:
        stream = STREAMS[name]
        for model_name, make in models.items():
            a, b = [], []
            for seed in range(seeds):
                if not stream.synthetic and model_name in ("no-change", "majority", "LogReg"):
                    if seed:  # deterministic models on a fixed stream: one run
                        break
                rows = data[name][seed if stream.synthetic else 0]
                if model_name.startswith("DREAM advance"):
                    a.append(_score(rows, models["DREAM"](seed, stream.task), None))
                else:
                    a.append(_score(rows, make(seed, stream.task), None))
                b.append(_score(rows, make(seed, stream.task), lag))
            _print_lost(name, model_name, a, b)
        if name in CONCEPTS:
            changes = stream.changes(len(data[name][0]))
            a = [
                np.nanmean(oracle_hits(r, changes, CONCEPTS[name], 1)) for r in data[name].values()
            ]
            b = [
                np.nanmean(oracle_hits(r, changes, CONCEPTS[name], lag))
                for r in data[name].values()
            ]
            lost = 100 * (np.array(a) - np.array(b))
            print(
                f"| {name} | unavoidable floor (oracle) | {np.mean(a):.4f} | {np.mean(b):.4f} | "
                f"{lost.mean():.1f} [{lost.min():.1f}, {lost.max():.1f}] |",
                flush=True,
            )
    print()
    known = [name for name in streams if name in CONCEPTS]
    if not known:
        return
    print(f"Where DREAM advance's points go under delay={lag} (against DREAM, no delay), on")
    print("the streams whose concepts are known. 'blind': the rows c..c+49 after each change")
    print(
        f"c, predicted before any label of the new concept comes; 'after': c+{lag}..c+{lag + 149};"
    )
    print("'floor': the oracle's loss (it knows every concept and predicts each row with the")
    print("concept of the latest row whose label is known). Accuracy in the blind rows,")
    print("DREAM advance / the oracle, both under the delay; over the 150 rows from the first")
    print(f"label of the new concept: delayed (rows c+{lag}..) / no delay (rows c+1.., the")
    print("same labels known). Mean over seeds, [min, max].")
    print()
    print(
        "| stream | lost | blind | after | elsewhere | floor | blind acc.: DREAM / oracle "
        "| 150 rows from the first label: delayed / no delay |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in known:
        stream = STREAMS[name]
        n_rows = len(data[name][0])
        runs = np.array(
            _where_the_points_go(
                {**data[name], "concepts": CONCEPTS[name]}, stream.changes(n_rows), seeds, lag
            )
        )
        m, lo, hi = runs.mean(0), runs.min(0), runs.max(0)
        cells = [f"{m[i]:.1f} [{lo[i]:.1f}, {hi[i]:.1f}]" for i in range(5)]
        print(
            f"| {name} | {' | '.join(cells)} | {m[5]:.3f} / {m[6]:.3f} | {m[7]:.3f} / {m[8]:.3f} |",
            flush=True,
        )
    print()


def pipeline(n: int, n_small: int, streams: list[str], seeds: int, lag: int = 50) -> None:
    """Delayed labels behind river's ``StandardScaler`` in a ``Pipeline`` (a step that
    learns, so a row differs between predict and learn): accuracy with and without
    ``delay=lag``, advance_on_predict's labels matched by values and by order."""
    import sys
    from pathlib import Path

    from river import preprocessing

    sys.path.insert(0, str(Path(__file__).parent))
    from streams import STREAMS, stream_rows

    base = _delay_models()

    def dream(**kw):
        return lambda seed, task: DREAMOnlineClassifier(seed=seed, **kw)

    models = {
        "no-change": (base["no-change"], False),
        "majority": (base["majority"], False),
        "LogReg": (base["LogReg"], False),
        "DREAM": (dream(), False),
        "DREAM advance, alone": (dream(advance_on_predict=True), False),
        "scaled DREAM": (dream(), True),
        "scaled DREAM advance, by values": (dream(advance_on_predict=True), True),
        "scaled DREAM advance, by order": (
            dream(advance_on_predict=True, match_labels_by="order"),
            True,
        ),
    }
    print(f"Behind a scaler: progressive_val_score accuracy, no delay and delay={lag}, mean")
    print("over seeds, [min, max] where they vary. 'scaled': river's StandardScaler before")
    print("the model in a Pipeline. 'advance': advance_on_predict=True, its labels matched")
    print("to the rows predicted by their values (match_labels_by='values', the default) or")
    print("by order ('order'). LogReg: streams.py's (its own StandardScaler).")
    print()
    print(f"| stream | model | no delay | delay={lag} | lost (points) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name in streams:
        stream = STREAMS[name]
        rows_n = stream_rows(stream, n if name == "Elec2" else n_small)
        for model_name, (make, scaled) in models.items():
            a, b = [], []
            for seed in range(seeds if stream.synthetic else 1):
                rows = list(
                    itertools.islice(stream.make(seed if stream.synthetic else 0, rows_n), rows_n)
                )
                for delay, out in ((None, a), (lag, b)):
                    model = make(seed, stream.task)
                    if scaled:
                        model = preprocessing.StandardScaler() | model
                    with warnings.catch_warnings():  # (values behind a scaler: warned)
                        warnings.simplefilter("ignore", UserWarning)
                        out.append(_score(rows, model, delay))
            _print_lost(name, model_name, a, b)
    print()


def _one_hot_rows(n: int, seed: int) -> list:
    """Part 10's rows: a category (one more every 40 rows, up to 20) and a value of
    three; the label whether the category is even, flipped where the value is above
    0.15."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n):
        category = int(rng.integers(0, min(2 + t // 40, 20)))
        v = float(rng.choice([0.1, 0.2, 0.3]))
        rows.append(({"cat": f"k{category}", "v": v}, bool((category % 2 == 0) ^ (v > 0.15))))
    return rows


def one_hot(seeds: int = 3, n: int = 1500, lags: tuple = (10, 50)) -> None:
    """Part 10: delayed labels behind river's ``OneHotEncoder()`` (see the module)."""
    from river import compose, preprocessing

    base = _delay_models()

    def dream(**kw):
        return lambda seed, task: DREAMOnlineClassifier(seed=seed, **kw)

    models = {
        "no-change": base["no-change"],
        "majority": base["majority"],
        "LogReg": base["LogReg"],
        "ARF": base["ARF"],
        "DREAM": dream(),
        "DREAM advance, by values": dream(advance_on_predict=True),
        "DREAM advance, by order": dream(advance_on_predict=True, match_labels_by="order"),
    }
    print("Behind river's OneHotEncoder(): progressive_val_score accuracy, mean [min, max]")
    print(f"over seeds 0-{seeds - 1}, {n:,} rows; each model behind Select('v') + (Select('cat')")
    print("| OneHotEncoder()). 'by order' gives every label its own row's state.")
    print()
    print("| model | no delay | " + " | ".join(f"delay={lag}" for lag in lags) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in lags) + " |")
    for name, make in models.items():
        cells = []
        for lag in (None, *lags):
            scores = []
            for seed in range(seeds):
                encoded = compose.Select("v") + (
                    compose.Select("cat") | preprocessing.OneHotEncoder()
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    scores.append(
                        _score(_one_hot_rows(n, seed), encoded | make(seed, "binary"), lag)
                    )
            spread = f" [{min(scores):.4f}, {max(scores):.4f}]" if seeds > 1 else ""
            cells.append(f"{np.mean(scores):.4f}{spread}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print()


def _spread_cells(maes: np.ndarray, fmt: str) -> str:
    """Table cells of ``maes`` (seeds, columns): each column's mean (min-max) over
    the seeds, formatted by ``fmt``, joined by " | "."""
    return " | ".join(
        f"{m.mean():{fmt}} ({m.min():{fmt}}-{m.max():{fmt}})" for m in np.asarray(maes).T
    )


def _trend_rows(slope: float, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    return [
        ({"a": float(a[t]), "b": float(b[t])}, slope * t + float(a[t]) + float(noise[t]))
        for t in range(n)
    ]


def _target_models() -> dict:
    """The models of the trend and levels parts, by name: each a function of the seed."""
    from river import linear_model, preprocessing

    from dream_sklearn.online import DREAMOnlineRegressor

    no_average = ("last", "cell", "pairs", "hold", "mean")
    return {
        "DREAM": lambda seed: DREAMOnlineRegressor(seed=seed),
        'DREAM without "average"': lambda seed: DREAMOnlineRegressor(
            seed=seed, readouts=no_average
        ),
        "LinReg": lambda seed: preprocessing.StandardScaler() | linear_model.LinearRegression(),
        "last value": lambda seed: _NoChange(),
    }


def _abs_errors(model, rows: list) -> np.ndarray:
    """Each row's absolute error under progressive validation (a None prediction: 0)."""
    err = np.empty(len(rows))
    for t, (x, y) in enumerate(rows):
        p = model.predict_one(x)
        err[t] = abs((0.0 if p is None else p) - y)
        model.learn_one(x, y)
    return err


def trend(n: int, seeds: int = 3) -> None:
    """The regressor's MAE over blocks of a stream whose target has a trend."""
    blocks = [(5_000, 10_000), (45_000, 50_000), (n - 5_000, n)]
    blocks = [(lo, hi) for lo, hi in blocks if hi <= n]
    models = _target_models()
    print(
        f"A target with a trend, y = slope * t + a + noise ({n:,} rows, seeds 0-{seeds - 1}): "
        "MAE over each block of rows, mean (min-max) over the seeds"
    )
    print()
    cols = [f"rows {lo:,}-{hi - 1:,}" for lo, hi in blocks]
    print("| slope | model | " + " | ".join(cols) + " |")
    print("| ---: | --- | " + " | ".join(["---:"] * len(cols)) + " |")
    for slope in (0.1, 1.0, 10.0):
        data = [_trend_rows(slope, n, seed) for seed in range(seeds)]
        for name, make in models.items():
            maes = np.zeros((seeds, len(blocks)))
            for seed, rows in enumerate(data):
                err = _abs_errors(make(seed), rows)
                maes[seed] = [err[lo:hi].mean() for lo, hi in blocks]
            print(f"| {slope:g} | {name} | {_spread_cells(maes, '.3f')} |", flush=True)
    print()


def _level_rows(amplitude: float, period: int, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    level = amplitude * ((np.arange(n) // period) % 2)
    return [
        ({"a": float(a[t]), "b": float(b[t])}, float(level[t]) + float(a[t]) + float(noise[t]))
        for t in range(n)
    ]


def levels(n: int, seeds: int = 3) -> None:
    """The regressor's MAE on a target that switches between two levels."""
    models = _target_models()
    print(
        f"A target switching between 0 and an amplitude every period rows, y = level + a + "
        f"noise ({n:,} rows, seeds 0-{seeds - 1}): MAE over the stream, and over the 50 "
        "rows after each switch, mean (min-max) over the seeds"
    )
    print()
    print("| amplitude | period | model | MAE | MAE, 50 rows after a switch |")
    print("| ---: | ---: | --- | ---: | ---: |")
    for amplitude in (10.0, 100.0, 1000.0):
        for period in (200, 500, 2000):
            data = [_level_rows(amplitude, period, n, seed) for seed in range(seeds)]
            after = np.zeros(n, dtype=bool)
            for start in range(period, n, period):
                after[start : start + 50] = True
            for name, make in models.items():
                maes = np.zeros((seeds, 2))
                for seed, rows in enumerate(data):
                    err = _abs_errors(make(seed), rows)
                    maes[seed] = [err.mean(), err[after].mean()]
                cells = _spread_cells(maes, ".3f")
                print(f"| {amplitude:g} | {period} | {name} | {cells} |", flush=True)
    print()


def _excursion_rows(amplitude: float, length: int, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    level = np.zeros(n)
    level[_EXCURSION_AT : _EXCURSION_AT + length] = amplitude
    return [
        ({"a": float(a[t]), "b": float(b[t])}, float(level[t]) + float(a[t]) + float(noise[t]))
        for t in range(n)
    ]


_EXCURSION_AT = 1_000


def excursion(seeds: int = 3, n: int = 2_000) -> None:
    """The regressor's MAE during and after a level shift that ends."""
    models = _target_models()
    print(
        f"A level shift that ends: y = a + noise, plus the amplitude on rows "
        f"{_EXCURSION_AT:,} to {_EXCURSION_AT:,} + length - 1 ({n:,} rows, seeds "
        f"0-{seeds - 1}): MAE over the shift's rows from its third on, and over the 500 "
        "rows from its end but the first, mean (min-max) over the seeds"
    )
    print()
    print("| amplitude | length | model | MAE during the shift | MAE after it |")
    print("| ---: | ---: | --- | ---: | ---: |")
    for amplitude in (1e3, 1e6):
        for length in (5, 20, 60, 200):
            data = [_excursion_rows(amplitude, length, n, seed) for seed in range(seeds)]
            end = _EXCURSION_AT + length
            for name, make in models.items():
                maes = np.zeros((seeds, 2))
                for seed, rows in enumerate(data):
                    err = _abs_errors(make(seed), rows)
                    maes[seed] = [
                        err[_EXCURSION_AT + 2 : end].mean(),
                        err[end + 1 : end + 500].mean(),
                    ]
                cells = _spread_cells(maes, ".4g")
                print(f"| {amplitude:g} | {length} | {name} | {cells} |", flush=True)
    print()
    excursion_held(seeds)


_HELD_LENGTH = 25  # the held-value excursion's rows
_ROUND_56 = "DREAM, round 56's mixture"
_HELD_AFTER = 475  # the rows scored after it (from the return's next)


def _held_rows(kind: str, amplitude: float, n: int, seed: int, at: int = _EXCURSION_AT) -> list:
    """``n`` rows of a target that ``kind`` "held" holds a value (N(0, 1), redrawn every
    10 rows; a feature ``v`` reads it with noise 0.1) or ``kind`` "walk" walks (unit
    steps; the feature ``v`` pure noise), ``amplitude`` higher on rows ``at`` to
    ``at + _HELD_LENGTH - 1`` (tests/test_online_robust.py reads it too)."""
    rng = np.random.default_rng(seed)
    a, steps = rng.normal(size=(2, n))
    if kind == "held":
        y = rng.normal(size=n // 10 + 1)[np.arange(n) // 10]
        v = y + 0.1 * a
    else:
        y, v = np.cumsum(steps), a
    y = y.copy()
    y[at : at + _HELD_LENGTH] += amplitude
    return [({"v": float(v[t])}, float(y[t])) for t in range(n)]


def excursion_held(seeds: int, n: int = 1_600) -> None:
    """The regressor's MAE after a medium shift that ends, of a target that holds a
    value or walks, beside the same with the mixture as in round 56 (its spread off,
    Fixed Share's cap at 50)."""
    from dream_sklearn.online import _regressor

    models = _target_models()
    del models['DREAM without "average"']
    print(
        f"A shift that ends, of a target that holds a value (N(0, 1), redrawn every 10 "
        f"rows, a feature reads it with noise 0.1) or walks (unit steps): the amplitude "
        f"added on rows {_EXCURSION_AT:,} to {_EXCURSION_AT + _HELD_LENGTH - 1:,} ({n:,} "
        f"rows, seeds 0-{seeds - 1}): MAE over the {_HELD_AFTER} rows from its end but the "
        f"first, mean (min-max) over the seeds. '{_ROUND_56}': DREAM with the mixture's "
        "spread off (its errors judged in the running standard deviation alone, as before "
        "round 57) and Fixed Share's cap at 50 (as before round 59), on the NumPy path"
    )
    print()
    print("| target | amplitude | model | MAE after it |")
    print("| --- | ---: | --- | ---: |")
    end = _EXCURSION_AT + _HELD_LENGTH
    for kind, amplitudes in (("held", (300.0, 1e3, 3e3)), ("walk", (3e3,))):
        for amplitude in amplitudes:
            data = [_held_rows(kind, amplitude, n, seed) for seed in range(seeds)]
            for name in [*models, _ROUND_56]:
                maes = np.zeros((seeds, 1))
                for seed, rows in enumerate(data):
                    if name == _ROUND_56:
                        previous = set_compiled(False)
                        saved = _regressor._spread_ratio, _regressor._LOSS_CAP
                        _regressor._spread_ratio = lambda s, times: 1.0
                        _regressor._LOSS_CAP = 50.0
                        try:
                            err = _abs_errors(DREAMOnlineRegressor(seed=seed), rows)
                        finally:
                            _regressor._spread_ratio, _regressor._LOSS_CAP = saved
                            set_compiled(previous)
                    else:
                        err = _abs_errors(models[name](seed), rows)
                    maes[seed] = err[end + 1 : end + 1 + _HELD_AFTER].mean()
                cells = _spread_cells(maes, ".4g")
                print(f"| {kind} | {amplitude:g} | {name} | {cells} |", flush=True)
    print()


def _regime_rows(amplitude: float, block: int, n: int, seed: int, held: bool = False) -> list:
    """``y = a + noise + amplitude * r`` with the feature ``r`` switching between 0 and
    1 every ``block`` rows; ``held``: ``amplitude`` exactly where ``r`` is 1 (a level
    held to the bit, as a saturated reading or a fill value would be)."""
    rng = np.random.default_rng(seed)
    a, noise = rng.normal(size=(2, n))
    r = ((np.arange(n) // block) % 2).astype(float)
    y = np.where(r == 1.0, amplitude, a + noise) if held else a + noise + amplitude * r
    return [({"a": float(a[t]), "r": float(r[t])}, float(y[t])) for t in range(n)]


def regimes(seeds: int = 3, n: int = 3_000) -> None:
    """The regressor's MAE where a feature announces the target's level."""
    from dream_sklearn.online import DREAMOnlineRegressor

    models = {
        **_target_models(),
        "DREAM n_neighbors=5": lambda seed: DREAMOnlineRegressor(seed=seed, n_neighbors=5),
    }
    print(
        f"A level announced by a feature: y = a + noise + amplitude * r, the feature r "
        f"switching between 0 and 1 every block rows ({n:,} rows, seeds 0-{seeds - 1}): "
        "MAE over the last 1,000 rows, mean (min-max) over the seeds"
    )
    print()
    for held in (False, True):
        if held:
            print(
                "The same with the level held exactly: y = amplitude where r is 1, a + noise "
                "elsewhere (a saturated reading a feature announces; each of its runs looks "
                "like a target stuck at one value)"
            )
            print()
        print("| amplitude | block | model | MAE, last 1,000 rows |")
        print("| ---: | ---: | --- | ---: |")
        for amplitude in (100.0, 1000.0):
            for block in (40, 100, 250):
                data = [_regime_rows(amplitude, block, n, seed, held) for seed in range(seeds)]
                for name, make in models.items():
                    maes = np.array(
                        [
                            _abs_errors(make(seed), rows)[-1_000:].mean()
                            for seed, rows in enumerate(data)
                        ]
                    )
                    cell = _spread_cells(maes[:, None], ".4g")
                    print(f"| {amplitude:g} | {block} | {name} | {cell} |", flush=True)
        print()
    models["DREAM n_neighbors=0"] = lambda seed: DREAMOnlineRegressor(seed=seed, n_neighbors=0)
    print(
        "A shift no feature announces, after a far level: y = level + a, a and b uniform "
        "features, the level 0, 1e5 on rows 800-1,199, 0 again, 100 from row 1,600 on "
        "(2,000 rows, seeds 0-2; review 400): MAE over the rows from 1,600 on, mean "
        "(min-max) over the seeds"
    )
    print()
    print("| model | MAE after the shift |")
    print("| --- | ---: |")
    data = [_after_far_rows(2_000, seed) for seed in range(3)]
    for name, make in models.items():
        maes = np.array(
            [_abs_errors(make(seed), rows)[1_600:].mean() for seed, rows in enumerate(data)]
        )
        print(f"| {name} | {_spread_cells(maes[:, None], '.4g')} |", flush=True)
    print()


def _after_far_rows(n: int, seed: int) -> list:
    """``y = level + a`` (``a``, ``b`` uniform features): the level 0, 1e5 on rows
    800-1,199 (the statistics take it in, and their standard deviation stays inflated
    for hundreds of rows after), 0 again, and 100 from row 1,600 on."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n):
        a, b = rng.random(2).tolist()
        level = 1e5 if 800 <= t < 1_200 else (100.0 if t >= 1_600 else 0.0)
        rows.append(({"a": a, "b": b}, level + a))
    return rows


_OFFSET_AT = 2_000


def _offset_base(name: str, n: int, seed: int) -> list:
    """The offset part's stream ``name`` as generated: (x, y) rows."""
    if name == "SEA":
        return list(synth.SEA(seed=seed, variant=0).take(n))
    return list(synth.Hyperplane(seed=seed, n_features=10, mag_change=0.0).take(n))


def _offset_rows(rows: list, feature, d: float) -> list:
    """``rows`` with ``feature`` read ``d`` of its standard deviations (over the rows
    before _OFFSET_AT) higher from _OFFSET_AT on; the labels as they were."""
    shift = d * float(np.std([x[feature] for x, _ in rows[:_OFFSET_AT]]))
    return [
        ({**x, feature: x[feature] + shift} if t >= _OFFSET_AT else x, y)
        for t, (x, y) in enumerate(rows)
    ]


def _switching_rows(rows: list, d: float, block: int, seed: int) -> list:
    """``rows`` with a feature ``r = d * level + noise`` whose level switches between
    0 and 1 every ``block`` rows; a binary label is flipped while the level is 1."""
    rng = np.random.default_rng(seed + 1_000)
    out = []
    for t, (x, y) in enumerate(rows):
        level = (t // block) % 2
        r = d * level + float(rng.normal())
        out.append(({**x, len(x): r}, (not y) if level else y))  # (a key as x's: ARF sorts them)
    return out


def offset(seeds: int = 3, n: int = 4_000) -> None:
    """Accuracy after a feature is offset for good, and where a far level means."""
    models = {k: v for k, v in _delay_models().items() if not k.startswith("DREAM ")}
    windows = [(100, 500), (500, 2_000)]
    print(
        f"A feature offset for good: feature 0 read D of its standard deviations higher "
        f"from row {_OFFSET_AT:,} on, the labels those of its true values ({n:,} rows, "
        f"seeds 0-{seeds - 1}): accuracy over rows 100-499 and 500-1,999 after the offset, "
        "mean (min-max) over the seeds"
    )
    print()
    print("| stream | D | model | rows 100-499 after | rows 500-1,999 after |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name in ("SEA", "Hyperplane"):
        base_rows = [_offset_base(name, n, seed) for seed in range(seeds)]
        feature = sorted(base_rows[0][0][0])[0]  # (0 on both)
        for d in (0.0, 5.0, 50.0, 1_000.0):
            data = [_offset_rows(rows, feature, d) for rows in base_rows]
            for label, make in models.items():
                acc = np.zeros((seeds, len(windows)))
                for seed, rows in enumerate(data):
                    hits = _hits(rows, make(seed, "classification"), None)
                    acc[seed] = [
                        np.nanmean(hits[_OFFSET_AT + lo : _OFFSET_AT + hi]) for lo, hi in windows
                    ]
                cells = _spread_cells(acc, ".3f")
                print(f"| {name} | {d:g} | {label} | {cells} |", flush=True)
    print()
    print(
        f"A far level that means something: a feature r = D * level + noise, the level "
        f"switching between 0 and 1 every block rows, SEA's label flipped while it is 1 "
        f"({n:,} rows, seeds 0-{seeds - 1}): accuracy over rows {_OFFSET_AT:,} on, mean "
        "(min-max) over the seeds"
    )
    print()
    print("| D | block | model | accuracy, rows 2,000 on |")
    print("| ---: | ---: | --- | ---: |")
    base_rows = [_offset_base("SEA", n, seed) for seed in range(seeds)]
    for d in (50.0, 1_000.0):
        for block in (250, 1_000):
            data = [_switching_rows(rows, d, block, s) for s, rows in enumerate(base_rows)]
            for label, make in models.items():
                acc = np.array(
                    [
                        np.nanmean(_hits(rows, make(seed, "classification"), None)[_OFFSET_AT:])
                        for seed, rows in enumerate(data)
                    ]
                )
                cell = _spread_cells(acc[:, None], ".3f")
                print(f"| {d:g} | {block} | {label} | {cell} |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        choices=[
            "outliers",
            "glitch",
            "glitch-all",
            "first8",
            "pairs",
            "delay",
            "pipeline",
            "regression",
            "trend",
            "levels",
            "one-hot",
            "excursion",
            "regimes",
            "offset",
            "lost-labels",
            "advance-cost",
            "delay-regression",
            "all",
        ],
        default="all",
    )
    parser.add_argument("--at", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--rows", type=int, default=8000, help="Elec2's rows (delay)")
    parser.add_argument("--small-rows", type=int, default=2000, help="other streams' rows")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trend-rows", type=int, default=100_000, help="rows (trend)")
    parser.add_argument("--level-rows", type=int, default=20_000, help="rows (levels)")
    parser.add_argument(
        "--outlier-seeds", type=int, default=1, help="the cell's seeds 0..n-1 (outliers)"
    )
    parser.add_argument(
        "--streams",
        nargs="+",
        default=["Elec2", "SEA", "Agrawal", "Hyperplane", "RandomRBFDrift", "STAGGER", "Phishing"],
    )
    parser.add_argument(
        "--loss-cap",
        type=float,
        default=None,
        help="the regressor's Fixed Share cap (_regressor._LOSS_CAP) for this run, on the "
        "NumPy path (the compiled row's is fixed when it compiles): the cap's table",
    )
    args = parser.parse_args()
    if args.loss_cap is not None:
        from dream_sklearn.online import _regressor

        set_compiled(False)
        _regressor._LOSS_CAP = args.loss_cap
        print(f"(the regressor's Fixed Share cap {args.loss_cap:g}, the NumPy path)\n")
    if args.part in ("outliers", "all"):
        outliers(args.at, args.outlier_seeds)
    if args.part in ("glitch", "all"):
        glitch([1, 4, 6, 10])
    if args.part in ("glitch-all", "all"):
        glitch_all([1, 2, 3, 5])
    if args.part in ("first8", "all"):
        first8([3, 6, 7])
    if args.part in ("pairs", "all"):
        first8_pairs()
        first8_designs(("tuning", "report", "held-out"))
        first8_heavy_tails()
    if args.part in ("regression", "all"):
        regression_outliers(args.at)
    if args.part in ("delay", "all"):
        delay(args.rows, args.small_rows, args.streams, args.seeds)
    if args.part in ("advance-cost", "all"):
        advance_cost(args.small_rows, args.streams, args.seeds)
    if args.part in ("delay-regression", "all"):
        delay_regression(args.small_rows, args.seeds)
    if args.part in ("pipeline", "all"):
        pipeline(args.rows, args.small_rows, args.streams, args.seeds)
    if args.part in ("trend", "all"):
        trend(args.trend_rows, args.seeds)
    if args.part in ("levels", "all"):
        levels(args.level_rows, args.seeds)
    if args.part in ("one-hot", "all"):
        one_hot(args.seeds)
    if args.part in ("excursion", "all"):
        excursion(args.seeds)
    if args.part in ("regimes", "all"):
        regimes(args.seeds)
    if args.part in ("offset", "all"):
        offset(args.seeds)
    if args.part in ("lost-labels", "all"):
        lost_labels(4_000, args.seeds)


if __name__ == "__main__":
    main()
