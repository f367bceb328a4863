"""POMO as a custom RLlib Algorithm: trains, checkpoints, resumes, acts in the env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

ray = pytest.importorskip("ray")

from aerena.training.solvers.pomo_rllib import POMO, build_config, learner_net  # noqa: E402

SMALL = {"dim": 16, "heads": 2, "layers": 1, "ff": 32}


@pytest.mark.parametrize("problem", ["tsp", "cvrp"])
def test_two_iterations_checkpoint_and_resume(ray_local, tmp_path, problem):
    algo = build_config(problem, 8, net=SMALL, instances_per_batch=8, seed=3).build_algo()
    before = {k: v.clone() for k, v in learner_net(algo).state_dict().items()}
    for _ in range(2):
        result = algo.train()
    assert result["training_iteration"] == 2
    learner = result["learners"]["default_policy"]
    assert np.isfinite(learner["length_mean"]) and learner["length_mean"] > 0
    trained = learner_net(algo).state_dict()
    assert any(not torch.equal(before[k], trained[k]) for k in before)  # it learned something
    path = tmp_path / "ckpt"
    algo.save_to_path(str(path))
    algo.stop()

    resumed = POMO.from_checkpoint(str(path))
    assert resumed.iteration == 2
    for k, v in learner_net(resumed).state_dict().items():
        torch.testing.assert_close(v, trained[k])
    result = resumed.train()
    assert result["training_iteration"] == 3
    # the RLModule also acts in the Gymnasium env from its observation
    module = resumed.get_module()
    env = gym.make(f"aerena/{problem.upper()}-v0", num_nodes=8)
    obs, _ = env.reset(seed=0)
    batch = {k: torch.as_tensor(np.asarray(v)[None]) for k, v in obs.items()}
    with torch.no_grad():
        out = module.forward_inference({"obs": batch})
    logits = out["action_dist_inputs"][0]
    assert int(logits.argmax()) in np.flatnonzero(obs["action_mask"])
    resumed.stop()
