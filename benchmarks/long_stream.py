"""Memory and fast-state norms of DREAMOnlineClassifier over a 1,000,000-row stream.

Feeds one long drifting stream (``predict_one`` then ``learn_one`` on every row) and
prints, at checkpoints, the memory this process holds and the size of the cell's fast
state. Everything should stay bounded and flat: nothing in the model grows with the
number of rows.

    python benchmarks/long_stream.py                 # 1,000,000 rows
    python benchmarks/long_stream.py --rows 100000

Columns: memory traced by ``tracemalloc`` (started before the model is built, so it
sees every Python and NumPy allocation made from then on; current and peak), the
resident set size of the process (``VmRSS``, and its high-water mark ``VmHWM``, from
``/proc/self/status``), the norms of the committed fast state (``|h|``: Euclidean
norm of the hidden state; ``|U|``, ``|U_target|``: Frobenius norms of the fast and
consolidated weights, capped at ``target_norm = 2``), the cell's running error
variance (mean over inputs) and the accuracy over the rows since the last
checkpoint. The stream: 8 standard normal features, label ``w . x > 0``, ``w``
drawn anew every 100,000 rows (abrupt concept changes), 1% label noise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

from dream_sklearn.online import DREAMOnlineClassifier

N_FEATURES = 8
PERIOD = 100_000


def stream(n_rows: int, seed: int = 0):
    """Rows ``(dict, bool)`` of the drifting stream, generated block by block."""
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(N_FEATURES)]
    block = 10_000
    for start in range(0, n_rows, block):
        if start % PERIOD == 0:
            w = rng.normal(size=N_FEATURES)
        X = rng.normal(size=(min(block, n_rows - start), N_FEATURES))
        y = (X @ w > 0) ^ (rng.random(len(X)) < 0.01)
        for row, label in zip(X.tolist(), y.tolist(), strict=True):
            yield dict(zip(names, row, strict=True)), label


def rss_kib() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in KiB (0, 0 where /proc is not there)."""
    values = {}
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def checkpoints(n_rows: int) -> list[int]:
    marks = [1_000, 10_000, 50_000, 100_000, 250_000, 500_000, 750_000, 1_000_000]
    return sorted({m for m in marks if m < n_rows} | {n_rows})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    tracemalloc.start()
    model = DREAMOnlineClassifier(seed=0)
    marks = checkpoints(args.rows)
    header = (
        "| rows | traced current (kB) | traced peak (kB) | RSS (MiB) | RSS high-water (MiB) "
        "| \\|h\\| | \\|U\\| | \\|U_target\\| | error var (mean) | accuracy since last |"
    )
    print(
        f"DREAMOnlineClassifier(seed=0), {args.rows:,} rows, {N_FEATURES} features, "
        f"concept change every {PERIOD:,} rows; Python {sys.version.split()[0]}, "
        f"NumPy {np.__version__}"
    )
    print()
    print(header)
    print("|" + " ---: |" * 10)
    correct = seen = 0
    start = time.perf_counter()
    for i, (x, y) in enumerate(stream(args.rows), start=1):
        correct += model.predict_one(x) == y
        seen += 1
        model.learn_one(x, y)
        if i == marks[0]:
            marks.pop(0)
            current, peak = tracemalloc.get_traced_memory()
            rss, hwm = rss_kib()
            mem = model.memory()
            h = float(mem.h.norm())
            U = float(mem.U.norm())
            Ut = float(mem.U_target.norm())
            var = float(mem.error_var.mean())
            for value in (h, U, Ut, var):
                assert np.isfinite(value), f"non-finite fast state at row {i}"
            print(
                f"| {i:,} | {current / 1e3:,.0f} | {peak / 1e3:,.0f} | {rss / 1024:,.1f} "
                f"| {hwm / 1024:,.1f} | {h:.3f} | {U:.3f} | {Ut:.3f} | {var:.3f} "
                f"| {correct / seen:.3f} |",
                flush=True,
            )
            correct = seen = 0
    elapsed = time.perf_counter() - start
    tracemalloc.stop()
    print()
    print(
        f"{args.rows:,} rows in {elapsed:,.0f} s wall ({args.rows / elapsed:,.0f} rows/s, "
        "with tracemalloc on, on a shared machine)"
    )


if __name__ == "__main__":
    main()
