"""The open drift suite: DREAM against river's baselines, under progressive validation.

Every stream is evaluated in order, every row: predict, then learn. Streams (exactly
as in the design brief): Elec2 (shipped with the package, identical to
shared/data/elec2.csv), SEA and Agrawal with a concept change centred on row 10,000
(river's ConceptDriftStream: a sigmoid 100 rows wide for SEA, 1,000 rows wide for
Agrawal, whose rows 10,000-10,999 still follow the old concept about one time in six),
Hyperplane and RandomRBFDrift, 20,000 rows each.

Prints three markdown tables (accuracy, accuracy over the 1,000 rows from the centre
of each change, rows per second) and an ablation table of DREAM's mechanisms;
writes the figures as JSON and a plot of rolling accuracy per stream. Naive baselines
stand beside the strong ones: no-change, the majority class so far, and on Elec2 its
domain rule (the label is nswprice against the mean of its previous 48 values), both
taken from benchmarks/streams.py. Every seeded model (the Hoeffding tree, both ARFs,
DREAM) runs with seeds 0, 1 and 2 and its cell is the mean (min-max) over them; the
ablations are seed 0's. Rows per second are also given as a ratio to ARF's on the
same stream, timed in the same run.

    python benchmarks/drift.py                      # everything
    python benchmarks/drift.py --reuse              # reuse baselines from the JSON
    python benchmarks/drift.py --streams Elec2 --rows 5000 --models DREAM
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from river import forest, linear_model, preprocessing, tree
from river.datasets import synth
from streams import CLASSIFIERS, DOMAIN_RULES

from dream_sklearn._progressive import NoChange, progressive_correct
from dream_sklearn.datasets import iter_elec2

OUT = Path(__file__).parent / "out"
CHANGE = 10_000  # the centre of SEA's and Agrawal's concept change
AFTER = 1_000  # rows scored after a change


def _change(a, b, width, seed=3):
    return synth.ConceptDriftStream(a, b, seed=seed, position=CHANGE, width=width).take(20000)


def synthetic_streams(shift: int = 0) -> dict[str, tuple[Callable[[], Iterable], list[int]]]:
    """The brief's four synthetic streams; ``shift`` adds to every generator seed.

    ``shift=0`` builds them exactly as the design brief does; other shifts draw other
    streams of the same kind (benchmarks/drift_seeds.py).
    """
    k = shift
    return {
        "SEA": (
            lambda: _change(
                synth.SEA(seed=1 + k, variant=0),
                synth.SEA(seed=2 + k, variant=2),
                width=100,
                seed=3 + k,
            ),
            [CHANGE],
        ),
        "Agrawal": (
            lambda: _change(
                synth.Agrawal(seed=1 + k, classification_function=0),
                synth.Agrawal(seed=2 + k, classification_function=4),
                width=1000,
                seed=3 + k,
            ),
            [CHANGE],
        ),
        "Hyperplane": (
            lambda: synth.Hyperplane(
                seed=1 + k, n_features=10, n_drift_features=4, mag_change=0.001
            ).take(20000),
            [],
        ),
        "RandomRBFDrift": (
            lambda: synth.RandomRBFDrift(
                seed_model=1 + k,
                seed_sample=2 + k,
                n_classes=3,
                n_features=10,
                n_centroids=20,
                change_speed=0.001,
                n_drift_centroids=10,
            ).take(20000),
            [],
        ),
    }


STREAMS: dict[str, tuple[Callable[[], Iterable], list[int]]] = {
    "Elec2": (lambda: iter_elec2(), []),
    **synthetic_streams(0),
}


def _dream(**kw):
    from dream_sklearn.online import DREAMOnlineClassifier

    return DREAMOnlineClassifier(**{"seed": 0, **kw})


SEEDS = (0, 1, 2)  # DREAM's cell seeds, and every seeded baseline's


def seed_name(name: str, seed: int) -> str:
    """A seeded model's run: ``name`` for seed 0 (as DREAM's always was), else ``name, seed k``."""
    return name if seed == SEEDS[0] else f"{name}, seed {seed}"


def _seeded(name, make, feedback=False):
    return {seed_name(name, k): ((lambda k=k: make(k)), feedback) for k in SEEDS}


# name -> (factory, feed the previous target as a feature?)
BASELINES = {
    "no-change": (NoChange, False),
    "majority class": (lambda: CLASSIFIERS["majority"][0](0, "classification"), False),
    "Elec2 rule": (lambda: DOMAIN_RULES["Elec2-rule"][0](0, "classification"), False),
    "LogisticRegression": (
        lambda: preprocessing.StandardScaler() | linear_model.LogisticRegression(),
        False,
    ),
    **_seeded("HoeffdingAdaptiveTree", lambda k: tree.HoeffdingAdaptiveTreeClassifier(seed=k)),
    **_seeded("ARF", lambda k: forest.ARFClassifier(seed=k)),
    **_seeded("ARF + previous target", lambda k: forest.ARFClassifier(seed=k), True),
}
ONLY_ON = {"Elec2 rule": "Elec2"}  # a domain rule runs on its stream only ('-' elsewhere)
SPEED_REFERENCE = "ARF"  # rows/s are also printed as a ratio to this model's
DREAM_MODELS = {
    "DREAM": (lambda: _dream(), False),
    "DREAM, plasticity off": (lambda: _dream(cell_params={"plasticity_enabled": False}), False),
    "DREAM, LTC off": (lambda: _dream(cell_params={"ltc_enabled": False}), False),
    "DREAM, sleep off": (lambda: _dream(cell_params={"sleep_enabled": False}), False),
    "DREAM, target feedback off": (lambda: _dream(feedback="none"), False),
    "DREAM, ramps off": (lambda: _dream(n_knots=0), False),
    "DREAM, slow readout scaling off": (lambda: _dream(slow_rate=None), False),
    "DREAM, surprise-modulated readout (gain 5)": (lambda: _dream(surprise_gain=5.0), False),
    "DREAM, cell readout only (before the mixture)": (lambda: _dream(readouts=("cell",)), False),
    "DREAM, no pairs readout": (lambda: _dream(readouts=("linear", "cell")), False),
    "DREAM, no linear readout": (lambda: _dream(readouts=("cell", "pairs")), False),
    "DREAM, no kNN vote": (lambda: _dream(n_neighbors=0), False),
    "DREAM, seed 1": (lambda: _dream(seed=1), False),
    "DREAM, seed 2": (lambda: _dream(seed=2), False),
}
ABLATIONS = [name for name in DREAM_MODELS if name != "DREAM"]
# a table's column -> the runs it is the mean (min-max) of: the seeds of a seeded model
SEEDED = {
    name: [seed_name(name, k) for k in SEEDS]
    for name in ["HoeffdingAdaptiveTree", "ARF", "ARF + previous target", "DREAM"]
}
SEED_RUNS = {run for name, runs in SEEDED.items() for run in runs if run != name}
COLUMNS = [m for m in BASELINES if m not in SEED_RUNS] + ["DREAM"]


def run(models, streams, n_rows, results):
    from tqdm import tqdm

    todo = [(m, s) for m in models for s in streams if ONLY_ON.get(m, s) == s]
    for model_name, stream_name in tqdm(todo, desc="progressive validation"):
        factory, feedback = {**BASELINES, **DREAM_MODELS}[model_name]
        make_stream, changes = STREAMS[stream_name]
        correct, seconds = progressive_correct(
            factory(), make_stream(), previous_target=feedback, n_rows=n_rows
        )
        results.setdefault(stream_name, {})[model_name] = {
            "accuracy": float(correct.mean()),
            "after_change": [
                float(correct[c : c + AFTER].mean()) for c in changes if c + AFTER <= len(correct)
            ],
            "rows_per_s": len(correct) / seconds,
            "rolling": correct.astype(float).tolist(),
            "n_rows": n_rows,  # (--rows: None for the whole stream; --reuse matches it)
            "seeded": True,  # (the seeds of SEEDED; --reuse keeps no entry from before)
        }


def _cell(values: list[float], fmt: str = ".3f") -> str:
    """One figure, or over several seeds their mean (min-max)."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(np.mean(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def _runs(results, stream, column, models) -> list[dict]:
    """A column's entries on ``stream``: its seeds' for a seeded model (those run)."""
    runs = [r for r in SEEDED.get(column, [column]) if r in models]
    return [results[stream][r] for r in runs if r in results.get(stream, {})]


def _table(results, streams, columns, models, cell, header):
    lines = [f"| stream | {' | '.join(columns)} |", "| --- |" + " ---: |" * len(columns)]
    for s in streams:
        row = [cell(s, c, _runs(results, s, c, models)) or "-" for c in columns]
        lines.append(f"| {s} | {' | '.join(row)} |")
    if header:
        lines.insert(0, header + "\n")
    return "\n".join(lines)


def _ratio(r: float) -> str:
    return f"{r:,.0f}x" if r >= 10 else f"{r:.2f}x"


def report(results, streams, models):
    present = [m for m in models if any(m in results.get(s, {}) for s in streams)]
    main = [c for c in COLUMNS if any(_runs(results, s, c, present) for s in streams)]
    acc = _table(
        results,
        streams,
        main,
        present,
        lambda s, c, rs: rs and _cell([r["accuracy"] for r in rs]),
        "Accuracy (seeded models: mean (min-max) over seeds " + ", ".join(map(str, SEEDS)) + ")",
    )
    means = []
    for c in main:  # over the streams, per seed; '-' for a model not run on every stream
        runs = [r for r in SEEDED.get(c, [c]) if r in present]
        per_run = [[results.get(s, {}).get(r) for s in streams] for r in runs]
        per_run = [[e["accuracy"] for e in es] for es in per_run if all(es)]
        means.append(_cell([float(np.mean(a)) for a in per_run]) if per_run else "-")
    acc += "\n| mean | " + " | ".join(means) + " |"
    change_streams = [s for s in streams if STREAMS[s][1]]

    def after_cell(s, c, rs):  # (one figure per change of the stream)
        changes = range(len(rs[0]["after_change"])) if rs else []
        return " / ".join(_cell([r["after_change"][i] for r in rs]) for i in changes)

    after = _table(
        results,
        change_streams,
        main,
        present,
        after_cell,
        f"Accuracy over the {AFTER:,} rows from the centre of the change (row {CHANGE:,})",
    )

    def speed_cell(s, c, rs):
        if not rs:
            return None
        rate = float(np.mean([r["rows_per_s"] for r in rs]))
        ref = _runs(results, s, SPEED_REFERENCE, present)
        if not ref:
            return f"{rate:,.0f}"
        return f"{rate:,.0f} ({_ratio(rate / np.mean([r['rows_per_s'] for r in ref]))})"

    speed = _table(
        results,
        streams,
        main,
        present,
        speed_cell,
        f"Rows per second (predict + learn; seeded models: the mean over their seeds); in "
        f"brackets, as a ratio to {SPEED_REFERENCE}'s on the same stream, timed in the same run",
    )
    print("\n\n".join([acc, after, speed]))
    abl = ["DREAM", *[m for m in ABLATIONS if m in present]]
    if len(abl) > 1 and all("DREAM" in results.get(s, {}) for s in streams):
        rows = [
            "Ablation (accuracy; after the change in brackets)\n",
            f"| stream | {' | '.join(abl)} |",
            "| --- |" + " ---: |" * len(abl),
        ]
        for s in streams:
            cells = []
            for m in abl:
                r = results[s].get(m)
                if r is None:
                    cells.append("-")
                    continue
                extra = "".join(f" ({a:.3f})" for a in r["after_change"])
                cells.append(f"{r['accuracy']:.3f}{extra}")
            rows.append(f"| {s} | {' | '.join(cells)} |")
        print("\n" + "\n".join(rows))


def plot(results, streams, path, window=500):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(streams), 1, figsize=(10, 2.6 * len(streams)))
    for ax, s in zip(np.atleast_1d(axes), streams, strict=True):
        for m, r in results.get(s, {}).items():
            if m in ABLATIONS or m in SEED_RUNS:
                continue
            values = np.asarray(r["rolling"])
            if len(values) < window:
                continue
            rolling = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(np.arange(window - 1, len(values)), rolling, lw=1.0, label=m)
        for c in STREAMS[s][1]:
            ax.axvline(c, color="k", ls="--", lw=0.8)
        ax.set_title(f"{s}: rolling accuracy ({window} rows)", fontsize=10)
        ax.set_ylabel("accuracy")
    np.atleast_1d(axes)[0].legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", nargs="+", default=list(STREAMS), choices=list(STREAMS))
    all_models = [*BASELINES, *DREAM_MODELS]
    parser.add_argument("--models", nargs="+", default=all_models, choices=all_models)
    parser.add_argument("--rows", type=int, default=None, help="only the first rows")
    parser.add_argument("--reuse", action="store_true", help="reuse baselines from the JSON")
    parser.add_argument("--json", default=str(OUT / "drift.json"))
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    results: dict = {}
    json_path = Path(args.json)
    if args.reuse and json_path.exists():
        results = json.loads(json_path.read_text())
    # A baseline is reused where the JSON has it for every stream, run on as many rows
    # as this run asks for, with the seeds of SEEDED (an entry without "seeded" is older).
    todo = [
        m
        for m in args.models
        if not (
            args.reuse
            and m in BASELINES
            and all(
                m in results.get(s, {})
                and results[s][m].get("n_rows") == args.rows
                and results[s][m].get("seeded")
                for s in args.streams
                if ONLY_ON.get(m, s) == s
            )
        )
    ]
    reused = [m for m in args.models if m in BASELINES and m not in todo]
    run(todo, args.streams, args.rows, results)
    json_path.write_text(json.dumps(results))
    report(results, args.streams, args.models)
    if reused:
        print(
            f"\n(--reuse: {', '.join(reused)} from an earlier run of this script, on the "
            "same rows; their rows/s, and ratios to them, were timed then: compare loosely)"
        )
    plot(results, args.streams, OUT / "drift_rolling_accuracy.png")
    print(f"\nfigures: {json_path}; plot: {OUT / 'drift_rolling_accuracy.png'}")


if __name__ == "__main__":
    main()
