"""The capacity for local concepts: the classifier's ramps' knots (round 60) and kNN
expert (rounds 61 and 62), by the number of features, and the regressor's kNN expert
(round 63) (issue 12).

``DREAMOnlineClassifier(n_knots="auto")``, the default since round 60, gives each
standardised feature 15 ramps (knots) where the first row has one or two features, 9
where it has three, 5 from four on (5 for every stream until then).
``n_neighbors="auto"``, the default since round 61, runs the kNN expert (5
neighbours): in round 61 while the classifier had seen at most three features, on
every row; since round 62 while it has seen at most 32, and a vote out of play (its
weight below 0.05) runs on every 64th row only, put on trial (its window emptied, run
on every row while it refills) where the readouts' drift recovery acts. This prints
what these choices were made on, progressive validation from the second row as
``streams.py`` scores it, mean (min-max) over seeds 0-2:

1. development streams of two features and of one, 5,000 rows, drawn here and in no
   half of ``streams.py``: a 4 x 4 checkerboard, a disc, a boundary along a sine and
   two noisy moons on [0, 1]^2; bands (a sine's sign) and three intervals on [0, 1].
   The classifier without the kNN expert at 5, 9, 15, 21 and 31 knots and at
   ``"auto"`` (round 60's choice), the default (``"auto"`` knots and kNN expert),
   beside the majority class so far, river's ARF and the stream benchmark's
   kNN-ADWIN;
2. the tuning half's classification streams of three features (SEA, STAGGER)
   without the kNN expert at 5, 9 and 15 knots and ``"auto"``, and the default, over
   the whole stream and the 500 rows after each change, with the classifier's rows/s
   (CPU time) and the share of rows the kNN vote ran on (read, scored and kept);
   ``--wide`` adds the tuning streams of four features or more, where
   the knots stay 5: without the kNN expert (round 61's default there), the default
   (the vote out of play on every 64th row: round 62) and the vote on every row
   (``n_neighbors=5``);
3. development streams with one abrupt change at row 2,500 of 5,000, made of the
   first table's concepts (a label flip, or another concept on the same inputs) and,
   since round 62, of four and eight features (a threshold on one feature, then a 3 x
   3 checkerboard on two; a hyperplane, then the classes of 20 centroids: the vote
   out of play before the change), over the whole stream and the 500 rows after the
   change: the default; the default without its trial at the readouts' drift; the
   vote on every row (``n_neighbors=5``); no kNN expert; and what empties the
   expert's window, by the classifier's ``_window_rule`` (these two on every row):
   the default since round 61, a rise of the vote's own 0/1 loss (ADWIN); rounds
   17-60's rule, the readouts' drift recovery acting on a drift (chosen with the
   report half's Sine and Mixed in view while the expert was opt-in:
   ``_neighbors.py``); nothing; with no-change, the majority class and ARF. The
   readouts' rule missed bands -> intervals on two seeds of three (the readouts' loss
   did not rise there); the vote's own detector is ahead of it on the first four.

4. ``--regression`` (alone): the regressor's kNN expert, whose ``n_neighbors="auto"``
   is the default since round 63 (the classifier's rule: 5 neighbours while at most
   128 features were seen, an estimate out of play on every 64th row and out of the
   prediction; its weight starts at Fixed Share's floor). Development streams of
   5,000 rows drawn here: a 3 x 3 grid of random levels and four Gaussian bumps on
   two features, the values of 20 random centroids and a random linear target on
   eight, and a change at row 2,500 from the sum of four features to a checkerboard
   of levels on two of them (noise 0.1 on each); then the tuning half's regression
   streams. MAE without the expert, the default, the expert on every row
   (``n_neighbors=5``), with rows/s and the share of rows the default's estimate ran
   on; on the development streams beside the last value, the running mean, LinReg,
   HATR and ARFR (``streams.py``'s; on the tuning half's streams ``streams.py``
   prints them).

The report, held-out and fresh halves are not run here (``streams.py`` reports them).

    python benchmarks/knots.py
    python benchmarks/knots.py --wide
    python benchmarks/knots.py --regression
"""

from __future__ import annotations

import argparse
import itertools
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import streams  # noqa: E402  (the stream benchmark's streams, seeds and scoring)

from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor  # noqa: E402
from dream_sklearn.online._neighbors import _NeighborVote  # noqa: E402

N_ROWS = 5_000
SEEDS = (0, 1, 2)
KNOTS = (5, 9, 15, 21, 31, "auto")  # (without the kNN expert: round 60's table)


def _two(kind: str, seed: int, n: int | None = None) -> list:
    """A development stream of two features on [0, 1]^2 (``moons``: two noisy arcs);
    ``n`` rows (None: N_ROWS)."""
    n = N_ROWS if n is None else n
    rng = np.random.default_rng(5_000 + seed)
    x = rng.uniform(0.0, 1.0, (n, 2))
    if kind == "checkerboard":
        y = (np.floor(x[:, 0] * 4) + np.floor(x[:, 1] * 4)) % 2 == 1
    elif kind == "disc":
        y = (x[:, 0] - 0.5) ** 2 + (x[:, 1] - 0.5) ** 2 < 0.1
    elif kind == "sine boundary":
        y = x[:, 1] < 0.5 + 0.25 * np.sin(4 * np.pi * x[:, 0])
    elif kind == "line":  # (a linear concept: the readouts' own, where the vote trails)
        y = x[:, 0] + x[:, 1] > 1.0
    else:  # moons
        t, y = rng.uniform(0.0, np.pi, n), rng.integers(0, 2, n) == 1
        arc = np.c_[np.cos(t), np.sin(t)]
        x = np.where(y[:, None], [1.0, 0.5] - arc, arc) + 0.15 * rng.normal(size=(n, 2))
    return [({"a": float(a), "b": float(b)}, bool(c)) for (a, b), c in zip(x, y, strict=True)]


def _wide(kind: str, seed: int, n: int | None = None) -> list:
    """A development stream of four or eight features on [0, 1]^d (round 62), for the
    kNN expert's trial at a drift: ``threshold`` (``x0 > 0.5``) and ``board`` (a 3 x 3
    checkerboard on ``x0, x1``), four features; ``plane`` (a random hyperplane through
    the middle) and ``centroids`` (the class of the nearest of 20 random centroids,
    each of a random class of two: a local concept), eight; ``n`` rows (None:
    N_ROWS)."""
    n = N_ROWS if n is None else n
    d = 4 if kind in ("threshold", "board") else 8
    rng = np.random.default_rng(7_000 + seed)
    x = rng.uniform(0.0, 1.0, (n, d))
    if kind == "threshold":
        y = x[:, 0] > 0.5
    elif kind == "board":
        y = (np.floor(x[:, 0] * 3) + np.floor(x[:, 1] * 3)) % 2 == 1
    elif kind == "plane":
        y = (x - 0.5) @ rng.normal(size=d) > 0
    else:  # centroids
        centres, labels = rng.uniform(0.0, 1.0, (20, d)), rng.integers(0, 2, 20) == 1
        y = labels[((x[:, None, :] - centres) ** 2).sum(axis=2).argmin(axis=1)]
    names = [f"x{j}" for j in range(d)]
    return [
        (dict(zip(names, map(float, r), strict=True)), bool(c)) for r, c in zip(x, y, strict=True)
    ]


def _one(kind: str, seed: int, n: int | None = None) -> list:
    """A development stream of one feature on [0, 1]; ``n`` rows (None: N_ROWS)."""
    n = N_ROWS if n is None else n
    x = np.random.default_rng(6_000 + seed).uniform(0.0, 1.0, n)
    if kind == "bands":
        y = np.sin(6 * np.pi * x) > 0
    else:  # intervals
        y = ((x > 0.3) & (x < 0.45)) | (x > 0.8)
    return [({"a": float(a)}, bool(c)) for a, c in zip(x, y, strict=True)]


def _classifier(seed: int, knots: int | str | None) -> DREAMOnlineClassifier:
    """The classifier at ``knots`` without the kNN expert; None: the default."""
    if knots is None:
        return DREAMOnlineClassifier(seed=seed)
    return DREAMOnlineClassifier(seed=seed, n_knots=knots, n_neighbors=0)


def _accuracy(make, rows: list) -> float:
    scores, _ = streams.progressive(make(), iter(rows), len(rows), regression=False)
    return float(np.nanmean(scores))


def _cell(values: list) -> str:
    return f"{np.mean(values):.4f} ({min(values):.4f}-{max(values):.4f})"


def development() -> None:
    print(
        "Development streams (drawn here, in no half of streams.py): accuracy, mean "
        f"(min-max) over seeds {SEEDS[0]}-{SEEDS[-1]}, {N_ROWS:,} rows"
    )
    print()
    baselines = ("majority", "ARF", "kNN-ADWIN")
    names = [f"knots={k}" for k in KNOTS] + ["default"] + list(baselines)
    print("| stream | features | " + " | ".join(names) + " |")
    print("| --- | ---: |" + " ---: |" * len(names))
    kinds = [(k, _two, 2) for k in ("checkerboard", "disc", "sine boundary", "moons")]
    kinds += [(k, _one, 1) for k in ("bands", "intervals")]
    for kind, make_rows, d in kinds:
        cells = []
        for knots in [*KNOTS, None]:  # (None: the default)
            cells.append(
                _cell(
                    [
                        _accuracy(lambda s=s, k=knots: _classifier(s, k), make_rows(kind, s))
                        for s in SEEDS
                    ]
                )
            )
        for base in baselines:
            cells.append(
                _cell(
                    [
                        _accuracy(
                            lambda s=s, b=base: streams.make_model(b, s, "binary"),
                            make_rows(kind, s),
                        )
                        for s in SEEDS
                    ]
                )
            )
        print(f"| {kind} | {d} | " + " | ".join(cells) + " |", flush=True)
    print()


class _ReadoutsEmpty(DREAMOnlineClassifier):
    """The classifier whose kNN expert empties its window when the readouts' drift
    recovery acts on a drift (rounds 17-60), not on a rise of the vote's own loss."""

    _window_rule = "readouts"


class _VoteOnNoTrial(_NeighborVote):
    """A kNN expert that a drift of the readouts does not put on trial."""

    def on_drift(self) -> None:
        pass


class _NoTrial(DREAMOnlineClassifier):
    """The default classifier whose kNN expert, out of play, is not put on trial at a
    drift of the readouts (round 62): its window is not emptied, and it goes on
    running on every 64th row."""

    def _vote_window(self) -> _NeighborVote:
        if self._neighbors is None:
            super()._vote_window().__class__ = _VoteOnNoTrial
        return self._neighbors


class _KeepsWindow(DREAMOnlineClassifier):
    """The classifier whose kNN expert never empties its window."""

    _window_rule = "kept"


def _changed(kind: str, seed: int) -> list:
    """A development stream of one abrupt change at row N_ROWS // 2 (see the
    module's docstring, table 3)."""
    half = N_ROWS // 2
    if kind.endswith("flipped"):
        rows = _two(kind.split()[0], seed)
        return [(x, (not y) if i >= half else y) for i, (x, y) in enumerate(rows)]
    first, second = kind.split(" -> ")
    make = {"bands": _one, "threshold": _wide, "plane": _wide}.get(first, _two)
    return make(first, seed)[:half] + make(second, seed)[half:]


CHANGES = (
    "checkerboard flipped",
    "moons flipped",
    "disc -> sine boundary",
    "bands -> intervals",
    "threshold -> board",
    "plane -> centroids",
)


def changes() -> None:
    print(
        "Development streams with one abrupt change at row "
        f"{N_ROWS // 2:,}: accuracy, and over the 500 rows after it, mean (min-max) "
        f"over seeds {SEEDS[0]}-{SEEDS[-1]}"
    )
    print()
    models = {
        "default (emptied where the vote's loss rose)": DREAMOnlineClassifier,
        "default, no trial at the readouts' drift": _NoTrial,
        "the vote on every row (n_neighbors=5)": partial(DREAMOnlineClassifier, n_neighbors=5),
        "no kNN expert (n_neighbors=0)": partial(DREAMOnlineClassifier, n_neighbors=0),
        "emptied where the readouts' drift recovery acted (rounds 17-60)": _ReadoutsEmpty,
        "window kept": _KeepsWindow,
        "no-change": None,
        "majority": None,
        "ARF": None,
    }
    print("| stream | model | accuracy | after the change |")
    print("| --- | --- | ---: | ---: |")
    half = N_ROWS // 2
    for kind in CHANGES:
        for name, cls in models.items():
            score, after = [], []
            for s in SEEDS:
                rows = _changed(kind, s)
                model = cls(seed=s) if cls else streams.make_model(name, s, "binary")
                scores, _ = streams.progressive(model, iter(rows), len(rows), regression=False)
                score.append(float(np.nanmean(scores)))
                after.append(float(np.nanmean(scores[half : half + streams.AFTER])))
            print(f"| {kind} | {name} | {_cell(score)} | {_cell(after)} |", flush=True)
    print()


def tuning(wide: bool) -> None:
    names = ["SEA", "STAGGER"]
    knots = (5, 9, 15, "auto")
    if wide:
        names += [
            s
            for s, st in streams.STREAMS.items()
            if st.half == "tuning" and st.task != "regression" and s not in names
        ]
    print(
        "The tuning half's classification streams (streams.py's draws): accuracy, and "
        "over the 500 rows after each change, mean (min-max) over the seeds"
    )
    print()
    print("| stream | classifier | accuracy | after a change | rows/s | rows the vote ran on |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in names:
        stream = streams.STREAMS[name]
        n = streams.stream_rows(stream, None)
        narrow = name in ("SEA", "STAGGER")
        for k in [*knots, None] if narrow else ["auto", None, "kNN"]:
            score, after, seconds, voted = [], [], 0.0, 0
            for seed in streams.seeds_of(stream, len(SEEDS)):
                if k == "kNN":  # (a wide stream with the expert: what "auto" leaves off)
                    model = DREAMOnlineClassifier(seed=seed, n_neighbors=5)
                else:
                    model = _classifier(seed, k)
                scores, took = streams.progressive(model, stream.make(seed, n), n, False)
                score.append(float(np.nanmean(scores)))
                seconds += took
                vote = getattr(model, "_neighbors", None)  # (every row it ran on, kept)
                voted += vote.kept_ever if vote is not None else 0
                windows = streams.change_windows(stream.changes(n), len(scores))
                after += [float(np.nanmean(scores[a:b])) for a, b in windows]
            what = {None: "default", "kNN": "default, n_neighbors=5"}.get(k, f"knots={k}, no kNN")
            rate = n * len(score) / seconds
            after_cell = _cell(after) if after else "-"
            share = f"{voted / (n * len(score)):.1%}" if voted else "-"
            print(
                f"| {name} | {what} | {_cell(score)} | {after_cell} | {rate:,.0f} | {share} |",
                flush=True,
            )
    print()


def _widest(kind: str, seed: int, n: int | None = None) -> list:
    """A development stream of more than 32 features (round 63), ``kind`` as
    ``"<concept>-<width>"``; ``n`` rows (None: N_ROWS). On [0, 1]^width: ``centroids``
    (the class of the nearest of 20 random centroids, each of a random class of two),
    ``board`` (a 3 x 3 checkerboard on the first two features) and ``plane`` (a random
    hyperplane through the middle). One-hot, as river's ``OneHotEncoder`` gives a key of
    ``width`` categories (the category's key alone, at 1), beside numbers on [0, 1]:
    ``xor`` (``a > 0.5`` unless the category is one of a random half; and ``b``, which
    the label does not read) and ``additive`` (a random weight of the category plus
    ``2 (a - 0.5)`` and noise of 0.3, above 0)."""
    n = N_ROWS if n is None else n
    concept, width = kind.split("-")
    d = int(width)
    rng = np.random.default_rng(9_000 + seed)
    if concept in ("xor", "additive"):
        cats, a, b = rng.integers(0, d, n), rng.random(n), rng.random(n)
        if concept == "xor":
            y = (a > 0.5) ^ (rng.random(d) < 0.5)[cats]
        else:
            y = rng.normal(size=d)[cats] + 2.0 * (a - 0.5) + 0.3 * rng.normal(size=n) > 0
        extra = (lambda i: {"b": float(b[i])}) if concept == "xor" else (lambda i: {})
        return [({"a": float(a[i]), **extra(i), f"c{cats[i]}": 1.0}, bool(y[i])) for i in range(n)]
    x = rng.uniform(0.0, 1.0, (n, d))
    if concept == "centroids":
        centres, labels = rng.uniform(0.0, 1.0, (20, d)), rng.integers(0, 2, 20) == 1
        y = labels[((x[:, None, :] - centres) ** 2).sum(axis=2).argmin(axis=1)]
    elif concept == "board":
        y = (np.floor(x[:, 0] * 3) + np.floor(x[:, 1] * 3)) % 2 == 1
    else:  # plane
        y = (x - 0.5) @ rng.normal(size=d) > 0
    names = [f"x{j}" for j in range(d)]
    return [
        (dict(zip(names, map(float, r), strict=True)), bool(c)) for r, c in zip(x, y, strict=True)
    ]


WIDEST = (
    "centroids-48",
    "centroids-96",
    "board-48",
    "plane-48",
    "plane-96",
    "xor-60",
    "xor-120",
    "additive-60",
    "additive-120",
)


class _Bounded(DREAMOnlineClassifier):
    """The default classifier whose kNN expert runs on at most 32 features (round 62's
    bound, ``_params._WIDEST`` until round 63). Only its default is round 62's: an int
    ``n_neighbors``, which round 62 ran on every width, is bounded here too."""

    @property
    def _k_neighbors(self) -> int:
        if self._built and len(self._x_slot) > 32:
            return 0
        return super()._k_neighbors


def widest() -> None:
    """The kNN expert on rows of more than 32 features (round 63: ``_WIDEST``)."""
    print(
        "Development streams of more than 32 features (drawn here, in no half of "
        f"streams.py): accuracy, mean (min-max) over seeds {SEEDS[0]}-{SEEDS[-1]}, "
        f"{N_ROWS:,} rows"
    )
    print()
    models = {
        "kNN on at most 32 features (round 62)": _Bounded,
        "default": DREAMOnlineClassifier,
        "the vote on every row (n_neighbors=5)": partial(DREAMOnlineClassifier, n_neighbors=5),
    }
    baselines = ("majority", "ARF", "kNN-ADWIN")
    print(
        "| stream | features | "
        + " | ".join([*models, *baselines])
        + " | rows/s: first three | rows the default's vote ran on |"
    )
    print("| --- | ---: |" + " ---: |" * (len(models) + len(baselines) + 2))
    for make in models.values():  # (untimed: numba's first compilation in the process)
        rows = _widest(WIDEST[0], 0, 300)
        streams.progressive(make(seed=0), iter(rows), len(rows), False)
    for kind in WIDEST:
        draws = [_widest(kind, s) for s in SEEDS]
        cells, rates, ran = [], [], "-"
        for name, make in models.items():
            score, seconds, voted = [], 0.0, 0
            for s, rows in zip(SEEDS, draws, strict=True):
                model = make(seed=s)
                hits, took = streams.progressive(model, iter(rows), len(rows), False)
                score.append(float(np.nanmean(hits)))
                seconds += took
                vote = getattr(model, "_neighbors", None)
                voted += vote.kept_ever if vote is not None else 0
            cells.append(_cell(score))
            rates.append(f"{N_ROWS * len(SEEDS) / seconds:,.0f}")
            if name == "default":
                ran = f"{voted / (N_ROWS * len(SEEDS)):.1%}"
        for base in baselines:
            cells.append(
                _cell(
                    [
                        _accuracy(lambda s=s, b=base: streams.make_model(b, s, "binary"), rows)
                        for s, rows in zip(SEEDS, draws, strict=True)
                    ]
                )
            )
        features = (
            len(draws[0][0][0])
            if kind.split("-")[0] not in ("xor", "additive")
            else (f"{kind.split('-')[1]} categories + {2 if kind.startswith('xor') else 1}")
        )
        print(
            f"| {kind} | {features} | " + " | ".join(cells) + f" | {' / '.join(rates)} | {ran} |",
            flush=True,
        )
    print()


def _target(kind: str, seed: int, n: int | None = None) -> list:
    """A development regression stream (round 63), on [0, 1]^d, the target plus
    noise of standard deviation 0.1; ``n`` rows (None: N_ROWS). Two features:
    ``plateaus`` (a 3 x 3 grid of random levels) and ``bumps`` (four Gaussian bumps of
    random heights); four: ``sum`` (their sum: linear) and ``levels`` (the levels 0
    and 1 of a 3 x 3 checkerboard on the first two); eight: ``centroids`` (the value
    of the nearest of 20 random centroids) and ``plane`` (a random linear target).
    ``categories-<width>``: a one-hot key of ``width`` categories, as river's
    ``OneHotEncoder`` gives it, beside a number ``a`` on [0, 1]: a random weight of the
    category plus ``2 (a - 0.5)`` (the classifier's ``additive`` stream of
    ``knots.py --widest``, as a target)."""
    n = N_ROWS if n is None else n
    rng = np.random.default_rng(8_000 + seed)
    if kind.startswith("categories-"):
        cats, a = rng.integers(0, int(kind.split("-")[1]), n), rng.random(n)
        weights = rng.normal(size=int(kind.split("-")[1]))
        y = weights[cats] + 2.0 * (a - 0.5) + 0.1 * rng.normal(size=n)
        return [({"a": float(a[i]), f"c{cats[i]}": 1.0}, float(y[i])) for i in range(n)]
    d = {"plateaus": 2, "bumps": 2, "sum": 4, "levels": 4}.get(kind, 8)
    x = rng.uniform(0.0, 1.0, (n, d))
    cell = np.minimum((x[:, :2] * 3).astype(int), 2)
    if kind == "plateaus":
        y = rng.normal(size=(3, 3))[cell[:, 0], cell[:, 1]]
    elif kind == "bumps":
        centres, heights = rng.uniform(0.0, 1.0, (4, 2)), rng.normal(size=4)
        y = (heights * np.exp(-((x[:, None, :] - centres) ** 2).sum(2) / 0.02)).sum(1)
    elif kind == "centroids":
        centres, values = rng.uniform(0.0, 1.0, (20, d)), rng.normal(size=20)
        y = values[((x[:, None, :] - centres) ** 2).sum(2).argmin(1)]
    elif kind == "sum":
        y = x.sum(1)
    elif kind == "levels":
        y = ((cell[:, 0] + cell[:, 1]) % 2).astype(float)
    else:  # plane
        y = (x - 0.5) @ rng.normal(size=d)
    y = y + 0.1 * rng.normal(size=n)
    names = [f"x{j}" for j in range(d)]
    return [
        (dict(zip(names, map(float, r), strict=True)), float(t)) for r, t in zip(x, y, strict=True)
    ]


def _changed_target(kind: str, seed: int) -> list:
    """``first -> second``: ``_target(first)``'s rows, then from row N_ROWS // 2 on
    ``_target(second)``'s."""
    first, second = kind.split(" -> ")
    half = N_ROWS // 2
    return _target(first, seed)[:half] + _target(second, seed)[half:]


_REGRESSORS = {
    "no kNN": partial(DREAMOnlineRegressor, n_neighbors=0),
    "default": DREAMOnlineRegressor,
    "every row": partial(DREAMOnlineRegressor, n_neighbors=5),
}
_REG_BASELINES = ("last-value", "mean", "LinReg", "HATR", "ARFR")


def _mae_run(make, rows: list) -> tuple[np.ndarray, float, int]:
    """Absolute errors (streams.progressive's), seconds, and the rows the kNN
    expert ran on (kept)."""
    model = make()
    errors, took = streams.progressive(model, iter(rows), len(rows), regression=True)
    window = getattr(model, "_neighbors", None)
    return errors, took, (window.kept_ever if window is not None else 0)


def regression() -> None:
    """The regressor's kNN expert (round 63): development streams, one change, and
    the tuning half's regression streams."""
    print(
        "The regressor's kNN expert: MAE, mean (min-max) over seeds "
        f"{SEEDS[0]}-{SEEDS[-1]}; development streams of {N_ROWS:,} rows (drawn here, "
        "in no half of streams.py; after the change: its 500 rows), then the tuning "
        "half's regression streams (streams.py's draws; their baselines: streams.py)"
    )
    print()
    names = [*_REGRESSORS, *_REG_BASELINES]
    print(
        "| stream | features | "
        + " | ".join(names)
        + " | rows/s: no kNN / default / every row | rows the default's estimate ran on |"
    )
    print("| --- | ---: |" + " ---: |" * (len(names) + 2))
    kinds = ("plateaus", "bumps", "centroids", "plane", "categories-60", "categories-120")
    cases = [(k, partial(_target, k), False) for k in kinds]
    cases.append(("sum -> levels", partial(_changed_target, "sum -> levels"), False))
    cases.append(("sum -> levels, after the change", None, False))
    for name, st in streams.STREAMS.items():
        if st.half == "tuning" and st.task == "regression":
            n = streams.stream_rows(st, None)
            draw = partial(lambda s, st=st, n=n: list(itertools.islice(st.make(s, n), n)))
            cases.append((name, draw, True))
    for make in _REGRESSORS.values():  # (untimed: numba's first compilation in the process)
        rows = _target("plateaus", 0, 300)
        streams.progressive(make(seed=0), iter(rows), len(rows), True)
    after: dict = {}
    for case, draw, tuning in cases:
        if draw is None:  # (the change's 500 rows, from the run above)
            cells = [_cell(after[m]) for m in names if m in after]
            print(f"| {case} | 4 | " + " | ".join(cells) + " | | |", flush=True)
            continue
        seeds = streams.seeds_of(streams.STREAMS[case], len(SEEDS)) if tuning else SEEDS
        draws = [draw(s) for s in seeds]
        cells, rates, ran = [], [], "-"
        for m in names:
            if tuning and m in _REG_BASELINES:
                cells.append("")
                continue
            maes, seconds, kept, rows = [], 0.0, 0, 0
            for s, data in zip(seeds, draws, strict=True):
                if m in _REGRESSORS:
                    make = partial(_REGRESSORS[m], seed=s)
                else:
                    make = partial(streams.make_model, m, s, "regression")
                errors, took, k = _mae_run(make, data)
                maes.append(float(np.nanmean(errors)))
                if case == "sum -> levels":
                    half = N_ROWS // 2
                    after.setdefault(m, []).append(
                        float(np.nanmean(errors[half : half + streams.AFTER]))
                    )
                seconds, kept, rows = seconds + took, kept + k, rows + len(data)
            cells.append(_cell(maes))
            if m in _REGRESSORS:
                rates.append(f"{rows / seconds:,.0f}")
                if m == "default":
                    ran = f"{kept / rows:.1%}"
        d = len(draws[0][0][0])
        if case.startswith("categories-"):
            d = f"{case.split('-')[1]} categories + 1"
        print(
            f"| {case} | {d} | " + " | ".join(cells) + f" | {' / '.join(rates)} | {ran} |",
            flush=True,
        )
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", action="store_true", help="the tuning streams of 4+ features too")
    parser.add_argument(
        "--regression", action="store_true", help="the regressor's kNN expert's tables only"
    )
    parser.add_argument(
        "--widest", action="store_true", help="the classifier's streams of 33+ features only"
    )
    args = parser.parse_args(argv)
    if args.regression:
        regression()
        return
    if args.widest:
        widest()
        return
    development()
    tuning(args.wide)
    changes()


if __name__ == "__main__":
    main()
