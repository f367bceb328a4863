"""The replay file format: record, load, validate, atomic writes, determinism."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from aerena.agents.scripted import make_player, side_columns
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import recording
from aerena.envs.airdefense.recording import (
    FORMAT_VERSION,
    FRAME_KEYS,
    STATIC_KEYS,
    Recorder,
    load_replay,
    write_replay,
)
from aerena.envs.airdefense.world import World
from aerena.errors import UserError

MAX_STEPS = 60


def _record(directory: Path, seed: int = 3, episode: int = 0) -> Path:
    """One tiny episode between random players, recorded from world 0."""
    world = World("tiny", 1, **{"episode.max_steps": MAX_STEPS})
    world.reset([seed])
    att = make_player("attacker", "random", world, seed=seed)
    dfd = make_player("defender", "random", world, seed=seed + 1)
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    rec = Recorder(world, 0, directory, info={"attacker": "random", "defender": "random"})
    act = np.zeros((1, world.sizes["N"]), np.int64)
    while not world.done[0]:
        act[:, ca] = att.act()
        act[:, cd] = dfd.act()
        world.step(act)
        assert rec.capture()
    assert not rec.capture()  # the world did not advance: nothing recorded
    return rec.save(episode=episode)


@pytest.fixture(scope="module")
def replay_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record(tmp_path_factory.mktemp("replays"))


def _one_line_user_error(path: Path, *needles: str) -> str:
    with pytest.raises(UserError) as info:
        load_replay(path)
    msg = str(info.value)
    assert "\n" not in msg, msg
    assert path.name in msg
    for n in needles:
        assert n in msg, msg
    return msg


# --------------------------------------------------------------------------------------
def test_file_name_and_round_trip(replay_path: Path) -> None:
    assert replay_path.name == "tiny_seed3_ep0.aerena-replay.npz"
    r = load_replay(replay_path)
    m = r.meta
    assert m["format"] == "aerena-replay"
    assert m["format_version"] == FORMAT_VERSION == 1
    from aerena import __version__

    assert m["aerena_version"] == __version__
    assert m["scenario"] == "tiny"
    assert "name: tiny" in m["scenario_text"]
    assert m["seed"] == 3 and m["episode"] == 0
    assert m["attacker"] == "random" and m["defender"] == "random"
    assert m["outcome"]["winner"] in ("attacker", "defender")
    assert m["air_names"][0] == "carrier" and len(m["air_names"]) == m["sizes"]["A"]
    assert m["ground_names"] == ["depot", "radar", "launcher", "cp"]
    assert m["agent_names"][0] == "uav_0"
    assert m["event_names"] == list(Lo.EVENT_NAMES)
    assert m["map_size"] == [10000.0, 10000.0]


def test_shapes_follow_the_steps(replay_path: Path) -> None:
    r = load_replay(replay_path)
    T = r.frames
    steps = r.meta["outcome"]["steps"]
    assert T == steps + 1 == r.meta["steps"] + 1
    assert 1 <= steps <= MAX_STEPS
    sz = r.sizes
    for key in FRAME_KEYS:
        assert r.arrays[key].shape[0] == T, key
    for key in STATIC_KEYS:
        assert key in r.arrays
    assert r.air_pos.shape == (T, sz["A"], 3) and r.air_pos.dtype == np.float32
    assert r.int_pos.shape == (T, sz["I"], 3)
    assert r.radar_tracks_bool().shape == (T, sz["R"], sz["A"])
    np.testing.assert_array_equal(r.radar_tracks_bool().any(axis=1), r.tracked)
    np.testing.assert_array_equal(r.step, np.arange(T))
    assert r.terrain.dtype == np.float32 and r.terrain.ndim == 2
    assert r.event_index.shape == (T + 1,)
    # the episode's tallies end where the outcome says
    assert r.tally[-1, 2] == r.meta["outcome"]["kills"]
    assert r.tally[-1, 4] == r.meta["outcome"]["interceptors_used"]
    # UAVs are waiting in frame 0 (unless launched at t = 0) and never revive
    C = sz["C"]
    status = r.air_status[:, C:]
    assert set(np.unique(status)) <= set(range(len(Lo.STATUS_NAMES)))
    gone = status >= Lo.KILLED
    assert np.all(gone[1:] >= gone[:-1])


def test_events_present(replay_path: Path) -> None:
    r = load_replay(replay_path)
    kinds = r.events[:, 1].astype(int)
    U = r.sizes["U"]
    assert np.sum(kinds == Lo.EV_LAUNCH) == U  # every UAV of tiny launches early
    frames = r.event_frames()
    assert len(frames) == len(r.events)
    for f in range(r.frames):
        np.testing.assert_array_equal(r.events_at(f), r.events[frames == f])
    # events of frame f happen during step f: times within (t[f] - dt, t[f]]
    dt = r.meta["dt"]
    assert np.all(r.events[:, 0] <= r.t[frames] + 1e-9)
    assert np.all(r.events[:, 0] >= r.t[frames] - dt - 1e-9)


def test_determinism(tmp_path: Path) -> None:
    a = load_replay(_record(tmp_path / "a", seed=11))
    b = load_replay(_record(tmp_path / "b", seed=11))
    assert a.arrays.keys() == b.arrays.keys()
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key], err_msg=key)
    assert a.meta == b.meta


def test_batched_world_records_the_same_episode(tmp_path: Path) -> None:
    """Recording world 1 of a batch equals recording the same seed alone (fixed actions)."""

    def run(B: int, b: int) -> dict[str, np.ndarray]:
        world = World("tiny", B, **{"episode.max_steps": 30})
        world.reset([20 + i for i in range(B)] if B > 1 else [21])
        rec = Recorder(world, b)
        act = np.zeros((B, world.sizes["N"]), np.int64)
        act[:, : world.sizes["U"]] = Lo.UAV_NOOP
        while not world.done[b]:
            world.step(act, worlds=~world.done)
            rec.capture()
        return rec.arrays()

    one, batched = run(1, 0), run(3, 1)
    for key in one:
        np.testing.assert_array_equal(one[key], batched[key], err_msg=key)


# --------------------------------------------------------------------------------------
# atomic writes and bad files
# --------------------------------------------------------------------------------------
def test_atomic_write_leaves_nothing_on_failure(
    replay_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = load_replay(replay_path)
    out = tmp_path / "out"

    def broken(f, arrays):  # writes half a file, then fails
        f.write(b"PK\x03\x04 partial archive")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(recording, "_write_npz", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_replay(out / "x.aerena-replay.npz", r.arrays, r.meta)
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    path = write_replay(out / "x.aerena-replay.npz", r.arrays, r.meta)
    assert [p.name for p in out.iterdir()] == ["x.aerena-replay.npz"]
    assert load_replay(path).frames == r.frames


def test_corrupt_file(tmp_path: Path) -> None:
    bad = tmp_path / "noise.aerena-replay.npz"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    _one_line_user_error(bad, "not a readable aerena replay")


def test_truncated_file(replay_path: Path, tmp_path: Path) -> None:
    data = replay_path.read_bytes()
    cut = tmp_path / "cut.aerena-replay.npz"
    cut.write_bytes(data[: len(data) // 2])
    _one_line_user_error(cut, "corrupt or truncated")


def test_damaged_member(replay_path: Path, tmp_path: Path) -> None:
    """Bytes flipped inside a compressed member (the zip directory still intact)."""
    data = bytearray(replay_path.read_bytes())
    mid = len(data) // 3
    data[mid : mid + 64] = bytes(64)
    bad = tmp_path / "flipped.aerena-replay.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(UserError) as info:
        load_replay(bad)
    assert "\n" not in str(info.value)


def test_future_version(replay_path: Path, tmp_path: Path) -> None:
    r = load_replay(replay_path)
    meta = {**r.meta, "format_version": 3}
    path = write_replay(tmp_path / "future.aerena-replay.npz", r.arrays, meta)
    msg = _one_line_user_error(path, "format version 3 is newer", "reads 1", "upgrade aerena")
    assert msg.startswith("future.aerena-replay.npz: ")


def test_not_a_replay(replay_path: Path, tmp_path: Path) -> None:
    r = load_replay(replay_path)
    path = write_replay(tmp_path / "other.npz", r.arrays, {**r.meta, "format": "other"})
    _one_line_user_error(path, "not an aerena replay")
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    _one_line_user_error(plain, "no 'meta'")
    with pytest.raises(UserError, match="no such replay file"):
        load_replay(tmp_path / "missing.npz")


def test_bad_shapes_and_missing_arrays(replay_path: Path, tmp_path: Path) -> None:
    r = load_replay(replay_path)
    arrays = dict(r.arrays)
    arrays["air_pos"] = arrays["air_pos"][:-1]
    path = write_replay(tmp_path / "short.npz", arrays, r.meta)
    _one_line_user_error(path, "'air_pos'", "shape")
    arrays = dict(r.arrays)
    del arrays["events"]
    path = write_replay(tmp_path / "noevents.npz", arrays, r.meta)
    _one_line_user_error(path, "lacks the array 'events'")
    arrays = dict(r.arrays)
    arrays["air_status"] = arrays["air_status"].astype(np.int64)
    path = write_replay(tmp_path / "dtype.npz", arrays, r.meta)
    _one_line_user_error(path, "dtype")


def test_meta_is_plain_json(replay_path: Path) -> None:
    """Other tools read the file with any npz reader: meta is a JSON string, no pickle."""
    with np.load(replay_path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"][()]))
    assert meta["format"] == "aerena-replay"
    assert os.stat(replay_path).st_size > 0
