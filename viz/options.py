"""What the renderer draws: the overlay flags, the fog-of-war views, the coverage heights."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

OVERLAYS = (
    "trails",
    "coverage",
    "jamming",
    "links",
    "engagements",
    "interceptors",
    "events",
    "labels",
)
FOG_MODES = ("truth", "attacker", "defender")
FOG_TITLES = {
    "truth": "ground truth",
    "attacker": "attacker's view: ground units it knew",
    "defender": "defender's view: air units its radars tracked",
}


@dataclass
class ViewOptions:
    """What to draw: overlay flags, the fog-of-war view and the coverage height."""

    trails: bool = True
    coverage: bool = True
    jamming: bool = True
    links: bool = True
    engagements: bool = True
    interceptors: bool = True
    events: bool = True
    labels: bool = True
    fog: str = "truth"  # "truth" | "attacker" | "defender"
    coverage_agl: float = 100.0  # m above ground of the coverage overlay's target
    log_detections: bool = True  # list radar detections in the event log
    trail_seconds: float = 90.0
    selected: tuple[str, int] | None = None  # ("air", a) or ("gnd", g)

    def copy(self, **changes: Any) -> ViewOptions:
        return replace(self, **changes)


COVERAGE_HEIGHTS = (30.0, 100.0, 300.0, 1000.0, 3000.0)
