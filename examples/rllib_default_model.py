"""RLlib PPO with its default model on the multi-agent world, masks respected.

    python examples/rllib_default_model.py --steps 4000

The recipe: `fixed_agents=True` (every agent present: no joining or dying), then
`flatten_parallel(env, dict_obs=True)`: one space for every agent, observations
``{"observations": Box, "action_mask": Box}`` -- the form RLlib's own action-masking module
(`ActionMaskingTorchRLModule`, RLlib's default PPO module with the mask applied to its
logits) reads. RLlib's `ParallelPettingZooEnv` takes it as it is. All agents share one
module here (the role is in the observation); `invalid_actions` in the result counts the
masked actions sent, which stays 0.
"""

from __future__ import annotations

import argparse
from typing import Any

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.rllib.examples.rl_modules.classes.action_masking_rlm import ActionMaskingTorchRLModule
from ray.tune.registry import register_env

import aerena
from aerena import wrappers
from aerena.training.runtime import start_ray

ENV = "aerena_flat_masked"


def make_env(cfg: dict[str, Any]) -> ParallelPettingZooEnv:
    cfg = dict(cfg)
    scenario = cfg.pop("scenario", "tiny")
    env = aerena.parallel_env(scenario, seed=cfg.pop("seed", None), fixed_agents=True, **cfg)
    return ParallelPettingZooEnv(wrappers.flatten_parallel(env, dict_obs=True))


def count_invalid(episode: Any, metrics_logger: Any = None, **kwargs: Any) -> None:
    """Masked actions sent in the episode (the world's count, summed over agents)."""
    infos = episode.get_infos(-1)
    info = next(iter(infos.values()))
    metrics_logger.log_value("invalid_actions", info["outcome/invalid_actions"], reduce="sum")
    metrics_logger.log_value("episodes_checked", 1, reduce="sum")


def main(steps: int = 4000, seed: int = 0, scenario: str = "tiny") -> dict[str, float]:
    register_env(ENV, make_env)
    started = start_ray(num_cpus=1, configure_logging=True)
    config = (
        PPOConfig()
        .environment(ENV, env_config={"scenario": scenario, "seed": seed, "episode.max_steps": 100})
        .env_runners(num_env_runners=0)
        .multi_agent(policies={"shared"}, policy_mapping_fn=lambda aid, *a, **k: "shared")
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={"shared": RLModuleSpec(module_class=ActionMaskingTorchRLModule)}
            )
        )
        .training(train_batch_size=1000, minibatch_size=250, num_epochs=1)
        .callbacks(on_episode_end=count_invalid)
        .debugging(seed=seed)
    )
    algo = config.build_algo()
    done, invalid, checked, iterations = 0, 0.0, 0.0, 0
    try:
        while done < steps:
            result = algo.train()
            iterations += 1
            runners = result["env_runners"]
            done = int(
                result.get("num_env_steps_sampled_lifetime")
                or runners.get("num_env_steps_sampled_lifetime", 0)
            )
            invalid += float(runners.get("invalid_actions", 0.0) or 0.0)
            checked += float(runners.get("episodes_checked", 0.0) or 0.0)
    finally:
        algo.stop()
        if started:
            ray.shutdown()
    return {
        "iterations": float(iterations),
        "env_steps": float(done),
        "episodes_checked": checked,
        "invalid_actions": invalid,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenario", default="tiny")
    print(main(**vars(ap.parse_args())))
