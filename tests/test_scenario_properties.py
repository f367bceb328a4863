"""Property: any value of a scenario field either validates and simulates without NaN, or
is refused with a located error (issue 15)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aerena.envs.airdefense.world import World
from aerena.errors import ScenarioError

# numeric fields of `tiny` (and of the type library it extends) across every kind of unit
FIELDS = [
    "episode.dt",
    "episode.max_steps",
    "observation.range_scale",
    "map.terrain.cell",
    "assets.0.value",
    "assets.0.hp",
    "types.uav.strike.speed_max",
    "types.uav.strike.turn_rate",
    "types.uav.strike.rcs",
    "types.uav.strike.endurance",
    "types.uav.strike.warhead_radius",
    "types.uav.jammer.jammer_power",
    "types.uav.jammer.jammer_cone",
    "types.radar.search.range",
    "types.radar.search.scan_period",
    "types.radar.search.pd_slope",
    "types.launcher.medium.pk",
    "types.launcher.medium.stock",
    "types.launcher.medium.interceptor_speed",
    "types.launcher.medium.lethal_radius",
    "attacker.carriers.0.altitude",
    "attacker.carriers.0.launches.0.interval",
    "rewards.attacker.asset_value",
    "victory.asset_fraction",
]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.builds(lambda lo, d: {"uniform": [lo, lo + d]}, st.floats(-1e4, 1e4), st.floats(0, 1e4)),
)
NEVER = {"det_time"}  # NaN there means "not detected yet", by design


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=NUMBERS)
def test_any_value_validates_and_simulates_or_is_refused_located(field: str, value) -> None:
    try:
        world = World("tiny", 2, **{field: value})
    except ScenarioError as exc:
        text = str(exc)
        # located: in the file, or at the override that set it (one line either way)
        assert "tiny.yaml" in text or f"override {field}" in text, text
        assert field.split(".")[-1] in text and "\n" not in text, text
        return
    world.reset([0, 1])
    actions = np.zeros((2, world.sizes["N"]), dtype=np.int64)
    for _ in range(20):
        world.step(actions)
    for name, arr in zip(world.state._fields, world.state, strict=True):
        if arr.dtype.kind == "f" and name not in NEVER:
            assert np.isfinite(arr).all(), f"{field}={value!r}: NaN or inf in {name}"
