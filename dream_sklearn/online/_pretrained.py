"""The pretrained cell of the online estimators (``cell="pretrained"``).

A DREAM cell whose slow weights were meta-trained (``benchmarks/pretrain.py``) on a
prior of synthetic drifting streams (:mod:`._prior`), so that its fast weights adapt
within a stream. Its input has a fixed width whatever the stream, so that one cell
serves every stream (input side "label channel"):

- the standardised feature slots go through a fixed random projection onto
  ``D_X`` inputs: slot ``s`` adds ``u_s g_s / sqrt(m)`` where ``g_s`` is a standard
  normal vector drawn from the estimator's seed and the slot's position among the
  cell's inputs (the slot's index with ``feedback="cell"``, where every slot feeds
  the cell) and ``m`` is the number of feature slots seen so far;
- the previous label's slots (``feedback="cell"``: the standardised one-hot of the
  previous class, or the previous target) go the same way onto ``D_Y`` inputs of
  their own, so that the cell can tell the label from the features.

The weights and how they were made (``pretrained_cell.json``: seed, steps, the
prior's parameters, torch's version, time taken) ship in ``online/data/``. What it
measured against the random cell: ``docs/pretrained.md``.

Examples
--------
>>> from river import datasets
>>> from dream_sklearn.online import DREAMOnlineClassifier
>>> model = DREAMOnlineClassifier(cell="pretrained", seed=0)
>>> for x, y in datasets.Phishing().take(300):
...     model.learn_one(x, y)
>>> model.cell_.config.input_dim, len(model.features_)  # 9 features: still 16 inputs
(16, 9)
>>> x, y = next(iter(datasets.Phishing().take(1)))
>>> model.predict_one(x), y
(True, True)
>>> round(model.predict_proba_one(x)[True], 3)
0.992
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..nn import DREAMCell, DREAMState
from ..nn._cell import _INITIAL_VALUES

__all__: list[str] = []

CELLS = ("random", "pretrained")
WEIGHTS = Path(__file__).parent / "data" / "pretrained_cell.pt"
RECORD = WEIGHTS.with_suffix(".json")
# The pretrained cell's own configuration (the other fields: DREAMConfig's defaults):
# a step of 1 and strong fast weights, as benchmarks/plasticity.py found the fast
# weights need to be heard.
D_X, D_Y = 12, 4
HIDDEN, RANK = 32, 4
CONFIG = {"rank": RANK, "time_step": 1.0, "fast_weight_scale": 0.5, "target_norm": 10.0}
INPUTS = ("label channel", "mixed", "no label")


def build_cell(inputs: str = "label channel", **config) -> DREAMCell:
    """An untrained cell of the pretrained cell's shape (``config`` overrides CONFIG)."""
    width = D_X + (D_Y if inputs == "label channel" else 0)
    return DREAMCell(width, HIDDEN, **{**CONFIG, **config})


@lru_cache(maxsize=1)
def _saved(path: str) -> dict:
    return torch.load(path, weights_only=True)


def load_cell(cell_params: dict | None = None, path: Path | None = None) -> tuple[DREAMCell, str]:
    """The shipped cell (float64), with ``cell_params`` (DREAMConfig fields, e.g.
    ``plasticity_enabled``) over its own configuration; and its input side."""
    saved = _saved(str(WEIGHTS if path is None else path))
    check_config(saved)
    with torch.random.fork_rng(devices=[]):  # (its weights are replaced: no draw shows)
        cell = build_cell(saved["inputs"], **dict(cell_params or {}))
    # the configuration was checked against CONFIG above; cell_params go over it, so
    # the weights load without the checkpoint's configuration
    cell.load_state_dict({k: v for k, v in saved["state_dict"].items() if k != "_extra_state"})
    return cell.double(), saved["inputs"]


def check_config(saved: dict) -> None:
    """ValueError unless the configuration saved with the weights (the state dict's
    ``_extra_state``) is the one :func:`build_cell` makes from CONFIG."""
    state = saved["state_dict"]
    if "_extra_state" not in state:
        raise ValueError("The pretrained cell's checkpoint has no saved configuration.")
    with torch.random.fork_rng(devices=[]):  # building a cell draws from torch's generator
        ours = build_cell(saved["inputs"])._saved_config()
    theirs = DREAMCell._decode_config(state["_extra_state"])
    differences = [
        f"{name}={theirs.get(name)!r} in the checkpoint, {ours.get(name)!r} in CONFIG"
        for name in sorted(set(ours) | set(theirs))
        if theirs.get(name) != ours.get(name)
    ]
    if differences:
        raise ValueError(
            "The pretrained cell's checkpoint was saved with another configuration than "
            "_pretrained.CONFIG: " + "; ".join(differences) + "."
        )


def record() -> dict:
    """How the shipped weights were made (the JSON beside them)."""
    return json.loads(RECORD.read_text())


def projection(is_label: np.ndarray, seed: int, inputs: str) -> np.ndarray:
    """(m, D) map from the cell's slots (``is_label``: which are the previous label's)
    to the pretrained cell's fixed inputs (see the module's docstring)."""
    m = len(is_label)
    width = D_X + (D_Y if inputs == "label channel" else 0)
    P = np.zeros((m, width))
    groups = [~is_label, is_label] if inputs == "label channel" else [np.ones(m, dtype=bool)]
    spans = [slice(0, D_X), slice(D_X, D_X + D_Y)] if inputs == "label channel" else [slice(0, D_X)]
    for group, span in zip(groups, spans, strict=True):
        rows = np.flatnonzero(group)
        if inputs == "no label":
            rows = rows[~is_label[rows]]
        for s in rows:
            g = np.random.default_rng([seed, int(s)]).standard_normal(span.stop - span.start)
            P[s, span] = g / np.sqrt(len(rows))
    return P


def attach(est, d_new: int) -> None:
    """Give ``est`` (an online estimator with ``cell="pretrained"``) the pretrained
    cell, its state on the first call, and the projection of its ``d_new`` cell slots."""
    if est.cell_ is None:
        est.cell_, est._inputs = load_cell(est.cell_params)
        est._np_params = est._cell_weights.step_params(est._cell_config)  # (the same arrays)
        d = est.cell_.config.input_dim
        zeros = DREAMState.zeros(1, d, HIDDEN, RANK, dtype=torch.float64)
        est._state = tuple(t.numpy().copy() for t in zeros)
    labels = set(est._y_slot.values())
    is_label = np.array([int(s) in labels for s in est._cell_slots], dtype=bool)
    est._proj = projection(is_label, est._seed, est._inputs)


def check(est) -> None:
    """ValueError unless ``est``'s ``cell`` is one of CELLS and fits the shipped cell."""
    owner, cell = type(est).__name__, est.cell
    if not (isinstance(cell, str) and cell in CELLS):
        raise ValueError(
            f"The 'cell' parameter of {owner} must be one of {CELLS}. Got {cell!r} instead."
        )
    if cell == "pretrained" and (est.hidden_dim, est.rank) != (HIDDEN, RANK):
        raise ValueError(
            f"The 'cell' parameter of {owner} is 'pretrained', whose cell has hidden_dim="
            f"{HIDDEN} and rank={RANK}; got hidden_dim={est.hidden_dim!r}, rank={est.rank!r}."
        )
    # these fields only set the scalars' starting values, which the loaded weights
    # replace: accepting them would silently do nothing
    learned = sorted(_INITIAL_VALUES & set(est.cell_params or {}))
    if cell == "pretrained" and learned:
        raise ValueError(
            f"The 'cell_params' parameter of {owner} sets {learned}, the starting values of "
            "scalars that the pretrained cell learned (its weights replace them); with "
            f"cell='pretrained' pass none of {sorted(_INITIAL_VALUES)}. Got "
            f"cell_params={est.cell_params!r}."
        )
