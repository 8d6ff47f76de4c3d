#!/usr/bin/env python3
"""Generates the NumPy reference fixtures that kusari-array's parity tests
(crates/kusari-array/tests/numpy_parity*.rs) compare against.

Run it in the virtual environment that scripts/setup_venv.sh creates:

    bash scripts/setup_venv.sh
    .venv/bin/python scripts/gen_numpy_fixtures.py

The output is deterministic (fixed inputs, no randomness, sorted keys) and
small; the JSON files are committed so `cargo test` needs no Python.

Encoding
--------
An array is {"dtype": name, "shape": [...], "data": [C-order values],
"c_contiguous": bool, "f_contiguous": bool}; arrays that come from a view
also carry "strides" (in elements, as kusari reports them). Floats that JSON
cannot hold are the strings "nan", "inf" and "-inf". A NumPy exception is
recorded as {"error": "ValueError", "message": "..."}.

An input that is not a plain C-ordered array is {"base": array, "view":
[step, ...]}, where each step is one of
    ["T"]                     a.T
    ["transpose", [axes]]     a.transpose(axes)
    ["slice", [items]]        a[items]; an item is {"i": n}, {"s": [start,
                              stop, step]} (null for omitted), "newaxis"
                              or "..."
    ["asfortran"]             np.asfortranarray(a)
    ["broadcast_to", shape]   np.broadcast_to(a, shape)
    ["reshape", shape]        a.reshape(shape)
and the recorded "input" is the layout NumPy built (dtype, shape, strides and
flags, without the data), so a test can check that it rebuilt the same view.

A Python scalar operand is {"scalar": value, "kind": "bool"|"int"|"float"}.
"""

import json
import math
import os
import sys
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "crates", "kusari-array", "tests", "fixtures")

# kusari's dtypes that NumPy has (NumPy has no bfloat16).
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


# ---------------------------------------------------------------- encoding

def enc_value(x, dtype):
    if dtype.kind == "b":
        return bool(x)
    if dtype.kind in "iu":
        return int(x)
    # float16/float32 values are written as their shortest decimal at their own
    # precision ("0.1", not 0.10000000149011612); the tests round the parsed
    # float64 back to the dtype, which gives the exact value again.
    x = float(str(x)) if dtype.itemsize < 8 else float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc(a, strides=False):
    a = np.asarray(a)
    dtype = a.dtype
    out = {
        "dtype": str(dtype),
        "shape": list(a.shape),
        "data": [enc_value(x, dtype) for x in a.ravel(order="C")],
    }
    # A fresh 0-d or 1-D array is always both C- and F-contiguous; the flags
    # are recorded for views and for arrays of two or more dimensions.
    if strides or a.ndim >= 2:
        out["c_contiguous"] = bool(a.flags.c_contiguous)
        out["f_contiguous"] = bool(a.flags.f_contiguous)
    if strides:
        out["strides"] = [s // a.itemsize for s in a.strides]
    return out


def enc_error(e):
    msg = str(e)
    return {"error": type(e).__name__, "message": msg if len(msg) <= 80 else msg[:77] + "..."}


def run(f):
    """f() encoded, or the exception it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = f()
    except Exception as e:  # noqa: BLE001 - any NumPy error is a fixture
        return enc_error(e)
    if isinstance(r, (list, tuple)):
        return {"list": [enc(x) for x in r]}
    return enc(r)


def scalar(v):
    kind = "bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float"
    return {"scalar": enc_value(v, np.dtype(type(v) if kind != "int" else "int64")), "kind": kind}


# ---------------------------------------------------------------- views

def slice_item(it):
    if it == "newaxis":
        return np.newaxis
    if it == "...":
        return Ellipsis
    if "i" in it:
        return it["i"]
    return slice(*it["s"])


def apply_view(a, steps):
    for st in steps:
        op = st[0]
        if op == "T":
            a = a.T
        elif op == "transpose":
            a = a.transpose(st[1])
        elif op == "slice":
            a = a[tuple(slice_item(i) for i in st[1])]
        elif op == "asfortran":
            a = np.asfortranarray(a)
        elif op == "broadcast_to":
            a = np.broadcast_to(a, st[1])
        elif op == "reshape":
            a = a.reshape(st[1])
        else:
            raise ValueError(op)
    return a


def viewed(base, steps):
    """(numpy array, fixture input spec)."""
    base = np.asarray(base)
    a = apply_view(base, steps)
    layout = enc(a, strides=True)
    del layout["data"]  # follows from base and view
    return a, {"base": enc(base), "view": steps, "input": layout}


def S(start=None, stop=None, step=None):
    return {"s": [start, stop, step]}


def I(i):
    return {"i": i}


# ---------------------------------------------------------------- (a) promotion

def gen_promotion():
    table = [[str(np.promote_types(a, b)) for b in DTYPES] for a in DTYPES]
    return {"dtypes": DTYPES, "promote_types": table}


# ---------------------------------------------------------------- (b) ufunc dtypes

BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder",
          "power", "maximum", "equal"]
UNARY = ["exp", "sqrt", "negative", "absolute", "sign", "floor"]
SCALARS = {"bool": True, "int": 2, "float": 2.0}


def dtype_or_error(f):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(f().dtype)
    except Exception as e:  # noqa: BLE001
        return "error:" + type(e).__name__


def gen_ufunc_dtypes():
    out = {"dtypes": DTYPES, "scalars": {k: scalar(v) for k, v in SCALARS.items()},
           "binary": {}, "unary": {}}
    for name in BINARY:
        f = getattr(np, name)
        aa = [[dtype_or_error(lambda: f(np.ones(2, a), np.ones(2, b))) for b in DTYPES] for a in DTYPES]
        a_s = {a: {k: dtype_or_error(lambda: f(np.ones(2, a), v)) for k, v in SCALARS.items()} for a in DTYPES}
        s_a = {a: {k: dtype_or_error(lambda: f(v, np.ones(2, a))) for k, v in SCALARS.items()} for a in DTYPES}
        out["binary"][name] = {"array_array": aa, "array_scalar": a_s, "scalar_array": s_a}
    for name in UNARY:
        f = getattr(np, name)
        out["unary"][name] = {a: dtype_or_error(lambda: f(np.ones(2, a))) for a in DTYPES}
    return out


# ---------------------------------------------------------------- (c) ufunc values

NAN, INF = float("nan"), float("inf")
VALUES = {
    "bool": ([True, False, True, False, True, True], [True, True, False, False, False, True]),
    "uint8": ([0, 1, 7, 200, 255, 13, 6, 0], [3, 2, 0, 100, 2, 5, 6, 1]),
    "int8": ([-7, 7, -128, 127, 0, -1, 5, -6], [2, -2, -1, 2, 3, 3, -5, 4]),
    "int16": ([-7, 7, -300, 300, 0, -1, 32767, -32768], [2, -2, 7, -7, 3, 0, 1, -1]),
    "int32": ([-7, 7, -100000, 2147483647, 0, -1, 9, -9], [2, -2, 3, 1, 5, 0, -4, -4]),
    "int64": ([-7, 7, -(2**40), 2**62, 0, -1, 9, -9], [2, -2, 3, 3, 5, 0, -4, 4]),
    "float16": ([1.5, -2.5, 0.0, -0.0, NAN, INF, -INF, 3.0, 0.1, 100.0],
                [2.0, 0.5, 0.0, 1.0, 1.0, 2.0, INF, -2.0, 0.3, -7.0]),
    "float32": ([1.5, -2.5, 0.0, -0.0, NAN, INF, -INF, 3.0, 0.1, 1e30],
                [2.0, 0.5, 0.0, 1.0, 1.0, 2.0, INF, -2.0, 0.3, -7.0]),
    "float64": ([1.5, -2.5, 0.0, -0.0, NAN, INF, -INF, 3.0, 0.1, 1e300],
                [2.0, 0.5, 0.0, 1.0, 1.0, 2.0, INF, -2.0, 0.3, -7.0]),
}
# Non-negative exponents for integer power (NumPy raises on negative ones; see the error case).
POW_EXP = {
    "uint8": [3, 2, 0, 1, 2, 1, 2, 7],
    "int8": [2, 3, 1, 1, 3, 7, 2, 0],
    "int16": [2, 3, 1, 1, 3, 0, 1, 2],
    "int32": [2, 3, 1, 1, 5, 0, 3, 3],
    "int64": [2, 3, 1, 1, 5, 0, 3, 4],
}


# Operands that are not commutative get the Python scalar on the left too.
SCALAR_LEFT = {"subtract", "floor_divide", "power"}


def gen_ufunc_values():
    """Cases name their array inputs ("int8.a") from "inputs", to keep the file small."""
    cases = []
    inputs = {}
    for dt in DTYPES:
        a_vals, b_vals = VALUES[dt]
        a = np.array(a_vals, dtype=dt)
        b = np.array(b_vals, dtype=dt)
        inputs[dt + ".a"] = enc(a)
        inputs[dt + ".b"] = enc(b)
        if dt in POW_EXP:
            inputs[dt + ".pow"] = enc(np.array(POW_EXP[dt], dtype=dt))
        for name in BINARY:
            f = getattr(np, name)
            bkey = dt + (".pow" if name == "power" and dt in POW_EXP else ".b")
            bb = np.array(POW_EXP[dt], dtype=dt) if name == "power" and dt in POW_EXP else b
            cases.append({"op": name, "inputs": [dt + ".a", bkey], "out": run(lambda: f(a, bb))})
            # (The dtypes of bool scalars are in ufunc_dtypes.json; values use int and float ones.)
            for sv in ([3, -2.5] if dt != "uint8" else [3, 2.5]):
                if name == "power" and dt in POW_EXP and isinstance(sv, float):
                    sv = 2.0
                cases.append({"op": name, "inputs": [dt + ".a", scalar(sv)], "out": run(lambda: f(a, sv))})
                if name in SCALAR_LEFT:
                    cases.append({"op": name, "inputs": [scalar(sv), bkey], "out": run(lambda: f(sv, bb))})
        for name in UNARY:
            f = getattr(np, name)
            cases.append({"op": name, "inputs": [dt + ".a"], "out": run(lambda: f(a))})
    # NEP 50 edge cases: a Python int that does not fit the array's dtype raises.
    # Comparisons instead compare the exact values.
    for dt, v in [("int8", 300), ("uint8", -1), ("int16", 40000)]:
        a = np.array([1, 2], dtype=dt)
        cases.append({"op": "add", "inputs": [enc(a), scalar(v)], "out": run(lambda: np.add(a, v))})
        for name in ["equal", "less", "greater"]:
            f = getattr(np, name)
            cases.append({"op": name, "inputs": [enc(a), scalar(v)], "out": run(lambda: f(a, v))})
            cases.append({"op": name, "inputs": [scalar(v), enc(a)], "out": run(lambda: f(v, a))})
    # Integers to negative integer powers raise.
    for dt in ["int8", "int32", "int64"]:
        a = np.array([2, 3], dtype=dt)
        b = np.array([1, -1], dtype=dt)
        cases.append({"op": "power", "inputs": [enc(a), enc(b)], "out": run(lambda: np.power(a, b))})
    # Integer floor division / remainder by zero give 0 (with a warning).
    for dt in ["int8", "int64", "uint8"]:
        a = np.array([5, 0, 7], dtype=dt)
        b = np.array([0, 0, 0], dtype=dt)
        for name in ["floor_divide", "remainder"]:
            f = getattr(np, name)
            cases.append({"op": name, "inputs": [enc(a), enc(b)], "out": run(lambda: f(a, b))})
    # Mixed dtypes.
    for da, db in [("int8", "uint8"), ("int32", "float32"), ("float16", "int16"), ("bool", "float16"),
                   ("int64", "float64"), ("uint8", "float16")]:
        a = np.array([1, 0, 3, 2], dtype=da)
        b = np.array([2, 5, 1, 1], dtype=db)
        for name in ["add", "true_divide", "maximum", "floor_divide"]:
            f = getattr(np, name)
            cases.append({"op": name, "inputs": [enc(a), enc(b)], "out": run(lambda: f(a, b))})
    return {"inputs": inputs, "cases": cases}


# ---------------------------------------------------------------- (d) broadcasting

BROADCAST_SHAPES = [
    ([3], [3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([4, 1, 3], [2, 1]), ([], [2, 3]),
    ([1], [0]), ([2, 0], [1]), ([0, 3], [2, 1, 3]), ([3], [4]), ([2, 3], [3, 2]),
    ([2, 1, 4], [3, 1]), ([5, 1, 1, 2], [1, 3, 1]), ([0], [0]), ([2, 0], [3, 0]),
    ([1, 1], []), ([3, 1], [0, 1]),
]


def gen_broadcast():
    cases = []
    for sa, sb in BROADCAST_SHAPES:
        a = np.arange(int(np.prod(sa)), dtype=np.int64).reshape(sa)
        b = (np.arange(int(np.prod(sb)), dtype=np.int64) * 10).reshape(sb)
        try:
            shape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
        except ValueError as e:
            shape = enc_error(e)
        cases.append({"a": enc(a), "b": enc(b), "shape": shape, "add": run(lambda: a + b)})
    # A broadcast against a float32 row keeps float32 and the layout of the non-broadcast input.
    return {"cases": cases}


# ---------------------------------------------------------------- (e) reductions

RED_INPUTS = {
    "int8": np.array([3, -2, 1, 0, -3, 2, 1, 1, -1, 2, 3, -2, 0, 1, -1, 2, 3, -3, 1, 2, -2, 1, 0, 3], dtype=np.int8),
    "uint8": np.array([3, 2, 1, 0, 3, 2, 1, 1, 1, 2, 3, 2, 0, 1, 1, 2, 3, 3, 1, 2, 250, 1, 9, 3], dtype=np.uint8),
    "int32": np.array([7, -20, 11, 0, -3, 25, 1, 1, -1, 2, 3, -2, 0, 14, -1, 2, 3, -3, 1, 2, -2, 1, 0, 3], dtype=np.int32),
    "int64": np.array([7, -20, 11, 0, -3, 25, 1, 1, -1, 2, 3, -2, 0, 14, -1, 2, 3, -3, 1, 2, -2, 1, 0, 3], dtype=np.int64),
    "bool": np.array([1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0], dtype=bool),
    "float16": np.array([0.5, -1.25, 2.0, 0.1, 3.0, -0.75, 1.5, 1.0, -2.0, 0.25, 1.75, 0.3,
                         -0.5, 1.0, 2.5, -1.5, 0.2, 0.9, 1.1, -0.1, 0.7, 1.3, -0.4, 0.6], dtype=np.float16),
    "float32": np.array([0.5, -1.25, 2.0, 0.1, 3.0, -0.75, 1.5, 1.0, -2.0, 0.25, 1.75, 0.3,
                         -0.5, 1.0, 2.5, -1.5, 0.2, 0.9, 1.1, -0.1, 0.7, 1.3, -0.4, 0.6], dtype=np.float32),
    "float64": np.array([0.5, -1.25, 2.0, 0.1, 3.0, -0.75, 1.5, 1.0, -2.0, 0.25, 1.75, 0.3,
                         -0.5, 1.0, 2.5, -1.5, 0.2, 0.9, 1.1, -0.1, 0.7, 1.3, -0.4, 0.6], dtype=np.float64),
}
RED_AXES = [None, 0, 1, [0, 2]]


def reduce_call(name, a, axis, keepdims, ddof=0):
    ax = tuple(axis) if isinstance(axis, list) else axis
    if name in ("var", "std"):
        return getattr(np, name)(a, axis=ax, ddof=ddof, keepdims=keepdims)
    if name in ("argmax", "argmin", "cumsum", "cumprod"):
        return getattr(np, name)(a, axis=ax)
    return getattr(np, name)(a, axis=ax, keepdims=keepdims)


def gen_reductions():
    """Each case is the list [op, input name, axis, keepdims, ddof, result], to keep the file small."""
    cases = []
    inputs = {}
    for dt, flat in RED_INPUTS.items():
        a = flat.reshape(2, 3, 4)
        inputs[dt] = enc(a)
        for name in ["sum", "prod", "mean", "var", "std", "max", "min", "all", "any"]:
            for axis in RED_AXES:
                for keepdims in ((False, True) if axis in (None, [0, 2]) else (False,)):
                    ddofs = [0, 1] if name in ("var", "std") and axis in (None, 1) else [0]
                    for ddof in ddofs:
                        cases.append([name, dt, axis, keepdims, ddof,
                                      run(lambda: reduce_call(name, a, axis, keepdims, ddof))])
        for name in ["argmax", "argmin", "cumsum", "cumprod"]:
            for axis in ([None, 1, -1] if name.startswith("arg") else [None, 1]):
                cases.append([name, dt, axis, False, 0, run(lambda: reduce_call(name, a, axis, False))])

    # Empty arrays and NaN propagation, on their own inputs.
    special = {
        "empty_f32": np.zeros((0,), np.float32),
        "empty_bool": np.zeros((0,), bool),
        "empty_0x3_f64": np.zeros((0, 3), np.float64),
        "empty_0x3_i32": np.zeros((0, 3), np.int32),
        "nan_f64": np.array([[1.0, NAN, 3.0], [4.0, 5.0, 6.0]]),
        "nan_f32": np.array([[1.0, 2.0, -INF], [NAN, 5.0, NAN]], np.float32),
        "nan_f16": np.array([[1.0, NAN], [INF, 2.0]], np.float16),
    }
    for key, a in special.items():
        inputs[key] = enc(a)
        axes = [None, 0] + ([1] if a.ndim > 1 else [])
        for name in ["sum", "prod", "mean", "var", "std", "max", "min", "all", "any",
                     "argmax", "argmin", "cumsum", "cumprod"]:
            for axis in axes:
                cases.append([name, key, axis, False, 0, run(lambda: reduce_call(name, a, axis, False))])
    return {"inputs": inputs, "cases": cases}


# ---------------------------------------------------------------- (f) indexing

def gen_indexing():
    a1 = np.arange(10, dtype=np.int64)
    a3 = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    slices = [
        (a1, [S(2, 8, 3)]), (a1, [S(None, None, -1)]), (a1, [S(8, 2, -2)]), (a1, [S(-3)]),
        (a1, [S(None, None, -3)]), (a1, [S(5, 2)]), (a1, [S(-100, 100)]), (a1, [S(100, None, -1)]),
        (a1, [I(-1)]), (a1, [I(3)]), (a1, ["newaxis", S(1, 4)]), (a1, [S(1, 4), "newaxis"]),
        (a3, [I(1)]), (a3, [I(-1), S(None, None, -1)]), (a3, [S(), S(1, 3), S(None, None, 2)]),
        (a3, ["...", I(1)]), (a3, [I(0), "..."]), (a3, ["...", S(None, None, -2)]),
        (a3, ["newaxis", "...", "newaxis"]), (a3, [S(None, None, -1), S(None, None, -1), S(None, None, -1)]),
        (a3, [I(1), "newaxis", S(2, 0, -1), I(-2)]), (a3, [S(1, 1)]), (a3, [S(), S(3, None)]),
        (a3, [I(2)]), (a3, [I(0), I(0), I(0), I(0)]), (a3, ["...", "...", I(0)]), (a3, [I(0), I(-4)]),
    ]
    slice_cases = []
    for arr, items in slices:
        slice_cases.append({"input": enc(arr), "index": items,
                            "out": run_view(lambda: arr[tuple(slice_item(i) for i in items)])})

    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    take_cases = []
    for idx, axis in [([0, -1, 2, -12], None), ([2, -1, 0, 0], 1), ([[0, -1], [1, 1]], 0), ([-3], 0),
                      ([], 0), ([3], 0), ([-5], 1), ([1, 0], -1)]:
        ia = np.array(idx, dtype=np.int64)
        take_cases.append({"input": enc(m), "indices": enc(ia), "axis": axis,
                           "out": run(lambda: np.take(m, ia, axis=axis))})

    mask_cases = []
    for mask_vals, shape in [([[1, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1]], (3, 4)), ([1, 0, 1], (3,)),
                             ([0, 0, 0], (3,)), ([1, 0], (2,)), ([[1, 0], [0, 1]], (2, 2))]:
        mk = np.array(mask_vals, dtype=bool).reshape(shape)
        mask_cases.append({"input": enc(m), "mask": enc(mk), "out": run(lambda: m[mk])})

    tal_cases = []
    x = np.array([[10, 30, 20], [60, 40, 50]], dtype=np.int32)
    for idx, axis in [(np.argsort(x, axis=1), 1), (np.argsort(x, axis=0), 0), ([[0], [2]], 1),
                      ([[1, 0, 1]], 0), ([[-1, 0, -3], [0, 0, 0]], 1), ([[3], [0]], 1), ([[0, 1]], 0)]:
        ia = np.asarray(idx, dtype=np.int64)
        tal_cases.append({"input": enc(x), "indices": enc(ia), "axis": axis,
                          "out": run(lambda: np.take_along_axis(x, ia, axis=axis))})

    add_at_cases = []
    for dt, shape, idx, vals, axis in [
        ("float64", (5,), [0, 2, 0, -1], [1.0, 2.0, 3.0, 4.0], 0),
        ("int32", (3, 2), [0, 0, 2], [[1, 2], [3, 4], [5, 6]], 0),
        ("float32", (2, 3), [1, 1, -3], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 1),
        ("int64", (4,), [1, 1, 1], [7], 0),
        ("int64", (4,), [4], [1], 0),
    ]:
        base = np.arange(int(np.prod(shape)), dtype=dt).reshape(shape)
        ia = np.array(idx, dtype=np.int64)
        va = np.array(vals, dtype=dt)

        def add_at():
            r = base.copy()
            sel = (slice(None),) * axis + (ia,)
            np.add.at(r, sel, va)
            return r
        add_at_cases.append({"input": enc(base), "indices": enc(ia), "values": enc(va), "axis": axis,
                             "out": run(add_at)})
    return {"slice": slice_cases, "take": take_cases, "mask": mask_cases,
            "take_along_axis": tal_cases, "add_at": add_at_cases}


def run_view(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001
        return enc_error(e)
    return enc(r, strides=True)


# ---------------------------------------------------------------- (g) layouts

def gen_layouts():
    f24 = np.arange(24, dtype=np.float64).reshape(4, 6) - 5.5
    i24 = np.arange(24, dtype=np.int64).reshape(4, 6) - 7
    t24 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    inputs = [
        ("c", f24, []),
        ("f", f24, [["asfortran"]]),
        ("T", f24, [["T"]]),
        ("rev0", f24, [["slice", [S(None, None, -1)]]]),
        ("rev1", f24, [["slice", [S(), S(None, None, -1)]]]),
        ("rev01", f24, [["slice", [S(None, None, -1), S(None, None, -1)]]]),
        ("T_rev", f24, [["T"], ["slice", [S(None, None, -1)]]]),
        ("sliced", f24, [["slice", [S(None, None, 2), S(1, 5)]]]),
        ("rows", f24, [["slice", [S(1, 3)]]]),
        ("col", f24, [["slice", [S(), S(2, 3)]]]),
        ("int_T", i24, [["T"]]),
        ("int_rev", i24, [["slice", [S(None, None, -2), S(None, None, 3)]]]),
        ("t102", t24, [["transpose", [1, 0, 2]]]),
        ("t201", t24, [["transpose", [2, 0, 1]]]),
        ("t3T", t24, [["T"]]),
        ("t3_rev_mid", t24, [["slice", [S(), S(None, None, -1)]]]),
        ("zero_rows", f24, [["slice", [S(2, 2)]]]),
        ("zero_cols_T", f24, [["slice", [S(), S(3, 3)]], ["T"]]),
        ("zero_3d", np.zeros((2, 0, 3), np.float32), [["transpose", [2, 1, 0]]]),
        ("one_row_T", np.arange(5, dtype=np.float64).reshape(1, 5), [["T"]]),
        ("scalar0d", np.array(2.5), []),
        ("bcast", np.arange(4, dtype=np.float64), [["broadcast_to", [3, 4]]]),
        ("f_sliced", f24, [["asfortran"], ["slice", [S(1, 4), S(None, None, 2)]]]),
    ]
    cases = []
    specs = {}
    for name, base, steps in inputs:
        a, spec = viewed(base, steps)
        specs[name] = spec
        for op, f in LAYOUT_OPS.items():
            if op == "exp" and a.dtype != np.float32:
                continue
            cases.append({"input": name, "op": op, "out": run_layout(lambda: f(a))})
    return {"inputs": specs, "cases": cases}


def run_layout(f):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = f()
    except Exception as e:  # noqa: BLE001
        return enc_error(e)
    return enc(r, strides=True)


LAYOUT_OPS = {
    "mul2": lambda a: a * 2,
    "neg": lambda a: np.negative(a),
    "exp": lambda a: np.exp(a),
    "copy_K": lambda a: a.copy(order="K"),
    "copy_C": lambda a: a.copy(order="C"),
    "copy_F": lambda a: a.copy(order="F"),
    "astype_f32": lambda a: a.astype(np.float32),
    # `a + c` with c a fresh C-ordered array of a's shape: the output layout
    # when the operands' layouts disagree.
    "add_c": lambda a: a + np.ones(a.shape, a.dtype),
    "reshape_flat": lambda a: a.reshape(-1),
    # `a + row` where row broadcasts along the leading axes.
    "add_row": lambda a: a + np.arange(a.shape[-1], dtype=a.dtype) if a.ndim > 0 else a + 1,
}


# ---------------------------------------------------------------- (h) linalg

def gen_linalg():
    def mk(shape, dt, start=1):
        n = int(np.prod(shape))
        vals = (np.arange(n) % 7) - 3 + start
        return vals.astype(dt).reshape(shape)

    cases = []
    mm = [
        ((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 1, 3, 4), (5, 4, 2)),
        ((4, 3), (4, 3)), ((2, 2, 3), (2, 3, 2)), ((1, 3), (3, 1)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
        ((3,), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)),
    ]
    for dt in ["float32", "float64", "int32", "int64"]:
        # All shapes for float64/int64; a few for the 32-bit dtypes.
        for sa, sb in (mm if dt.endswith("64") else [mm[0], mm[1], mm[4], mm[5]]):
            a, b = mk(sa, dt), mk(sb, dt, start=2)
            cases.append({"op": "matmul", "a": {"base": enc(a), "view": []}, "b": {"base": enc(b), "view": []},
                          "out": run(lambda: np.matmul(a, b))})
    # Mixed dtypes, bool and small ints, and transposed / reversed operands.
    for da, db in [("float32", "float64"), ("int32", "float32"), ("int8", "int8"), ("bool", "bool"),
                   ("uint8", "int8"), ("float16", "float16")]:
        a, b = mk((3, 4), da), mk((4, 2), db, start=2)
        cases.append({"op": "matmul", "a": {"base": enc(a), "view": []}, "b": {"base": enc(b), "view": []},
                      "out": run(lambda: np.matmul(a, b))})
    base_a = mk((4, 3), "float64")
    base_b = mk((2, 4), "float64", start=2)
    for va, vb in [([["T"]], [["T"]]), ([["slice", [S(None, None, -1)]]], [["T"], ["slice", [S(None, None, -1)]]]),
                   ([["asfortran"]], [["asfortran"], ["T"]])]:
        a, sa = viewed(base_a, va)
        b, sb = viewed(base_b, vb)
        if a.shape[-1] == b.shape[0]:
            cases.append({"op": "matmul", "a": sa, "b": sb, "out": run(lambda: np.matmul(a, b))})
    for dt in ["float64", "int64", "float32"]:
        full = dt == "float64"
        dot_shapes = [((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((3, 2, 4), (4, 5)),
                      ((2, 3, 4), (5, 4, 2)), ((2, 3), (2, 3))]
        for sa, sb in (dot_shapes if full else dot_shapes[:2]):
            a, b = mk(sa, dt), mk(sb, dt, start=2)
            cases.append({"op": "dot", "a": {"base": enc(a), "view": []}, "b": {"base": enc(b), "view": []},
                          "out": run(lambda: np.dot(a, b))})
        td_cases = [((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((3, 4), (4, 5), ([1], [0])),
                    ((2, 3), (3, 2), ([0, 1], [1, 0])), ((2, 3), (4,), ([], [])),
                    ((2, 3), (2, 3), ([0], [1]))]
        for sa, sb, axes in (td_cases if full else td_cases[:2]):
            a, b = mk(sa, dt), mk(sb, dt, start=2)
            cases.append({"op": "tensordot", "a": {"base": enc(a), "view": []}, "b": {"base": enc(b), "view": []},
                          "axes": [axes[0], axes[1]],
                          "out": run(lambda: np.tensordot(a, b, axes=(axes[0], axes[1])))})
        for sa, sb in ([((3,), (4,)), ((2, 2), (3,)), ((0,), (2,))] if full else [((3,), (4,))]):
            a, b = mk(sa, dt), mk(sb, dt, start=2)
            cases.append({"op": "outer", "a": {"base": enc(a), "view": []}, "b": {"base": enc(b), "view": []},
                          "out": run(lambda: np.outer(a, b))})
    return {"cases": cases}


# ---------------------------------------------------------------- (i) manipulation

def gen_manip():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, 12, dtype=np.int32).reshape(2, 3)
    f = (np.arange(6, dtype=np.float32) / 4).reshape(2, 3)
    c3 = np.arange(3, dtype=np.int64).reshape(1, 3)
    cases = []

    def add(op, inputs, out, **kw):
        d = {"op": op, "inputs": [enc(x) for x in inputs], "out": out}
        d.update(kw)
        cases.append(d)

    for xs, axis in [([a, b], 0), ([a, b], 1), ([a, b, a], -1), ([a, f], 0), ([a, c3], 0), ([a, c3], 1),
                     ([a, np.arange(3, dtype=np.int32)], 0), ([np.zeros((0, 3), np.int32), a], 0)]:
        add("concatenate", xs, run(lambda: np.concatenate(xs, axis=axis)), axis=axis)
    for xs, axis in [([a, b], 0), ([a, b], 1), ([a, b], -1), ([a, b], 2), ([a, f], 0), ([a, c3], 0), ([a, b], 3)]:
        add("stack", xs, run(lambda: np.stack(xs, axis=axis)), axis=axis)
    v = np.arange(12, dtype=np.float64).reshape(2, 6)
    for n, axis in [(2, 1), (3, 1), (2, 0), (4, 1), (1, 0)]:
        add("split", [v], run(lambda: np.split(v, n, axis=axis)), sections=n, axis=axis)
    w = np.arange(7, dtype=np.int64)
    for n in [3, 2, 7, 9]:
        add("array_split", [w], run(lambda: np.array_split(w, n)), sections=n, axis=0)
    for x, reps in [(w[:3], [2]), (a, [2]), (a, [2, 1]), (a, [1, 2]), (a, [2, 1, 2]), (w[:3], [2, 2]), (a, [0, 1])]:
        add("tile", [x], run(lambda: np.tile(x, reps)), reps=reps)
    for x, r, axis in [(a, 2, None), (a, 2, 0), (a, 3, 1), (a, 0, 1), (w[:3], 2, 0), (a, 2, -1)]:
        add("repeat", [x], run(lambda: np.repeat(x, r, axis=axis)), repeats=r, axis=axis)
    p1 = np.array([1, 2, 3], dtype=np.int64)
    p2 = np.arange(6, dtype=np.float32).reshape(2, 3)
    for x, widths, mode, cv in [
        (p1, [[2, 3]], "constant", 0), (p1, [[1, 1]], "constant", 9), (p1, [[2, 3]], "edge", 0),
        (p1, [[2, 3]], "reflect", 0), (p1, [[5, 6]], "reflect", 0), (p2, [[1, 0], [2, 1]], "constant", -1.5),
        (p2, [[1, 2], [2, 2]], "edge", 0), (p2, [[1, 1], [2, 4]], "reflect", 0), (np.array([7.0]), [[2, 2]], "reflect", 0),
        (p1, [[0, 0]], "edge", 0),
    ]:
        kw = {"constant_values": cv} if mode == "constant" else {}
        add("pad", [x], run(lambda: np.pad(x, [tuple(w_) for w_ in widths], mode=mode, **kw)),
            widths=widths, mode=mode, constant=cv)
    t = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    for axes in [None, [0], [1], [0, 2], [-1]]:
        add("flip", [t], run_view(lambda: np.flip(t, axis=None if axes is None else tuple(axes))), axes=axes)
    cond = np.array([[True, False, True], [False, False, True]])
    row = np.array([True, False, False])
    for c, x, y in [(cond, a, b), (cond, a, f), (row, a, scalar(-1)), (cond, scalar(1), scalar(2.5)),
                    (cond, f, scalar(7)), (row, scalar(True), a), (np.array([True, False]), a, b)]:
        xs, ys = x, y
        xv = x if isinstance(x, np.ndarray) else x["scalar"]
        yv = y if isinstance(y, np.ndarray) else y["scalar"]
        out = run(lambda: np.where(c, xv, yv))
        cases.append({"op": "where", "inputs": [enc(c), enc(xs) if isinstance(xs, np.ndarray) else xs,
                                                enc(ys) if isinstance(ys, np.ndarray) else ys], "out": out})
    cf = np.array([-2.5, NAN, 0.5, 3.0, 7.5, -INF], dtype=np.float32)
    ci = np.array([-5, 0, 2, 9, 4], dtype=np.int32)
    for x, lo, hi in [(cf, -1.0, 2.0), (ci, 0, 4), (ci, 1.5, 3), (cf, 2.0, -1.0), (ci, -2, 100),
                      (ci, np.array([0, 1, 2, 3, 4], dtype=np.int32), 3), (cf, np.float32(0.0), 1.0)]:
        def enc_op(v):
            if isinstance(v, np.ndarray) or isinstance(v, np.generic):
                return enc(np.asarray(v))
            return scalar(v)
        cases.append({"op": "clip", "inputs": [enc(x), enc_op(lo), enc_op(hi)],
                      "out": run(lambda: np.clip(x, lo, hi))})
    return {"cases": cases}


# ---------------------------------------------------------------- main

def write(name, obj):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as fh:
        json.dump(obj, fh, sort_keys=True, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    return os.path.getsize(path)


def main():
    if not np.__version__.startswith("2."):
        sys.exit(f"NumPy 2.x required (NEP 50 promotion), found {np.__version__}")
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name, gen in [
        ("promotion.json", gen_promotion), ("ufunc_dtypes.json", gen_ufunc_dtypes),
        ("ufunc_values.json", gen_ufunc_values), ("broadcast.json", gen_broadcast),
        ("reductions.json", gen_reductions), ("indexing.json", gen_indexing),
        ("layouts.json", gen_layouts), ("linalg.json", gen_linalg), ("manip.json", gen_manip),
    ]:
        obj = gen()
        obj["numpy_version"] = np.__version__
        size = write(name, obj)
        total += size
        print(f"{name:20s} {size:8d} bytes")
    print(f"{'total':20s} {total:8d} bytes")


if __name__ == "__main__":
    main()
