"""Randomness inside the Numba kernels: splitmix64, one 64-bit state per stream.

Every world (and every graph-task stream) owns one ``uint64`` counter; a draw advances it
by the golden-ratio increment and mixes it (Steele, Lea and Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014). The generator state is a plain array, so
it is part of a snapshot and pickles with it; no global generator exists.

* :func:`uniform01` -- the next float in [0, 1) of stream ``b`` of a state array;
* :func:`coin` -- draw ``counter`` of the stream keyed ``key``, without state (the
  counter-based use of the same mix: draws can be made in any order).
"""

from __future__ import annotations

import numpy as np

from aerena.jit import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@njit
def uniform01(rng, b):
    """splitmix64 step of stream b of the uint64 state array `rng`; a float in [0, 1)."""
    z = rng[b] + GOLDEN
    rng[b] = z
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * (1.0 / 9007199254740992.0)


@njit
def coin(st, key, counter):
    """Draw `counter` of splitmix64 stream `key`: a float in [0, 1). st: [1] uint64 scratch."""
    st[0] = key + np.uint64(counter) * GOLDEN
    return uniform01(st, 0)
