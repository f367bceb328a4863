"""PPO through RLlib trains the policy of every graph problem (one short iteration each),
and the trained net's sampled actions are legal in the env."""

from __future__ import annotations

import numpy as np
import pytest
import torch

ray = pytest.importorskip("ray")

from aerena.agents.solvers.envdecode import env_for_instance  # noqa: E402
from aerena.training.solvers.ppo import train_ppo  # noqa: E402

SMALL_ENVS = {
    "tsp": {"num_nodes": 8},
    "cvrp": {"num_nodes": 6},
    "mvc": {"num_nodes": 8, "generator": "er", "generator_kwargs": {"p": 0.4}},
    "maxcut": {"num_nodes": 8, "generator": "er", "generator_kwargs": {"p": 0.4}},
    "maxcover": {"num_sets": 6},
    "wta": {"num_weapons": 4, "num_targets": 3},
}
SMALL_NETS = {
    "tsp": {"dim": 16, "heads": 2, "layers": 1, "ff": 32},
    "cvrp": {"dim": 16, "heads": 2, "layers": 1, "ff": 32},
    "wta": {"dim": 16, "heads": 2, "layers": 1},
}


@pytest.mark.parametrize("problem", sorted(SMALL_ENVS))
def test_ppo_one_iteration(ray_local, problem):
    net, history = train_ppo(
        problem,
        SMALL_ENVS[problem],
        iterations=1,
        net=SMALL_NETS.get(problem, {"dim": 16, "layers": 1}),
        envs_per_runner=2,
        train_batch_size=64,
        minibatch_size=32,
        num_epochs=1,
    )
    assert history[0]["env_steps"] >= 64 and net.problem == problem
    from aerena import graphs

    mod = graphs.problem(problem)
    gen = torch.Generator().manual_seed(0)
    kw = {k: v for k, v in SMALL_ENVS[problem].items() if k != "generator_kwargs"}
    kw.pop("generator", None)
    for seed in range(3):
        inst = mod.generate(mod.GENERATORS.names()[0], seed=seed, **kw)
        env = env_for_instance(problem, inst, net)
        env.invalid_action = "raise"
        obs, _ = env.reset(options={"instance": inst})
        done = False
        while not done:
            with torch.no_grad():
                probs = torch.softmax(net(*net.obs_tensors(obs)), -1)
            a = int(torch.multinomial(probs, 1, generator=gen))
            assert obs["action_mask"][a], (problem, a)
            obs, _, done, _, info = env.step(a)
        mod.check_solution(inst, np.asarray(info["solution"]))
