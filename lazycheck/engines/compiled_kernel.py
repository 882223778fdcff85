"""The compiled BFS kernel (numba, ``cache=True``): the same machine code for every system.

Imported only by :mod:`lazycheck.engines.compiled`, only with ``--compiled``.
What depends on the system (its actions, its coverage conditions) is LLVM IR
generated per system and called here through a function address
(:func:`call3`, :func:`call4`), so this module is compiled once per machine
and then loaded from numba's cache.  States are packed into ``W`` 64-bit
words by the layout of :class:`lazycheck.semantics.Packing` (packed and unpacked by
generated code too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic as _intrinsic

F = TypeVar("F", bound=Callable[..., Any])


def njit(f: F) -> F:
    """``numba.njit(cache=True)``, typed for mypy."""
    return cast(F, numba.njit(cache=True)(f))


def intrinsic(f: Callable[..., Any]) -> Callable[..., int]:
    """``numba.extending.intrinsic``: called from jitted code without ``typingctx``."""
    return cast(Callable[..., int], _intrinsic(f))

U64 = np.uint64

# status codes of expand()
DONE, PAUSE, GROW, FAIL, LIMIT, RANGE = range(6)


@intrinsic
def call3(typingctx: Any, addr: Any, a: Any, b: Any, c: Any) -> Any:
    """``addr(a, b, c)``: call a generated function ``i64 (i64, i64, i64)``."""
    sig = types.int64(types.int64, types.int64, types.int64, types.int64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [i64, i64, i64])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), args[1:])

    return sig, codegen


@intrinsic
def call4(typingctx: Any, addr: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
    """``addr(a, b, c, d)``: call a generated function ``i64 (i64, i64, i64, i64)``."""
    sig = types.int64(types.int64, types.int64, types.int64, types.int64, types.int64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [i64, i64, i64, i64])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), args[1:])

    return sig, codegen


@njit
def find(store: Any, table: Any, words: Any) -> tuple[Any, Any]:
    """(slot, entry) of ``words`` in the open-addressing table; entry -1: absent."""
    h = U64(14695981039346656037)
    for j in range(words.shape[0]):
        h = (h ^ words[j]) * U64(1099511628211)
        h ^= h >> U64(29)
    mask = table.shape[0] - 1
    at = np.int64(h & U64(mask))
    while True:
        e = table[at]
        if e < 0:
            return at, -1
        same = True
        for j in range(words.shape[0]):
            if store[e, j] != words[j]:
                same = False
                break
        if same:
            return at, e
        at = (at + 1) & mask


@njit
def rehash(store: Any, count: int, table: Any) -> None:
    """Rebuild the table over the first ``count`` stored states."""
    table[:] = -1
    for e in range(count):
        at, _ = find(store, table, store[e])
        table[at] = e


@njit
def expand(fns: Any, layout: Any, store: Any, table: Any, ctr: Any, hi: int, budget: int,
           maxst: int, flags: Any) -> int:
    """Expand stored states ``ctr[0]..hi`` in order, storing new successors.

    ``fns`` = (successors, coverage, unpack, pack) addresses; ``layout[3, :3]`` =
    (violation variable, actions, 1 if successors come out in action order), one
    column per variable; ``ctr`` = (next state, states, transitions); ``flags``
    rows: fired actions, enabled in this state, watched properties, witness
    labels.  Returns a status code.
    """
    viol, na, ordered = layout[3, 0], layout[3, 1], layout[3, 2]
    nv = layout.shape[1]
    s = np.empty(nv, dtype=np.int64)
    out = np.empty((na, nv), dtype=np.int64)
    idx = np.empty(na, dtype=np.int64)
    words = np.empty(store.shape[1], dtype=np.uint64)
    p, count, tr = ctr[0], ctr[1], ctr[2]
    status = DONE
    done = 0
    while p < hi:
        if count + na > store.shape[0] or 2 * (count + na) > table.shape[0]:
            status = GROW
            break
        if done >= budget:
            status = PAUSE
            break
        call3(fns[2], store[p].ctypes.data, s.ctypes.data, 0)
        k = call3(fns[0], s.ctypes.data, out.ctypes.data, idx.ctypes.data)
        for j in range(k):
            flags[1, idx[j]] = 1
        call4(fns[1], s.ctypes.data, flags.ctypes.data, 0, 0)
        for j in range(k):
            flags[1, idx[j]] = 0
        order = np.arange(k) if ordered else np.argsort(idx[:k])
        for jj in range(k):
            j = order[jj]
            tr += 1
            flags[0, idx[j]] = 1
            if not call3(fns[3], out[j].ctypes.data, words.ctypes.data, 0):
                status = RANGE
                break
            at, e = find(store, table, words)
            if e >= 0:
                continue
            table[at] = count
            store[count, :] = words
            count += 1
            if out[j, viol] != 0:
                status = FAIL
                break
        if status != DONE:
            break
        p += 1
        done += 1
        if count > maxst:
            status = LIMIT
            break
    ctr[0], ctr[1], ctr[2] = p, count, tr
    return status
