"""Sequence learning on real and synthetic time series: DREAM against the classic baselines.

Official train/test splits; test accuracy (classification) or RMSE (regression) and
wall-clock fit time, every baseline measured in the same run:

- ``dream``: ``DREAMClassifier(random_state=seed)`` / ``DREAMRegressor(random_state=seed)``
  with their defaults (``solver="ridge"``; ``--dream-params '{"hidden_dim": 32}'`` tries
  a variant; the variant is printed in the row label);
- ``adam``: the same with ``solver="adam"`` (the cell trained end to end by gradient);
- ``gru``: a plain ``torch.nn.GRU`` (float32) with DREAM's budget, read from the DREAM
  estimator's ``get_params()``: the same hidden size, at most ``max_iter`` epochs with
  the same stopping rule (training loss not better by ``tol`` for ``n_iter_no_change``
  epochs), Adam at ``learning_rate_init``, the same L2 penalty ``alpha``, the same batch
  size (``"auto"``: ``min(200, n)``), standardised inputs; a linear head on the last
  valid step's state;
- ``dtw``: aeon's ``KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1)``,
  which warps without a window (each series may warp over its whole length);
- ``dtw_cv``: the same with its warping window learned on the training split, as the
  UCR archive reports 1-NN DTW: leave-one-out accuracy on the training cases for a
  window of 0%, 1%, ..., 100% of the series' length, the best taken (ties: the
  narrowest); the time table names the window chosen. The search stops at the first
  window whose distances all equal full warping's (no wider window can change them);
- ``minirocket``: aeon's ``MiniRocketClassifier`` (10,000 kernels, ridge readout);
- ``logistic`` / ``ridge``: ``LogisticRegression`` / ``RidgeClassifierCV`` on the
  standardised flattened series (regression: ``RidgeCV`` on the flattened windows);
- naive: ``majority`` (classification), ``mean`` and ``last`` (regression).

Sets (``--sets``), from the data bundled in the ``aeon`` wheel (nothing is downloaded):

- classification: ``OSULeaf``, ``ACSF1``, ``PickupGestureWiimoteZ`` (unequal lengths,
  29 to 361 steps). With ``--unequal raw`` (the default) DREAM, the GRU and 1-NN DTW get
  the raw unequal sequences, and the models that need equal lengths (MiniRocket,
  logistic, ridge) get the archive's own equal-length version (aeon's ``_eq`` files: each
  series padded to 361 steps with low-amplitude noise around its last value). With
  ``--unequal eq`` every model gets the ``_eq`` version;
- regression: ``Airline`` (144 monthly values; the next value from the previous 24) and
  ``ShampooSales`` (36 values, so a shorter window: the next value from the previous
  12), split in time: windows whose target lies in the first 2/3 of the series train,
  the others test, no shuffling;
- synthetic, generated here from a fixed data seed (the model seeds vary with
  ``--seeds``), with known answers (a perfect score is reachable):
  ``LongMemory`` (150 steps, 2 features; the label is the sign of a cue pulse in the
  first 50 steps, so decided 100+ steps before the end; afterwards distractor pulses of
  random sign and noise), ``Frequency`` (3 classes: sines of 2, 3 or 4 cycles over 100
  steps, random phase and amplitude, noise), ``Irregular`` (2 classes: a sine of 0.5 or
  0.8 cycles per time unit observed at 60 irregular instants; the label is only readable
  with the elapsed time). ``Irregular`` passes the gaps as ``timespans`` to ``fit`` and
  ``predict`` if the estimators accept them; otherwise (as today) the gap before each
  observation is an extra input feature, for every model alike. The table says which.

Prints three markdown tables (classification accuracy, fit time with the ratio
DREAM / MiniRocket, regression RMSE) with the exact command in the header, and the total
run time. Several ``--seeds`` give the mean and (min-max) over seeds; the deterministic
models (1-NN DTW, logistic, ridge, naive) run once.

``--max-fit-seconds S`` (default 240) runs DREAM and the GRU each in a worker process
and stops it after S seconds of fit + predict; the table then says "not finished in S s"
instead of a score: nothing is truncated silently. ``--max-fit-seconds 0`` runs them in
this process without a cap.

    python benchmarks/sequences.py                                  # everything
    python benchmarks/sequences.py --sets OSULeaf Airline --models dream minirocket
    python benchmarks/sequences.py --quick --dream-params '{"max_iter": 5}'
    python benchmarks/sequences.py --quick --models majority ridge  # smoke check, < 1 min

``--quick`` keeps at most 60 training and 60 test cases per set (the same cases for
every model) and smaller synthetic sets; its figures are for checking the script, not
for reporting. The smoke check ``--quick --models majority ridge`` runs in about 10 s
(imports included) on 2 shared cores.

Run time on 2 shared cores: the baselines without DREAM and the GRU take about 6 min
(1-NN DTW on OSULeaf and ACSF1 is most of it). DREAM and the GRU add up to
``--max-fit-seconds`` each per set (at 5 epochs they took 4 min for all eight sets
together); at DREAM's defaults of this writing (200 epochs, float32) the archive sets
took 28-159 s each and the whole default run 673 s, so keep a run under 10 minutes
with ``--sets`` / ``--models``, or lower the cap.
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing as mp
import os
import queue as queue_module
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CLASSIFICATION = ["OSULeaf", "ACSF1", "PickupGestureWiimoteZ"]
SYNTHETIC = ["LongMemory", "Frequency", "Irregular"]
REGRESSION = ["Airline", "ShampooSales"]
# Report sets: the other sets bundled with aeon, never used to choose anything.
REPORT_CLASSIFICATION = [
    "ArrowHead",
    "BasicMotions",
    "GunPoint",
    "ItalyPowerDemand",
    "JapaneseVowels",
]
REPORT_REGRESSION = ["Covid3Month", "CardanoSentiment"]
DEVELOPMENT_SETS = CLASSIFICATION + SYNTHETIC + REGRESSION
REPORT_SETS = REPORT_CLASSIFICATION + REPORT_REGRESSION
ALL_SETS = DEVELOPMENT_SETS + REPORT_SETS
CLF_MODELS = [
    "dream",
    "adam",
    "features",
    "gru",
    "dtw",
    "dtw_cv",
    "minirocket",
    "logistic",
    "ridge",
    "majority",
]
REG_MODELS = ["dream", "adam", "features", "gru", "ridge", "mean", "last"]
ALL_MODELS = list(dict.fromkeys(CLF_MODELS + REG_MODELS))
DETERMINISTIC = {"dtw", "dtw_cv", "logistic", "ridge", "majority", "mean", "last"}
# dtw_cv's candidate windows, fractions of the series' length (1.0: full warping), as
# the UCR archive searches them
DTW_WINDOWS = [k / 100 for k in range(101)]
CAPPED = {"dream", "adam", "gru"}
DATA_SEED = 0
QUICK_CASES = 60


# -- data ------------------------------------------------------------------------------


@dataclass
class Task:
    """One set: sequences as ``(time, features)`` arrays, plus an equal-length version."""

    name: str
    kind: str  # "clf" or "reg"
    train: list[np.ndarray]  # raw sequences, (time, features)
    test: list[np.ndarray]
    y_train: np.ndarray
    y_test: np.ndarray
    train_eq: np.ndarray | None = None  # (n, time, features) for models needing equal lengths
    test_eq: np.ndarray | None = None
    timespans: tuple[list[np.ndarray], list[np.ndarray]] | None = None  # per-step gaps
    notes: list[str] = field(default_factory=list)
    last_value: bool = True  # the "last value" baseline applies (forecasting windows)

    @property
    def equal(self) -> bool:
        return len({s.shape[0] for s in self.train + self.test}) == 1


def _aeon_data_dir() -> Path:
    import aeon.datasets

    return Path(aeon.datasets.__file__).parent / "data"


# How aeon's equal-length ("_eq") version of an unequal-length set was made (seen in
# the files: a series' own values kept as a prefix, or not).
_EQ_MADE = {
    "PickupGestureWiimoteZ": "each series padded with low-amplitude noise after its end",
    "JapaneseVowels": "not a padded copy: a series' own values are not its first steps",
}


def _load_ts(name: str, split: str) -> tuple[list[np.ndarray], np.ndarray]:
    from aeon.datasets import load_from_ts_file

    path = _aeon_data_dir() / name.removesuffix("_eq") / f"{name}_{split}.ts"
    X, y = load_from_ts_file(str(path))
    # aeon hands over (n, channels, time) or a list of (channels, time): transpose.
    return [np.asarray(x, dtype=np.float64).T for x in X], np.asarray(y)


def _subsample(n: int, k: int, rng: np.random.RandomState) -> np.ndarray:
    return np.sort(rng.permutation(n)[:k]) if n > k else np.arange(n)


def load_archive(name: str, unequal: str, quick: bool) -> Task:
    train, y_train = _load_ts(name, "TRAIN")
    test, y_test = _load_ts(name, "TEST")
    task = Task(name, "clf", train, test, y_train, y_test)
    lengths = {s.shape[0] for s in train + test}
    if len(lengths) > 1:
        train_eq, ye = _load_ts(f"{name}_eq", "TRAIN")
        test_eq, yte = _load_ts(f"{name}_eq", "TEST")
        if not (np.array_equal(ye, y_train) and np.array_equal(yte, y_test)):
            raise RuntimeError(f"{name}: the _eq files do not hold the same cases.")
        task.train_eq, task.test_eq = np.stack(train_eq), np.stack(test_eq)
        if unequal == "eq":
            task.train, task.test = list(task.train_eq), list(task.test_eq)
            task.notes.append(f"{name}: every model gets the archive's equal-length version.")
        else:
            task.notes.append(
                f"{name}: DREAM, GRU and 1-NN DTW get the raw unequal sequences "
                f"({min(lengths)}-{max(lengths)} steps); MiniRocket, logistic and ridge "
                f"the archive's equal-length version ({task.train_eq.shape[1]} steps, "
                f"{_EQ_MADE.get(name, 'as aeon ships it')})."
            )
    else:
        task.train_eq, task.test_eq = np.stack(train), np.stack(test)
    if quick:
        rng = np.random.RandomState(DATA_SEED)
        tr = _subsample(len(train), QUICK_CASES, rng)
        te = _subsample(len(test), QUICK_CASES, rng)
        task.train = [task.train[i] for i in tr]
        task.test = [task.test[i] for i in te]
        task.y_train, task.y_test = y_train[tr], y_test[te]
        task.train_eq, task.test_eq = task.train_eq[tr], task.test_eq[te]
    return task


def load_windows(name: str) -> Task:
    from aeon.datasets import load_airline

    if name == "Airline":
        series, window = np.asarray(load_airline(), dtype=np.float64), 24
    else:
        # aeon 1.6 deprecates the loader (not the file); read the bundled CSV directly.
        import pandas as pd

        path = _aeon_data_dir() / "ShampooSales" / "ShampooSales.csv"
        series, window = pd.read_csv(path).iloc[:, -1].to_numpy(np.float64), 12
    split = int(round(len(series) * 2 / 3))
    targets = np.arange(window, len(series))
    X = np.stack([series[t - window : t] for t in targets])[:, :, None]
    y = series[targets]
    tr, te = targets < split, targets >= split
    task = Task(name, "reg", list(X[tr]), list(X[te]), y[tr], y[te], X[tr], X[te])
    task.notes.append(
        f"{name}: {len(series)} values; the next value from the previous {window}; "
        f"{tr.sum()} training windows (targets in the first {split} values), "
        f"{te.sum()} test windows, in time order."
    )
    return task


def _synthetic(name: str, quick: bool, timespans_ok: bool) -> Task:
    rng = np.random.RandomState(DATA_SEED)
    n_train, n_test = (100, 100) if quick else (300, 300)
    n = n_train + n_test
    spans = None
    if name == "LongMemory":
        steps = 150
        X = rng.normal(0.0, 0.3, size=(n, steps, 2))
        y = rng.randint(0, 2, size=n)
        cue = rng.randint(0, 50, size=n)  # at least 100 steps before the end
        X[np.arange(n), cue, 0] = np.where(y == 1, 2.0, -2.0)
        X[np.arange(n), cue, 1] = 2.0  # "a cue now" flag
        for i in range(n):  # distractors: pulses of random sign after step 50, no flag
            where = rng.choice(np.arange(50, steps), size=5, replace=False)
            X[i, where, 0] = rng.choice([-2.0, 2.0], size=5)
        X[:, 50:, 1] += rng.normal(0.0, 1.0, size=(n, steps - 50))
        note = (
            "LongMemory: 150 steps, 2 features; label = sign of the flagged cue in steps "
            "0-49; 5 unflagged pulses of random sign and noise after step 50."
        )
    elif name == "Frequency":
        steps = 100
        y = rng.randint(0, 3, size=n)
        cycles = np.array([2.0, 3.0, 4.0])[y]
        t = np.arange(steps)
        phase = rng.uniform(0, 2 * np.pi, size=n)
        amp = rng.uniform(0.5, 1.5, size=n)
        X = amp[:, None] * np.sin(2 * np.pi * cycles[:, None] * t / steps + phase[:, None])
        X = (X + rng.normal(0.0, 0.5, size=X.shape))[:, :, None]
        note = "Frequency: 100 steps; 2, 3 or 4 cycles, random phase and amplitude, noise 0.5."
    elif name == "Irregular":
        steps = 60
        y = rng.randint(0, 2, size=n)
        freq = np.array([0.5, 0.8])[y]
        gaps = rng.exponential(0.25, size=(n, steps))
        times = np.cumsum(gaps, axis=1)
        phase = rng.uniform(0, 2 * np.pi, size=n)
        values = np.sin(2 * np.pi * freq[:, None] * times + phase[:, None])
        values = values + rng.normal(0.0, 0.1, size=values.shape)
        X = np.stack([values, gaps], axis=2)
        if timespans_ok:
            spans = gaps
            how = (
                "DREAM gets the values and the gaps as `timespans`; the other models "
                "the gap before each observation as a 2nd input feature"
            )
        else:
            how = (
                "the estimators' fit takes no `timespans`, so the gap before each "
                "observation is a 2nd input feature, for every model"
            )
        note = (
            f"Irregular: 60 observations at exponential gaps (mean 0.25) of a sine of 0.5 "
            f"or 0.8 cycles per time unit, random phase; {how}."
        )
    else:
        raise ValueError(f"unknown synthetic set {name!r}")
    X = np.asarray(X, dtype=np.float64)
    tr, te = slice(0, n_train), slice(n_train, n)
    task = Task(name, "clf", list(X[tr]), list(X[te]), y[tr], y[te], X[tr], X[te])
    if spans is not None:
        task.timespans = (list(spans[tr]), list(spans[te]))
    task.notes.append(note + f" {n_train} training and {n_test} test sequences.")
    return task


def load_archive_regression(name: str, quick: bool) -> Task:
    train, y_train = _load_ts(name, "TRAIN")
    test, y_test = _load_ts(name, "TEST")
    y_train, y_test = y_train.astype(np.float64), y_test.astype(np.float64)
    task = Task(name, "reg", train, test, y_train, y_test, np.stack(train), np.stack(test))
    task.last_value = False  # the target is not the series' next value
    if quick:
        rng = np.random.RandomState(DATA_SEED)
        tr = _subsample(len(train), QUICK_CASES, rng)
        te = _subsample(len(test), QUICK_CASES, rng)
        task.train, task.test = [train[i] for i in tr], [test[i] for i in te]
        task.y_train, task.y_test = y_train[tr], y_test[te]
        task.train_eq, task.test_eq = task.train_eq[tr], task.test_eq[te]
    return task


def load_task(name: str, args: argparse.Namespace, timespans_ok: bool) -> Task:
    if name in CLASSIFICATION + REPORT_CLASSIFICATION:
        return load_archive(name, args.unequal, args.quick)
    if name in REPORT_REGRESSION:
        return load_archive_regression(name, args.quick)
    if name in REGRESSION:
        return load_windows(name)
    return _synthetic(name, args.quick, timespans_ok)


# -- models ----------------------------------------------------------------------------


def _dream(kind: str, seed: int, params: dict):
    from dream_sklearn import DREAMClassifier, DREAMRegressor

    cls = DREAMClassifier if kind == "clf" else DREAMRegressor
    return cls(**{**params, "random_state": seed})


def _accepts_timespans() -> bool:
    from dream_sklearn import DREAMClassifier

    return "timespans" in inspect.signature(DREAMClassifier.fit).parameters


def _as_dream_input(seqs: list[np.ndarray]) -> Any:
    """An (n, time, features) array when lengths agree, else the list of sequences."""
    if len({s.shape[0] for s in seqs}) == 1:
        return np.stack(seqs)
    return seqs


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(len(a), -1)


def _aeon_layout(seqs: list[np.ndarray]) -> Any:
    """aeon's (n, channels, time) array, or its list of (channels, time) arrays."""
    if len({s.shape[0] for s in seqs}) == 1:
        return np.stack(seqs).transpose(0, 2, 1).copy()
    return [np.ascontiguousarray(s.T) for s in seqs]


def _learned_dtw_window(X: Any, y: np.ndarray) -> float:
    """The warping window of :data:`DTW_WINDOWS` whose 1-NN DTW classifies the training
    cases best, each by its nearest other training case (leave one out); ties go to
    the narrowest window.

    A wider window allows more warping paths, so each distance can only fall, and never
    below full warping's (rounding is monotone, so this holds to the bit). Once every
    distance equals full warping's, no wider window changes them, and the search stops.
    """
    from aeon.distances import dtw_pairwise_distance

    y = np.asarray(y)
    full = dtw_pairwise_distance(X, window=None)
    best, best_acc = DTW_WINDOWS[-1], -1.0
    for window in DTW_WINDOWS:
        dist = dtw_pairwise_distance(X, window=window)
        done = bool(np.array_equal(dist, full))
        np.fill_diagonal(dist, np.inf)
        acc = float(np.mean(y[dist.argmin(axis=1)] == y))
        if acc > best_acc:
            best, best_acc = window, acc
        if done:
            break
    return best


def _gru_fit_predict(task: Task, seed: int, budget: dict) -> tuple[np.ndarray, float, int]:
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    train = task.train
    steps = np.concatenate(train)
    mean, std = steps.mean(axis=0), steps.std(axis=0)
    std = np.where(std < 1e-12, 1.0, std)

    def tensors(seqs):
        xs = [torch.as_tensor((s - mean) / std, dtype=torch.float32) for s in seqs]
        lengths = torch.as_tensor([s.shape[0] for s in seqs])
        return pad_sequence(xs, batch_first=True), lengths

    clf = task.kind == "clf"
    if clf:
        classes, y = np.unique(task.y_train, return_inverse=True)
        yt = torch.as_tensor(y)
        n_out = len(classes)
    else:
        y_mean, y_std = task.y_train.mean(), task.y_train.std() or 1.0
        yt = torch.as_tensor((task.y_train - y_mean) / y_std, dtype=torch.float32)[:, None]
        n_out = 1

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(steps.shape[1], budget["hidden_dim"], batch_first=True)
            self.head = nn.Linear(budget["hidden_dim"], n_out)

        def forward(self, x, lengths):
            if bool((lengths == x.shape[1]).all()):
                _, h = self.gru(x)
            else:
                packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
                _, h = self.gru(packed)
            return self.head(h[-1])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=budget["learning_rate_init"])
    loss_fn = nn.CrossEntropyLoss() if clf else nn.MSELoss()
    xt, lt = tensors(train)
    n = len(train)
    batch = min(200, n) if budget["batch_size"] == "auto" else min(budget["batch_size"], n)
    matrices = [p for p in net.parameters() if p.dim() >= 2]
    best, no_change, epochs = np.inf, 0, 0
    for _ in range(budget["max_iter"]):
        order = rng.permutation(n) if budget["shuffle"] else np.arange(n)
        total = 0.0
        for start in range(0, n, batch):
            rows = torch.as_tensor(order[start : start + batch])
            opt.zero_grad()
            loss = loss_fn(net(xt[rows], lt[rows]), yt[rows])
            penalty = 0.5 * budget["alpha"] * sum((w * w).sum() for w in matrices) / len(rows)
            (loss + penalty).backward()
            opt.step()
            # (the stopping rule's loss with its penalty, as DREAM's epoch loss has it)
            total += float(loss + penalty) * len(rows)
        epochs += 1
        loss = total / n
        no_change = no_change + 1 if loss > best - budget["tol"] else 0
        best = min(best, loss)
        if no_change > budget["n_iter_no_change"]:
            break
    net.eval()
    with torch.inference_mode():
        xs, ls = tensors(task.test)
        out = net(xs, ls).numpy()
    pred = classes[out.argmax(axis=1)] if clf else out[:, 0] * y_std + y_mean
    return pred, epochs


def warm_up(task: Task, models: list[str]) -> None:
    """Compile aeon's numba kernels for this set's channel count before anything is timed."""
    rng = np.random.RandomState(DATA_SEED)
    channels = task.train[0].shape[1]
    X = rng.normal(size=(6, channels, 20))
    y = np.array([0, 1] * 3)
    if "dtw" in models or "dtw_cv" in models:
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

        KNeighborsTimeSeriesClassifier(distance="dtw").fit(X, y).predict(X)
        if not task.equal:
            lists = [x[:, : 12 + i] for i, x in enumerate(X)]
            KNeighborsTimeSeriesClassifier(distance="dtw").fit(lists, y).predict(lists)
    if "minirocket" in models:
        from aeon.classification.convolution_based import MiniRocketClassifier

        MiniRocketClassifier(n_kernels=84, random_state=0).fit(X, y).predict(X)


def fit_predict(model: str, task: Task, seed: int, dream_params: dict) -> dict:
    """Fit ``model`` on ``task``'s training part; the test score and the times."""
    from sklearn.linear_model import LogisticRegression, RidgeClassifierCV, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    alphas = np.logspace(-3, 3, 13)
    clf = task.kind == "clf"
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    if model in {"dream", "adam"}:
        params = {**dream_params, "solver": "adam"} if model == "adam" else dream_params
        est = _dream(task.kind, seed, params)
        Xtr, Xte = _as_dream_input(task.train), _as_dream_input(task.test)
        extra_fit, extra_pred = {}, {}
        if task.timespans is not None:  # (n, time), as the layer DREAM reads them
            Xtr, Xte = np.stack(task.train)[:, :, :1], np.stack(task.test)[:, :, :1]
            extra_fit = {"timespans": np.stack(task.timespans[0])}
            extra_pred = {"timespans": np.stack(task.timespans[1])}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at small max_iter
            est.fit(Xtr, task.y_train, **extra_fit)
            fit_s = time.perf_counter() - t0
            pred = est.predict(Xte, **extra_pred)
        if model == "adam":
            info["epochs"] = int(est.n_iter_)
    elif model == "features":
        # The fast mode: an untrained DREAM cell bank, pooled, then a ridge readout.
        from dream_sklearn import DREAMFeatures

        head = RidgeClassifierCV(alphas=alphas) if clf else RidgeCV(alphas=alphas)
        est = make_pipeline(DREAMFeatures(random_state=seed), StandardScaler(), head)
        Xtr, Xte = _as_dream_input(task.train), _as_dream_input(task.test)
        est.fit(Xtr, task.y_train)
        fit_s = time.perf_counter() - t0
        pred = est.predict(Xte)
    elif model == "gru":
        budget = _dream(task.kind, seed, dream_params).get_params()
        pred, info["epochs"] = _gru_fit_predict(task, seed, budget)
        fit_s = np.nan  # fit and predict are one routine; only the total is timed
    elif model in {"dtw", "dtw_cv", "minirocket"}:
        if model in {"dtw", "dtw_cv"}:
            from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

            Xtr, Xte = _aeon_layout(task.train), _aeon_layout(task.test)
            params = {}
            if model == "dtw_cv":
                params["window"] = info["window"] = _learned_dtw_window(Xtr, task.y_train)
            est = KNeighborsTimeSeriesClassifier(
                distance="dtw", distance_params=params or None, n_neighbors=1
            )
        else:
            from aeon.classification.convolution_based import MiniRocketClassifier

            est = MiniRocketClassifier(random_state=seed)
            Xtr = np.ascontiguousarray(task.train_eq.transpose(0, 2, 1))
            Xte = np.ascontiguousarray(task.test_eq.transpose(0, 2, 1))
        est.fit(Xtr, task.y_train)
        fit_s = time.perf_counter() - t0
        pred = est.predict(Xte)
    elif model in {"logistic", "ridge"}:
        if clf:
            head = (
                LogisticRegression(max_iter=2000)
                if model == "logistic"
                else RidgeClassifierCV(alphas=alphas)
            )
        else:
            head = RidgeCV(alphas=alphas)
        est = make_pipeline(StandardScaler(), head)
        est.fit(_flat(task.train_eq), task.y_train)
        fit_s = time.perf_counter() - t0
        pred = est.predict(_flat(task.test_eq))
    elif model == "majority":
        values, counts = np.unique(task.y_train, return_counts=True)
        fit_s = time.perf_counter() - t0
        pred = np.full(len(task.y_test), values[counts.argmax()])
    elif model == "mean":
        fit_s = time.perf_counter() - t0
        pred = np.full(len(task.y_test), task.y_train.mean())
    elif model == "last":
        fit_s = 0.0
        pred = np.array([s[-1, 0] for s in task.test])
    else:
        raise ValueError(f"unknown model {model!r}")
    total_s = time.perf_counter() - t0
    if clf:
        score = float(np.mean(np.asarray(pred) == task.y_test))
    else:
        score = float(np.sqrt(np.mean((np.asarray(pred, dtype=float) - task.y_test) ** 2)))
    return {"score": score, "fit_s": fit_s, "total_s": total_s, **info}


def _worker(queue, threads, model, task, seed, dream_params):
    import torch

    import dream_sklearn  # noqa: F401  (imports before the clock starts)

    torch.set_num_threads(threads)
    queue.put("ready")
    queue.put(fit_predict(model, task, seed, dream_params))


def _receive(queue, proc, seconds: float, model: str):
    """The worker's next message, or None after ``seconds``; raises if it died."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            return queue.get(timeout=min(1.0, max(deadline - time.perf_counter(), 0.01)))
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"the {model} worker died (exit code {proc.exitcode})") from None
    return None


def run_one(model: str, task: Task, seed: int, args: argparse.Namespace, dream_params: dict):
    """``fit_predict``, in a worker stopped after ``--max-fit-seconds`` for DREAM and GRU."""
    if model not in CAPPED or args.max_fit_seconds <= 0:
        return fit_predict(model, task, seed, dream_params)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(queue, args.threads, model, task, seed, dream_params))
    proc.start()
    try:
        _receive(queue, proc, 300.0, model)  # "ready": the worker's imports are not counted
        result = _receive(queue, proc, args.max_fit_seconds, model)
        if result is None:
            return {"score": np.nan, "fit_s": np.nan, "total_s": np.nan, "capped": True}
        return result
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


# -- tables ----------------------------------------------------------------------------


def _agg(values: list[float]) -> tuple[float, float, float]:
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.min()), float(a.max())


def _fmt(values: list[float], digits: int, cap: float) -> str:
    if any(np.isnan(v) for v in values):
        return f"not finished in {cap:g} s" if cap > 0 else "n/a"
    mean, lo, hi = _agg(values)
    if len(values) == 1 or lo == hi:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def _secs(values: list[float]) -> str:
    mean = float(np.mean(values))
    return f"{mean:.2f}" if mean < 10 else f"{mean:.0f}"


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        default=DEVELOPMENT_SETS,
        choices=ALL_SETS + ["development", "report"],
        help="sets, or 'development' / 'report' for each group (default: development)",
    )
    parser.add_argument("--models", nargs="+", default=ALL_MODELS, choices=ALL_MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--quick", action="store_true", help="small subsets; a check only")
    parser.add_argument(
        "--dream-params", default="{}", help="JSON of DREAM parameters, e.g. '{\"max_iter\": 5}'"
    )
    parser.add_argument("--max-fit-seconds", type=float, default=240.0)
    parser.add_argument("--unequal", choices=["raw", "eq"], default="raw")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    groups = {"development": DEVELOPMENT_SETS, "report": REPORT_SETS}
    args.sets = [s for name in args.sets for s in groups.get(name, [name])]
    dream_params = json.loads(args.dream_params)
    if not isinstance(dream_params, dict):
        raise ValueError(f"--dream-params must be a JSON object; got {args.dream_params!r}")

    import aeon
    import sklearn
    import torch

    torch.set_num_threads(args.threads)
    timespans_ok = _accepts_timespans()
    budget = _dream("clf", 0, dream_params).get_params()
    dream_label = "DREAM" + (f" {json.dumps(dream_params)}" if dream_params else "")
    gru_label = f"GRU ({budget['hidden_dim']} units, <={budget['max_iter']} epochs)"
    labels = {
        "dream": dream_label,
        "adam": "DREAM solver='adam'" + (f" {json.dumps(dream_params)}" if dream_params else ""),
        "features": "DREAMFeatures + ridge",
        "gru": gru_label,
        "dtw": "1-NN DTW",
        "dtw_cv": "1-NN DTW, window learned",
        "minirocket": "MiniRocket",
        "logistic": "logistic (flat)",
        "ridge": "ridge (flat)",
        "majority": "majority class",
        "mean": "training mean",
        "last": "last value",
    }

    results: dict[tuple[str, str], list[dict]] = {}
    tasks: dict[str, Task] = {}
    for name in args.sets:
        task = load_task(name, args, timespans_ok)
        tasks[name] = task
        models = [m for m in args.models if m in (CLF_MODELS if task.kind == "clf" else REG_MODELS)]
        models = [m for m in models if m != "last" or task.last_value]
        warm_up(task, models)
        for model in models:
            seeds = args.seeds[:1] if model in DETERMINISTIC else args.seeds
            for seed in seeds:
                r = run_one(model, task, seed, args, dream_params)
                results.setdefault((name, model), []).append(r)
                done = f"{r['score']:.4f} in {r['total_s']:.1f} s"
                if r.get("capped"):
                    done = f"not finished in {args.max_fit_seconds:g} s"
                print(
                    f"# {name:22s} {labels[model]:28s} seed {seed}: {done}",
                    file=sys.stderr,
                    flush=True,
                )
    total = time.perf_counter() - started

    command = "python benchmarks/sequences.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    print(f"`{command}`\n")
    print(
        f"aeon {aeon.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, Python {sys.version.split()[0]}; torch threads {args.threads}, "
        f"{os.cpu_count()} CPUs (shared); seeds {args.seeds}"
        + ("; --quick (subsets: figures for checking only)" if args.quick else "")
        + "\n"
    )
    cap = args.max_fit_seconds
    clf_sets = [s for s in args.sets if tasks[s].kind == "clf"]
    reg_sets = [s for s in args.sets if tasks[s].kind == "reg"]

    def table(sets, models, digits, what):
        models = [m for m in models if any((s, m) in results for s in sets)]
        if not sets or not models:
            return
        print(f"{what}\n")
        print("| set | " + " | ".join(labels[m] for m in models) + " |")
        print("| --- |" + " ---: |" * len(models))
        for s in sets:
            cells = [
                _fmt([r["score"] for r in results[(s, m)]], digits, cap)
                if (s, m) in results
                else ""
                for m in models
            ]
            print(f"| {s} | " + " | ".join(cells) + " |")
        # One mean row per group given (the development sets chose the defaults; a
        # mean over both groups mixed them), and one over every set.
        dev = [s for s in sets if s in DEVELOPMENT_SETS]
        rep = [s for s in sets if s not in DEVELOPMENT_SETS]
        groups = [("mean", sets)]
        if dev and rep:
            groups = [
                (f"mean, {len(dev)} development set{'s' * (len(dev) > 1)}", dev),
                (f"mean, {len(rep)} report set{'s' * (len(rep) > 1)}", rep),
                (f"mean, all {len(sets)} sets", sets),
            ]
        for name, group in groups if len(sets) > 1 and what.startswith("Test accuracy") else []:
            cells = []
            for m in models:
                if any((s, m) not in results for s in group):
                    cells.append("")
                    continue
                vals = [np.mean([r["score"] for r in results[(s, m)]]) for s in group]
                mean = "" if any(np.isnan(v) for v in vals) else f"{np.mean(vals):.{digits}f}"
                cells.append(mean)
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()

    table(clf_sets, CLF_MODELS, 3, "Test accuracy (mean (min-max) over seeds):")
    table(reg_sets, REG_MODELS, 3, "Test RMSE (mean (min-max) over seeds; lower is better):")

    timed = [m for m in ALL_MODELS if any((s, m) in results for s in args.sets)]
    if timed:
        print("Wall-clock seconds, fit + predict (fit alone), mean over seeds:\n")
        mine = [m for m in ("dream", "adam", "features") if m in timed]
        mine = mine if "minirocket" in timed else []
        header = [labels[m] for m in timed] + [f"{labels[m]} / MiniRocket" for m in mine]
        print("| set | " + " | ".join(header) + " |")
        print("| --- |" + " ---: |" * len(header))
        for s in [s for s in args.sets if any((s, m) in results for m in timed)]:
            cells = []
            for m in timed:
                rs = results.get((s, m))
                if not rs:
                    cells.append("")
                elif any(r.get("capped") for r in rs):
                    cells.append(f"> {cap:g}")
                else:
                    fits = [r["fit_s"] for r in rs]
                    fit = "" if np.isnan(fits).any() else f" ({_secs(fits)})"
                    epochs = [r["epochs"] for r in rs if "epochs" in r]
                    ep = "" if not epochs else f", {min(epochs)}-{max(epochs)} ep"
                    if epochs and min(epochs) == max(epochs):
                        ep = f", {epochs[0]} ep"
                    if "window" in rs[0]:  # (dtw_cv's, of DTW_WINDOWS)
                        ep += f", window {rs[0]['window']:.0%}"
                    cells.append(_secs([r["total_s"] for r in rs]) + fit + ep)
            for m in mine:
                d, mr = results.get((s, m)), results.get((s, "minirocket"))
                if d and mr and not any(r.get("capped") for r in d):
                    t_d = np.mean([r["total_s"] for r in d])
                    cells.append(f"{t_d / np.mean([r['total_s'] for r in mr]):.1f}x")
                else:
                    cells.append("")
            print(f"| {s} | " + " | ".join(cells) + " |")
        print()
        print(
            "(ep: epochs run; window: the warping window dtw_cv learned, as a share of "
            "the length (100%: full warping). The GRU's fit and predict are timed "
            "together. aeon's numba "
            "kernels are compiled on a tiny set before timing. "
            f"DREAM and the GRU stop after {cap:g} s"
            + (" of fit + predict; " if cap > 0 else "; ")
            + "a stopped run shows no score.)\n"
        )
    notes = [n for s in args.sets for n in tasks[s].notes]
    if notes:
        print("Sets:\n")
        for n in notes:
            print(f"- {n}")
        print()
    print(f"Total run time: {total:.0f} s")


if __name__ == "__main__":
    main()
