"""Checks for test cells whose failures a beginner can read: in French, naming what was
expected and what differed.

A bare `assert f(2) == 4` fails with nothing to read, and numpy's or pandas's assertion
helpers fail in English (`DataFrame.iloc[:, 1] (column name="jour") are different`). Test
cells call these functions instead; each raises `AssertionError` with one French sentence,
which the grader and `ecole-ia check` show under the question:

    from ecole_ia.checks import check_equal, check_close, check_frame
    check_equal(categorie(15), "moyen", "categorie(15)")
    check_close(prix_ttc(100), 120.0, "prix_ttc(100)")
    check_frame(moyennes_par_jour(releves), attendu, "moyennes_par_jour(releves)")

`what` is the expression as the learner wrote it (or a short French description); messages
read « categorie(15) devrait valoir 'moyen' : votre code donne 'petit'. »

Checks compare the *type* too where a beginner's mistake hides there (a string "12" for the
number 12, a list for a tuple), which also defeats an object whose `==` always answers True.
Only numpy and pandas are imported, and only when a check needs them.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

MAX_SHOWN = 120  # longest value shown in a message, in characters


def _show(value: Any) -> str:
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        value = value.item()  # np.float64(0.5) reads 0.5
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _type_name(value: Any) -> str:
    if type(value).__module__ == "numpy" and hasattr(value, "shape") and value.shape != ():
        return f"un tableau NumPy de forme {value.shape}"
    names = {bool: "un booléen (True/False)", int: "un entier (int)",
             float: "un nombre à virgule (float)", str: "un texte (str)",
             list: "une liste", tuple: "un tuple", dict: "un dictionnaire", set: "un ensemble",
             type(None): "None"}
    return names.get(type(value), f"un objet de type {type(value).__name__}")


def fail(message: str) -> None:
    """Fail the question with `message` (French, says what to look at)."""
    raise AssertionError(message)


def check_true(condition: Any, message: str) -> None:
    """Fail with `message` unless `condition` holds (an `assert` that must say why)."""
    if not condition:
        fail(message)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_type(value: Any, expected: type | tuple[type, ...], what: str) -> None:
    """`value` must be an instance of `expected` (exactly `bool` when `bool` is asked)."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    ok = any(type(value) is bool if k is bool else
             (isinstance(value, k) and not (k is int and isinstance(value, bool)))
             for k in kinds)
    if not ok:
        wanted = " ou ".join(_type_name(k()) if k in (bool, int, float, str, list, tuple,
                                                          dict, set) else k.__name__
                             for k in kinds)
        fail(f"{what} devrait être {wanted} : votre code donne {_type_name(value)} "
             f"({_show(value)}).")


def check_equal(actual: Any, expected: Any, what: str) -> None:
    """`actual` must equal `expected` and be of the same kind (numbers: int and float are
    the same kind, use check_close for results of a computation with decimals)."""
    if _is_number(expected):
        if not _is_number(actual):
            fail(f"{what} devrait être un nombre ({_show(expected)}) : votre code donne "
                 f"{_type_name(actual)} ({_show(actual)}).")
    elif isinstance(expected, bool) or expected is None:
        if actual is not expected:
            fail(f"{what} devrait valoir {_show(expected)} : votre code donne {_show(actual)}.")
        return
    elif type(actual) is not type(expected):
        fail(f"{what} devrait être {_type_name(expected)} ({_show(expected)}) : votre code "
             f"donne {_type_name(actual)} ({_show(actual)}).")
    if not (expected == actual and actual == expected):
        fail(f"{what} devrait valoir {_show(expected)} : votre code donne {_show(actual)}.")


def check_close(actual: Any, expected: float, what: str, *, rel: float = 1e-6,
                abs: float = 1e-9) -> None:
    """A number computed with decimals: equal to `expected` up to rounding."""
    numpy_scalar = type(actual).__module__ == "numpy" and getattr(actual, "ndim", 1) == 0
    if not (_is_number(actual) or numpy_scalar) or isinstance(actual, bool) or \
            type(actual).__name__ == "bool_":
        fail(f"{what} devrait être un nombre (environ {_show(expected)}) : votre code donne "
             f"{_type_name(actual)} ({_show(actual)}).")
    value = float(actual)
    if math.isnan(value) or not math.isclose(value, expected, rel_tol=rel, abs_tol=abs):
        fail(f"{what} devrait valoir environ {_show(expected)} : votre code donne "
             f"{_show(actual)}.")


def check_raises(exception: type[BaseException], call: Callable[[], Any], what: str) -> None:
    """`call()` must raise `exception` (a learner's error handling)."""
    try:
        result = call()
    except exception:
        return
    except Exception as other:  # noqa: BLE001 — the learner's code raised something else
        fail(f"{what} devrait lever {exception.__name__} : votre code lève "
             f"{type(other).__name__} ({other}).")
    fail(f"{what} devrait lever {exception.__name__} : votre code ne lève aucune erreur et "
         f"donne {_show(result)}.")


def check_array(actual: Any, expected: Any, what: str, *, rtol: float = 1e-7,
                atol: float = 0.0) -> None:
    """A numpy array: same shape, and values equal up to rounding (`rtol`, `atol`)."""
    import numpy as np

    if not isinstance(actual, np.ndarray):
        fail(f"{what} devrait être un tableau NumPy (np.ndarray) : votre code donne "
             f"{_type_name(actual)}.")
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        fail(f"{what} devrait avoir la forme {expected.shape} : votre tableau a la forme "
             f"{actual.shape}.")
    try:
        close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    except TypeError:  # text or objects: exact comparison
        close = actual == expected
    if not np.all(close):
        where = tuple(int(i) for i in np.argwhere(~np.asarray(close))[0])
        position = where[0] if len(where) == 1 else where
        fail(f"{what} : à la position {position}, la valeur attendue est "
             f"{_show(expected[where].item())}, votre tableau contient "
             f"{_show(actual[where].item())} ({int(np.sum(~np.asarray(close)))} valeur(s) "
             "différente(s) en tout).")


def check_series(actual: Any, expected: Any, what: str, *, rtol: float = 1e-7,
                 check_dtype: bool = True, check_name: bool = False) -> None:
    """A pandas Series: same length, index, type of values and values."""
    import pandas as pd

    if not isinstance(actual, pd.Series):
        fail(f"{what} devrait être une série pandas (pd.Series) : votre code donne "
             f"{_type_name(actual)}.")
    if len(actual) != len(expected):
        fail(f"{what} devrait avoir {len(expected)} valeurs : la vôtre en a {len(actual)}.")
    if check_name and actual.name != expected.name:
        fail(f"{what} devrait s'appeler {_show(expected.name)} : la vôtre s'appelle "
             f"{_show(actual.name)}.")
    _compare_index(actual.index, expected.index, what, "index")
    _compare_values(actual, expected, what, "", rtol, check_dtype)


def check_frame(actual: Any, expected: Any, what: str, *, rtol: float = 1e-7,
                check_dtype: bool = True, check_index: bool = True) -> None:
    """A pandas DataFrame: same columns (in order), same rows (index), type of each column
    and values. The message names the first column and row that differ."""
    import pandas as pd

    if not isinstance(actual, pd.DataFrame):
        fail(f"{what} devrait être un tableau pandas (pd.DataFrame) : votre code donne "
             f"{_type_name(actual)}.")
    if list(actual.columns) != list(expected.columns):
        missing = [c for c in expected.columns if c not in actual.columns]
        extra = [c for c in actual.columns if c not in expected.columns]
        detail = (f"il manque {missing}" if missing else "") + \
                 (" ; " if missing and extra else "") + (f"en trop : {extra}" if extra else "")
        fail(f"{what} devrait avoir les colonnes {list(expected.columns)} dans cet ordre : "
             f"le vôtre a {list(actual.columns)}" + (f" ({detail})" if detail else "") + ".")
    if len(actual) != len(expected):
        fail(f"{what} devrait avoir {len(expected)} lignes : le vôtre en a {len(actual)}.")
    if check_index:
        _compare_index(actual.index, expected.index, what, "index des lignes")
    for column in expected.columns:
        _compare_values(actual[column], expected[column], what, f"colonne {column!r}", rtol,
                        check_dtype)


def _compare_index(actual, expected, what: str, label: str) -> None:
    if not actual.equals(expected):
        diff = next((i for i, (a, b) in enumerate(zip(actual, expected))
                     if not _same_value(a, b)), None)
        if diff is None:
            fail(f"{what} : {label} différent de celui attendu (types {actual.dtype} au lieu "
                 f"de {expected.dtype}).")
        fail(f"{what} : {label} différent à la position {diff} : attendu "
             f"{_show(expected[diff])}, obtenu {_show(actual[diff])}.")


def _is_missing(value) -> bool:
    """True for None, NaN, NaT and pd.NA; False for anything else, lists included."""
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # pd.isna of a list or an array is an array
        return False


def _same_value(a, b) -> bool:
    """Two cells of a column are the same: equal, or both missing. pd.NA (the missing value
    of "string" and nullable columns) cannot be compared with ==: that gives NA again, whose
    truth raises TypeError, so missing values are looked at first."""
    import numpy as np

    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.all(a == b))
    a_missing, b_missing = _is_missing(a), _is_missing(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # values == cannot compare (e.g. arrays of other lengths)
        return False


def _compare_values(actual, expected, what: str, label: str, rtol: float,
                    check_dtype: bool) -> None:
    import numpy as np
    import pandas as pd

    where = f"{what}, {label}" if label else what
    if check_dtype and actual.dtype != expected.dtype:
        fail(f"{where} : les valeurs devraient être de type {expected.dtype}, elles sont de "
             f"type {actual.dtype}.")
    left, right = actual.to_numpy(), expected.to_numpy()
    if pd.api.types.is_numeric_dtype(expected.dtype) and pd.api.types.is_numeric_dtype(
            actual.dtype) and not pd.api.types.is_bool_dtype(expected.dtype):
        same = np.isclose(left.astype(float), right.astype(float), rtol=rtol, atol=0,
                          equal_nan=True)
    else:
        same = np.array([_same_value(a, b) for a, b in zip(left, right)], dtype=bool)
    if not same.all():
        i = int(np.argmin(same))
        fail(f"{where} : à la ligne {i} (index {_show(expected.index[i])}), la valeur attendue "
             f"est {_show(right[i])}, vous avez {_show(left[i])} "
             f"({int((~same).sum())} valeur(s) différente(s) en tout).")
