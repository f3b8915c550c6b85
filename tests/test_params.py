"""One source for the cell's parameters (DREAMConfig) and NumPy scalars as parameters.

Every front (DREAMConfig, DREAMCell, DREAM, DREAMStack, the scikit-learn estimators,
the online estimators, the drift detector) takes the cell's parameters' names,
defaults and rules from DREAMConfig; a bad value gets the same words everywhere.
"""

import ast
import dataclasses
import inspect
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import check_param_validation

from dream_sklearn import DREAMClassifier, DREAMFeatures, DREAMRegressor
from dream_sklearn.drift import SurpriseDriftDetector
from dream_sklearn.nn import DREAM, DREAMCell, DREAMConfig, DREAMStack
from dream_sklearn.nn._layer import _REQUIRED
from dream_sklearn.online import DREAMOnlineClassifier, DREAMOnlineRegressor

# The fronts' public names that differ from DREAMConfig's fields (written out here,
# independently of the package, so that a rename in the package fails this test).
PUBLIC_NAMES = {"plasticity": "plasticity_enabled", "ltc": "ltc_enabled", "sleep": "sleep_enabled"}
FIELDS = {f.name for f in dataclasses.fields(DREAMConfig)}
CONFIG_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(DREAMConfig)
    if f.default is not dataclasses.MISSING
}

# The only defaults where a front deliberately differs from DREAMConfig (documented in
# docs/design.md); hidden_dim has no DREAMConfig default.
OVERRIDES = {
    DREAMClassifier: {"hidden_dim": 64, "rank": 4, "time_step": 1.0, "plasticity_enabled": False},
    DREAMRegressor: {"hidden_dim": 64, "rank": 4, "time_step": 1.0, "plasticity_enabled": False},
    DREAMOnlineClassifier: {"hidden_dim": 32, "rank": 4},
    DREAMOnlineRegressor: {"hidden_dim": 32, "rank": 4},
    DREAMFeatures: {"hidden_dim": 64, "rank": 4, "plasticity_enabled": False},
    SurpriseDriftDetector: {"hidden_dim": 8, "error_smoothing": 0.002, "surprise_temperature": 0.5},
    DREAM: {},
    DREAMStack: {},
}

X3 = np.random.RandomState(0).normal(size=(12, 3, 2))
Y = np.arange(12) % 2


def _cell_params(front) -> dict:
    """``{public name: signature default}`` of the cell parameters a front exposes."""
    sig = inspect.signature(front.__init__)
    return {
        name: p.default
        for name, p in sig.parameters.items()
        if PUBLIC_NAMES.get(name, name) in FIELDS
        and name not in ("input_dim",)
        and p.default is not inspect.Parameter.empty
        and p.default is not _REQUIRED  # (DREAM's sizes: required)
    }


def _rule_text(message: str) -> tuple[str, str, str]:
    """``(parameter, what it must be, what was given)`` from a scikit-learn-shaped message."""
    # (a stack's layer sizes are named as given: 'hidden_dims[1]')
    m = re.fullmatch(
        r"The '([\w\[\]]+)' parameter of \w+ must be (.+)\. Got (.+) instead\.", message
    )
    assert m, message
    return m.groups()


def _config_rule(field, bad):
    with pytest.raises(ValueError) as err:
        DREAMConfig(**{"input_dim": 2, "hidden_dim": 4, field: bad})
    return _rule_text(str(err.value))[1]


# --- one source: names, defaults ------------------------------------------------------------


@pytest.mark.parametrize("front", list(OVERRIDES), ids=lambda f: f.__name__)
def test_front_defaults_are_dreamconfigs_except_the_named_overrides(front):
    defaults = _cell_params(front)
    assert defaults, front
    for name, default in defaults.items():
        field = PUBLIC_NAMES.get(name, name)
        expected = OVERRIDES[front].get(field, CONFIG_DEFAULTS.get(field))
        assert default == expected and type(default) is type(expected), (name, default)
    # Every named override is a parameter of the front (none is stale).
    exposed = {PUBLIC_NAMES.get(n, n) for n in defaults}
    assert set(OVERRIDES[front]) <= exposed


def test_sklearn_front_exposes_the_cell_switches_under_their_public_names():
    params = DREAMClassifier().get_params()
    assert {"plasticity", "ltc", "sleep"} <= set(params)
    assert not {"plasticity_enabled", "ltc_enabled", "sleep_enabled"} & set(params)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_the_fitted_cell_gets_every_cell_parameter_of_the_estimator(Estimator):
    values = {
        "hidden_dim": 5,
        "rank": 3,
        "time_step": 0.7,
        "plasticity": False,
        "ltc": False,
        "sleep": False,
        "surprise_mode": "absolute",
        "forgetting_rate": 0.01,
        "base_plasticity": 0.25,
        "base_threshold": 0.4,
        "ltc_tau_sys": 3.0,
        "sleep_rate": 0.02,
        "fast_weight_scale": 0.3,
        "target_norm": 1.5,
    }
    assert set(values) == set(_cell_params(Estimator))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(solver="adam", max_iter=1, random_state=0, **values).fit(X3, Y)
    config = est.module_.dream.config
    for name, value in values.items():
        assert getattr(config, PUBLIC_NAMES.get(name, name)) == value, name


@pytest.mark.parametrize("Online", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_the_online_cell_gets_hidden_dim_rank_and_cell_params(Online):
    model = Online(hidden_dim=5, rank=3, cell_params={"ltc_tau_sys": 2.0, "sleep_enabled": False})
    model.learn_one({"a": 1.0, "b": 2.0}, 1)
    config = model.cell_.config
    assert (config.hidden_dim, config.rank, config.ltc_tau_sys) == (5, 3, 2.0)
    assert config.sleep_enabled is False
    # Fields left out keep DREAMConfig's defaults.
    assert config.time_step == CONFIG_DEFAULTS["time_step"]


def test_dream_stack_reads_tau_sys_from_dreamconfig_and_tau_growth_still_works():
    stack = DREAMStack(3, [4, 4, 4], rank=2, tau_growth=2.0)
    base = DREAMConfig(input_dim=1, hidden_dim=1).ltc_tau_sys
    assert [layer.config.ltc_tau_sys for layer in stack.layers] == [base, 2 * base, 4 * base]
    stack = DREAMStack(3, [4, 4], rank=2, tau_growth=3.0, ltc_tau_sys=2.0)
    assert [layer.config.ltc_tau_sys for layer in stack.layers] == [2.0, 6.0]
    with pytest.raises(ValueError, match="The 'tau_growth' parameter of DREAMStack must be"):
        DREAMStack(3, [4], tau_growth=0.0)


def _doc_defaults(obj) -> dict:
    """``{name: default}`` of the numpydoc entries ``name : type, default=value``."""
    out = {}
    for name, value in re.findall(r"^\s{4}(\w+) : .*default=(.+)$", obj.__doc__, re.M):
        out[name] = ast.literal_eval(value)
    return out


@pytest.mark.parametrize("front", list(OVERRIDES), ids=lambda f: f.__name__)
def test_documented_defaults_match_the_signature(front):
    documented = _doc_defaults(front)
    for name, default in _cell_params(front).items():
        if name in documented:
            assert documented[name] == default, name


# --- one source: rules and words -------------------------------------------------------------

# (field, a bad value): one per kind of rule.
BAD = [
    ("hidden_dim", 0),
    ("rank", 2.5),
    ("time_step", -1.0),
    ("forgetting_rate", -0.5),
    ("sleep_rate", 1.5),
    ("ltc_tau_sys", 0.0),
    # (below the step's floor of 1e-3: kept and shown, but it acted as 1e-3; review 191)
    ("ltc_tau_sys", 1e-5),
    ("target_norm", float("nan")),
    ("ltc_enabled", 1),
    ("surprise_mode", "loud"),
]


def test_every_dreamconfig_field_has_a_rule():
    from dream_sklearn.nn._config import _CELL_RULES

    assert set(_CELL_RULES) == FIELDS


@pytest.mark.parametrize("field, bad", BAD)
@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_sklearn_front_gives_dreamconfigs_rule_text(Estimator, field, bad):
    public = {v: k for k, v in PUBLIC_NAMES.items()}.get(field, field)
    with pytest.raises(ValueError) as err:
        Estimator(**{public: bad}).fit(X3, Y)
    name, rule, got = _rule_text(str(err.value))
    assert (name, rule, got) == (public, _config_rule(field, bad), repr(bad))
    assert f"parameter of {Estimator.__name__} must be" in str(err.value)


@pytest.mark.parametrize("field, bad", BAD)
def test_cell_and_layers_give_dreamconfigs_rule_text(field, bad):
    expected = _config_rule(field, bad)
    kwargs = {} if field == "hidden_dim" else {field: bad}
    hidden = bad if field == "hidden_dim" else 4
    for build in (
        lambda: DREAMCell(2, hidden, **kwargs),
        lambda: DREAM(2, hidden, **kwargs),
        lambda: DREAMStack(2, [hidden], **kwargs),
    ):
        with pytest.raises(ValueError) as err:
            build()
        assert _rule_text(str(err.value))[1:] == (expected, repr(bad))


@pytest.mark.parametrize("field, bad", [b for b in BAD if b[0] not in ("hidden_dim", "rank")])
@pytest.mark.parametrize("Online", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_online_cell_params_give_dreamconfigs_rule_text(Online, field, bad):
    model = Online(cell_params={field: bad})
    with pytest.raises(ValueError) as err:
        model.learn_one({"a": 1.0}, 1)
    assert _rule_text(str(err.value)) == (field, _config_rule(field, bad), repr(bad))


@pytest.mark.parametrize("field, bad", [("hidden_dim", 0), ("rank", 2.5), ("rank", True)])
@pytest.mark.parametrize("Online", [DREAMOnlineClassifier, DREAMOnlineRegressor])
def test_online_shape_params_give_dreamconfigs_rule_text(Online, field, bad):
    with pytest.raises(ValueError) as err:
        Online(**{field: bad}).learn_one({"a": 1.0}, 1)
    assert _rule_text(str(err.value)) == (field, _config_rule(field, bad), repr(bad))
    assert f"of {Online.__name__} must be" in str(err.value)


@pytest.mark.parametrize(
    "field, bad",
    [("hidden_dim", 0), ("error_smoothing", 2.0), ("surprise_temperature", 0.0)],
)
def test_drift_detector_cell_params_give_dreamconfigs_rule_text(field, bad):
    with pytest.raises(ValueError) as err:
        SurpriseDriftDetector(**{field: bad})
    assert _rule_text(str(err.value)) == (field, _config_rule(field, bad), repr(bad))
    assert "of SurpriseDriftDetector must be" in str(err.value)


@pytest.mark.parametrize("Estimator", [DREAMClassifier, DREAMRegressor])
def test_sklearn_param_validation_check_passes(Estimator):
    # scikit-learn's own check (not in parametrize_with_checks): every parameter has
    # a constraint entry, and bad values raise InvalidParameterError in its words.
    check_param_validation(Estimator.__name__, Estimator(hidden_dim=4, rank=2, max_iter=2))


# --- NumPy scalars as parameters (issue 14, scikit-learn's first item) -------------------------


def test_grid_search_over_numpy_integers():
    # Was: "The 'hidden_dim' parameter of DREAMConfig must be an int >= 1. Got np.int64(4)".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            DREAMClassifier(rank=2, solver="adam", max_iter=2, random_state=0),
            {"hidden_dim": np.arange(4, 9, 4)},
            cv=2,
            error_score="raise",
        ).fit(X3, Y)
    assert [p["hidden_dim"] for p in search.cv_results_["params"]] == [4, 8]
    config = search.best_estimator_.module_.dream.config
    assert type(config.hidden_dim) is int and config.hidden_dim in (4, 8)


def test_grid_search_over_numpy_bools_and_floats():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            DREAMRegressor(hidden_dim=4, rank=2, solver="adam", max_iter=2, random_state=0),
            {"ltc": np.array([True, False]), "time_step": np.array([0.5], dtype=np.float32)},
            cv=2,
            error_score="raise",
        ).fit(X3, Y.astype(float))
    config = search.best_estimator_.module_.dream.config
    assert type(config.ltc_enabled) is bool and type(config.time_step) is float
    assert config.time_step == 0.5


def test_online_estimator_takes_a_numpy_hidden_dim():
    model = DREAMOnlineClassifier(hidden_dim=np.int64(8), rank=np.int32(2), seed=np.int64(0))
    model.learn_one({"a": 1.0}, "x")
    model.learn_one({"a": -1.0}, "y")
    assert set(model.predict_proba_one({"a": 0.5})) == {"x", "y"}
    assert type(model.cell_.config.hidden_dim) is int and model.cell_.config.hidden_dim == 8
    assert type(model.cell_.config.rank) is int


def test_cell_takes_a_numpy_input_dim():
    cell = DREAMCell(np.int64(3), 8)
    assert type(cell.config.input_dim) is int and cell.config.input_dim == 3
    assert cell.C.shape == (8, 3) and cell.V.shape == (3, cell.config.rank)


def test_cell_params_take_numpy_floats():
    model = DREAMOnlineRegressor(cell_params={"time_step": np.float32(0.1), "kappa": np.int64(1)})
    model.learn_one({"a": 1.0}, 2.0)
    config = model.cell_.config
    assert type(config.time_step) is float and config.time_step == float(np.float32(0.1))
    assert type(config.kappa) is float and config.kappa == 1.0


def test_dreamconfig_stores_plain_python_values_and_still_rejects_bools_as_numbers():
    cfg = DREAMConfig(
        input_dim=np.int16(2),
        hidden_dim=np.uint8(4),
        time_step=np.float16(0.5),
        ltc_enabled=np.False_,
        surprise_mode=np.str_("absolute"),
    )
    assert [type(v) for v in (cfg.input_dim, cfg.hidden_dim, cfg.time_step)] == [int, int, float]
    assert cfg.ltc_enabled is False and type(cfg.surprise_mode) is str
    with pytest.raises(ValueError, match="'hidden_dim' parameter of DREAMConfig must be an int"):
        DREAMConfig(input_dim=2, hidden_dim=True)
    with pytest.raises(ValueError, match="'time_step' parameter of DREAMConfig must be a finite"):
        DREAMConfig(input_dim=2, hidden_dim=4, time_step=np.True_)
    with pytest.raises(ValueError, match="'time_step' parameter of DREAMConfig must be a finite"):
        DREAMConfig(input_dim=2, hidden_dim=4, time_step=10**400)  # beyond a float's range
