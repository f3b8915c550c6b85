"""Reading the online estimators' rows and frames: numbers only, a NaN or None
value is a missing feature (``missing="raise"``: a ValueError), every other bad
value a ValueError naming the feature."""

from __future__ import annotations

import decimal
import math
import numbers
import reprlib
from typing import Any

import numpy as np
import pandas as pd

from .._limits import MAX_ABS, NOT_REAL

__all__: list[str] = []

# Text is never read as a number, even "1.5" (np.str_ and np.bytes_ are subclasses).
_TEXT = (str, bytes)
_NON_NUMERIC = (
    "DREAM online estimators take numbers only (encode categorical features first, "
    "e.g. with river.preprocessing.OneHotEncoder)."
)


def _is_text(value: Any) -> bool:
    return isinstance(value, _TEXT)


# (np.fromiter(..., float) reads NumPy's dates and durations as counts of their unit:
# a review found both read silently on one path and a bare TypeError on the other)
_NOT_REAL = NOT_REAL


def _other_array(value: Any) -> np.ndarray | None:
    """Another library's array (a torch tensor, a dask or sparse array: an object
    with ``ndim`` that is no NumPy array or scalar) as NumPy's (a 0-d one that NumPy
    cannot take, such as a tensor that requires a gradient, through its ``float``, as
    the compiled row reads it), or None where neither reads it."""
    try:
        return np.asarray(value)
    except Exception:  # (each library raises its own)
        pass
    try:
        return np.asarray(float(value)) if value.ndim == 0 else None
    except Exception:
        return None


def _is_not_real(value: Any) -> bool:
    """Text, a complex number (NumPy's too), a NumPy date or duration, or an array
    of one or more values (NumPy's, or another library's: a torch tensor):
    ``np.fromiter(..., float)`` would read each as a number (its real part, its unit
    count, its one element). Another library's 0-d array is read as NumPy's is."""
    original = value
    if not isinstance(value, np.ndarray):
        if isinstance(value, _NOT_REAL):
            return True
        if isinstance(value, np.generic) or not hasattr(value, "ndim"):
            return False
        # (a torch tensor of one element was read as that element on one path only:
        # a review's finding)
        value = _other_array(value)
        if value is None:
            return True
    if value.ndim > 0 or value.dtype.kind in "cmMUSV":
        return True
    if value.dtype.kind != "O":
        return False
    item = value.item()  # (an object NumPy holds as itself is no number)
    return item is original or _is_not_real(item)


def _scalar(value: Any) -> Any:
    """A 0-d array of numbers or objects as its value (what the compiled row reads),
    another library's 0-d array (a torch tensor) too; NumPy's ``masked`` and a 0-d
    masked array with its mask set as None (the compiled row reads them as NaN);
    anything else, a 0-d date included (its value
    of NaT would read None), as it is."""
    if not isinstance(value, np.ndarray):
        if isinstance(value, (np.generic, *_NOT_REAL)) or not hasattr(value, "ndim"):
            return value
        array = _other_array(value)
        if array is None:
            return value
        value = array
    # (np.ma.masked, and a 0-d masked array whose mask is set, as an element of a
    # masked row read by a 0-d view is: the compiled row read it as NaN, the NumPy
    # path refused it as non-finite; review 134)
    if value.ndim == 0 and bool(np.ma.getmask(value)):
        return None
    if value.ndim == 0 and value.dtype.kind in "biufO":
        return value.item()
    return value


def _is_missing(value: Any) -> bool:
    """None, pandas' NA, NumPy's ``masked``, or a NaN number (a Decimal's too, a 0-d
    array's): a missing value (as an absent key). A NumPy duration's NaT is not: a
    duration is refused, NaT or not."""
    value = _scalar(value)  # (a 0-d NaN is missing on both paths)
    if value is None or value is pd.NA:
        return True
    if isinstance(value, _NOT_REAL):  # (np.timedelta64 is a numbers.Real)
        return False
    if isinstance(value, decimal.Decimal):  # (a signalling NaN raises when compared)
        return value.is_nan()
    return isinstance(value, numbers.Real | np.bool_) and value != value


# The numbers a row may hold beside the real ones: a Decimal, read as float (as
# _row_values' fast check, np.fromiter, and a frame's column, _column_values, read
# it; a review found it refused only in a row that also had a missing value).
_NUMBER = numbers.Real | np.bool_ | decimal.Decimal


def _not_a_number(value: Any) -> bool:
    """Whether ``value`` is no number the rows take: not a real number, a NumPy bool
    or a Decimal (a 0-d array or tensor of one read as it), missing values included
    (None is no number; callers test for missing first where it is allowed). An object
    that ``float()`` merely accepts (a ``bytearray`` of digits, a class with
    ``__float__``) is none: it was read as a number unless the row also had a missing
    value (review 270)."""
    return _is_not_real(value) or not isinstance(_scalar(value), _NUMBER)


def _shown(value: Any) -> str:
    """``value`` as an error message shows it: a NumPy scalar as its Python value
    (``nan``, not ``np.float64(nan)``: review 341), anything else by its ``repr``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _missing_error(name: Any, value: Any, where: str = "") -> ValueError:
    return ValueError(
        f"Feature {name!r} has a missing value {_shown(value)}{where}, and missing='raise' "
        "(missing='ignore', the default, reads NaN and None as an absent feature)."
    )


# A value in a message: an int or other number too large for a float cut short (10**400
# was printed whole, a 520-character message; review 159), a float's repr whole
# (reprlib's default cut np.float64(-1.2345678901234567e+300) at 30 characters; review 161).
_SHORT = reprlib.Repr()
_SHORT.maxother = 80


def _too_large(name: Any, value: Any, where: str = "") -> ValueError:
    return ValueError(
        f"Feature {name!r} has a value too large: {_SHORT.repr(value)}{where} (at most "
        f"{MAX_ABS:g} in "
        "absolute value is accepted; such a value is usually a sentinel)."
    )


_PLAIN = (float, int)  # (exactly these types: not bool, not a subclass)


def _row_values(x: dict, strict: bool = False) -> tuple[dict, np.ndarray]:
    """The row without its missing values, and its values as float64.

    A NaN or None value is a missing feature, as an absent key is (``strict``: a
    ValueError instead); anything else that is not a finite number within MAX_ABS is
    a ValueError naming the first bad feature. The row itself comes back when
    nothing is missing.
    """
    if not isinstance(x, dict):
        raise TypeError(f"x must be a dict of feature values; got {type(x).__name__}.")
    try:
        # (plain floats and ints in bounds, the usual values: no test more)
        if all(type(v) in _PLAIN and -MAX_ABS <= v <= MAX_ABS for v in x.values()):
            return x, np.fromiter(x.values(), dtype=float, count=len(x))
        ok = not any(map(_not_a_number, x.values()))
        if ok:
            values = np.fromiter(x.values(), dtype=float, count=len(x))
            ok = bool(np.isfinite(values).all()) and np.abs(values).max(initial=0.0) <= MAX_ABS
    except (TypeError, ValueError, OverflowError, AttributeError):
        ok = False
    if ok:
        return x, values
    kept = {}
    for name, v in x.items():
        if _is_missing(v):
            if strict:
                raise _missing_error(name, v)
            continue
        if _not_a_number(v):
            raise ValueError(f"Feature {name!r} has a non-numeric value {v!r}; {_NON_NUMERIC}")
        try:
            float(v)
        except OverflowError:  # an int beyond float's range
            raise _too_large(name, v) from None
        if math.isinf(float(v)) and _finite(v):  # (Decimal("1e400"): review 372)
            raise _too_large(name, v)
        if not math.isfinite(float(v)):
            raise ValueError(f"Feature {name!r} has a non-finite value {v!r} (NaN or inf).")
        if abs(float(v)) > MAX_ABS:
            raise _too_large(name, v)
        kept[name] = v
    return kept, np.fromiter(kept.values(), dtype=float, count=len(kept))


def _as_float(values: np.ndarray) -> np.ndarray | None:
    """A row's values (``np.array`` of them, not float64) as float64, a missing
    value (None, pandas' NA) as NaN; None when one is not a plain number (text, an
    object...): the NumPy path reads the row (and says what is wrong)."""
    if values.ndim != 1:
        return None
    if values.dtype.kind in "iubf":
        return values.astype(np.float64)
    if values.dtype.kind != "O":
        return None
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if type(v) is float:  # (the usual value, NaN included: no test needed)
            out[i] = v
        elif _is_missing(v):
            out[i] = np.nan
        elif isinstance(v := _scalar(v), _NUMBER) and not _is_not_real(v):
            # (a 0-d array of a number is that number, as the NumPy path reads it: a
            # 0-d object array among the values stays an array in ``np.array`` of them,
            # and sent the row to the NumPy path, equal only to rounding)
            try:
                out[i] = float(v)
            except OverflowError:  # the NumPy path says which feature
                return None
        else:
            return None
    return out


def _sort_key(name: Any) -> tuple[str, str]:
    """The order in which new feature names of one row are registered: by type name,
    then by ``repr``, but a set's members (also within a tuple) in this order: a
    set's ``repr`` lists them in the order of their hashes, which for text change
    from one process to the next (review 211: frozenset names gave another result
    in each process under one seed). Names whose type keeps ``object``'s ``repr``
    (their address) keep the row's order. Equal numbers of any type (``10``,
    ``10.0``, ``np.int64(10)``; ``True`` and ``1``) are one dict key, so they are one
    name here too, with the ints' place (:func:`_number_text`): pandas makes the
    column names ``[10, 2.5]`` floats, and a frame learned ``10.0`` where its rows
    learned ``10``, in another place (review 324)."""
    if type(name) is str:  # (the usual name: what the tests below give it, at once)
        return "str", repr(name)
    number = _number_text(name)
    if number is not None:
        return "int", number
    return type(name).__name__, _canonical(name)


def _number_text(name: Any) -> str | None:
    """A number's text, the same for equal numbers of any type (an integral value as
    an int's ``repr``, any other as a float's), or None for anything else (also a
    number that no float equals, as ``Fraction(1, 3)``, and NaN)."""
    if isinstance(name, np.timedelta64):  # (a NumPy integer, but not a number to compare)
        return None
    if isinstance(name, numbers.Complex) and not isinstance(name, numbers.Real):
        return _number_text(name.real) if name.imag == 0 else None
    if not isinstance(name, numbers.Real | decimal.Decimal | np.bool_):
        return None
    try:
        whole = int(name)
    except (TypeError, ValueError, OverflowError):  # (NaN, infinities)
        whole = None
    if whole is not None and whole == name:  # (exact: 2**53 + 1 as a Fraction too)
        return str(whole)
    try:
        value = float(name)
    except (TypeError, ValueError, OverflowError):
        return None
    return repr(value) if value == name else None


def _canonical(name: Any) -> str:
    number = _number_text(name)
    if number is not None:  # (a tuple's members: see _sort_key)
        return number
    if isinstance(name, set | frozenset):
        members = sorted("".join(_sort_key(m)) for m in name)
        return "{" + ", ".join(members) + "}"
    if type(name) is tuple:
        return "(" + ", ".join(map(_canonical, name)) + ("," if len(name) == 1 else "") + ")"
    if type(name).__repr__ is object.__repr__:
        return ""
    return repr(name)


def _aligned_targets(X: pd.DataFrame, y: Any) -> Any:
    """``y`` in the order of ``X``'s rows: a Series is matched by its index, as river's
    ``learn_many(X, y)`` means it (the same index); a list, tuple or 1-d array is read
    by position. Anything else is refused (a DataFrame, a dict or a string read as a
    sequence would give its column names, keys or characters as targets).
    """
    if not isinstance(y, pd.Series):
        sequences = list | tuple | range | np.ndarray | pd.Index | pd.api.extensions.ExtensionArray
        if not isinstance(y, sequences):
            raise TypeError(
                "y must be a pandas Series of targets (or a list, tuple or 1-d array of "
                f"them, one per row of X); got {type(y).__name__}."
            )
        if isinstance(y, np.ndarray) and y.ndim != 1:  # (a list may hold tuple labels)
            raise ValueError(f"y must be 1-d (one target per row of X); got shape {y.shape}.")
        return y
    if y.index.equals(X.index):
        return y
    if len(y) != len(X):  # (the indexes' first labels alike would say nothing: review 341)
        raise ValueError(
            f"X has {len(X)} rows but y has {len(y)} values: learn_many needs y to be a "
            "Series with the same index labels as the rows of X."
        )
    if (
        X.index.is_unique
        and y.index.is_unique
        and set(y.index) == set(X.index)  # the same labels in another order
    ):
        return y.reindex(X.index)
    why = (
        " (in any order when the labels are unique; with a label repeated, in the "
        "same order, as the rows it names could not be told apart otherwise)"
        if not (X.index.is_unique and y.index.is_unique)
        else " (in any order)"
    )
    raise ValueError(
        "The index of y does not match the index of X: learn_many needs y to be a "
        f"Series with the same index labels as the rows of X{why}. Got X "
        f"index {list(X.index[:5])}{'...' if len(X) > 5 else ''} and y index "
        f"{list(y.index[:5])}{'...' if len(y) > 5 else ''}."
    )


def _row_key(row: dict) -> tuple:
    """A hashable key of a row's content (a row read by ``_row_values``): its names
    and values as floats, in the names' order, so that the same row copied, with its
    keys in another order or its numbers of another type, has the same key. The
    names in :func:`_sort_key`'s order, then by hash: names that keep ``object``'s
    ``repr`` all sort first there, and without more their order was the dict's, so a
    label whose row came back with its keys in another order found no row (review
    213). Their hash tells them apart within the process, which is where rows are
    matched, and, unlike their address, it is one for names equal but not the same
    object (review 215)."""
    names = tuple(row)
    plain = all(type(name) is str for name in names)
    order = _KEY_ORDERS.get(names) if plain else None
    if order is None:
        order = sorted(range(len(names)), key=lambda i: (_sort_key(names[i]), hash(names[i])))
        if plain:  # (kept for the rows with these names after)
            if len(_KEY_ORDERS) >= _MAX_KEY_ORDERS:
                _KEY_ORDERS.clear()
            _KEY_ORDERS[names] = order
    values = tuple(row.values())
    return tuple([(names[i], float(values[i])) for i in order])


# The order _row_key sorts a row's names in, by the names, where they are all plain
# text (the usual rows): names of other types can be equal, and hash alike, where
# their order is not (np.str_("b") and "b", a namedtuple and its tuple: review 420);
# at most _MAX_KEY_ORDERS kept, then started anew (rows whose keys come in ever new
# orders or subsets)
_KEY_ORDERS: dict = {}
_MAX_KEY_ORDERS = 1024


def _column_values(column: pd.Series) -> np.ndarray:
    """One column as float64, a missing value (None, NaN, pandas' NA) as NaN: a
    TypeError where a value is not a number, a ValueError where one is too large."""
    if column.dtype.kind != "O":
        try:
            return column.to_numpy(dtype=float, na_value=np.nan)
        except (ValueError, NotImplementedError) as err:
            raise TypeError(str(err)) from err
    out = np.empty(len(column))
    for i, v in enumerate(column):
        if _is_missing(v):
            out[i] = np.nan
        elif _not_a_number(v):
            raise TypeError(f"{v!r} is not a real number")
        else:
            try:
                out[i] = float(v)  # (a Decimal, a Fraction... as the row path reads them)
            except OverflowError:  # an int beyond float's range
                raise _too_large(column.name, v, f" (row {column.index[i]!r})") from None
    return out


def _arrow_kind(dtype: pd.ArrowDtype) -> str:
    """What a pyarrow column holds: ``"number"`` (integers, floats, booleans, decimals,
    nulls), ``"bool8"`` (arrow's canonical 8-bit booleans: nonzero is true, as a row's
    ``True``), ``"text"`` (strings: the text scan names a value) or ``"other"``: dates,
    times, durations, periods, a dictionary (categories), lists (a list of one value was
    read as that value, where a row's is refused), bytes (``b"1.5"`` was read as 1.5,
    review 284), intervals (pandas' own NotImplementedError, review 284), any other
    extension type (pandas' periods were read as ordinals through their storage,
    review 289)."""
    import pyarrow as pa  # (an ArrowDtype exists only where pyarrow does)
    import pyarrow.types as pt

    arrow = dtype.pyarrow_dtype
    if isinstance(arrow, pa.BaseExtensionType):
        return "bool8" if arrow.extension_name == "arrow.bool8" else "other"
    if any(is_(arrow) for is_ in (pt.is_integer, pt.is_floating, pt.is_boolean)):
        return "number"
    if pt.is_decimal(arrow) or pt.is_null(arrow):
        return "number"
    string_view = getattr(pt, "is_string_view", pt.is_string)
    if pt.is_string(arrow) or pt.is_large_string(arrow) or string_view(arrow):
        return "text"
    return "other"


def _frame_values(X: pd.DataFrame, strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A frame's values (float64) and presence; NaN or None is a missing value
    (``strict``: a ValueError), inf an error."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    if not X.columns.is_unique:  # (a row's dict would keep the last of them)
        dups = list(dict.fromkeys(X.columns[X.columns.duplicated()]))
        raise ValueError(f"X has duplicate column names {dups!r}: each feature must be one column.")
    bool8 = []  # (columns of arrow's bool8, read as their storage: nonzero is true)
    for j, dtype in enumerate(X.dtypes):  # text, even "1.5", is not a number (as in a row)
        if isinstance(dtype, np.dtype) and dtype.kind in "fiub":  # (numbers: the usual
            continue  # case, without pandas' tests, some 10 µs a column each)
        if isinstance(dtype, pd.ArrowDtype):  # (pandas' own tests raised
            # NotImplementedError on some pyarrow types: string_view, intervals)
            kind = _arrow_kind(dtype)
            refused, text_column = kind == "other", kind == "text"
            if kind == "bool8":
                bool8.append(j)
        else:
            refused = (
                pd.api.types.is_complex_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype)
                or pd.api.types.is_timedelta64_dtype(dtype)
                # categories are labels, not quantities, numbers among them too (their
                # values were read as an ordinal scale: a review's finding)
                or isinstance(dtype, pd.CategoricalDtype)
            )
            text_column = pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        if refused:
            raise ValueError(
                f"Feature {X.columns[j]!r} has values of dtype {dtype}, not real numbers; "
                f"{_NON_NUMERIC}"
            )
        if text_column:
            text = np.fromiter(
                (not _is_missing(v) and _not_a_number(v) for v in X.iloc[:, j]),
                dtype=bool,
                count=len(X),
            )
            if text.any():
                i = int(text.argmax())
                raise ValueError(
                    f"Feature {X.columns[j]!r} has a non-numeric value {X.iat[i, j]!r} "
                    f"(row {X.index[i]!r}); {_NON_NUMERIC}"
                )
    try:
        values = X.to_numpy(dtype=float, na_value=np.nan)
    # column by column, to say which (pandas has no float reading of some pyarrow
    # types: NotImplementedError)
    except (TypeError, ValueError, OverflowError, NotImplementedError):
        columns = []
        for c in X.columns:
            try:
                columns.append(_column_values(X[c]))
            except TypeError as err:
                raise ValueError(f"Feature {c!r} has non-numeric values; {_NON_NUMERIC}") from err
        values = np.column_stack(columns) if columns else np.zeros((len(X), 0))
    for j in bool8:  # (a storage of 2 read as 2, where a row's True reads 1: review 289)
        values[:, j] = np.where(np.isnan(values[:, j]), np.nan, values[:, j] != 0)
    present = ~np.isnan(values)
    if strict and not present.all():
        i, j = np.argwhere(~present)[0]
        raise _missing_error(X.columns[j], X.iat[i, j], f" (row {X.index[i]!r})")
    bad = np.isinf(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"Feature {X.columns[j]!r} has a non-finite value {float(values[i, j])!r} "
            f"(row {X.index[i]!r})."
        )
    big = np.abs(np.where(present, values, 0.0)) > MAX_ABS
    if big.any():
        i, j = np.argwhere(big)[0]
        raise ValueError(
            f"Feature {X.columns[j]!r} has a value too large: {float(values[i, j])!r} "
            f"(row {X.index[i]!r}; at most {MAX_ABS:g} in absolute value is accepted)."
        )
    return values, present


def _present(row: Any) -> Any:
    """``row`` without its missing values (a dict; anything else as it is)."""
    if not isinstance(row, dict):
        return row
    return {k: v for k, v in row.items() if not _is_missing(v)}


def _same_row(cached: dict, x: Any, strict: bool) -> bool:
    """Whether ``x`` is the row ``cached`` (a copy of a row read before): equal keys
    and values, and unless ``strict`` (missing="raise", where a missing value is an
    error of its own row) equal once missing values are left out (two NaN objects,
    or NaN and None, are the same missing value). Values whose comparison has no
    truth value (``pd.NA``, an array: the row's own validation says what is wrong
    with them) are not the same."""
    try:
        if cached == x:  # (the row predicted and learned: the one case that matters fast)
            return True
    except (TypeError, ValueError, ArithmeticError):  # (Decimal("sNaN") raises the last)
        pass
    if strict:
        return False
    try:
        return bool(_present(cached) == _present(x))
    except (TypeError, ValueError, ArithmeticError):
        return False


def _finite(y: Any) -> bool:
    """Whether ``y`` is finite in its own type (a number float() reads as inf may
    not be: ``Decimal("1E+500")``, a long double of 1e400)."""
    try:
        return bool(y == y) and bool(abs(y) != math.inf)
    except Exception:  # (a value that compares with nothing: not finite)
        return False
