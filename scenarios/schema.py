"""The scenario schema: pydantic models that a scenario YAML validates into.

Every quantity is in SI units (metres, seconds, m/s, degrees for angles, square metres for
radar cross-section). All unit parameters are fictional game values.

Numbers marked *randomisable* accept a plain number, `{uniform: [lo, hi]}` or
`{choice: [a, b, ...]}`; they are drawn per episode from the episode's seed.
Positions accept `[x, y]` or a region: `{circle: {center: [x, y], radius: r}}` or
`{box: [[x0, y0], [x1, y1]]}` (a uniform draw inside it per episode).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticUndefined

SCHEMA_VERSION = 1
MAX_GRID_POINTS = 25_000_000
"""The most terrain grid points a map may have (``(W / cell + 1) (H / cell + 1)``)."""
MAX_HEIGHT = 100_000.0
"""The highest altitude, mast, relief or engagement ceiling a scenario may state, metres."""


class _Strict(BaseModel):
    """Unknown keys are errors, numbers are finite, and every :func:`rand` field holds
    values in its domain (a plain number, both ends of a `uniform`, each `choice`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _in_domain(cls, value: Any, info: ValidationInfo) -> Any:
        bounds = cls.model_fields[info.field_name].json_schema_extra
        if not isinstance(bounds, dict) or not isinstance(value, (float, int, Uniform, Choice)):
            return value
        values = value.uniform if isinstance(value, Uniform) else value.choice if isinstance(
            value, Choice) else (value,)  # fmt: skip
        lo, lo_open, hi = bounds.get("minimum"), "exclusiveMinimum" in bounds, bounds.get("maximum")
        if lo_open:
            lo = bounds["exclusiveMinimum"]
        for x in values:
            if (lo is not None and (x <= lo if lo_open else x < lo)) or (hi is not None and x > hi):
                raise ValueError(f"{x:g} is outside its domain {_domain_text(bounds)}")
        return value


def _domain_text(bounds: dict[str, float]) -> str:
    lo = bounds.get("exclusiveMinimum", bounds.get("minimum"))
    left = "(" if "exclusiveMinimum" in bounds else "["
    hi = bounds.get("maximum")
    return f"{left}{lo:g}, {'inf)' if hi is None else f'{hi:g}]'}"


def rand(
    default: Any = PydanticUndefined,
    *,
    description: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A randomisable-number field with a domain: ``gt`` / ``ge`` below, ``le`` above.

    The bounds are written into the JSON schema (``exclusiveMinimum`` / ``minimum`` /
    ``maximum``, which editors apply to plain numbers) and checked by ``_Strict`` on every
    value the field can take."""
    bounds = {
        key: float(v)
        for key, v in (("exclusiveMinimum", gt), ("minimum", ge), ("maximum", le))
        if v is not None
    }
    return Field(default, description=description, json_schema_extra=bounds)


# --------------------------------------------------------------------------------------
# Randomisable numbers and positions
# --------------------------------------------------------------------------------------
class Uniform(_Strict):
    """A number drawn uniformly in [lo, hi] per episode."""

    uniform: tuple[float, float] = Field(description="[lo, hi], drawn uniformly per episode")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        lo, hi = self.uniform
        if hi < lo:
            raise ValueError(f"uniform range must have lo <= hi, found [{lo}, {hi}]")
        return self


class Choice(_Strict):
    """A number chosen uniformly among the listed values per episode."""

    choice: list[float] = Field(min_length=1, description="values, one chosen per episode")


Rand = float | Uniform | Choice
"""A randomisable number."""


class Circle(_Strict):
    center: tuple[float, float] = Field(description="centre [x, y], metres")
    radius: float = Field(gt=0, description="radius, metres")


class Box(_Strict):
    box: tuple[tuple[float, float], tuple[float, float]] = Field(
        description="[[x0, y0], [x1, y1]], metres; a uniform draw inside per episode"
    )


class CircleRegion(_Strict):
    circle: Circle


Position = tuple[float, float] | CircleRegion | Box
"""A fixed point [x, y] (metres) or a region drawn from per episode."""


# --------------------------------------------------------------------------------------
# Map and terrain
# --------------------------------------------------------------------------------------
class Terrain(_Strict):
    """The height map. `fractal` is seeded value noise; `file` loads a `.npy` or `.png`."""

    kind: Literal["flat", "fractal", "file"] = "fractal"
    cell: float = Field(200.0, gt=0, description="grid cell size, metres")
    seed: int = Field(0, ge=0, description="noise seed (fractal)")
    relief: float = Field(
        500.0, ge=0, le=MAX_HEIGHT, description="height of the highest point, metres"
    )
    octaves: int = Field(5, ge=1, le=10, description="noise octaves (fractal)")
    roughness: float = Field(0.5, gt=0, lt=1, description="amplitude ratio per octave (fractal)")
    base_scale: float = Field(
        10000.0, gt=0, description="wavelength of the coarsest octave, metres (fractal)"
    )
    file: str | None = Field(
        None, description="`.npy` or `.png` height map, relative to the scenario file (file)"
    )

    @model_validator(mode="after")
    def _file_given(self) -> Terrain:
        if self.kind == "file" and not self.file:
            raise ValueError("terrain kind 'file' needs a `file:` (a .npy or .png height map)")
        if self.file is not None and not self.file.lower().endswith((".npy", ".png")):
            raise ValueError(f"terrain file must be .npy or .png, found {self.file!r}")
        return self


def grid_shape(size: tuple[float, float], cell: float) -> tuple[int, int]:
    """(rows, columns) of the terrain grid of a map of `size` metres with `cell` spacing
    (each at most 10^15: enough to refuse, without overflowing)."""

    def points(extent: float) -> int:
        q = extent / cell
        return math.ceil(q) + 1 if q < 1e15 else 10**15

    return points(size[1]), points(size[0])


def grid_too_large(ny: int, nx: int, cell: float) -> str | None:
    """The refusal of a grid beyond ``MAX_GRID_POINTS`` (None when it fits)."""
    if ny * nx <= MAX_GRID_POINTS:
        return None
    shown = f"{ny:,} x {nx:,}" if ny * nx < 1e15 else f"about {float(ny) * nx:.3g}"
    return (
        f"terrain grid of {shown} points is too large (at most {MAX_GRID_POINTS:,}); "
        f"increase map.terrain.cell (now {cell:g} m) or make the map smaller"
    )


class MapSpec(_Strict):
    size: tuple[float, float] = Field(description="[width, height] of the map, metres")
    terrain: Terrain = Field(default_factory=Terrain)

    @model_validator(mode="after")
    def _positive(self) -> MapSpec:
        if self.size[0] <= 0 or self.size[1] <= 0:
            raise ValueError(f"map size must be positive, found {list(self.size)}")
        problem = grid_too_large(*grid_shape(self.size, self.terrain.cell), self.terrain.cell)
        if problem:
            raise ValueError(problem)
        return self


# --------------------------------------------------------------------------------------
# Unit type library
# --------------------------------------------------------------------------------------
UavClass = Literal["strike", "decoy", "jammer", "recon"]


class UavType(_Strict):
    """An attacker UAV type."""

    role: UavClass = Field(description="strike | decoy | jammer | recon")
    speed_min: Rand = rand(description="slowest speed, m/s", ge=0)
    speed_cruise: Rand = rand(description="cruise speed, m/s", ge=0.1)
    speed_max: Rand = rand(description="fastest speed, m/s", ge=0.1)
    turn_rate: Rand = rand(description="turn rate, degrees per second", gt=0)
    climb_rate: Rand = rand(description="climb and descent rate, m/s", ge=0)
    altitude_min: Rand = rand(description="lowest height above ground, metres", ge=0, le=MAX_HEIGHT)
    altitude_max: Rand = rand(
        description="highest height above ground, metres", gt=0, le=MAX_HEIGHT
    )
    endurance: Rand = rand(description="flight time at cruise speed, seconds", gt=0)
    rcs: Rand = rand(description="radar cross-section, m^2", gt=0)
    cost: Rand = rand(1.0, description="loss cost in the reward, abstract points", ge=0)
    warhead_damage: Rand = rand(0.0, description="hit points removed by the warhead (strike)", ge=0)
    warhead_radius: Rand = rand(0.0, description="warhead trigger and blast radius, metres", ge=0)
    jammer_power: Rand = rand(
        0.0, description="jammer noise power, abstract units: J = power / R^2 (jammer)", ge=0
    )
    jammer_cone: Rand = rand(
        30.0, description="jammer cone half-angle, degrees (jammer)", gt=0, le=180
    )
    sensor_range: Rand = rand(
        0.0, description="range at which it sees ground units (recon), metres", ge=0
    )
    esm_range: Rand = rand(0.0, description="range at which it hears emitting radars, metres", ge=0)


class RadarType(_Strict):
    """A search radar type."""

    range: Rand = rand(
        description="range with probability of detection 0.5 on rcs_ref, metres", gt=0
    )
    rcs_ref: Rand = rand(1.0, description="reference radar cross-section, m^2", gt=0)
    scan_period: Rand = rand(2.0, description="time between scans, seconds", gt=0)
    pd_slope: Rand = rand(1.0, description="logistic slope of Pd per dB of signal/noise", gt=0)
    track_memory: Rand = rand(6.0, description="a track lives this long after a detection, s", ge=0)
    mast: Rand = rand(20.0, description="antenna height above ground, metres", ge=0, le=MAX_HEIGHT)
    hp: Rand = rand(1.0, description="hit points", gt=0)
    value: Rand = rand(0.0, description="value to the defender, abstract points", ge=0)


class LauncherType(_Strict):
    """An interceptor launcher type."""

    stock: int = Field(ge=0, description="interceptors at the start")
    reload_time: Rand = rand(description="time between two launches, seconds", ge=0)
    range_min: Rand = rand(description="minimum engagement range, metres", ge=0)
    range_max: Rand = rand(description="maximum engagement range, metres", gt=0)
    altitude_min: Rand = rand(
        0.0, description="lowest target height above ground, metres", ge=0, le=MAX_HEIGHT
    )
    altitude_max: Rand = rand(
        description="highest target height above ground, metres", gt=0, le=MAX_HEIGHT
    )
    interceptor_speed: Rand = rand(description="interceptor speed, m/s", gt=0)
    interceptor_time: Rand = rand(description="interceptor maximum time of flight, seconds", gt=0)
    pk: Rand = rand(
        description="kill probability at closest approach within lethal_radius", ge=0, le=1
    )
    lethal_radius: Rand = rand(30.0, description="closest-approach distance that may kill, m", gt=0)
    interceptor_cost: Rand = rand(1.0, description="cost of one interceptor, abstract points", ge=0)
    hp: Rand = rand(1.0, description="hit points", gt=0)
    value: Rand = rand(0.0, description="value to the defender, abstract points", ge=0)


class PointDefenceType(_Strict):
    """A short-range, gun-like point defence with its own sensor."""

    radius: Rand = rand(description="engagement radius, metres", gt=0)
    kill_rate: Rand = rand(
        description="kill hazard per second on a target inside radius, 1/s", ge=0
    )
    altitude_max: Rand = rand(
        description="highest target height above ground, metres", gt=0, le=MAX_HEIGHT
    )
    hp: Rand = rand(1.0, description="hit points", gt=0)
    value: Rand = rand(0.0, description="value to the defender, abstract points", ge=0)


class CommandPostType(_Strict):
    """A command post: links radars to launchers; its loss cuts its links."""

    hp: Rand = rand(1.0, description="hit points", gt=0)
    value: Rand = rand(0.0, description="value to the defender, abstract points", ge=0)


class TypeLibrary(_Strict):
    uav: dict[str, UavType] = Field(default_factory=dict)
    radar: dict[str, RadarType] = Field(default_factory=dict)
    launcher: dict[str, LauncherType] = Field(default_factory=dict)
    point_defence: dict[str, PointDefenceType] = Field(default_factory=dict)
    command_post: dict[str, CommandPostType] = Field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Placements
# --------------------------------------------------------------------------------------
class Placed(_Strict):
    """A placed defence unit of a library type, with optional per-unit overrides."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    type: str = Field(description="a name from the matching `types:` library")
    position: Position
    overrides: dict[str, Rand | int] = Field(
        default_factory=dict, description="per-unit values that replace the type's"
    )


class BatterySpec(_Strict):
    """A battery: one command post linking its radar(s) to its launchers, placed together.

    With `count: n` the battery is repeated n times (names get `_0`, `_1`, ...), each drawn
    from `position` (a region gives each copy its own draw).
    """

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    count: int = Field(1, ge=1)
    position: Position
    spread: float = Field(1500.0, ge=0, description="units are placed within this radius, m")
    radar: str = Field(description="radar type")
    radars: int = Field(1, ge=0)
    launcher: str = Field(description="launcher type")
    launchers: int = Field(2, ge=0)
    command_post: str = Field(description="command post type")
    point_defence: str | None = Field(None, description="point-defence type")
    point_defences: int = Field(0, ge=0)


class AssetSpec(_Strict):
    """A defended ground object."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    position: Position
    value: Rand = rand(1.0, description="value, abstract points", ge=0)
    hp: Rand = rand(1.0, description="hit points", gt=0)
    count: int = Field(1, ge=1, description="repeat n times (names get _0, _1, ...)")


class Launch(_Strict):
    """UAVs leaving a carrier: `count` of `type`, the first at `at`, then every `interval`."""

    type: str = Field(description="a name from `types.uav`")
    count: int = Field(1, ge=1)
    at: Rand = rand(0.0, description="time of the first launch, seconds", ge=0)
    interval: Rand = rand(2.0, description="time between launches, seconds", ge=0)
    heading: Rand | None = Field(
        None, description="initial heading, degrees from +x; default: towards the map centre"
    )
    altitude: Rand | None = rand(
        None, description="initial height above ground, metres", ge=0, le=MAX_HEIGHT
    )


class CarrierSpec(_Strict):
    """A launch point: fixed, or moving at constant velocity; optionally a target."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    position: Position
    altitude: Rand = rand(300.0, description="height above ground, metres", ge=0, le=MAX_HEIGHT)
    velocity: tuple[float, float] = Field((0.0, 0.0), description="[vx, vy], m/s")
    targetable: bool = Field(False, description="radars can track it and launchers engage it")
    rcs: Rand = rand(10.0, description="radar cross-section when targetable, m^2", gt=0)
    hp: Rand = rand(1.0, gt=0)
    value: Rand = rand(0.0, description="value to the attacker, abstract points", ge=0)
    launches: list[Launch] = Field(default_factory=list)


class AttackerSpec(_Strict):
    carriers: list[CarrierSpec] = Field(min_length=1)
    known_defences: Literal["all", "none"] | list[str] = Field(
        "none", description="defence units the attacker knows at the start (intelligence)"
    )


class DefenderSpec(_Strict):
    radars: list[Placed] = Field(default_factory=list)
    launchers: list[Placed] = Field(default_factory=list)
    point_defences: list[Placed] = Field(default_factory=list)
    command_posts: list[Placed] = Field(default_factory=list)
    batteries: list[BatterySpec] = Field(default_factory=list)
    links: list[tuple[str, str]] = Field(
        default_factory=list,
        description="force structure: [radar, command_post], [command_post, launcher] "
        "or [radar, launcher] (an organic, direct link)",
    )


# --------------------------------------------------------------------------------------
# Episode, observation, rewards
# --------------------------------------------------------------------------------------
class EpisodeSpec(_Strict):
    dt: float = Field(1.0, gt=0, description="step length, seconds")
    max_steps: int = Field(600, ge=1, description="truncation after this many steps")
    substeps: int = Field(4, ge=1, le=64, description="sub-steps for interceptor flight")


class ObservationSpec(_Strict):
    k: int = Field(16, ge=1, le=256, description="entities in each observation (padded)")
    range_scale: float = Field(20000.0, ge=1, description="distances are divided by this, m")


class SideRewards(_Strict):
    asset_value: float = Field(1.0, description="weight on asset value destroyed (attacker +)")
    defence_value: float = Field(0.5, description="weight on defence unit value destroyed")
    uav_cost: float = Field(0.1, description="weight on UAV cost lost")
    interceptor_cost: float = Field(0.02, description="weight on interceptors spent")


class RewardSpec(_Strict):
    attacker: SideRewards = Field(default_factory=SideRewards)
    defender: SideRewards = Field(default_factory=SideRewards)
    zero_sum: bool = Field(False, description="defender reward = - attacker reward")


class VictorySpec(_Strict):
    asset_fraction: float = Field(
        0.5, gt=0, le=1, description="the attacker wins on destroying this share of asset value"
    )


class Scenario(_Strict):
    """A whole scenario. `extends:` (handled by the loader) merges a parent file first."""

    name: str
    description: str = ""
    version: int = Field(SCHEMA_VERSION, description="schema version")
    map: MapSpec
    episode: EpisodeSpec = Field(default_factory=EpisodeSpec)
    observation: ObservationSpec = Field(default_factory=ObservationSpec)
    types: TypeLibrary = Field(default_factory=TypeLibrary)
    assets: list[AssetSpec] = Field(min_length=1)
    defender: DefenderSpec = Field(default_factory=DefenderSpec)
    attacker: AttackerSpec
    rewards: RewardSpec = Field(default_factory=RewardSpec)
    victory: VictorySpec = Field(default_factory=VictorySpec)
