"""The compiled BFS kernel (numba, ``cache=True``): the same machine code for every system.

Imported only by :mod:`lazycheck.engines.compiled`: with ``--compiled``, or by default
once a search passes 100k states.
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


def inlined(f: F) -> F:
    """``numba.njit(cache=True, inline="always")``: inlined by numba into its callers (a
    call passing tuples of arrays by value costs more than the work), typed for mypy."""
    return cast(F, numba.njit(cache=True, inline="always")(f))


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


@inlined
def visit(fns: Any, store: Any, p: int, s: Any, out: Any, idx: Any, flags: Any) -> int:
    """Unpack state ``p`` into ``s``, its successors into ``out``/``idx`` (how many), and
    record its coverage in ``flags`` (row 1: which actions are enabled, meanwhile)."""
    call3(fns[2], store[p].ctypes.data, s.ctypes.data, 0)
    k = call3(fns[0], s.ctypes.data, out.ctypes.data, idx.ctypes.data)
    for j in range(k):
        flags[1, idx[j]] = 1
    call4(fns[1], s.ctypes.data, flags.ctypes.data, 0, 0)
    for j in range(k):
        flags[1, idx[j]] = 0
    return k


@njit
def expand(fns: Any, layout: Any, store: Any, table: Any, ctr: Any, hi: int, budget: int,
           maxst: int, flags: Any, sym: Any, tmp: Any, deg: Any) -> int:
    """Expand stored states ``ctr[0]..hi`` in order, storing new successors.

    ``fns`` = (successors, coverage, unpack, pack) addresses; ``layout[3, :3]`` =
    (violation variable, actions, 1 if successors come out in action order), one
    column per variable; ``ctr`` = (next state, states, transitions); ``flags``
    rows: fired actions, enabled in this state, watched properties, witness
    labels.  With a group (``sym``, see :func:`canon`) each successor is canonicalised
    first; ``deg[p]`` := p's successor count while ``deg`` is that long.  A status code.
    """
    reduced = sym[0].shape[0] > 1
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
        k = visit(fns, store, p, s, out, idx, flags)
        order = np.arange(k) if ordered else np.argsort(idx[:k])
        if p < deg.shape[0]:
            deg[p] = k
        for jj in range(k):
            j = order[jj]
            tr += 1
            flags[0, idx[j]] = 1
            if reduced and not canon(fns, sym, layout, out[j], tmp):
                status = RANGE
                break
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


# ------------------------------------------------------------------ symmetry
# ``sym`` = (src, toff, tab, vinfo, keys, kinfo), from compiled.group_arrays: src[e, j] the
# variable element e moves to position j; toff[e, i] where variable i's value table for e
# starts in ``tab`` (-1: values kept); vinfo[0, i] the pc variable i is renamed under (-1:
# always), vinfo[1, i] where the live pcs' 0/1 table starts in ``tab``; keys the key
# positions; kinfo[e, k] = (source variable, start of its table to the key's bits, shift).


@inlined
def renamed(toff: Any, tab: Any, vinfo: Any, lo: Any, wd: Any, e: int, i: int,
            vals: Any) -> Any:
    """Variable ``i``'s value in ``vals`` as element ``e`` renames it."""
    v = vals[i]
    o = toff[e, i]
    if o < 0:
        return v
    pc = vinfo[0, i]
    if pc >= 0:
        r = vals[pc] - lo[pc]
        if r < 0 or r >= (1 << wd[pc]) or tab[vinfo[1, i] + r] == 0:
            return v
    r = v - lo[i]
    if r < 0 or r >= (1 << wd[i]):
        return v
    return tab[o + r]


@inlined
def image(sym: Any, layout: Any, e: int, vals: Any, img: Any) -> None:
    """``img`` := element ``e`` applied to ``vals`` (width-0 fields: their constant)."""
    src, toff, tab, vinfo = sym[0], sym[1], sym[2], sym[3]
    lo, wd = layout[0], layout[2]
    for j in range(vals.shape[0]):
        i = src[e, j]
        if wd[j] == 0:
            img[j] = lo[j]
        elif toff[e, i] < 0:
            img[j] = vals[i]
        else:
            img[j] = renamed(toff, tab, vinfo, lo, wd, e, i, vals)


@inlined
def least_keys(sym: Any, layout: Any, vals: Any, kmin: Any, kbuf: Any, cand: Any) -> int:
    """The elements whose image has the least key (into ``cand``); how many.  A key is
    the image's key fields concatenated into one int, each through a table from its
    source field (``sym[5][e, k]`` = source variable, table start, shift)."""
    kinfo, tab, lo, wd = sym[5], sym[2], layout[0], layout[2]
    n = 0
    best = 0
    for e in range(kinfo.shape[0]):
        key = 0
        for k in range(kinfo.shape[1]):
            i = kinfo[e, k, 0]
            r = vals[i] - lo[i]
            if r < 0 or r >= (1 << wd[i]):
                r = 0  # out of its field: pack() refuses the state anyway
            key |= tab[kinfo[e, k, 1] + r] << kinfo[e, k, 2]
        if e == 0 or key < best:
            best = key
            n = 0
        if key == best:
            cand[n] = e
            n += 1
    return n


@njit
def canon(fns: Any, sym: Any, layout: Any, vals: Any, tmp: Any) -> bool:
    """``vals`` := the least image by (key, packed value), as symmetry.canonicalizer
    chooses; False if an image does not fit the packing.  ``tmp``: scratch arrays
    (img, best, wimg, wbest, kmin, kbuf, cand)."""
    img, best, wimg, wbest, kmin, kbuf, cand = tmp
    n = least_keys(sym, layout, vals, kmin, kbuf, cand)
    if n == 1:
        if cand[0] != 0:
            image(sym, layout, cand[0], vals, img)
            vals[:] = img
        return True
    have = False
    for c in range(n):
        e = cand[c]
        if e == 0:
            img[:] = vals
        else:
            image(sym, layout, e, vals, img)
        if not call3(fns[3], img.ctypes.data, wimg.ctypes.data, 0):
            return False
        less = not have
        if have:
            for w in range(wimg.shape[0] - 1, -1, -1):
                if wimg[w] != wbest[w]:
                    less = wimg[w] < wbest[w]
                    break
        if less:
            have = True
            wbest[:] = wimg
            best[:] = img
    vals[:] = best
    return True


def scratch(nv: int, words: int, group: int, nkeys: int) -> tuple[Any, ...]:
    """The scratch arrays :func:`canon` needs."""
    return (np.empty(nv, dtype=np.int64), np.empty(nv, dtype=np.int64),
            np.empty(words, dtype=np.uint64), np.empty(words, dtype=np.uint64),
            np.empty(max(nkeys, 1), dtype=np.int64), np.empty(max(nkeys, 1), dtype=np.int64),
            np.empty(group, dtype=np.int64))


@njit
def reduce_store(fns: Any, sym: Any, layout: Any, store: Any, bounds: Any, deg: Any,
                 nstore: Any, ntable: Any, nbounds: Any, tmp: Any) -> tuple[int, int]:
    """Canonical forms of the stored levels (``bounds``: where each starts, and the end),
    first occurrences in order, into ``nstore``/``ntable`` (``nbounds``); returns
    (states, transitions of the expanded ones: all levels but the last), or (-1, 0) if
    an image does not fit."""
    nv = layout.shape[1]
    vals = np.empty(nv, dtype=np.int64)
    words = np.empty(store.shape[1], dtype=np.uint64)
    count, tr = 0, 0
    last = bounds.shape[0] - 2
    for k in range(bounds.shape[0] - 1):
        nbounds[k] = count
        for p in range(bounds[k], bounds[k + 1]):
            call3(fns[2], store[p].ctypes.data, vals.ctypes.data, 0)
            if not canon(fns, sym, layout, vals, tmp):
                return -1, 0
            call3(fns[3], vals.ctypes.data, words.ctypes.data, 0)
            at, e = find(nstore, ntable, words)
            if e >= 0:
                continue
            ntable[at] = count
            nstore[count, :] = words
            count += 1
            if k < last:
                tr += deg[p]
    nbounds[bounds.shape[0] - 1] = count
    return count, tr


# ------------------------------------------------------------------ two threads
# -j N: N threads expand consecutive parts of a chunk of the level at once (nogil), each
# into its own buffer of successors not yet stored; then one thread merges the buffers in
# the order of the parts, which is the sequential search's order, so every count, every
# FAIL and every trace is the sequential one's.


def nogil(f: F) -> F:
    """``numba.njit(cache=True, nogil=True)``, typed for mypy."""
    return cast(F, numba.njit(cache=True, nogil=True)(f))


@nogil
def expand_part(fns: Any, layout: Any, store: Any, table: Any, lo: int, hi: int, flags: Any,
                sym: Any, tmp: Any, deg: Any, bw: Any, bm: Any, nsucc: Any) -> tuple[int, int]:
    """Expand states ``lo..hi`` into the buffers (read-only on the store and the table):
    ``bw`` the words of each successor not stored yet, ``bm`` its (parent - lo, 1 if it
    violates, position among the parent's successors); ``nsucc[p - lo]`` := successors of
    p.  Stops early when the buffer could overflow.  Returns (buffered, states done), or
    (-1, p) if a value outgrew its field."""
    viol, na, ordered = layout[3, 0], layout[3, 1], layout[3, 2]
    reduced = sym[0].shape[0] > 1
    nv = layout.shape[1]
    s = np.empty(nv, dtype=np.int64)
    out = np.empty((na, nv), dtype=np.int64)
    idx = np.empty(na, dtype=np.int64)
    words = np.empty(store.shape[1], dtype=np.uint64)
    n = 0
    for p in range(lo, hi):
        if n + na > bw.shape[0]:
            return n, p
        k = visit(fns, store, p, s, out, idx, flags)
        order = np.arange(k) if ordered else np.argsort(idx[:k])
        nsucc[p - lo] = k
        if p < deg.shape[0]:
            deg[p] = k
        for jj in range(k):
            j = order[jj]
            flags[0, idx[j]] = 1
            if reduced and not canon(fns, sym, layout, out[j], tmp):
                return -1, p
            if not call3(fns[3], out[j].ctypes.data, words.ctypes.data, 0):
                return -1, p
            if find(store, table, words)[1] >= 0:
                continue
            bw[n, :] = words
            bm[n, 0], bm[n, 1], bm[n, 2] = p - lo, out[j, viol] != 0, jj
            n += 1
    return n, hi


@nogil
def merge(store: Any, table: Any, ctr: Any, lo: int, done: int, n: int, bw: Any, bm: Any,
          nsucc: Any, maxst: int) -> int:
    """Store the buffered successors of states ``lo..done`` in order, as :func:`expand`
    would have (``ctr`` as there); a status code (room is made beforehand)."""
    count, tr = ctr[1], ctr[2]
    c = 0
    status = DONE
    for p in range(lo, done):
        while c < n and bm[c, 0] == p - lo:
            at, e = find(store, table, bw[c])
            if e < 0:
                table[at] = count
                store[count, :] = bw[c]
                count += 1
                if bm[c, 1]:
                    tr += bm[c, 2] + 1
                    status = FAIL
                    break
            c += 1
        if status != DONE:
            break
        tr += nsucc[p - lo]
        ctr[0] = p + 1
        if count > maxst:
            status = LIMIT
            break
    ctr[1], ctr[2] = count, tr
    return status
