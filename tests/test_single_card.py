"""The single-side env's docstring states its real observation sizes and version."""

from __future__ import annotations

import gymnasium

from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense import parallel as par
from aerena.envs.airdefense import single


def test_single_env_card_is_current() -> None:
    card = single.__doc__
    env = gymnasium.make("aerena/AirDefense-v2", scenario="tiny", side="defender")
    space = env.observation_space
    assert space["self"].shape[-1] == Lo.S_DIM
    assert f'"self":        Box(n, {Lo.S_DIM})' in card
    assert f'"entities":    Box(n, K, {space["entities"].shape[-1]})' in card
    version = par.ENV_NAME.rpartition("_")[2]  # "v2"
    assert f"aerena/AirDefense-{version}" in card and f"Version {version}" in card
