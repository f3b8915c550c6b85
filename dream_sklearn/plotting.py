"""Plots of what the DREAM cell did: surprise, time constants, loss curves.

Needs matplotlib (``pip install "dream-sklearn[plot]"``).
"""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._limits import NOT_REAL

__all__ = ["plot_loss_curve", "plot_surprise"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "dream_sklearn.plotting needs matplotlib: pip install 'dream-sklearn[plot]'."
        ) from exc
    return plt


# What an object array may hold that NumPy would read as a float though it is no
# number: the inputs' (NOT_REAL), and Python's and pandas' dates and durations.
_NOT_NUMBERS = (*NOT_REAL, datetime.date, datetime.timedelta)


def _values(values: Any, name: str) -> np.ndarray:
    """Plain float values of the argument ``name``; a tensor of a pass that tracks
    gradients is detached (the diagnostics of a training pass: NumPy cannot read such
    a tensor); a masked array's masked values are NaN (not drawn). A ValueError names
    the argument where they are not numbers, or not one per step (1-d)."""

    def plain(value: Any) -> Any:
        detach = getattr(value, "detach", None)
        if not callable(detach):
            return value
        value = detach().cpu()
        return value if value.is_complex() else value.double()  # (bfloat16 too)

    if isinstance(values, list | tuple):  # (a list of such tensors, one a step)
        values = [plain(v) for v in values]
    masked = np.ma.isMaskedArray(values)
    values = values if masked else plain(values)
    # NumPy reads text, dates, durations and complex numbers as floats too: "1e3"
    # was drawn as 1000, a date as its day count, 1+2j as 1 (review 206); and as
    # elements of an object array, a timezone-aware date as nanoseconds (review 208)
    try:  # (numpy's own messages name no argument)
        raw = values if masked else np.asarray(values)
        kind = raw.dtype.kind
        if kind in "USaMmcT" or (
            kind == "O" and any(isinstance(v, _NOT_NUMBERS) for v in raw.flat)
        ):
            raise TypeError("not numbers")
        if masked:  # masked steps are gaps (np.asarray drew them)
            out = np.ma.filled(values.astype(float), np.nan)
        else:
            out = np.asarray(values, dtype=float)  # (pandas' NA read as NaN)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers, one per step; got {values!r} ({err}).") from None
    if out.ndim != 1:
        raise ValueError(f"{name} must be 1-d (one value per step); got shape {out.shape}.")
    return out


def _check_title(title: Any) -> None:
    """Refuse a ``title`` that is no text (a number or a list was drawn as its repr)."""
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {type(title).__name__}: {title!r}.")


def _finished(plt: Any, fig: Any, title: str | None, set_title: Any) -> Any:
    """``fig`` with its ``title`` set (``set_title``) and its layout tightened; closed in
    pyplot if either fails (a title matplotlib cannot render, such as ``"$x^$"``, left
    the figure open)."""
    try:
        if title:
            set_title(title)
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return fig


def _moving_mean(values: np.ndarray, width: int) -> np.ndarray:
    """The mean of each window of ``width`` steps over the steps that have a value (a
    gap, NaN, is left out of its windows; a window of gaps only is a gap): a plain
    moving average spread each gap over ``width`` means, and one gap every 40 steps
    blanked the whole curve at a width of 50."""
    kernel = np.ones(width)
    finite = np.isfinite(values)
    sums = np.convolve(np.where(finite, values, 0.0), kernel, mode="valid")
    counts = np.convolve(finite.astype(float), kernel, mode="valid")
    return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)


def plot_surprise(
    surprise: Sequence[float] | np.ndarray,
    tau: Sequence[float] | np.ndarray | None = None,
    change_points: Sequence[int] = (),
    *,
    smoothing: int = 1,
    title: str | None = None,
):
    """Plot surprise (and the effective time constant) over a stream.

    Parameters
    ----------
    surprise : array-like of shape (n_steps,)
        Surprise per step, e.g. ``diagnostics.surprise[0]`` of a :class:`~dream_sklearn.nn.DREAM`
        pass. In a ragged pass the layer gives a padded step a surprise of 0 (and a
        tau of NaN), which is drawn as a value: pass a shorter sequence's valid steps,
        ``diagnostics.surprise[i, :lengths[i]]`` (a scikit-learn estimator's
        ``surprise_`` marks padded steps NaN, a gap here; review 345).
    tau : array-like of shape (n_steps,), optional
        Effective time constant per step, drawn in a second panel.
    change_points : sequence of int, default=()
        Steps where the stream is known to change, marked by dashed lines.
    smoothing : int, default=1
        Width of a moving average drawn over the raw values (1: none); a gap (NaN,
        a masked step, or an infinite value) is left out of the windows it falls in.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from dream_sklearn.plotting import plot_surprise
    >>> fig = plot_surprise([0.1, 0.2, 0.9, 0.3], tau=[5.0, 4.0, 1.0, 3.0], change_points=[2])
    >>> len(fig.axes)
    2
    """
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Integral) or smoothing < 1:
        raise ValueError(f"smoothing must be an int >= 1; got {smoothing!r}.")
    _check_title(title)
    smoothing = int(smoothing)
    series = [("surprise", _values(surprise, "surprise"), "tab:red")]
    if tau is not None:
        series.append(("tau", _values(tau, "tau"), "tab:blue"))
    if tau is not None and len(series[1][1]) != len(series[0][1]):
        raise ValueError(
            f"tau must have one value per step of surprise ({len(series[0][1])}); "
            f"got {len(series[1][1])}."
        )
    n_steps = len(series[0][1])
    if n_steps == 0:  # (it was blamed on smoothing)
        raise ValueError("surprise must have at least one value; got none.")
    try:
        points = list(change_points)
    except TypeError:
        raise ValueError(
            f"change_points must be a sequence of ints; got {change_points!r}."
        ) from None
    for c in points:
        if isinstance(c, bool) or not isinstance(c, numbers.Integral) or not 0 <= c < n_steps:
            # (a point beyond the series stretched the axis; text was drawn nowhere)
            raise ValueError(
                f"change_points must be ints in [0, {n_steps}) (steps of surprise); got {c!r}."
            )
    if smoothing > len(series[0][1]):
        raise ValueError(
            f"smoothing ({smoothing}) must be at most the number of steps ({len(series[0][1])})."
        )
    plt = _pyplot()  # (after the arguments' checks: a bad one is named with or without it)
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.2 * len(series) + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (name, values, color) in zip(axes, series, strict=True):
        ax.plot(values, color=color, lw=0.5, alpha=0.4 if smoothing > 1 else 1.0)
        if smoothing > 1:
            # Each mean drawn at the last step of its window (it reads no later step).
            steps = np.arange(smoothing - 1, len(values))
            ax.plot(steps, _moving_mean(values, smoothing), color=color, lw=1.2)
        ax.set_ylabel(name)
        for c in points:
            ax.axvline(c, color="k", ls="--", lw=0.8)
    axes[-1].set_xlabel("step")
    return _finished(plt, fig, title, fig.suptitle)


def _fitted_with_curve(estimator):
    """``estimator``, or the fitted estimator it holds where it keeps no ``loss_curve_``
    itself: a ``Pipeline``'s last step, a search's ``best_estimator_`` (``GridSearchCV``
    refit on the whole data; it was refused as unfitted, review 154), the package's aeon
    adapters' ``estimator_`` (a fit with solver='adam' was refused as unfitted there,
    review 144). Not any ``estimator_``: scikit-learn's ensembles keep their unfitted
    template there, and a template fitted before had its curve drawn as the ensemble's
    (review 150)."""
    while not hasattr(estimator, "loss_curve_"):
        steps = getattr(estimator, "steps", None)
        if isinstance(steps, list) and steps and isinstance(steps[-1], tuple):
            estimator = steps[-1][-1]
        elif hasattr(estimator, "best_estimator_") and getattr(estimator, "refit", True):
            # (a fitted clone; a search refit with refit=False keeps an earlier fit's:
            # not read, review 156)
            estimator = estimator.best_estimator_
        elif type(estimator).__module__.startswith("dream_sklearn.aeon") and hasattr(
            estimator, "estimator_"
        ):  # (an unfitted adapter itself is named in the error, not None: review 188)
            estimator = estimator.estimator_
        else:
            break
    return estimator


def plot_loss_curve(estimator, *, title: str | None = None):
    """Plot a fitted estimator's ``loss_curve_`` (and ``validation_scores_`` if any).

    Parameters
    ----------
    estimator : DREAMClassifier or DREAMRegressor
        A fitted estimator; or a scikit-learn ``Pipeline`` ending in one, a search
        (``GridSearchCV``...) whose ``best_estimator_`` is one, or an estimator that
        keeps one fitted as ``estimator_`` (the aeon adapters).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from types import SimpleNamespace
    >>> from dream_sklearn.plotting import plot_loss_curve
    >>> fig = plot_loss_curve(SimpleNamespace(loss_curve_=[0.9, 0.5, 0.4]))
    >>> fig.axes[0].get_ylabel()
    'training loss'
    """
    estimator = _fitted_with_curve(estimator)
    losses = getattr(estimator, "loss_curve_", None)
    if losses is None:
        got = (  # (a class named as itself, not its metaclass: review 188)
            f"the class {estimator.__name__}, not a fitted instance"
            if isinstance(estimator, type)
            else f"{type(estimator).__name__} without a loss_curve_"
        )
        raise ValueError(
            "estimator has no loss_curve_: a fit with solver='adam' keeps one (the default "
            f"ridge solver has no epochs), and an unfitted estimator none (got {got})."
        )
    # Checked before a figure is made (one left open in pyplot on an error otherwise).
    _check_title(title)
    losses = _values(losses, "estimator.loss_curve_")
    if len(losses) == 0:
        raise ValueError("estimator.loss_curve_ must have at least one epoch; got none.")
    scores = getattr(estimator, "validation_scores_", None)
    if scores is not None:
        scores = _values(scores, "estimator.validation_scores_")
        if len(scores) > len(losses):
            raise ValueError(
                f"estimator.validation_scores_ ({len(scores)} epochs) must be at most as long "
                f"as its loss_curve_ ({len(losses)})."
            )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, marker="o", ms=3, label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if scores is not None and len(scores):
        ax2 = ax.twinx()
        # the last fit's epochs: a warm start carries loss_curve_ on and starts
        # validation_scores_ anew (they were drawn from epoch 1)
        ax2.plot(epochs[-len(scores) :], scores, color="tab:green", marker="s", ms=3)
        ax2.set_ylabel("validation score")
    return _finished(plt, fig, title, ax.set_title)
