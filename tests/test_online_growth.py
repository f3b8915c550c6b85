"""The online estimators' cell growth, built without its duplicate work (issue 15)."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pytest
import torch

from dream_sklearn.nn import DREAMCell, DREAMConfig
from dream_sklearn.nn._cell import _CellWeights, _seeded, _with_inputs
from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor, _compiled


@pytest.mark.parametrize(
    ("config", "seed"),
    [
        (DREAMConfig(1, 32, rank=4), 0),
        (DREAMConfig(7, 8, rank=2, plasticity_enabled=False), 123),
        (DREAMConfig(3, 5, rank=8, kappa=0.1, surprise_mode="absolute"), 2**31 - 1),
    ],
)
def test_drawn_weights_are_the_seeded_build_of_their_config(config, seed):
    """The online estimators draw a cell's weights without building the module; they
    are the weights ``_seeded`` builds from the config (drawn in float32, then
    float64), the global generator does not move, and the module built from them
    is that cell, computing what it computes."""
    before = torch.random.get_rng_state()
    weights = _CellWeights.drawn(config, seed)
    assert torch.equal(torch.random.get_rng_state(), before)
    build = functools.partial(DREAMCell.from_config, config)
    reference = _seeded(build, seed * 1009 + config.input_dim).double()
    want = reference.state_dict()
    for name, value in zip(weights._fields, weights, strict=True):
        assert value.dtype == np.float64 and value.shape == tuple(want[name].shape), name
        assert np.array_equal(value, want[name].numpy()), name
        # C-ordered as the module's: NumPy's products round by layout (the QR's V is
        # column-major; kept so, the NumPy path's predictions moved by 4e-16)
        assert value.flags.c_contiguous, name
    cell = DREAMCell._from_weights(config, weights)
    got = cell.state_dict()
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype
        assert torch.equal(got[name], want[name]), name
    assert cell.config == reference.config and cell.flags == reference.flags
    # Parameters still (float64, learning), under the same names: gradients flow.
    params = dict(cell.named_parameters())
    assert list(params) == [name for name, _ in reference.named_parameters()]
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in params.values())
    assert all(p.dtype == torch.float64 for p in params.values())
    x = torch.randn(2, config.input_dim, dtype=torch.float64)
    assert torch.equal(cell(x)[0], reference(x)[0])
    # The NumPy step's parameters: the module's own, clamped alike.
    for a, b in zip(weights.step_params(config), reference.numpy_step_params(), strict=True):
        assert np.array_equal(a, b)


def test_drawn_weights_do_not_depend_on_the_default_dtype():
    """Drawn in float32 whatever torch's default dtype, as ``_seeded`` draws a
    module's (a float64 default drew other numbers: a seed fixed another model in a
    process that had set it, a review's finding)."""
    config = DREAMConfig(3, 4, rank=2, base_plasticity=0.1)
    want = _CellWeights.drawn(config, 9)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        weights = _CellWeights.drawn(config, 9)
        reference = _seeded(functools.partial(DREAMCell.from_config, config), 9 * 1009 + 3)
        rows = [({"a": float(i % 3), "b": float(i % 5)}, i % 2) for i in range(60)]
        model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
        got = [model.predict_proba_one(x) for x, y in rows if model.learn_one(x, y) or True]
    finally:
        torch.set_default_dtype(previous)
    for name, value in zip(weights._fields, weights, strict=True):
        assert np.array_equal(value, getattr(want, name)), name
        assert np.array_equal(value, getattr(reference, name).detach().double().numpy()), name
    assert weights.eta[0] == float(np.float32(0.1)) and weights.eta[0] != 0.1  # (float32's)
    model = DREAMOnlineClassifier(hidden_dim=8, rank=2, seed=0)
    assert got == [model.predict_proba_one(x) for x, y in rows if model.learn_one(x, y) or True]


def test_grown_weights_keep_theirs_and_draw_the_new_ones():
    config = DREAMConfig(2, 6, rank=3)
    weights = _CellWeights.drawn(config, 5)
    # learned scalars, as a trained cell's (from_sklearn)
    weights = weights._replace(tau0=np.array(0.77), eta=weights.eta * 2.0)
    bigger = _with_inputs(config, np.int64(4))  # (a NumPy int, as slot counts can be)
    assert type(bigger.input_dim) is int and bigger == DREAMConfig(4, 6, rank=3)
    assert config.input_dim == 2  # (a new config object)
    grown = weights.grown(bigger, 5)
    with pytest.raises(ValueError, match="grows: 2 inputs asked, it has 4"):
        grown.grown(config, 5)
    fresh = _CellWeights.drawn(bigger, 5)
    for name in ("eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"):
        assert np.array_equal(getattr(grown, name), getattr(weights, name)), name
    assert np.array_equal(grown.W[:2], weights.W) and np.array_equal(grown.V[:2], weights.V)
    assert np.array_equal(grown.B[:2], weights.B) and np.array_equal(grown.C[:, :2], weights.C)
    # the new inputs' rows: a new cell's
    assert np.array_equal(grown.B[2:], fresh.B[2:]) and np.array_equal(grown.W[2:], fresh.W[2:])
    assert np.array_equal(grown.C[:, 2:], fresh.C[:, 2:])
    # V: orthonormal columns once there are as many rows as the rank (its first rows
    # were drawn in float32)
    assert grown.V.shape == (4, 3)
    np.testing.assert_allclose(grown.V.T @ grown.V, np.eye(3), atol=1e-6)


def test_online_cell_is_built_when_read_and_follows_growth():
    """``cell_`` is a module built from the weights the estimator steps, when read:
    reading it changes no prediction, and a growth event after a read gives a new
    module of the new size (the old one kept its size)."""
    rows = [({"a": 0.1 * i, "b": (-1.0) ** i}, i % 2) for i in range(40)]
    plain, read = DREAMOnlineClassifier(seed=3), DREAMOnlineClassifier(seed=3)
    assert not hasattr(plain, "cell_")
    for x, y in rows:
        assert plain.predict_proba_one(x) == read.predict_proba_one(x)
        plain.learn_one(x, y)
        read.learn_one(x, y)
        read.cell_  # noqa: B018 (built on every row)
    before = read.cell_
    assert isinstance(before, DREAMCell) and before is read.cell_  # (built once)
    d = before.config.input_dim
    np.testing.assert_array_equal(before.C.detach().numpy(), read._np_params.C)
    read.learn_one({"a": 1.0, "b": 1.0, "c": 2.0}, 1)  # a new feature: the cell grows
    after = read.cell_
    assert after is not before and after.config.input_dim == d + 1
    assert before.config.input_dim == d
    np.testing.assert_array_equal(after.C.detach().numpy()[:, :d], before.C.detach().numpy())
    # A pickle keeps the cell (and one from before the cell was kept as its weights
    # loads: the module in the state becomes the cell's weights).
    again = pickle.loads(pickle.dumps(read))
    for a, b in zip(again.cell_.state_dict().values(), after.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    state = pickle.loads(pickle.dumps(read.__getstate__()))  # (arrays of its own)
    state["cell_"] = pickle.loads(pickle.dumps(read.cell_))  # (the module, as then)
    for name in ("_cell_config", "_cell_weights", "_np_flags"):
        del state[name]
    old = DREAMOnlineClassifier.__new__(DREAMOnlineClassifier)
    old.__setstate__(state)
    x = {"a": 0.3, "b": -1.0, "c": 0.5}
    assert old.predict_proba_one(x) == read.predict_proba_one(x)
    old.learn_one({"a": 0.3, "b": -1.0, "c": 0.5, "d": 1.0}, 0)  # grows from it
    read.learn_one({"a": 0.3, "b": -1.0, "c": 0.5, "d": 1.0}, 0)
    assert old.predict_proba_one(x) == read.predict_proba_one(x)


def test_layout_table_holds_each_array_flat_in_order():
    """``_table`` (one concatenation) lays the arrays out one after the other, with
    their shapes padded to three axes, casting to the buffer's dtype."""
    arrays = [np.arange(6.0).reshape(2, 3), np.array(7.0), np.array([True, False])]
    buf, rows = _compiled._table(arrays, np.float64)
    np.testing.assert_array_equal(buf, [0, 1, 2, 3, 4, 5, 7, 1, 0])
    assert rows == [[0, 2, 2, 3, 1], [6, 0, 1, 1, 1], [7, 1, 2, 1, 1]]
    for a, row in zip(arrays, rows, strict=True):
        np.testing.assert_array_equal(_compiled._view(buf, row), a)
    ints, _ = _compiled._table([np.array([1.9, -2.0])], np.intp)
    assert ints.dtype == np.intp and ints.tolist() == [1, -2]


def test_numpy_path_steps_the_weights_as_the_module_would():
    """The NumPy path's predictions with the drawn weights are those with the weights
    a module of the same seed holds (``numpy_step_params``), bit for bit, on a stream
    whose features all come on the first row (no later growth rebuilds ``V``)."""
    rng = np.random.default_rng(0)
    rows = [{f"f{j}": float(v) for j, v in enumerate(rng.normal(size=6))} for _ in range(300)]
    previous = _compiled.set_compiled(False)
    try:
        models = [DREAMOnlineRegressor(seed=1, rank=2, feedback="none") for _ in range(2)]
        preds = [[], []]
        for i, x in enumerate(rows):
            for model, out in zip(models, preds, strict=True):
                out.append(model.predict_one(x))
                model.learn_one(x, float(np.sin(sum(x.values()))))
            if i == 0:  # the second steps the module's own parameters
                config = models[1]._cell_config
                build = functools.partial(DREAMCell.from_config, config)
                module = _seeded(build, 1 * 1009 + config.input_dim).double()
                models[1]._np_params = module.numpy_step_params()
    finally:
        _compiled.set_compiled(previous)
    assert preds[0] == preds[1]


def test_a_cell_read_before_a_growth_event_is_apart_from_the_grown_one():
    """``cell_`` shares its memory with the weights the estimator steps until the next
    growth event; after it, editing the old module changes nothing of the model."""
    rows = [{"a": 0.1 * i, "b": np.cos(i)} for i in range(30)]
    kept, plain = DREAMOnlineRegressor(seed=0, rank=2), DREAMOnlineRegressor(seed=0, rank=2)
    for model in (kept, plain):
        for x in rows[:10]:
            model.learn_one(x, x["a"])
    old = kept.cell_
    for model in (kept, plain):
        model.learn_one({**rows[10], "c": 1.0}, 0.5)  # a growth event
    with torch.no_grad():
        old.tau0.fill_(5.0)
        old.eta.fill_(0.0)
        old.C.fill_(0.0)
    for model in (kept, plain):
        for x in rows[11:]:
            model.learn_one({**x, "c": 1.0}, x["a"])
    assert float(kept._cell_weights.tau0) == float(plain._cell_weights.tau0) != 5.0
    x = {**rows[-1], "c": 0.0}
    assert kept.predict_one(x) == plain.predict_one(x)


def test_a_pickle_holds_the_cells_weights_once():
    """The module built when ``cell_`` is read is not pickled: the copy builds its own
    from its weights (which it then shares memory with), and the pickle is no larger
    than one of a model whose ``cell_`` was never read."""
    model = DREAMOnlineClassifier(seed=2)
    for i in range(20):
        model.learn_one({"a": float(i), "b": float(i % 3)}, i % 2)
    unread = len(pickle.dumps(model))
    cell = model.cell_
    assert len(pickle.dumps(model)) == unread
    copy = pickle.loads(pickle.dumps(model))
    assert copy.cell_ is not cell
    with torch.no_grad():
        copy.cell_.W.mul_(2.0)  # the copy's module is its own weights
    np.testing.assert_array_equal(copy._cell_weights.W, 2.0 * model._cell_weights.W)
    np.testing.assert_array_equal(copy._np_params.W, copy._cell_weights.W)


@pytest.mark.parametrize(("d", "n", "r"), [(5, 7, 3), (2, 4, 3)])
def test_reset_parameters_draws_as_documented(d, n, r):
    """A seed gives the weights it gave before: ``B``, ``W`` (bound 1/sqrt(d)) and ``C``
    (1/sqrt(n)) uniform, drawn in that order, then ``V`` from a QR of a normal draw
    (orthonormal columns, or rows when ``rank > input_dim``); the scalars at the config's
    starting values. Written from that description, not from the code."""
    cell = DREAMCell(d, n, rank=r, base_plasticity=0.2, kappa=0.3)
    cell.reset_parameters(torch.Generator().manual_seed(11))
    g = torch.Generator().manual_seed(11)
    want = {
        "B": torch.empty(d, n).uniform_(-(d**-0.5), d**-0.5, generator=g),
        "W": torch.empty(d, n).uniform_(-(d**-0.5), d**-0.5, generator=g),
        "C": torch.empty(n, d).uniform_(-(n**-0.5), n**-0.5, generator=g),
    }
    q, _ = torch.linalg.qr(torch.randn(max(d, r), min(d, r), generator=g, dtype=torch.float64))
    want["V"] = (q if r <= d else q.T).float()
    for name, value in want.items():
        assert torch.equal(getattr(cell, name).detach(), value), name
    assert torch.equal(cell.eta.detach(), torch.full((n,), 0.2))
    assert cell.kappa.item() == torch.tensor(0.3).item()


@pytest.mark.parametrize("cell", ["random", "pretrained"])
def test_the_numpy_step_reads_the_cells_own_arrays(cell):
    """The NumPy step's parameters are the weights' arrays themselves (the scalars
    clamped), for a drawn and for a loaded cell, before and after a pickle."""
    model = DREAMOnlineRegressor(seed=4, cell=cell)
    for i in range(12):
        model.learn_one({"a": float(i), "b": float(i % 3)}, float(i))
    for m in (model, pickle.loads(pickle.dumps(model))):
        for name in ("C", "W", "B", "V"):
            assert getattr(m._np_params, name) is getattr(m._cell_weights, name), name


def test_zeros_inserted_by_blocks_are_numpys_insert():
    """The readouts' weights and the replay ring grow by ``_insert_zeros`` (block
    copies): the array ``np.insert(a, at, 0.0, axis=-1)`` gives, dtype and shape
    included, for positions in increasing order with repeats, at either end too."""
    from dream_sklearn.online._features import _insert_zeros

    rng = np.random.default_rng(0)
    for _ in range(300):
        a = rng.normal(size=(*rng.integers(1, 4, size=rng.integers(1, 3)), rng.integers(0, 9)))
        at = np.sort(rng.integers(0, a.shape[-1] + 1, size=rng.integers(0, 7))).tolist()
        got = _insert_zeros(a, at)
        want = np.insert(a, at, 0.0, axis=-1)
        assert got.dtype == want.dtype and np.array_equal(got, want), (a.shape, at)
