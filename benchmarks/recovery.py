"""Recovery after abrupt concept changes: DREAM's online classifier against ARF.

Tuning streams only (docs/streams.md): SEA and Agrawal with one abrupt change
(several generator seeds and concept pairs), STAGGER with recurring changes, and
Elec2 (no change point; overall accuracy only). Progressive validation; for each
stream, the accuracy overall and over the 200 and 500 rows after each change (mean
over the changes), for river's ARF (seed 1) and DREAM variants, in the same run.
ARF's figures are cached in benchmarks/out/recovery.json (``--fresh`` recomputes).

    python benchmarks/recovery.py                              # default DREAM vs ARF
    python benchmarks/recovery.py --variant off='{"drift_recovery": false}'
    python benchmarks/recovery.py --variant 'replay off={"_replay_rows": 0}'
    python benchmarks/recovery.py --streams SEA Agrawal --rows 6000
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
from river import forest
from river.datasets import synth

from dream_sklearn._progressive import progressive_correct
from dream_sklearn.datasets import iter_elec2

OUT = Path(__file__).parent / "out"
AT = 3000  # the abrupt change of the SEA and Agrawal streams
N = 6000  # rows of each synthetic stream
BLOCK = 1000  # STAGGER's concept changes every BLOCK rows


def _abrupt(a, b, seed=None):
    """``a`` for AT rows, then ``b`` (an abrupt change)."""
    return itertools.chain(a.take(AT), b.take(N - AT))


def _stagger(seed):
    """STAGGER's three concepts in turn, BLOCK rows each, twice (recurring)."""
    blocks = [
        synth.STAGGER(classification_function=f % 3, seed=seed + i).take(BLOCK)
        for i, f in enumerate(range(N // BLOCK))
    ]
    return itertools.chain(*blocks)


# name -> (factory, change points, family)
STREAMS = {
    "SEA 0>2": (lambda: _abrupt(synth.SEA(0, seed=1), synth.SEA(2, seed=2), 3), [AT], "SEA"),
    "SEA 1>3": (lambda: _abrupt(synth.SEA(1, seed=11), synth.SEA(3, seed=12), 13), [AT], "SEA"),
    "SEA 3>0": (lambda: _abrupt(synth.SEA(3, seed=21), synth.SEA(0, seed=22), 23), [AT], "SEA"),
    "Agrawal 0>4": (
        lambda: _abrupt(synth.Agrawal(0, seed=1), synth.Agrawal(4, seed=2), 3),
        [AT],
        "Agrawal",
    ),
    "Agrawal 2>6": (
        lambda: _abrupt(synth.Agrawal(2, seed=11), synth.Agrawal(6, seed=12), 13),
        [AT],
        "Agrawal",
    ),
    "Agrawal 7>1": (
        lambda: _abrupt(synth.Agrawal(7, seed=21), synth.Agrawal(1, seed=22), 23),
        [AT],
        "Agrawal",
    ),
    "STAGGER s1": (lambda: _stagger(1), list(range(BLOCK, N, BLOCK)), "STAGGER"),
    "STAGGER s2": (lambda: _stagger(101), list(range(BLOCK, N, BLOCK)), "STAGGER"),
    "Elec2": (lambda: iter_elec2(), [], "Elec2"),
}


def _dream(kw):
    """DREAM's classifier with the parameters ``kw``; a key starting with ``_`` sets
    that class attribute on a subclass (e.g. ``{"_replay_rows": 0}``: no replay)."""
    from dream_sklearn.online import DREAMOnlineClassifier

    private = {k: v for k, v in kw.items() if k.startswith("_")}
    cls = type("Variant", (DREAMOnlineClassifier,), private) if private else DREAMOnlineClassifier
    return cls(**{"seed": 0, **{k: v for k, v in kw.items() if k not in private}})


def evaluate(model, stream: str, n_rows):
    make, changes, _ = STREAMS[stream]
    correct, seconds = progressive_correct(model, make(), n_rows=n_rows)
    after = {
        w: [float(correct[c : c + w].mean()) for c in changes if c + w <= len(correct)]
        for w in (200, 500)
    }
    return {
        "accuracy": float(correct.mean()),
        "after200": float(np.mean(after[200])) if after[200] else None,
        "after500": float(np.mean(after[500])) if after[500] else None,
        "rows_per_s": len(correct) / seconds,
    }


def _fmt(r, key):
    v = r.get(key)
    return "-" if v is None else f"{v:.3f}"


def report(results, streams, models):
    keys = [("accuracy", "acc"), ("after200", "200 after"), ("after500", "500 after")]
    head = " | ".join(f"{m} {k}" for m in models for _, k in keys)
    lines = [f"| stream | {head} |", "| --- |" + " ---: |" * (len(models) * len(keys))]
    for s in streams:
        cells = [_fmt(results[s][m], key) for m in models for key, _ in keys]
        lines.append(f"| {s} | {' | '.join(cells)} |")
    families = dict.fromkeys(STREAMS[s][2] for s in streams)
    for fam in families:
        members = [s for s in streams if STREAMS[s][2] == fam]
        if len(members) < 2:
            continue
        cells = []
        for m in models:
            for key, _ in keys:
                vals = [results[s][m][key] for s in members if results[s][m][key] is not None]
                cells.append(f"{np.mean(vals):.3f}" if vals else "-")
        lines.append(f"| {fam} mean | {' | '.join(cells)} |")
    print("\n".join(lines))
    speed = {m: np.mean([results[s][m]["rows_per_s"] for s in streams]) for m in models}
    print(
        "\nrows/s (mean over the streams): " + ", ".join(f"{m} {v:,.0f}" for m, v in speed.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", nargs="+", default=list(STREAMS))
    parser.add_argument("--rows", type=int, default=None, help="only the first rows")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME=JSON: a DREAMOnlineClassifier with these parameters (repeatable)",
    )
    parser.add_argument("--no-default", action="store_true", help="skip DREAM's default")
    parser.add_argument("--no-arf", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="recompute ARF")
    args = parser.parse_args()
    streams = [s for s in STREAMS if any(s.startswith(p) for p in args.streams)]

    variants = {} if args.no_default else {"DREAM": {}}
    for v in args.variant:
        name, _, kw = v.partition("=")
        variants[name] = json.loads(kw)
    OUT.mkdir(exist_ok=True)
    cache_path = OUT / "recovery.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    results: dict = {s: {} for s in streams}
    start = time.perf_counter()
    for s in streams:
        if not args.no_arf:
            key = f"{s}|{args.rows}"
            if args.fresh or key not in cache:
                cache[key] = evaluate(forest.ARFClassifier(seed=1), s, args.rows)
                cache_path.write_text(json.dumps(cache))
            results[s]["ARF"] = cache[key]
        for name, kw in variants.items():
            results[s][name] = evaluate(_dream(kw), s, args.rows)
    models = (["ARF"] if not args.no_arf else []) + list(variants)
    print(
        f"Progressive validation; SEA and Agrawal: one abrupt change at row {AT:,} of "
        f"{N:,}; STAGGER: concepts 0,1,2,0,1,2 for {BLOCK:,} rows each; Elec2: no "
        "change point. '200 after' / '500 after': accuracy over the rows after each "
        "change (mean over the changes).\n"
    )
    report(results, streams, models)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
