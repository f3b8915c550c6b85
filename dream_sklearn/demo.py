"""The package's demo: ``python -m dream_sklearn.demo``.

1. Progressive validation (predict, then learn, every row in order) on the Elec2
   electricity-market stream shipped with the package: ``DREAMOnlineClassifier``
   against river's baselines, with a progress bar and a table.
2. An untrained DREAM cell on a built-in signal that changes regime twice: its
   surprise and effective time constant react to each change.

Writes a plot (rolling accuracy on Elec2; surprise and time constant on the signal)
when matplotlib is installed, to ``--plot`` (``dream_demo.png``); ``--no-plot`` writes
none.
"""

from __future__ import annotations

import argparse
import os
import shutil
from functools import partial
from pathlib import Path

import numpy as np
import torch

from ._progressive import Elec2Rule, NoChange, progressive_correct
from .datasets import iter_elec2, make_regime_signal
from .datasets._elec2 import _N_ROWS
from .nn import DREAM
from .nn._cell import _seeded
from .online import DREAMOnlineClassifier

__all__ = ["main"]


def _models(with_arf: bool) -> dict:
    from river import forest, linear_model, preprocessing, tree

    models = {
        "no-change (previous label)": (NoChange, False),
        # Elec2's label is this rule of the price: the bar a learned model is held to
        "rule: nswprice > its mean over 48 rows": (Elec2Rule, False),
        "river StandardScaler + LogisticRegression": (
            lambda: preprocessing.StandardScaler() | linear_model.LogisticRegression(),
            False,
        ),
        "river HoeffdingAdaptiveTree": (
            lambda: tree.HoeffdingAdaptiveTreeClassifier(seed=1),
            False,
        ),
    }
    if with_arf:
        models["river ARF + previous label"] = (lambda: forest.ARFClassifier(seed=1), True)
    models["DREAMOnlineClassifier"] = (lambda: DREAMOnlineClassifier(seed=0), False)
    return models


_WARM_ROWS = 50  # rows each model runs untimed before its timed run (elec2_table)


def _bounded_int(low: int, why: str, high: int | None = None):
    """An argparse type: an int >= ``low`` (and <= ``high``), checked before anything
    runs (``why``: what one out of bounds did)."""
    bounds = f">= {low}" if high is None else f"in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an int {bounds}; got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an int {bounds}; got {value}")
        return value

    parse.__doc__ = f"an int {bounds} ({why})"
    return parse


_positive_int = _bounded_int(1, "0 divided by zero, -3 failed in islice")
_seed = _bounded_int(
    0, "one out of NumPy's seeds failed after the whole Elec2 table had run", 2**32 - 1
)


def elec2_table(n_rows: int | None, with_arf: bool) -> dict[str, np.ndarray]:
    """Progressive validation of each model on Elec2; prints a table, returns outcomes."""
    outcomes, lines = {}, []
    # (the progress bar's total: it stopped at 45% for 100,000; and it had none, no
    # percentage, without --rows: review 256)
    n_rows = _N_ROWS if n_rows is None else min(n_rows, _N_ROWS)
    for name, (make, previous_target) in _models(with_arf).items():
        # untimed first: the online estimators' compiled row is compiled (about 30 s, once
        # per machine) or loaded from numba's cache on its first rows, which counted in
        # the rows/s (67 rows/s printed on a new machine, 3,605 with the cache warm)
        progressive_correct(make(), iter_elec2(_WARM_ROWS), previous_target=previous_target)
        correct, seconds = progressive_correct(
            make(),
            iter_elec2(n_rows),
            previous_target=previous_target,
            n_rows=n_rows,
            progress=name,
        )
        outcomes[name] = correct
        lines.append(f"| {name:<41} | {correct.mean():8.4f} | {len(correct) / seconds:10,.0f} |")
    n = len(next(iter(outcomes.values())))
    print(f"\nElec2, progressive validation over {n:,} rows (predict, then learn, in order)")
    print(f"| {'model':<41} | accuracy | rows per s |")
    print(f"| {'-' * 41} | -------- | ---------- |")
    print("\n".join(lines))
    return outcomes


def regime_table(seed: int):
    """The cell's surprise and time constant on a signal that changes regime."""
    change_points = (500, 1000)
    X, _ = make_regime_signal(change_points=change_points, random_state=seed)
    model = _seeded(partial(DREAM, input_dim=X.shape[1], hidden_dim=32, rank=4), seed)
    with torch.inference_mode():
        _, state, diag = model(torch.as_tensor(X, dtype=torch.float32), return_diagnostics=True)
    surprise, tau = diag.surprise[0].numpy(), diag.tau[0].numpy()
    windows = [("calm, regime 0", 400, 500)]
    for c in change_points:
        windows += [(f"first 10 steps after change at {c}", c, c + 10)]
        windows += [(f"steps {c + 100}-{c + 200} (habituated)", c + 100, c + 200)]
    print("\nDREAM cell (32 units, rank 4, untrained) on a signal that changes regime")
    print(f"| {'window':<40} | mean surprise | mean tau |")
    print(f"| {'-' * 40} | ------------- | -------- |")
    for name, a, b in windows:
        print(f"| {name:<40} | {surprise[a:b].mean():13.3f} | {tau[a:b].mean():8.3f} |")
    print(
        f"final |U| = {float(state.U.norm()):.3f}, |U_target| = {float(state.U_target.norm()):.3f}"
    )
    return X, surprise, tau, change_points


def _plot_formats() -> tuple[set[str] | None, str]:
    """The file formats matplotlib writes and the one it gives a name without a
    suffix, or ``(None, "png")`` without matplotlib (then no plot is written)."""
    try:
        import matplotlib
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return None, "png"
    formats = set(FigureCanvasBase.get_supported_filetypes())
    if not shutil.which(matplotlib.rcParams["pgf.texsystem"]):
        # (pgf is written through LaTeX: without it savefig failed after the tables;
        # review 267)
        formats.discard("pgf")
    return formats, matplotlib.rcParams["savefig.format"]


def _rolling_window(n_rows: int) -> int:
    """The plot's rolling-accuracy window over ``n_rows`` rows: 1,000 rows, or a fifth
    of them on a shorter run (a window of every row left one point to draw, and the
    panel showed nothing up to 1,000 rows: review 170)."""
    return max(1, min(1000, n_rows // 5))


def _plot_path(parser: argparse.ArgumentParser, name: str, formats: set[str], default: str) -> str:
    """The file ``--plot`` names, checked before anything runs (not after the tables):
    a format matplotlib writes, in a folder that exists and can be written."""
    if Path(name).is_dir():  # (before its suffix: a folder "results.d" is no "d" file)
        parser.error(f"--plot: {str(Path(name).resolve())!r} is a folder; name the file to write")
    if name.endswith(("/", os.sep)):
        # (Path reads "out.png/" as "out.png", savefig as a folder: it wrote
        # "out.png/.png", after the tables; review 267)
        parser.error(f"--plot: {name!r} ends with a path separator; name the file to write")
    suffix = Path(name).suffix[1:].lower()
    if not suffix:
        name += f".{default}"  # (matplotlib appends it: the name said is the file's)
    elif suffix not in formats:
        parser.error(
            f"--plot: matplotlib writes no {suffix!r} files; end the name with one of "
            f"{', '.join(sorted(formats))}"
        )
    plot = Path(name).resolve()
    if plot.is_dir():
        parser.error(f"--plot: {str(plot)!r} is a folder; name the file to write")
    if not plot.parent.is_dir():
        parser.error(f"--plot: the folder {str(plot.parent)!r} does not exist")
    target = plot if plot.exists() else plot.parent  # (a file is replaced, or made)
    if not os.access(target, os.W_OK):
        parser.error(f"--plot: {str(target)!r} is not writable")
    return name


def main(argv: list[str] | None = None) -> None:
    """Run the demo: what ``python -m dream_sklearn.demo`` runs.

    Parameters
    ----------
    argv : list of str, optional
        The command's arguments (``--rows``, ``--with-arf``, ``--plot``, ``--no-plot``,
        ``--seed``: ``python -m dream_sklearn.demo --help``); None reads
        ``sys.argv``.

    Returns
    -------
    None
        It prints the progressive accuracies and rows/s on Elec2, then an untrained
        cell's surprise and time constant on a signal that changes regime, and
        writes the plot unless ``--no-plot``.

    Examples
    --------
    ``main(["--rows", "300", "--no-plot"])`` runs it on Elec2's first 300 rows
    (some seconds); its options:

    >>> from dream_sklearn.demo import main
    >>> try:  # doctest: +ELLIPSIS
    ...     main(["--help"])
    ... except SystemExit as stop:
    ...     print("exit", stop.code)
    usage: python -m dream_sklearn.demo...
    ...
    exit 0
    """
    # (prog: the command the README gives, not "demo.py"; review 256)
    parser = argparse.ArgumentParser(
        prog="python -m dream_sklearn.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--rows", type=_positive_int, default=None, help="only the first Elec2 rows"
    )
    parser.add_argument(
        "--with-arf",
        action="store_true",
        help="add river's ARF fed the previous label, as DREAM is (about a minute more)",
    )
    parser.add_argument(
        "--plot", default=None, help="where to write the plot (default: dream_demo.png)"
    )
    parser.add_argument("--no-plot", action="store_true", help="write no plot")
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the regime-change signal and its untrained cell (the Elec2 models' "
        "seeds are fixed, as the README's figures were printed with them)",
    )
    args = parser.parse_args(argv)
    if args.no_plot and args.plot is not None:  # (one would be ignored without a word)
        parser.error("--plot and --no-plot: give one of them")
    if args.plot is None:  # (an empty --plot is checked as given: a folder)
        args.plot = "dream_demo.png"
    formats, default = (None, "png") if args.no_plot else _plot_formats()
    if formats is not None:  # (no plot, no place to check: a read-only folder ran)
        args.plot = _plot_path(parser, args.plot, formats, default)
    elif not args.no_plot:  # (said before the tables, not after them)
        print("matplotlib is not installed: no plot (pip install 'dream-sklearn[plot]').")

    outcomes = elec2_table(args.rows, args.with_arf)
    X, surprise, tau, change_points = regime_table(args.seed)
    if formats is None:
        return
    # A Figure of its own, not pyplot's: the process's backend is left as it was (a
    # notebook calling main() had its backend switched to Agg: a review's finding).
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 9))
    axes = fig.subplots(4, 1)
    window = _rolling_window(len(next(iter(outcomes.values()))))
    for name, correct in outcomes.items():
        rolling = np.convolve(correct.astype(float), np.ones(window) / window, mode="valid")
        axes[0].plot(np.arange(window - 1, len(correct)), rolling, lw=1.0, label=name)
    axes[0].set_title(f"Elec2: rolling accuracy over {window:,} rows", fontsize=10)
    axes[0].legend(fontsize=7)
    axes[1].plot(X, lw=0.6)
    axes[1].set_ylabel("signal")
    k = 20  # a 20-step moving average over the raw per-step values
    for ax, values, color, label in (
        (axes[2], surprise, "tab:red", "surprise"),
        (axes[3], tau, "tab:blue", "tau"),
    ):
        ax.plot(values, color=color, lw=0.4, alpha=0.35)
        ax.plot(
            np.arange(k - 1, len(values)),
            np.convolve(values, np.ones(k) / k, "valid"),
            color=color,
            lw=1.4,
        )
        ax.set_ylabel(label)
    axes[3].set_xlabel("step")
    for ax in axes[1:]:
        for c in change_points:
            ax.axvline(c, color="k", ls="--", lw=0.8)
    axes[1].set_title("untrained cell on a signal with regime changes (dashed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=90)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
