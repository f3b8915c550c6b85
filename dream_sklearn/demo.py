"""The package's demo: ``python -m dream_sklearn.demo``.

Runs an untrained DREAM cell over a built-in signal that changes regime twice and
shows its surprise and effective time constant reacting: a table on the console
and, when matplotlib is installed, a plot.
"""

from __future__ import annotations

import argparse

import torch

from .datasets import make_regime_signal
from .nn import DREAM

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the demo (see ``python -m dream_sklearn.demo --help``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="dream_demo.png", help="where to write the plot")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    change_points = (500, 1000)
    X, regime = make_regime_signal(change_points=change_points, random_state=args.seed)
    model = DREAM(input_dim=X.shape[1], hidden_dim=32, rank=4)
    with torch.inference_mode():
        _, state, diag = model(torch.as_tensor(X, dtype=torch.float32), return_diagnostics=True)
    surprise, tau = diag.surprise[0].numpy(), diag.tau[0].numpy()

    windows = [("calm, regime 0", 400, 500)]
    for c in change_points:
        windows += [(f"first 10 steps after change at {c}", c, c + 10)]
        windows += [(f"steps {c + 100}-{c + 200} (habituated)", c + 100, c + 200)]
    print("DREAM cell (32 units, rank 4, untrained) on a signal that changes regime")
    print(f"| {'window':<40} | mean surprise | mean tau |")
    print(f"| {'-' * 40} | ------------- | -------- |")
    for name, a, b in windows:
        print(f"| {name:<40} | {surprise[a:b].mean():13.3f} | {tau[a:b].mean():8.3f} |")
    print(
        f"final |U| = {float(state.U.norm()):.3f}, |U_target| = {float(state.U_target.norm()):.3f}"
    )

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'dream-sklearn[plot]').")
        return
    fig, axes = plt.subplots(3, 1, figsize=(9, 6), sharex=True)
    axes[0].plot(X, lw=0.7)
    axes[0].set_ylabel("input")
    axes[1].plot(surprise, color="tab:red", lw=0.8)
    axes[1].set_ylabel("surprise")
    axes[2].plot(tau, color="tab:blue", lw=0.8)
    axes[2].set_ylabel("tau")
    axes[2].set_xlabel("step")
    for ax in axes:
        for c in change_points:
            ax.axvline(c, color="k", ls="--", lw=0.8)
    fig.suptitle("DREAM: surprise and time constant at regime changes (dashed)")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
