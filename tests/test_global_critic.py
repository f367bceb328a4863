"""Centralised critic (`critic: global`): the world's true state reaches the value head,
never the policy."""

from __future__ import annotations

import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from aerena.agents.rl_module import EntityGNNModule
from aerena.training.side_env import SideEnv


def _env(**kw):
    return SideEnv({"scenario": "tiny", "learn": "defender", "seed": 0, **kw})


def test_side_env_adds_the_world_state_to_every_observation():
    env = _env(global_state=True)
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        world_state = env.world.global_state()[0]
        assert obs
        for a, o in obs.items():
            assert env.observation_spaces[a].contains(o), a
            np.testing.assert_array_equal(o["state"], world_state)
        acts = {a: 0 for a in obs}
        obs, *_ = env.step(acts)
    plain, _ = _env().reset(seed=0)
    assert all("state" not in o for o in plain.values())


def test_value_reads_the_state_and_the_policy_does_not():
    env = _env(global_state=True)
    obs, _ = env.reset(seed=0)
    a = next(iter(obs))
    module = RLModuleSpec(
        module_class=EntityGNNModule,
        observation_space=env.observation_spaces[a],
        action_space=env.action_spaces[a],
        model_config={"role": a.rsplit("_", 1)[0]},
    ).build()
    batch = {k: torch.as_tensor(v)[None] for k, v in obs[a].items()}
    other = dict(batch, state=batch["state"] + 1.0)
    with torch.no_grad():
        v1 = module.compute_values({Columns.OBS: batch})
        v2 = module.compute_values({Columns.OBS: other})
        l1 = module.forward_inference({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS]
        no_state = {k: v for k, v in batch.items() if k != "state"}
        l2 = module.forward_inference({Columns.OBS: no_state})[Columns.ACTION_DIST_INPUTS]
    assert not torch.allclose(v1, v2)
    torch.testing.assert_close(l1, l2)  # the policy acts without the state
    assert "critic_state" in module.get_non_inference_attributes()
