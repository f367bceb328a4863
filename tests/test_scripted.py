"""Scripted baselines: the route planner against a reference, legality, strength, fog of war."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from aerena.agents.scripted import make_player
from aerena.agents.scripted.planning import (
    dijkstra_field,
    follow,
    make_plan_grid,
    next_hop,
    node_costs,
    plan_path,
    risk_map,
)
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import observation
from aerena.envs.airdefense.terrain import TerrainGrid
from aerena.envs.airdefense.world import World

try:
    from tests.reference import planning_ref as ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference import planning_ref as ref

B = 8  # worlds per batch in the rollouts


# --------------------------------------------------------------------------------------
# planner against the reference
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(12))
def test_dijkstra_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ny, nx = (int(v) for v in rng.integers(1, 24, size=2))
    cost = rng.uniform(1.0, 20.0, size=(ny, nx))
    if seed % 3 == 0:
        cost = np.round(cost)  # many exact ties
    cell = float(rng.choice([1.0, 250.0, 1000.0]))
    goal = (int(rng.integers(ny)), int(rng.integers(nx)))
    dist = np.empty((ny, nx))
    plen = np.empty((ny, nx))
    dijkstra_field(cost, cell, goal[0], goal[1], dist, plen)
    expected = ref.dijkstra_ref(cost, cell, goal)
    np.testing.assert_array_equal(dist, expected)
    # a path from every start: connected, ends at the goal, costs what the field says
    for _ in range(5):
        start = (int(rng.integers(ny)), int(rng.integers(nx)))
        path, total = plan_path(cost, cell, start, goal)
        assert path[0] == start and path[-1] == goal
        assert ref.is_connected_path(path)
        assert total == expected[start]
        assert ref.path_cost(cost, cell, path) == pytest.approx(total, rel=1e-12)
        if seed % 3:  # no ties: the length of the one cheapest path
            length = sum(math.dist(a, b) * cell for a, b in zip(path[:-1], path[1:], strict=True))
            assert plen[start] == pytest.approx(length, rel=1e-9)


def test_next_hop_and_follow() -> None:
    cost = np.ones((5, 7))
    dist = np.empty_like(cost)
    dijkstra_field(cost, 1.0, 2, 6, dist, np.empty_like(cost))
    assert next_hop(cost, dist, 1.0, 2, 6) == (2, 6)  # at the goal
    assert next_hop(cost, dist, 1.0, 2, 0) == (2, 1)  # straight along the row
    assert follow(cost, dist, 1.0, 2, 0, 3) == (2, 3)
    assert follow(cost, dist, 1.0, 2, 0, 50) == (2, 6)  # stops at the goal


def test_risk_map_matches_reference() -> None:
    rng = np.random.default_rng(3)
    heights = rng.uniform(0.0, 150.0, size=(31, 41))  # rough hills on a 200 m grid
    tcell, pcell = 200.0, 700.0
    shape = (9, 12)
    radar = (3100.0, 2500.0, float(heights[12, 15]) + 20.0)
    out = np.empty(shape)
    risk_map(heights, tcell, pcell, *radar, 3000.0, 50.0, 3, out)
    expected = ref.risk_map_ref(heights, tcell, pcell, shape, radar, 3000.0, 50.0, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0.0)
    assert 0.0 < out.max() <= 1.0 and (out == 0.0).any()
    assert ((out > 0.0) & (out < 0.5)).any()  # partial visibility inside a node's cell


# --------------------------------------------------------------------------------------
# routes around a known radar
# --------------------------------------------------------------------------------------
def _flat(size: float, cell: float = 100.0) -> np.ndarray:
    n = int(size / cell) + 1
    return np.zeros((n, n))


def _route(terrain: TerrainGrid, radar: tuple[float, float, float], r50: float, start, goal):
    grid = make_plan_grid(terrain, 500.0)
    risk = np.zeros((1, grid.ny, grid.nx))
    risk_map(terrain.heights, terrain.cell, grid.cell, *radar, r50, 50.0, 3, risk[0])
    cost = np.empty((grid.ny, grid.nx))
    node_costs(risk, np.array([True]), 8.0, 0.0, cost)
    path, _ = plan_path(cost, grid.cell, grid.node_of(*start), grid.node_of(*goal))
    return grid, risk[0], path


def test_route_detours_around_radar_on_flat_ground() -> None:
    h = _flat(20_000.0)
    terrain = TerrainGrid(heights=h, cell=100.0, width=20_000.0, height=20_000.0)
    grid, risk, path = _route(
        terrain, (10_000.0, 10_000.0, 20.0), 3000.0, (2000, 10_000), (18_000, 10_000)
    )
    straight = [grid.node_of(x, 10_000.0) for x in np.arange(2000.0, 18_001.0, grid.cell)]
    exposure = sum(risk[p] for p in path)
    assert max(risk[p] for p in straight) > 0.9
    assert max(risk[p] for p in path) < 0.2  # stays out of the coverage
    assert exposure < 0.1 * sum(risk[p] for p in straight)
    length = sum(
        math.dist(grid.xy(*a), grid.xy(*b)) for a, b in zip(path[:-1], path[1:], strict=True)
    )
    assert length < 2.0 * 16_000.0  # a detour, not a tour of the map


def test_route_uses_the_shadow_of_a_ridge() -> None:
    h = _flat(20_000.0)
    # a 300 m ridge along y = 12 km hides everything north of it from a radar at y = 9 km
    rows = np.arange(h.shape[0]) * 100.0
    h[(rows >= 11_800) & (rows <= 12_200), :] = 300.0
    terrain = TerrainGrid(heights=h, cell=100.0, width=20_000.0, height=20_000.0)
    grid, risk, path = _route(
        terrain, (10_000.0, 9000.0, 20.0), 6000.0, (1000, 13_500), (19_000, 13_500)
    )
    i_north = grid.node_of(10_000.0, 13_500.0)
    assert risk[i_north] == 0.0  # masked, though well inside r50
    assert risk[grid.node_of(10_000.0, 11_000.0)] > 0.5
    assert max(risk[p] for p in path) < 0.05
    # the route hugs the ridge instead of leaving the radar's range (y > 15 km)
    assert max(grid.xy(*p)[1] for p in path) < 15_000.0


# --------------------------------------------------------------------------------------
# rollouts
# --------------------------------------------------------------------------------------
def _players(world: World, att: str, dfn: str, seed: int):
    pa = make_player("attacker", att, world, seed=seed)
    pd = make_player("defender", dfn, world, seed=seed + 1)
    pa.reset()
    pd.reset()
    return pa, pd


def _joint(world: World, pa, pd) -> np.ndarray:
    act = np.zeros((world.num_worlds, world.sizes["N"]), dtype=np.int64)
    act[:, pa.columns] = pa.act()
    act[:, pd.columns] = pd.act()
    return act


def _assert_legal(world: World, act: np.ndarray) -> None:
    s = world.state
    live = s.agent_alive & ~world.done[:, None]
    b, n = np.nonzero(live)
    assert np.all(act >= 0) and np.all(act < world.action_sizes[None, :])
    assert s.act_mask[b, n, act[b, n]].all(), "an action outside the mask"


def rollout(
    scenario: str,
    att: str,
    dfn: str,
    seeds: list[int],
    check: bool = False,
    max_steps: int | None = None,
):
    """Mean asset fraction destroyed and UAVs lost over the seeds, B worlds at a time."""
    frac, lost = [], []
    for k in range(0, len(seeds), B):
        batch = seeds[k : k + B]
        world = World(scenario, len(batch))
        world.reset(batch)
        pa, pd = _players(world, att, dfn, batch[0])
        for _ in range(max_steps or world.static.max_steps):
            if world.done.all():
                break
            act = _joint(world, pa, pd)
            if check:
                _assert_legal(world, act)
            world.step(act, ~world.done)
            if check:
                assert not world.state.invalid.any()
        for b in range(len(batch)):
            o = world.outcome(b)
            frac.append(o["asset_fraction_destroyed"])
            lost.append(o["uavs_lost_total"])
    return float(np.mean(frac)), float(np.mean(lost))


@pytest.mark.parametrize("scenario", ["tiny", "strike_small"])
@pytest.mark.parametrize(
    "pair", [("scripted", "scripted"), ("scripted", "random"), ("random", "scripted")]
)
def test_actions_always_legal(scenario: str, pair: tuple[str, str]) -> None:
    rollout(scenario, pair[0], pair[1], [11, 12, 13, 14], check=True)


def test_scripted_players_are_deterministic() -> None:
    worlds = [World("strike_small", 2) for _ in range(2)]
    players = []
    for w in worlds:
        w.reset([21, 22])
        players.append(_players(w, "scripted", "scripted", 21))
    for _ in range(600):
        acts = [_joint(w, *p) for w, p in zip(worlds, players, strict=True)]
        np.testing.assert_array_equal(acts[0], acts[1])
        for w, act in zip(worlds, acts, strict=True):
            w.step(act, ~w.done)


def test_actions_legal_with_batteries_and_guns() -> None:
    # three batteries, point defences, every UAV role; the first minutes only (speed)
    rollout("saturation", "scripted", "scripted", [5, 6], check=True, max_steps=300)


def test_attacker_replans_when_radars_are_learnt_or_lost() -> None:
    world = World("tiny", 2)
    world.reset([1, 2])
    pa, pd = _players(world, "scripted", "scripted", 1)
    base = pa.cost.copy()
    _advance(world, pa, pd, 3)  # the radar emits: the UAVs' ESM finds it at once
    r = 0
    g = int(world.roster.radar_g[r])
    assert world.state.known[:, g].all()
    assert pa.threat[:, r].all() and pa.risk_ok[:, r].all()
    assert (pa.cost > base + 1.0).any(axis=(1, 2)).all()  # the radar's coverage costs more
    cached = pa.risk[:, r].copy()
    # the attacker learns that the radar is destroyed: costs fall back, the map stays cached
    world.state.gnd_hp[0, g] = 0.0
    world.state.radar_emit[0, r] = False
    pa.act()
    assert not pa.threat[0, r] and pa.threat[1, r]
    np.testing.assert_array_equal(pa.cost[0], base[0])
    assert (pa.cost[1] > base[1] + 1.0).any()
    np.testing.assert_array_equal(pa.risk[:, r], cached)


# tiny is decided by a handful of interceptor rolls (4 shots at pk 0.7 against 3 UAVs),
# so it needs more episodes than strike_small for the same confidence; both are cheap
SEEDS = {"tiny": list(range(100, 164)), "strike_small": list(range(100, 124))}


@pytest.mark.parametrize("scenario", ["tiny", "strike_small"])
def test_scripted_attacker_beats_random_attacker(scenario: str) -> None:
    scripted, _ = rollout(scenario, "scripted", "random", SEEDS[scenario])
    random, _ = rollout(scenario, "random", "random", SEEDS[scenario])
    assert scripted > random


@pytest.mark.parametrize("scenario", ["tiny", "strike_small"])
def test_scripted_defender_beats_random_defender(scenario: str) -> None:
    scripted, _ = rollout(scenario, "scripted", "scripted", SEEDS[scenario])
    random, _ = rollout(scenario, "scripted", "random", SEEDS[scenario])
    assert scripted < random


# --------------------------------------------------------------------------------------
# fog of war
# --------------------------------------------------------------------------------------
def _advance(world: World, pa, pd, steps: int) -> None:
    for _ in range(steps):
        world.step(_joint(world, pa, pd), ~world.done)


def _twin(player, world: World):
    """A copy of a player's internal state that acts on the same world."""
    return copy.deepcopy(player, {id(world): world})


def test_defender_ignores_true_roles_and_hidden_air_state() -> None:
    world = World("strike_small", 4)
    world.reset([3, 4, 5, 6])
    pa, pd = _players(world, "scripted", "scripted", 3)
    _advance(world, pa, pd, 300)
    # play on until the defender fires; `twin` keeps its state from before that act()
    n_launchers = len(world.roster.launcher_g)
    for _ in range(world.static.max_steps):
        twin = _twin(pd, world)
        before = pd.act()
        if (before[:, :n_launchers] > 0).any():
            break
        act = np.zeros((world.num_worlds, world.sizes["N"]), dtype=np.int64)
        act[:, pa.columns] = pa.act()
        act[:, pd.columns] = before
        world.step(act, ~world.done)
    else:
        pytest.fail("the defender never fired")
    # the truth about the air entities that the defender cannot know: roles, unit
    # parameters, fuel; then rebuild every observation from the altered world
    st, ro = world.static, world.roster
    roles = ro.air_role.copy()
    C = world.sizes["C"]
    swapped = roles.copy()
    swapped[C:] = np.where(
        roles[C:] == Lo.STRIKE, Lo.DECOY, np.where(roles[C:] == Lo.DECOY, Lo.STRIKE, roles[C:])
    )
    world.static = st._replace(air_role=swapped)
    ro.air_role[:] = swapped
    s = world.state
    s.air_par[:, C:, Lo.AP_COST] *= 7.0
    s.air_par[:, C:, Lo.AP_WARHEAD_DAMAGE] = 0.0
    s.air_fuel[:] *= 0.5
    # untracked UAVs may be anywhere
    seen = np.zeros(s.air_status.shape, dtype=bool)
    U = world.sizes["U"]
    for b in range(world.num_worlds):
        refs = s.obs_ref[b, U:][s.obs_mask[b, U:]]
        seen[b, refs] = True
    hidden = ~seen & (s.air_status == Lo.ACTIVE)
    hidden[:, :C] = False
    s.air_pos[hidden, 0] = np.clip(s.air_pos[hidden, 0] + 3000.0, 0, st.width)
    observation.observe_all(world.static, s, np.ones(world.num_worlds, dtype=bool))
    after = twin.act()
    np.testing.assert_array_equal(before, after)


def test_attacker_ignores_unknown_defence_units() -> None:
    world = World("strike_small", 4)
    world.reset([7, 8, 9, 10])
    pa, pd = _players(world, "scripted", "scripted", 7)
    _advance(world, pa, pd, 300)
    s = world.state
    unknown = ~s.known & (world.roster.gnd_kind[None, :] != Lo.ASSET)
    assert unknown.any(), "some defence units should still be unknown"
    twin = _twin(pa, world)
    before = pa.act()
    # move every unknown unit, change what the defender alone knows
    s.gnd_pos[unknown, 0] = np.clip(s.gnd_pos[unknown, 0] - 5000.0, 0.0, world.static.width)
    s.gnd_hp[unknown] = np.where(s.gnd_hp[unknown] > 0, 0.5, 0.0)
    s.stock[:] = 0
    s.det_time[:] = 0.0
    s.conn[:] = ~s.conn
    s.int_status[:] = Lo.INT_FLYING
    observation.observe_all(world.static, s, np.ones(world.num_worlds, dtype=bool))
    after = twin.act()
    np.testing.assert_array_equal(before, after)


def test_attacker_risk_cache_gives_the_maps_it_would_compute():
    """The exposure-map cache (shared by worlds and episodes with the same radar placement)
    hands out exactly the map a fresh `risk_map` call writes, and actions do not change."""
    from aerena.agents.scripted.attacker import ScriptedAttacker
    from aerena.agents.scripted.base import side_columns
    from aerena.agents.scripted.planning import risk_map

    def run(cache_size: int):
        import aerena.agents.scripted.attacker as A

        old, A.RISK_CACHE_SIZE = A.RISK_CACHE_SIZE, cache_size
        try:
            w = World("strike_small", num_worlds=4)
            w.reset([0, 1, 0, 1])
            att = ScriptedAttacker(w, seed=1)
            att.reset()
            if cache_size == 0:
                att._risk_cache = _NoCache()
            ca = side_columns(w, "attacker")
            acts = np.zeros((4, w.sizes["N"]), dtype=np.int64)
            out = []
            for _ in range(120):
                # every radar known: each world builds every map
                w.state.known[:, att.radar_g] = True
                acts[:, ca] = att.act()
                out.append(acts.copy())
                w.step(acts)
            return w, att, np.stack(out)
        finally:
            A.RISK_CACHE_SIZE = old

    w, att, cached_acts = run(256)
    assert att.risk_ok.any() and len(att._risk_cache) < att.risk_ok.sum()  # maps were shared
    s, g, ter = w.state, att.grid, w.terrain
    for b, r in np.argwhere(att.risk_ok):
        gr = int(att.radar_g[r])
        fresh = np.zeros((g.ny, g.nx))
        pos = s.gnd_pos[b, gr]
        rz = float(pos[2] + s.gnd_par[b, gr, Lo.GP_MAST])
        risk_map(ter.heights, ter.cell, g.cell, float(pos[0]), float(pos[1]), rz,
                 att._radar_r50(b, gr), att._plan_agl(b), 3, fresh)  # fmt: skip
        assert np.array_equal(att.risk[b, r], fresh)
    _, _, fresh_acts = run(0)
    assert np.array_equal(cached_acts, fresh_acts)


class _NoCache(dict):
    """A cache that never keeps anything (every map computed afresh)."""

    def __setitem__(self, key, value) -> None:
        pass
