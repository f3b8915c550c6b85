"""Does carrying the plastic memory across ``partial_fit`` calls help on a drifting stream?

A stream of chunks of sequences (10 steps, 4 features) whose regime changes twice:

* phase A (chunks 0-14): label = 1 when feature 0 summed over the last 3 steps is > 0;
* phase B (chunks 15-29): the rule flips (label = 1 when that sum is < 0) and the
  inputs shift (feature 1 gets mean +2), a cue the cell's surprise can pick up;
* phase A' (chunks 30-44): back to phase A.

Test-then-train: each chunk is first predicted (accuracy recorded), then learned with
one ``partial_fit``. Three learners with the same seed and settings:

* ``carried``: the plastic memory is carried from call to call (the default);
* ``reset``: ``reset_memory()`` before every call (predict and learn from zero memory);
* ``no plasticity``: ``plasticity=False`` (U never changes), memory carried.

Prints a markdown table of mean accuracy per phase (mean over seeds, and in the
first chunks after each change). Run: ``python benchmarks/plastic_memory.py``.
"""

import argparse
import time

import numpy as np

from dream_sklearn import DREAMClassifier

STEPS, FEATURES, CHUNK, CHUNKS_PER_PHASE = 10, 4, 40, 15
PHASES = ["A", "B", "A'"]


def make_chunk(rng: np.random.RandomState, phase: str) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(CHUNK, STEPS, FEATURES))
    late = X[:, -3:, 0].sum(axis=1)
    if phase == "B":
        X[:, :, 1] += 2.0
        y = late < 0
    else:
        y = late > 0
    return X, y.astype(int)


def run(variant: str, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    clf = DREAMClassifier(
        hidden_dim=16,
        rank=4,
        solver="adam",
        learning_rate_init=0.03,
        batch_size=CHUNK // 2,
        plasticity=variant != "no plasticity",
        random_state=seed,
    )
    accuracies = []
    for phase in PHASES:
        for _ in range(CHUNKS_PER_PHASE):
            X, y = make_chunk(rng, phase)
            if hasattr(clf, "module_"):
                if variant == "reset":
                    clf.reset_memory()
                accuracies.append(clf.score(X, y))
            else:
                accuracies.append(np.nan)  # nothing to predict with yet
            clf.partial_fit(X, y, classes=[0, 1])
    return np.array(accuracies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    variants = ["carried", "reset", "no plasticity"]
    start = time.perf_counter()
    results = {v: np.array([run(v, s) for s in range(args.seeds)]) for v in variants}
    per = CHUNKS_PER_PHASE
    print(
        f"Test-then-train accuracy, {args.seeds} seeds, {CHUNK} sequences per chunk, "
        f"{per} chunks per phase (first 5 chunks of a phase in brackets).\n"
    )
    print("| memory | " + " | ".join(f"phase {p}" for p in PHASES) + " | all |")
    print("|---|" + "---|" * (len(PHASES) + 1))
    for v, acc in results.items():
        cells = []
        for k in range(len(PHASES)):
            block = acc[:, k * per : (k + 1) * per]
            cells.append(f"{np.nanmean(block):.3f} ({np.nanmean(block[:, :5]):.3f})")
        print(f"| {v} | " + " | ".join(cells) + f" | {np.nanmean(acc):.3f} |")
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
