"""The packed world state (envs/airdefense/arena.py): views, copies, pickling."""

from __future__ import annotations

import pickle

import numpy as np

from aerena.envs.airdefense import state as S
from aerena.envs.airdefense.arena import pack
from aerena.envs.airdefense.world import World


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    return a.size == 0 or a.ctypes.data == b.ctypes.data


def _packed_in(s: S.WorldState, arenas: tuple[np.ndarray, ...]) -> bool:
    return all(any(np.shares_memory(a, buf) for buf in arenas) for a in s if a.size)


def test_unpack_rebuilds_the_python_views() -> None:
    w = World("strike_small", 3)
    w.reset([1, 2, 3])
    st, s = S.unpack(*w.kernel_args)
    for name, a, b in zip(s._fields, s, w.state, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and _same_memory(a, b), name
    for name, a, b in zip(st._fields, st, w.static, strict=True):
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape and _same_memory(a, b), name
        else:
            assert type(a) is type(b) and a == b, name


def test_pack_copies_shapes_dtypes_values() -> None:
    rng = np.random.default_rng(0)
    arrays = [
        rng.random((3, 5)),
        rng.integers(0, 9, (2, 3, 4, 5)).astype(np.int32),
        rng.random(7) < 0.5,
        np.zeros(0, np.int8),
    ]
    views, arenas = pack(arrays)
    for v, a in zip(views, arrays, strict=True):
        assert v.dtype == a.dtype and v.shape == a.shape and np.array_equal(v, a)
        assert v.size == 0 or not np.shares_memory(v, a)
    assert arenas.layout.shape == (4, 7)


def test_snapshot_is_packed_and_independent() -> None:
    w = World("tiny", 2)
    w.reset([5, 6])
    snap = w.snapshot()
    buffers = tuple(w.kernel_args[-7:-1])
    assert not any(np.shares_memory(a, b) for a in snap for b in buffers if a.size)
    before = [a.copy() for a in snap]
    w.step(np.zeros((2, w.sizes["N"]), np.int64))
    for a, b in zip(snap, before, strict=True):
        assert np.array_equal(a, b)
    w.restore(pickle.loads(pickle.dumps(snap)))
    for a, b in zip(w.state, before, strict=True):
        assert np.array_equal(a, b)
    assert _packed_in(w.state, buffers)


def test_pickled_world_steps_its_own_views() -> None:
    w = World("tiny", 2)
    w.reset([5, 6])
    clone = pickle.loads(pickle.dumps(w))
    assert _packed_in(clone.state, tuple(clone.kernel_args[-7:-1]))
    act = np.zeros((2, w.sizes["N"]), np.int64)
    for _ in range(5):
        w.step(act)
        clone.step(act)
    for name, a, b in zip(w.state._fields, w.state, clone.state, strict=True):
        assert np.array_equal(a, b), name
    assert int(clone.state.step[0]) == 5


def test_assigning_static_packs_it() -> None:
    w = World("tiny", 1)
    roles = w.static.air_role.copy()
    w.static = w.static._replace(air_role=roles)
    st, _ = S.unpack(*w.kernel_args)
    assert _same_memory(st.air_role, w.static.air_role)
    assert np.array_equal(st.air_role, roles)
