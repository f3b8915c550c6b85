"""A kNN expert beside DREAMOnlineClassifier: would local capacity pay? (a prototype).

Issue 12 asks for "nonlinear capacity for local concepts, as trees and kNN have it".
Before building one into the estimator, this measures what the simplest form of it
would give on the stream benchmark's tuning half: river's ``KNNClassifier`` (5
neighbours over a window of the last ``--window`` rows, raw features) run beside
``DREAMOnlineClassifier(seed=seed)``, and a follow-the-leader choice between the two:
each row takes the prediction of the expert with the larger weight, the weights
exponentially weighted by each expert's 0/1 loss (rate ``--eta``) with a fixed share
``--share`` spread back evenly (Fixed Share). Progressive validation from the second
row, as ``streams.py`` scores. The kNN and the choice run outside the package: this
is an experiment, not a shipped model (a kNN over a window of 1,000 rows would cost
several times the compiled row's 10 µs).

Run::

    python benchmarks/knn_expert.py                  # window 1000, eta 0.5, share 0.002
    python benchmarks/knn_expert.py --window 200
    python benchmarks/knn_expert.py --half report    # for the record: nothing is chosen here
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import streams  # noqa: E402  (the stream benchmark's streams, seeds and rows)

from dream_sklearn.online import DREAMOnlineClassifier  # noqa: E402

HALVES = ("tuning", "report", "held-out")


def _classification(half: str) -> list[str]:
    return [s for s, st in streams.STREAMS.items() if st.half == half and st.task != "regression"]


def run(
    name: str, seed: int, window: int, eta: float, share: float, reset: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy of the majority class (the stream benchmark's), DREAM, the kNN and the
    choice between the last two on one stream and seed (4,), and over the
    ``streams.AFTER`` rows from each known change (4, changes), as ``streams.evaluate``
    scores them (row 0 left out). ``reset``: the kNN forgets its window whenever
    DREAM's drift recovery fires (its ``n_drifts_`` grows), the switch that would
    leave the kNN's stale rows at a change."""
    from river import neighbors

    stream = streams.STREAMS[name]
    n = streams.stream_rows(stream, None)
    dream = DREAMOnlineClassifier(seed=seed)

    def new_knn():
        engine = neighbors.LazySearch(window_size=window)
        return neighbors.KNNClassifier(n_neighbors=5, engine=engine)

    knn = new_knn()
    majority = streams.make_model("majority", seed, stream.task)
    log_w = np.zeros(2)
    hits = np.full((4, n), np.nan)
    for t, (x, y) in enumerate(stream.make(seed, n)):
        if t >= n:
            break
        if t:
            guesses = [dream.predict_one(x), knn.predict_one(x)]
            chosen = guesses[int(log_w[1] > log_w[0])]
            hits[:, t] = [majority.predict_one(x) == y, *(g == y for g in guesses), chosen == y]
            log_w -= eta * np.array([g != y for g in guesses], dtype=float)
            w = np.exp(log_w - log_w.max())
            w = (1.0 - share) * w / w.sum() + share / 2
            log_w = np.log(w)
        drifts = dream.n_drifts_
        dream.learn_one(x, y)
        if reset and dream.n_drifts_ > drifts:
            knn = new_knn()
        knn.learn_one(x, y)
        majority.learn_one(x, y)
    changes = [c for c in stream.changes(n) if c + streams.AFTER <= n]
    after = np.array([np.nanmean(hits[:, c : c + streams.AFTER], axis=1) for c in changes])
    return np.nanmean(hits, axis=1), after.T.reshape(4, len(changes))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=HALVES, default="tuning")
    parser.add_argument("--streams", nargs="+", help="some of the half's streams (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per synthetic stream")
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--eta", type=float, default=0.5)
    parser.add_argument("--share", type=float, default=0.002)
    parser.add_argument(
        "--reset-at-drift",
        action="store_true",
        help="the kNN forgets its window when DREAM's drift recovery fires",
    )
    parser.add_argument(
        "--arf-json",
        help="a streams.py JSON holding ARF on these streams and seeds: count the "
        "(change, seed) pairs where each model is at least ARF's over the rows after it",
    )
    args = parser.parse_args(argv)
    names = _classification(args.half)
    if args.streams:
        wrong = sorted(set(args.streams) - set(names))
        if wrong:
            parser.error(f"not classification streams of the {args.half} half: {wrong}")
        names = args.streams
    print(
        f"kNN (5 neighbours, window {args.window}) beside DREAM, the leader by Fixed Share "
        f"on the 0/1 loss (eta {args.eta}, share {args.share}); accuracy, mean (min-max) "
        f"over seeds; {args.half} half"
        + (
            "; the kNN's window emptied at each of DREAM's drift detections"
            if args.reset_at_drift
            else ""
        )
        + "\n"
    )
    print("| stream | majority | DREAM | kNN | leader of the two | leader - DREAM, per seed |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    means, afters = [], {}
    for name in names:
        stream = streams.STREAMS[name]
        seeds = streams.seeds_of(stream, args.seeds)
        runs = [run(name, s, args.window, args.eta, args.share, args.reset_at_drift) for s in seeds]
        res = np.array([acc for acc, _ in runs])
        if runs[0][1].shape[1]:
            afters[name] = {s: after for s, (_, after) in zip(seeds, runs, strict=True)}
        means.append(res.mean(0))
        cells = [
            f"{res[:, j].mean():.3f} ({res[:, j].min():.3f}-{res[:, j].max():.3f})"
            for j in range(4)
        ]
        gain = ", ".join(f"{g:+.3f}" for g in res[:, 3] - res[:, 1])
        print(f"| {name} | {' | '.join(cells)} | {gain} |", flush=True)
    mean = np.mean(means, axis=0)
    print(f"| mean over {len(means)} streams | " + " | ".join(f"{v:.3f}" for v in mean) + " | |")
    if math.isfinite(mean[3] - mean[1]):
        print(f"\nleader - DREAM on the mean: {100 * (mean[3] - mean[1]):+.2f} points")
    if afters:
        _print_after(afters, args.arf_json)


def _print_after(afters: dict, arf_json: str | None) -> None:
    """Accuracy over the rows after each known change (mean over changes and seeds);
    with ``arf_json``, the (change, seed) pairs where each model is at least ARF's."""
    arf = None
    if arf_json:
        import json

        arf = json.loads(Path(arf_json).read_text())["results"]
    print(f"\nAccuracy over the {streams.AFTER} rows after each known change (mean over changes")
    print("and seeds)" + ("; pairs at least ARF's (ARF from the JSON given)" if arf else "") + "\n")
    head = "| stream | majority | DREAM | kNN | leader of the two |"
    if arf:
        head += " ARF | DREAM >= ARF | leader >= ARF |"
    print(head)
    print("| --- |" + " ---: |" * (7 if arf else 4))
    for name, by_seed in afters.items():
        allv = np.concatenate([a for a in by_seed.values()], axis=1)
        cells = [f"{v:.3f}" for v in allv.mean(axis=1)]
        if arf:
            theirs = [arf[name]["ARF"][str(s)]["after_change"] for s in by_seed]
            flat = np.concatenate([np.asarray(t, dtype=float) for t in theirs])
            cells.append(f"{flat.mean():.3f}")
            for row in (1, 3):
                won = int((allv[row] >= flat).sum())
                cells.append(f"{won}/{len(flat)}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
