"""Terrain: a regular height grid over the map, and the kernels that query it.

Coordinates and conventions
---------------------------
* The map spans x in [0, W] (east) and y in [0, H] (north), metres; heights are metres above
  sea level. Altitudes passed to the kernels (`z`) are absolute (above sea level), never
  above ground.
* `TerrainGrid.heights[i, j]` is the height at grid point (x = j * cell, y = i * cell): row
  `i` runs along y, column `j` along x. There are nx = ceil(W / cell) + 1 columns and
  ny = ceil(H / cell) + 1 rows, so the grid covers the whole map (its last row and column
  may lie up to one cell beyond the map edge).
* Between grid points the surface is bilinear. Queries outside the grid are clamped to its
  border (the terrain continues flat beyond the edge).

Kernels
-------
All kernels take the raw array and the cell size, `(heights, cell, ...)`, plus scalars or
arrays; no objects. They are plain Python decorated with :func:`aerena.jit.njit`, so they
also run with `NUMBA_DISABLE_JIT=1`.

* :func:`height_at` - bilinear height at one point.
* :func:`heights_at_many` - the same for 1-D arrays of points, written into `out`.
* :func:`line_of_sight` - is the straight 3-D segment between two points clear of terrain?
  The segment is sampled every `cell / 2` along its horizontal projection: with horizontal
  length d > cell / 2 there are n = ceil(d / (cell / 2)) intervals and samples at
  t = k / n for k = 1 .. n - 1 (the end points themselves are never tested, so a unit
  sitting on the ground still sees). It is blocked when the terrain at any sample is
  strictly higher than the segment there. The samples are always placed from the
  lexicographically smaller end point, so `line_of_sight(a, b) == line_of_sight(b, a)`
  exactly.
* :func:`line_of_sight_fast` - the same answer, bit for bit, from a block-max grid
  (:func:`block_max`): the samples go in chunks of `LOS_CHUNK`, and a chunk whose lowest
  segment altitude clears the highest grid point of the blocks under it (plus a margin far
  above the rounding of the bilinear interpolation) is passed without sampling. Rays high
  above the terrain cost a few block reads; near the ground every sample is tested as in
  :func:`line_of_sight`. The world's sensing and observation kernels use it.
* :func:`visibility_map` - for every grid point within a horizontal range, whether a point
  `target_agl` metres above the ground there is in line of sight of an observer (the replay
  viewer's radar coverage with terrain masking).

Building a grid
---------------
:func:`make_terrain` builds a :class:`TerrainGrid` from a validated
:class:`aerena.scenarios.schema.Terrain`:

* `flat` - zeros.
* `fractal` - seeded multi-octave value noise, pure float64 NumPy drawn from
  `np.random.default_rng(seed)` only, so it is identical across processes and platforms.
  Octave `o` has wavelength `base_scale / 2**o` and amplitude `roughness**o`; the sum is
  rescaled so its minimum is 0 and its maximum is `relief`. A wavelength is never shorter
  than one cell: the first octave is clamped to one cell, and finer octaves (which the grid
  cannot represent) are dropped.
* `file` - a `.npy` 2-D float array of heights in metres, or a greyscale `.png`
  (8-bit 0..255 or 16-bit 0..65535, scaled to 0..relief; needs Pillow). Paths are relative
  to `base_dir` (the scenario file's folder). A `.npy` array is indexed like the grid
  (`a[i, j]` at y growing with `i`); a `.png` is a picture seen from above with north up,
  so its top row is the map's north edge (y = H). An array of exactly the grid's shape
  [ny, nx] is used as it is; any other shape is stretched over the map (first and last
  rows on y = 0 and y = H, first and last columns on x = 0 and x = W) and resampled
  bilinearly onto the grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aerena.errors import ScenarioError
from aerena.jit import njit
from aerena.scenarios.schema import MAX_GRID_POINTS, Terrain, grid_shape, grid_too_large

__all__ = [
    "MAX_GRID_POINTS",
    "TerrainGrid",
    "height_at",
    "heights_at_many",
    "LOS_BLOCK",
    "LOS_CHUNK",
    "block_max",
    "line_of_sight",
    "line_of_sight_fast",
    "make_terrain",
    "visibility_map",
]


@dataclass(frozen=True, eq=False)
class TerrainGrid:
    """A read-only height grid. `heights[i, j]` is at (x = j * cell, y = i * cell)."""

    heights: np.ndarray  # [ny, nx] float64, metres above sea level, C-contiguous, read-only
    cell: float  # grid spacing, metres
    width: float  # map extent along x, metres
    height: float  # map extent along y, metres

    @property
    def nx(self) -> int:
        """Number of grid columns (points along x)."""
        return int(self.heights.shape[1])

    @property
    def ny(self) -> int:
        """Number of grid rows (points along y)."""
        return int(self.heights.shape[0])


# --------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------
@njit
def height_at(heights, cell, x, y):
    """Bilinear terrain height (metres) at (x, y), coordinates clamped to the grid."""
    ny, nx = heights.shape
    fx = x / cell
    fy = y / cell
    if fx < 0.0:
        fx = 0.0
    elif fx > nx - 1:
        fx = float(nx - 1)
    if fy < 0.0:
        fy = 0.0
    elif fy > ny - 1:
        fy = float(ny - 1)
    j0 = int(math.floor(fx))
    i0 = int(math.floor(fy))
    if j0 > nx - 2:
        j0 = max(nx - 2, 0)
    if i0 > ny - 2:
        i0 = max(ny - 2, 0)
    j1 = min(j0 + 1, nx - 1)
    i1 = min(i0 + 1, ny - 1)
    tx = fx - j0
    ty = fy - i0
    h0 = heights[i0, j0] * (1.0 - tx) + heights[i0, j1] * tx
    h1 = heights[i1, j0] * (1.0 - tx) + heights[i1, j1] * tx
    return h0 * (1.0 - ty) + h1 * ty


@njit
def heights_at_many(heights, cell, xs, ys, out):
    """Write the bilinear height at (xs[k], ys[k]) into out[k]; 1-D arrays of one length."""
    for k in range(xs.shape[0]):
        out[k] = height_at(heights, cell, xs[k], ys[k])


@njit
def segment_samples(cell, x0, y0, z0, x1, y1, z1):
    """(xa, ya, za, dx, dy, dz, n) of a segment's line-of-sight samples: sample k = 1 .. n - 1
    lies at (xa, ya) + k / n (dx, dy) with the segment at za + k / n dz; n = 0 when it is
    too short to sample (visible). Samples are placed from the lexicographically smaller
    end, so that (a, b) and (b, a) test the very same points."""
    if x1 < x0 or (x1 == x0 and (y1 < y0 or (y1 == y0 and z1 < z0))):
        xa, ya, za, xb, yb, zb = x1, y1, z1, x0, y0, z0
    else:
        xa, ya, za, xb, yb, zb = x0, y0, z0, x1, y1, z1
    dx = xb - xa
    dy = yb - ya
    dz = zb - za
    step = 0.5 * cell
    d = math.sqrt(dx * dx + dy * dy)
    if not d > step:
        return xa, ya, za, dx, dy, dz, 0
    return xa, ya, za, dx, dy, dz, int(math.ceil(d / step))


@njit
def line_of_sight(heights, cell, x0, y0, z0, x1, y1, z1):
    """True when the segment (x0, y0, z0)-(x1, y1, z1) (absolute altitudes) clears the terrain.

    Samples every cell / 2 along the horizontal projection, end points excluded; blocked
    when the terrain at a sample is higher than the segment there. Symmetric in its two
    end points, exactly.
    """
    xa, ya, za, dx, dy, dz, n = segment_samples(cell, x0, y0, z0, x1, y1, z1)
    if n == 0:
        return True
    # The answer does not depend on the visiting order; start at the lower end, where
    # terrain is most likely to block, to exit early.
    if dz >= 0.0:
        k, k_step = 1, 1
    else:
        k, k_step = n - 1, -1
    for _ in range(n - 1):
        t = k / n
        if height_at(heights, cell, xa + t * dx, ya + t * dy) > za + t * dz:
            return False
        k += k_step
    return True


LOS_BLOCK = 8  # grid cells per side of one block of the coarse block-max grid
LOS_CHUNK = 16  # consecutive samples passed together against one coarse block bound
LOS_FINE = 2  # grid cells per side of one block of the fine block-max grid
LOS_FINE_CHUNK = 4  # samples of a coarse chunk that failed, passed together on the fine grid


def block_max(heights: np.ndarray, size: int = LOS_BLOCK) -> np.ndarray:
    """out[I, J] = the highest grid point of the cells with lower-left corner (i, j) for
    i // size == I and j // size == J, corners included: every bilinear height inside those
    cells is at most out[I, J] (up to rounding). Cells are indexed as in `height_at`."""
    ny, nx = heights.shape
    nby = max(ny - 2, 0) // size + 1
    nbx = max(nx - 2, 0) // size + 1
    rows = np.stack([heights[i * size : i * size + size + 1].max(axis=0) for i in range(nby)])
    out = np.stack(
        [rows[:, j * size : j * size + size + 1].max(axis=1) for j in range(nbx)], axis=1
    )
    out.setflags(write=False)
    return out


def los_bounds(heights: np.ndarray) -> np.ndarray:
    """The bounds `line_of_sight_fast` reads: out[0] = block_max(heights, LOS_FINE), and
    out[1, :I, :J] = block_max(heights, LOS_BLOCK) (I x J coarse blocks), +inf elsewhere
    (never read). One read-only array, so the kernels take a single bounds argument."""
    fine = block_max(heights, LOS_FINE)
    coarse = block_max(heights, LOS_BLOCK)
    out = np.full((2, *fine.shape), np.inf)
    out[0] = fine
    out[1, : coarse.shape[0], : coarse.shape[1]] = coarse
    out.setflags(write=False)
    return out


@njit
def chunk_clear(za, dz, dx, dy, xa, ya, k0, k1, n, bmax, size, cell, ny, nx):
    """Whether no sample k0..k1 of a segment can block: its lowest altitude lies above
    every grid point under its cells (blocks of `size` cells, maxima `bmax`), with a margin
    that covers the interpolation's rounding."""
    t0 = k0 / n
    t1 = k1 / n
    z_low = za + t0 * dz if dz >= 0.0 else za + t1 * dz
    xs0 = xa + t0 * dx
    xs1 = xa + t1 * dx
    ys0 = ya + t0 * dy
    ys1 = ya + t1 * dy
    j_lo = cell_index(min(xs0, xs1), cell, nx) // size
    j_hi = cell_index(max(xs0, xs1), cell, nx) // size
    i_lo = cell_index(min(ys0, ys1), cell, ny) // size
    i_hi = cell_index(max(ys0, ys1), cell, ny) // size
    top = -np.inf
    for bi in range(i_lo, i_hi + 1):
        for bj in range(j_lo, j_hi + 1):
            top = max(top, bmax[bi, bj])
    return z_low > top + 1e-9 * (1.0 + abs(top))


@njit
def cell_index(v, cell, n):
    """The lower corner index along one axis that `height_at` uses for coordinate v."""
    f = v / cell
    if f < 0.0:
        f = 0.0
    elif f > n - 1:
        f = float(n - 1)
    i = int(math.floor(f))
    if i > n - 2:
        i = max(n - 2, 0)
    return i


@njit
def line_of_sight_fast(heights, bounds, cell, x0, y0, z0, x1, y1, z1):
    """`line_of_sight(heights, cell, ...)`, exactly, with `bounds = los_bounds(heights)`.

    The samples k = 1 .. n - 1 are visited in chunks of LOS_CHUNK. Rounding is monotone,
    so inside a chunk the sample coordinates and segment altitudes lie between their values
    at the chunk's two ends; if the lowest altitude is above every grid point under the
    chunk's cells (coarse blocks, `bounds[1]`), no sample there can block and the chunk is
    passed. A chunk that fails is split into runs of LOS_FINE_CHUNK samples tested the same
    way on the fine blocks (`bounds[0]`): a ray low over the terrain fails coarse blocks
    that reach its height somewhere but clears most fine ones. Only the runs that fail both
    are tested sample by sample, with the very expressions of `line_of_sight`, so the
    answer is the same bit for bit.
    """
    xa, ya, za, dx, dy, dz, n = segment_samples(cell, x0, y0, z0, x1, y1, z1)
    if n == 0:
        return True
    ny, nx = heights.shape
    fine = bounds[0]
    coarse = bounds[1]
    n_chunks = (n - 2) // LOS_CHUNK + 1
    forward = dz >= 0.0  # start at the lower end, where terrain most likely blocks
    for c in range(n_chunks):
        cc = c if forward else n_chunks - 1 - c
        k0 = 1 + cc * LOS_CHUNK
        k1 = min(k0 + LOS_CHUNK - 1, n - 1)
        if chunk_clear(za, dz, dx, dy, xa, ya, k0, k1, n, coarse, LOS_BLOCK, cell, ny, nx):
            continue
        for m0 in range(k0, k1 + 1, LOS_FINE_CHUNK):
            m1 = min(m0 + LOS_FINE_CHUNK - 1, k1)
            if chunk_clear(za, dz, dx, dy, xa, ya, m0, m1, n, fine, LOS_FINE, cell, ny, nx):
                continue
            for k in range(m0, m1 + 1):
                t = k / n
                if height_at(heights, cell, xa + t * dx, ya + t * dy) > za + t * dz:
                    return False
    return True


@njit
def visibility_map(heights, cell, x0, y0, z0, target_agl, max_range, out):
    """out[i, j] = a point target_agl above grid point (i, j) is seen from (x0, y0, z0).

    Grid points farther than max_range (horizontally) from the observer are False.
    `out` is a bool array of the grid's shape, written in place.
    """
    ny, nx = heights.shape
    r2 = max_range * max_range
    for i in range(ny):
        y = i * cell
        for j in range(nx):
            x = j * cell
            ddx = x - x0
            ddy = y - y0
            if ddx * ddx + ddy * ddy > r2:
                out[i, j] = False
            else:
                out[i, j] = line_of_sight(
                    heights, cell, x0, y0, z0, x, y, heights[i, j] + target_agl
                )


# --------------------------------------------------------------------------------------
# Building a grid
# --------------------------------------------------------------------------------------
def make_terrain(
    spec: Terrain, size: tuple[float, float], base_dir: Path | None = None
) -> TerrainGrid:
    """Build the terrain grid for a map of `size` = (W, H) metres from a `Terrain` spec.

    `base_dir` is the folder that a `file` terrain's path is relative to (the current
    directory when None). Raises :class:`aerena.errors.ScenarioError` for a bad file or a
    grid too large to build.
    """
    width, height = float(size[0]), float(size[1])
    cell = float(spec.cell)
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise ScenarioError(f"map size must be positive and finite, found {list(size)}")
    ny, nx = grid_shape((width, height), cell)
    problem = grid_too_large(ny, nx, cell)  # checked by the schema too, for loaded scenarios
    if problem:
        raise ScenarioError(problem)

    if spec.kind == "flat":
        h = np.zeros((ny, nx), dtype=np.float64)
    elif spec.kind == "fractal":
        h = _fractal(spec, ny, nx, cell)
    elif spec.kind == "file":
        if not spec.file:
            raise ScenarioError("terrain kind 'file' needs a `file:` (a .npy or .png height map)")
        path = Path(spec.file)
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        raw = _load_height_file(path, float(spec.relief))
        if raw.shape == (ny, nx):
            h = raw
        else:
            h = _resample(raw, ny, nx, cell, width, height)
    else:  # pragma: no cover - the schema allows no other kind
        raise ScenarioError(f"unknown terrain kind {spec.kind!r}")

    h = np.array(h, dtype=np.float64, order="C", copy=True)
    h.setflags(write=False)
    return TerrainGrid(heights=h, cell=cell, width=width, height=height)


def _fade(t: np.ndarray) -> np.ndarray:
    """Quintic fade 6t^5 - 15t^4 + 10t^3: value noise with continuous slope and curvature."""
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def _fractal(spec: Terrain, ny: int, nx: int, cell: float) -> np.ndarray:
    """Seeded multi-octave value noise on the grid, rescaled to [0, relief]."""
    rng = np.random.default_rng(spec.seed)
    xs = np.arange(nx, dtype=np.float64) * cell
    ys = np.arange(ny, dtype=np.float64) * cell
    total = np.zeros((ny, nx), dtype=np.float64)
    for o in range(spec.octaves):
        wavelength = spec.base_scale / 2.0**o
        if wavelength < cell:
            if o > 0:
                break  # finer octaves cannot be represented on the grid
            wavelength = cell
        amplitude = spec.roughness**o
        off_x, off_y = rng.random(2) * wavelength
        lx = math.ceil(xs[-1] / wavelength) + 3
        ly = math.ceil(ys[-1] / wavelength) + 3
        lattice = rng.random((ly, lx)) * 2.0 - 1.0
        u = (xs + off_x) / wavelength
        v = (ys + off_y) / wavelength
        j0 = np.minimum(np.floor(u).astype(np.int64), lx - 2)
        i0 = np.minimum(np.floor(v).astype(np.int64), ly - 2)
        tx = _fade(u - j0)[None, :]
        ty = _fade(v - i0)[:, None]
        c00 = lattice[np.ix_(i0, j0)]
        c01 = lattice[np.ix_(i0, j0 + 1)]
        c10 = lattice[np.ix_(i0 + 1, j0)]
        c11 = lattice[np.ix_(i0 + 1, j0 + 1)]
        row0 = c00 + (c01 - c00) * tx
        row1 = c10 + (c11 - c10) * tx
        total += amplitude * (row0 + (row1 - row0) * ty)
    lo = float(total.min())
    hi = float(total.max())
    if not hi > lo or spec.relief == 0:
        return np.zeros((ny, nx), dtype=np.float64)
    return (total - lo) / (hi - lo) * float(spec.relief)


def _load_height_file(path: Path, relief: float) -> np.ndarray:
    """Read a `.npy` (metres) or `.png` (scaled to 0..relief) height map as float64 [rows, cols]."""
    if not path.is_file():
        raise ScenarioError(f"terrain file {str(path)!r} not found")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            a = np.load(path, mmap_mode="r", allow_pickle=False)  # the header, not the data
        except Exception as exc:
            raise ScenarioError(
                f"terrain file {str(path)!r} cannot be read as .npy: {exc}"
            ) from exc
        if not isinstance(a, np.ndarray) or not (
            np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
        ):
            raise ScenarioError(
                f"terrain file {str(path)!r} must hold a numeric array, found "
                f"{getattr(a, 'dtype', type(a).__name__)}"
            )
        _check_file_grid(path, a.shape)
        a = np.asarray(a, dtype=np.float64)
    elif suffix == ".png":
        a = np.flipud(_read_png(path)) * relief  # top row of the picture is north (y = H)
    else:
        raise ScenarioError(f"terrain file {str(path)!r} must be a .npy or .png height map")
    if a.ndim != 2:
        raise ScenarioError(
            f"terrain file {str(path)!r} must hold a 2-D height array, found shape {a.shape}"
        )
    if a.size == 0:
        raise ScenarioError(f"terrain file {str(path)!r} holds an empty array {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ScenarioError(f"terrain file {str(path)!r} holds NaN or infinite heights")
    return a


def _check_file_grid(path: Path, shape: tuple[int, ...]) -> None:
    """Refuse a height map with more than ``MAX_GRID_POINTS`` values before reading it."""
    n = int(np.prod(shape, dtype=np.float64))
    if n > MAX_GRID_POINTS:
        raise ScenarioError(
            f"terrain file {str(path)!r} holds {n:,} heights {tuple(shape)} "
            f"(at most {MAX_GRID_POINTS:,}); downsample it"
        )


def _read_png(path: Path) -> np.ndarray:
    """A greyscale PNG as float64 in [0, 1] (8-bit / 255, 16-bit / 65535), rows as stored."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ScenarioError(
            f"terrain file {str(path)!r} is a .png, which needs Pillow: "
            "pip install pillow (or use a .npy height map)"
        ) from exc
    try:
        with Image.open(path) as img:  # reads the header; the pixels come with load()
            _check_file_grid(path, img.size[::-1])
            img.load()
            if img.mode.startswith("I"):  # 16-bit greyscale ("I;16", "I;16B", "I")
                a = np.asarray(img, dtype=np.float64) / 65535.0
            else:
                grey = img if img.mode == "L" else img.convert("L")
                a = np.asarray(grey, dtype=np.float64) / 255.0
    except ScenarioError:
        raise
    except Exception as exc:
        raise ScenarioError(f"terrain file {str(path)!r} cannot be read as .png: {exc}") from exc
    return a


def _resample(
    a: np.ndarray, ny: int, nx: int, cell: float, width: float, height: float
) -> np.ndarray:
    """Stretch `a` over [0, W] x [0, H] and sample it bilinearly at the grid points."""
    rows, cols = a.shape
    u = np.clip(np.arange(nx, dtype=np.float64) * cell / width * (cols - 1), 0.0, cols - 1)
    v = np.clip(np.arange(ny, dtype=np.float64) * cell / height * (rows - 1), 0.0, rows - 1)
    j0 = np.minimum(np.floor(u).astype(np.int64), max(cols - 2, 0))
    i0 = np.minimum(np.floor(v).astype(np.int64), max(rows - 2, 0))
    j1 = np.minimum(j0 + 1, cols - 1)
    i1 = np.minimum(i0 + 1, rows - 1)
    tx = (u - j0)[None, :]
    ty = (v - i0)[:, None]
    row0 = a[np.ix_(i0, j0)] * (1.0 - tx) + a[np.ix_(i0, j1)] * tx
    row1 = a[np.ix_(i1, j0)] * (1.0 - tx) + a[np.ix_(i1, j1)] * tx
    return row0 * (1.0 - ty) + row1 * ty
