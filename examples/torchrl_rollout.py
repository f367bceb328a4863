"""A TorchRL rollout of the air-defence world through `PettingZooWrapper(use_mask=True)`.

    python examples/torchrl_rollout.py --steps 2000

The plain PettingZoo env works as it is: `reset` gives observations and infos for every
possible agent and infos hold only scalars. TorchRL groups the agents by name prefix
(`uav`, `launcher`, `radar`); its random policy samples from each agent's `action_mask`.
"""

from __future__ import annotations

import argparse

import torch
from torchrl.envs import PettingZooWrapper

import aerena


def main(steps: int = 2000, seed: int = 0) -> dict[str, float]:
    torch.manual_seed(seed)
    env = PettingZooWrapper(
        aerena.parallel_env("tiny", seed=seed, **{"episode.max_steps": 100}),
        use_mask=True,
        categorical_actions=True,
        done_on_any=False,
    )
    td = env.rollout(steps, break_when_any_done=False)
    groups = sorted(env.group_map)
    reward = sum(float(td["next", g, "reward"].sum()) for g in groups)
    return {
        "steps": float(td.batch_size[0]),
        "groups": float(len(groups)),
        "episodes_done": float(td["next", "done"].sum()),
        "reward": reward,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    print(main(**vars(ap.parse_args())))
