"""The third-party clients run the examples/ scripts for a few thousand steps, no user glue.

Clients are test-only dependencies (the `clients` extra, pinned in constraints.txt); a test
skips with the reason only where its client cannot be imported."""

from __future__ import annotations

import math
from types import ModuleType

import pytest

from tests.scripts import load_script


def example(name: str) -> ModuleType:
    return load_script(f"examples/{name}.py", f"aerena_example_{name}", cache=False)


def need(*modules: str) -> None:
    for m in modules:
        pytest.importorskip(m, reason=f"client {m} not installed (pip install 'aerena[clients]')")


def test_sb3_maskable_ppo_on_a_graph_env() -> None:
    need("sb3_contrib")
    import gymnasium
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
    from stable_baselines3.common.env_util import make_vec_env

    import aerena  # noqa: F401

    venv = make_vec_env(lambda: gymnasium.make("aerena/MaxCut-v0", num_nodes=8), n_envs=2)
    assert is_masking_supported(venv)
    venv.reset()
    masks = get_action_masks(venv)
    assert masks.shape == (2, 9) and masks.dtype == bool
    out = example("sb3_maskable_ppo_graph").main(steps=2048, episodes=5)
    assert out["steps"] == 2048 and math.isfinite(out["tour"]) and out["tour"] > 0


def test_sb3_ppo_via_supersuit_on_the_world() -> None:
    need("supersuit", "stable_baselines3")
    out = example("sb3_supersuit_world").main(steps=2048)
    assert out["agents"] == 5 and math.isfinite(out["mean_return"])


@pytest.mark.filterwarnings("ignore:PettingZoo in TorchRL:UserWarning")
def test_torchrl_pettingzoo_wrapper_rollout() -> None:
    need("torchrl")
    out = example("torchrl_rollout").main(steps=2000)
    assert out["steps"] == 2000 and out["groups"] == 3 and out["episodes_done"] >= 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_rllib_default_module_with_masks(ray_local: None) -> None:
    need("ray.rllib", "torch")
    out = example("rllib_default_model").main(steps=2000)
    assert out["env_steps"] >= 2000 and out["episodes_checked"] >= 1
    assert out["invalid_actions"] == 0  # the masks were respected


@pytest.mark.filterwarnings("ignore:PettingZoo in TorchRL:UserWarning")
def test_torchrl_on_the_fixed_agent_form() -> None:
    need("torchrl")
    from torchrl.envs import PettingZooWrapper

    import aerena

    env = PettingZooWrapper(
        aerena.parallel_env("tiny", seed=0, fixed_agents=True, **{"episode.max_steps": 50}),
        use_mask=False,
        categorical_actions=True,
        done_on_any=False,
    )
    td = env.rollout(300, break_when_any_done=False)
    assert td.batch_size[0] == 300
    assert bool(td["next", "uav", "info", "active"].any())  # scalar infos reach TorchRL
