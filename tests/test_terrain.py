"""Terrain grid building and the terrain kernels, checked against tests/reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aerena.envs.airdefense.terrain import (
    LOS_BLOCK,
    LOS_FINE,
    TerrainGrid,
    block_max,
    height_at,
    heights_at_many,
    line_of_sight,
    line_of_sight_fast,
    los_bounds,
    make_terrain,
    visibility_map,
)
from aerena.errors import ScenarioError
from aerena.scenarios.schema import Terrain

try:
    from tests.reference import terrain_ref as ref
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from reference import terrain_ref as ref

SIZE = (12_000.0, 9_000.0)


@pytest.fixture(scope="module")
def grid() -> TerrainGrid:
    spec = Terrain(kind="fractal", cell=200.0, seed=7, relief=800.0, base_scale=6000.0)
    return make_terrain(spec, SIZE)


# --------------------------------------------------------------------------------------
# Grid building
# --------------------------------------------------------------------------------------
def test_grid_shape_and_flags(grid: TerrainGrid) -> None:
    assert grid.heights.shape == (46, 61)  # ceil(9000/200)+1, ceil(12000/200)+1
    assert (grid.ny, grid.nx) == grid.heights.shape
    assert grid.heights.dtype == np.float64
    assert grid.heights.flags.c_contiguous
    assert not grid.heights.flags.writeable
    assert (grid.cell, grid.width, grid.height) == (200.0, 12_000.0, 9_000.0)
    # a map size that is not a multiple of the cell: the grid still covers it
    odd = make_terrain(Terrain(kind="flat", cell=300.0), (1000.0, 650.0))
    assert odd.heights.shape == (4, 5)
    assert (odd.nx - 1) * odd.cell >= 1000.0 and (odd.ny - 1) * odd.cell >= 650.0


def test_flat_is_zero() -> None:
    g = make_terrain(Terrain(kind="flat", cell=100.0), (1000.0, 500.0))
    assert g.heights.shape == (6, 11)
    assert not g.heights.any()


def test_fractal_deterministic_and_normalised(grid: TerrainGrid) -> None:
    spec = Terrain(kind="fractal", cell=200.0, seed=7, relief=800.0, base_scale=6000.0)
    again = make_terrain(spec, SIZE)
    assert np.array_equal(again.heights, grid.heights)
    assert grid.heights.min() == 0.0
    assert grid.heights.max() == 800.0
    other = make_terrain(spec.model_copy(update={"seed": 8}), SIZE)
    assert not np.array_equal(other.heights, grid.heights)
    assert other.heights.min() == 0.0 and other.heights.max() == 800.0
    # many octaves finer than the cell, and a coarsest wavelength below one cell, still work
    fine = Terrain(kind="fractal", cell=200.0, seed=1, octaves=10, base_scale=150.0)
    g = make_terrain(fine, (2000.0, 2000.0))
    assert g.heights.min() == 0.0 and g.heights.max() == fine.relief
    # zero relief is flat
    assert not make_terrain(spec.model_copy(update={"relief": 0.0}), SIZE).heights.any()


def test_fractal_same_in_another_process(grid: TerrainGrid) -> None:
    code = (
        "import sys, numpy as np\n"
        "from aerena.envs.airdefense.terrain import make_terrain\n"
        "from aerena.scenarios.schema import Terrain\n"
        "s = Terrain(kind='fractal', cell=200.0, seed=7, relief=800.0, base_scale=6000.0)\n"
        "sys.stdout.write(make_terrain(s, (12000.0, 9000.0)).heights.tobytes().hex())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NUMBA_DISABLE_JIT": "1"},
    ).stdout
    assert bytes.fromhex(out) == grid.heights.tobytes()


def test_npy_same_shape_used_as_is(tmp_path: Path) -> None:
    a = np.random.default_rng(0).random((6, 11)) * 300.0 - 20.0
    np.save(tmp_path / "h.npy", a)
    g = make_terrain(Terrain(kind="file", cell=100.0, file="h.npy"), (1000.0, 500.0), tmp_path)
    assert np.array_equal(g.heights, a)
    assert not g.heights.flags.writeable


def test_npy_resampled_bilinearly(tmp_path: Path) -> None:
    # a plane sampled on a coarse 3 x 5 array over the map resamples to the same plane
    ys, xs = np.meshgrid(np.linspace(0, 800, 3), np.linspace(0, 1600, 5), indexing="ij")
    np.save(tmp_path / "plane.npy", (2.0 * xs + 3.0 * ys).astype(np.float32))
    spec = Terrain(kind="file", cell=200.0, file="plane.npy")
    g = make_terrain(spec, (1600.0, 800.0), tmp_path)
    gy, gx = np.meshgrid(np.arange(5) * 200.0, np.arange(9) * 200.0, indexing="ij")
    np.testing.assert_allclose(g.heights, 2.0 * gx + 3.0 * gy, rtol=0, atol=1e-9)


def test_npy_absolute_path_and_resample_beyond_edge(tmp_path: Path) -> None:
    np.save(tmp_path / "c.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    spec = Terrain(kind="file", cell=300.0, file=str(tmp_path / "c.npy"))
    g = make_terrain(spec, (1000.0, 1000.0))  # grid reaches 1200 m, past the map edge
    assert g.heights.shape == (5, 5)
    assert g.heights[0, 0] == 1.0 and g.heights[-1, -1] == 4.0  # clamped beyond the edge
    assert g.heights[0, -1] == 2.0 and g.heights[-1, 0] == 3.0


def test_png_8_and_16_bit(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    grey8 = np.array([[0, 255, 0], [51, 102, 204]], dtype=np.uint8)
    image.fromarray(grey8).save(tmp_path / "h8.png")
    spec = Terrain(kind="file", cell=500.0, relief=1000.0, file="h8.png")
    g = make_terrain(spec, (1000.0, 500.0), tmp_path)
    # the top row of the picture is north (y = H), i.e. the last grid row
    np.testing.assert_allclose(g.heights, [[200.0, 400.0, 800.0], [0.0, 1000.0, 0.0]])

    grey16 = np.array([[0, 65535], [65535, 13107]], dtype=np.uint16)
    image.fromarray(grey16).save(tmp_path / "h16.png")
    spec = Terrain(kind="file", cell=500.0, relief=1000.0, file="h16.png")
    g = make_terrain(spec, (500.0, 500.0), tmp_path)
    np.testing.assert_allclose(g.heights, [[1000.0, 200.0], [0.0, 1000.0]])


def test_png_without_pillow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "h.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ScenarioError, match=r"h\.png.*Pillow"):
        make_terrain(Terrain(kind="file", file="h.png"), (1000.0, 1000.0), tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.npy", None, "not found"),
        ("garbage.npy", b"not an npy file", "cannot be read"),
        ("garbage.png", b"not a png file", "cannot be read"),
        ("vector.npy", np.arange(5.0), "2-D"),
        ("cube.npy", np.zeros((2, 2, 2)), "2-D"),
        ("nan.npy", np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
        ("text.npy", np.array([["a", "b"], ["c", "d"]]), "numeric"),
        ("empty.npy", np.zeros((0, 3)), "empty"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content, message: str) -> None:
    if isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    elif content is not None:
        np.save(tmp_path / name, content)
    with pytest.raises(ScenarioError, match=message) as info:
        make_terrain(Terrain(kind="file", file=name), (1000.0, 1000.0), tmp_path)
    assert name in str(info.value)


def test_grid_too_large() -> None:
    with pytest.raises(ScenarioError, match="too large"):
        make_terrain(Terrain(kind="flat", cell=1.0), (100_000.0, 100_000.0))


# --------------------------------------------------------------------------------------
# Kernels against the reference
# --------------------------------------------------------------------------------------
def test_heights_match_reference(grid: TerrainGrid) -> None:
    rng = np.random.default_rng(1)
    xs = rng.uniform(-1000.0, SIZE[0] + 1000.0, 500)  # some outside: clamped
    ys = rng.uniform(-1000.0, SIZE[1] + 1000.0, 500)
    xs[:10] = np.arange(10) * grid.cell  # exactly on grid points and the last column
    ys[:10] = (grid.ny - 1) * grid.cell
    expected = ref.height_ref(grid.heights, grid.cell, xs, ys)
    out = np.empty(500)
    heights_at_many(grid.heights, grid.cell, xs, ys, out)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-9)
    for k in range(0, 500, 7):
        assert abs(height_at(grid.heights, grid.cell, xs[k], ys[k]) - expected[k]) <= 1e-9
    # grid points return the stored height
    assert height_at(grid.heights, grid.cell, 0.0, 0.0) == grid.heights[0, 0]
    assert height_at(grid.heights, grid.cell, 1e9, 1e9) == grid.heights[-1, -1]


def test_line_of_sight_matches_reference_and_is_symmetric(grid: TerrainGrid) -> None:
    rng = np.random.default_rng(2)
    h, cell = grid.heights, grid.cell
    results = []
    for _ in range(600):
        x0, x1 = rng.uniform(-500.0, SIZE[0] + 500.0, 2)
        y0, y1 = rng.uniform(-500.0, SIZE[1] + 500.0, 2)
        z0 = height_at(h, cell, x0, y0) + rng.uniform(0.0, 600.0)
        z1 = height_at(h, cell, x1, y1) + rng.uniform(0.0, 600.0)
        a, b = (x0, y0, z0), (x1, y1, z1)
        seen = line_of_sight(h, cell, *a, *b)
        assert seen == ref.line_of_sight_ref(h, cell, a, b)
        assert seen == line_of_sight(h, cell, *b, *a)
        results.append(seen)
    assert 50 < sum(results) < 550  # both outcomes well represented


def test_block_max_bounds_every_cell() -> None:
    rng = np.random.default_rng(5)
    for ny, nx in [(1, 1), (2, 2), (3, 17), (9, 9), (10, 10), (41, 23)]:
        h = rng.normal(0.0, 100.0, (ny, nx))
        bm = block_max(h)
        for i in range(max(ny - 1, 1)):
            for j in range(max(nx - 1, 1)):
                corners = h[i : i + 2, j : j + 2]
                assert corners.max() <= bm[min(i, max(ny - 2, 0)) // LOS_BLOCK, j // LOS_BLOCK]
        assert bm.max() == h.max()


def test_los_bounds_levels() -> None:
    rng = np.random.default_rng(6)
    for ny, nx in [(1, 1), (3, 17), (41, 23), (64, 64)]:
        h = rng.normal(0.0, 100.0, (ny, nx))
        b = los_bounds(h)
        fine, coarse = block_max(h, LOS_FINE), block_max(h, LOS_BLOCK)
        assert np.array_equal(b[0], fine)
        assert np.array_equal(b[1, : coarse.shape[0], : coarse.shape[1]], coarse)
        assert np.isinf(b[1]).sum() == b[1].size - coarse.size and not b.flags.writeable


@pytest.mark.parametrize("agl_hi", [30.0, 150.0, 2000.0])
def test_fast_line_of_sight_equals_line_of_sight(grid: TerrainGrid, agl_hi: float) -> None:
    """Random segments in and beyond the map, low and high: the same answer both ways."""
    rng = np.random.default_rng(11)
    h, cell = grid.heights, grid.cell
    bm = los_bounds(h)
    seen = 0
    for _ in range(1500):
        x0, x1 = rng.uniform(-3000.0, SIZE[0] + 3000.0, 2)
        y0, y1 = rng.uniform(-3000.0, SIZE[1] + 3000.0, 2)
        z0 = height_at(h, cell, x0, y0) + rng.uniform(0.0, agl_hi)
        z1 = height_at(h, cell, x1, y1) + rng.uniform(0.0, agl_hi)
        a, b = (x0, y0, z0), (x1, y1, z1)
        want = line_of_sight(h, cell, *a, *b)
        assert line_of_sight_fast(h, bm, cell, *a, *b) == want
        assert line_of_sight_fast(h, bm, cell, *b, *a) == want
        seen += want
    assert 0 < seen < 1500
    # a segment grazing a plateau exactly at its height is visible (not strictly higher)
    flat = np.full((30, 30), 250.0)
    fm = los_bounds(flat)
    for z in (249.0, 250.0, 250.0 + 1e-12, 251.0):
        want = line_of_sight(flat, 100.0, 0.0, 0.0, z, 2900.0, 1700.0, z)
        assert line_of_sight_fast(flat, fm, 100.0, 0.0, 0.0, z, 2900.0, 1700.0, z) == want
    nan_ray = (0.0, 0.0, np.nan, 2900.0, 1700.0, 300.0)
    assert line_of_sight_fast(flat, fm, 100.0, *nan_ray) == line_of_sight(flat, 100.0, *nan_ray)


def test_symmetric_on_shared_x_and_short_segments(grid: TerrainGrid) -> None:
    h, cell = grid.heights, grid.cell
    rng = np.random.default_rng(3)
    for _ in range(200):
        x = rng.uniform(0.0, SIZE[0])
        y0, y1 = rng.uniform(0.0, SIZE[1], 2)
        z0, z1 = rng.uniform(0.0, 900.0, 2)
        assert line_of_sight(h, cell, x, y0, z0, x, y1, z1) == line_of_sight(
            h, cell, x, y1, z1, x, y0, z0
        )
        assert line_of_sight(h, cell, x, y0, z0, x, y1, z1) == ref.line_of_sight_ref(
            h, cell, (x, y0, z0), (x, y1, z1)
        )
    # within half a cell there are no samples: always visible, even underground
    assert line_of_sight(h, cell, 1000.0, 1000.0, -50.0, 1100.0, 1000.0, -50.0)
    assert line_of_sight(h, cell, 1000.0, 1000.0, -50.0, 1000.0, 1000.0, -50.0)


def test_sampling_rule() -> None:
    assert len(ref.los_samples_ref(200.0, (0, 0, 0), (100, 0, 0))[0]) == 0  # d == cell / 2
    assert len(ref.los_samples_ref(200.0, (0, 0, 0), (100.5, 0, 0))[0]) == 1
    xs, _, _ = ref.los_samples_ref(200.0, (1000, 0, 0), (0, 0, 0))
    np.testing.assert_allclose(xs, np.arange(100.0, 1000.0, 100.0))


def test_wall_blocks_low_points_but_not_high_ones() -> None:
    cell = 100.0
    h = np.zeros((11, 21))
    h[:, 10] = 300.0  # a north-south wall at x = 1000 m
    assert not line_of_sight(h, cell, 200.0, 500.0, 10.0, 1800.0, 500.0, 10.0)
    assert not line_of_sight(h, cell, 1800.0, 500.0, 10.0, 200.0, 500.0, 10.0)
    assert line_of_sight(h, cell, 200.0, 500.0, 400.0, 1800.0, 500.0, 400.0)
    # grazing: a segment at the wall's height is not blocked (terrain must be higher)
    assert line_of_sight(h, cell, 200.0, 500.0, 300.0, 1800.0, 500.0, 300.0)
    # a slanted segment passes the wall at mid-height 250 m: blocked
    assert not line_of_sight(h, cell, 200.0, 500.0, 100.0, 1800.0, 500.0, 400.0)
    # both on the same side of the wall
    assert line_of_sight(h, cell, 100.0, 100.0, 1.0, 800.0, 900.0, 1.0)


def test_flat_terrain_always_visible_above_ground() -> None:
    g = make_terrain(Terrain(kind="flat", cell=250.0), (5000.0, 5000.0))
    rng = np.random.default_rng(4)
    for _ in range(100):
        p = rng.uniform(-200.0, 5200.0, 4)
        z = rng.uniform(0.1, 1000.0, 2)
        assert line_of_sight(g.heights, g.cell, p[0], p[1], z[0], p[2], p[3], z[1])
    assert line_of_sight(g.heights, g.cell, 0.0, 0.0, 0.0, 5000.0, 5000.0, 0.0)


def test_visibility_map_matches_line_of_sight() -> None:
    spec = Terrain(kind="fractal", cell=250.0, seed=11, relief=600.0, base_scale=3000.0)
    g = make_terrain(spec, (6000.0, 5000.0))
    h, cell = g.heights, g.cell
    x0, y0 = 2600.0, 2100.0
    z0 = height_at(h, cell, x0, y0) + 30.0
    out = np.ones(h.shape, dtype=bool)
    visibility_map(h, cell, x0, y0, z0, 50.0, 3500.0, out)
    expected = ref.visibility_map_ref(h, cell, (x0, y0, z0), 50.0, 3500.0)
    assert np.array_equal(out, expected)
    for i in range(g.ny):
        for j in range(g.nx):
            x, y = j * cell, i * cell
            in_range = (x - x0) * (x - x0) + (y - y0) * (y - y0) <= 3500.0 * 3500.0
            seen = line_of_sight(h, cell, x0, y0, z0, x, y, h[i, j] + 50.0)
            assert out[i, j] == (in_range and seen)
    assert 0 < out.sum() < expected.size  # some masked, some visible
    assert not out[0, -1]  # the far corner is out of range
