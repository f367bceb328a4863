"""sb3-contrib MaskablePPO on a graph env, no wrapper: the env's `action_masks()` is enough.

    python examples/sb3_maskable_ppo_graph.py --steps 20000

Trains on 10-node TSP (`aerena/TSP-v0`), then compares the greedy masked policy's tour
length with the nearest-neighbour baseline on the same instances.
"""

from __future__ import annotations

import argparse

import gymnasium
import numpy as np
from sb3_contrib import MaskablePPO

import aerena  # noqa: F401  (registers the aerena/* env ids)
from aerena import graphs


def main(steps: int = 20_000, seed: int = 0, episodes: int = 20) -> dict[str, float]:
    env = gymnasium.make("aerena/TSP-v0", num_nodes=10)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=256, batch_size=64, seed=seed, verbose=0)
    model.learn(total_timesteps=steps)
    lengths, baseline = [], []
    tsp = graphs.problem("tsp")
    for e in range(episodes):
        obs, _ = env.reset(seed=10_000 + e)
        done = False
        while not done:
            mask = env.unwrapped.action_masks()
            action, _ = model.predict(obs, action_masks=mask, deterministic=True)
            obs, _, done, _, info = env.step(action)
        lengths.append(info["objective"])
        inst = env.unwrapped.instance
        baseline.append(tsp.objective(inst, tsp.solve(inst, "nearest")))
    return {
        "steps": float(steps),
        "tour": float(np.mean(lengths)),
        "nearest": float(np.mean(baseline)),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    print(main(**vars(ap.parse_args())))
