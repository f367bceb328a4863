"""SB3 PPO on the air-defence world through SuperSuit's standard PettingZoo -> SB3 recipe.

    python examples/sb3_supersuit_world.py --steps 20000

`fixed_agents=True` keeps every agent present (no joining or dying, which SuperSuit's
vector env cannot take) and `flatten_parallel` gives every agent one flat `Box`
observation and one `Discrete` action space, so no SuperSuit `pad_*` / `flatten_*` wrapper
is needed. All agents (UAVs, launchers, radars) share one PPO policy here; the role is in
the observation. Plain PPO does not read masks: masked actions are carried out as no-ops.
"""

from __future__ import annotations

import argparse

import numpy as np
import supersuit as ss
from stable_baselines3 import PPO
from stable_baselines3.common.utils import set_random_seed

import aerena
from aerena import wrappers


def make_vec_env(scenario: str = "tiny", seed: int = 0, copies: int = 1, **overrides):
    env = aerena.parallel_env(scenario, seed=seed, fixed_agents=True, **overrides)
    env = wrappers.flatten_parallel(env)
    venv = ss.pettingzoo_env_to_vec_env_v1(env)
    return ss.concat_vec_envs_v1(venv, copies, num_cpus=0, base_class="stable_baselines3")


def main(steps: int = 20_000, seed: int = 0) -> dict[str, float]:
    venv = make_vec_env("tiny", seed, **{"episode.max_steps": 100})
    # SuperSuit's vector env has no seed(): the env's seed goes to the constructor (the
    # first reset plays episode 0 of it, aerena.seeding), torch's to SB3's helper
    set_random_seed(seed)
    model = PPO("MlpPolicy", venv, n_steps=128, batch_size=128, verbose=0)
    model.learn(total_timesteps=steps)
    obs = venv.reset()
    total = np.zeros(venv.num_envs)
    for _ in range(100):
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, _, _ = venv.step(action)
        total += reward
    venv.close()
    return {
        "steps": float(steps),
        "agents": float(venv.num_envs),
        "mean_return": float(total.mean()),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    print(main(**vars(ap.parse_args())))
