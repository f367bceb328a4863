"""The RLlib algorithm of an experiment: env config, module per role, hyperparameters.

:func:`algorithm_config` is the recipe's steps 2-3 (:mod:`aerena.training.train` builds
it with SideEnv and the batched env runner); the same config gives the modules' spec that
opens an unsigned checkpoint (:mod:`aerena.training.checkpoints`). RLlib is imported in
the functions only: importing this module stays light.
"""

from __future__ import annotations

from typing import Any

from aerena.agents.play import doctrine_prior
from aerena.envs.airdefense import layout as Lo
from aerena.errors import UserError
from aerena.training import trust
from aerena.training.config import Experiment

ENV_NAME = "aerena_side_v0"


def env_config(exp: Experiment) -> dict[str, Any]:
    return {
        "scenario": exp.scenario,
        "overrides": dict(exp.overrides),
        "learn": exp.learn,
        "opponent": exp.opponent,
        "opponent_checkpoint": exp.opponent_checkpoint,
        "seed": exp.seed,
        **exp.play_options(),  # action_repeat, emission_latch, emission_plan, target_plan
        "global_state": exp.critic == "global",
        "skip_forced": exp.skip_forced,
        "time_limit": exp.time_limit,
        "shaping": {k: v for k, v in exp.shaping.model_dump().items() if v},
        trust.RUNNER_KEY: trust.trusted_by_flag(),  # --trust-checkpoint, on every runner
    }


def doctrine_start(exp: Experiment, role: str, n_choices: int) -> dict[str, Any]:
    """The module's `action_prior` for a `doctrine` role (its behaviours start with the
    experiment's probability), else nothing."""
    if role not in exp.doctrine:
        return {}
    H = len(exp.hold[role])
    n_world = Lo.UAV_ACTIONS
    prior = doctrine_prior(n_world, n_choices // H - n_world, H, exp.doctrine[role])
    return {"action_prior": {**exp.model.action_prior, role: prior.tolist()}}


def fragment_length(exp: Experiment) -> int | str:
    """The env runners' rollout_fragment_length: the experiment's; for APPO / IMPALA an
    `auto` one made explicit as RLlib's auto would (train batch x learners / (runners x
    worlds)), because RLlib's v-trace minibatch check fails on `auto`."""
    a, r = exp.algorithm, exp.resources
    frag = r.rollout_fragment_length
    if a.name == "PPO" or frag != "auto":
        return frag
    per_round = max(r.num_env_runners, 1) * r.num_envs_per_env_runner
    return max(1, a.train_batch_size * max(r.num_learners, 1) // per_round)


def vtrace_reuse(exp: Experiment) -> dict[str, int]:
    """APPO / IMPALA's sample reuse: the experiment's `num_epochs`, and its
    `minibatch_size` rounded down to whole fragments (RLlib's v-trace rule; at least one
    fragment). Without them RLlib takes ONE gradient step per train batch where PPO takes
    num_epochs x batch / minibatch; on tiny in 120 s neither APPO nor IMPALA learned then
    (benchmarks/README.md, baseline table). `algorithm.extra` still overrides both."""
    a = exp.algorithm
    frag = int(fragment_length(exp))
    minibatch = max(frag, min(a.minibatch_size, a.train_batch_size) // frag * frag)
    return {"num_epochs": a.num_epochs, "minibatch_size": minibatch}


def policy_mapping_fn(agent_id: Any, episode: Any = None, **kwargs: Any) -> str:
    """Agent -> module id: its role (`uav_3` -> `uav`)."""
    from aerena.agents.heads import role_of_agent  # torch: heavy

    return role_of_agent(agent_id)


def algorithm_config(exp: Experiment, env_cls: type, runner_cls: type | None = None) -> Any:
    """The RLlib AlgorithmConfig of an experiment (env registered, one module per role).

    `env_cls`: the env (:class:`~aerena.training.side_env.SideEnv`; passed in, as the env
    itself opens checkpoints through this module); `runner_cls`: the env runner class
    (None: RLlib's own; the modules' spec does not depend on it)."""
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.tune.registry import register_env

    from aerena.agents.rl_module import EntityGNNModule  # torch and ray: heavy
    from aerena.training.callbacks import GameMetricsCallback  # RLlib: heavy

    register_env(ENV_NAME, lambda cfg: env_cls(cfg))
    env_cfg = env_config(exp)
    probe = env_cls(env_cfg)  # spaces per role (and an early scenario check)
    specs: dict[str, Any] = {}
    for agent in probe.possible_agents:
        role = policy_mapping_fn(agent)
        if role not in specs:
            specs[role] = RLModuleSpec(
                module_class=EntityGNNModule,
                observation_space=probe.observation_spaces[agent],
                action_space=probe.action_spaces[agent],
                model_config={"role": role, **exp.model.model_dump(),
                              **doctrine_start(exp, role, probe.action_spaces[agent].n)},
            )  # fmt: skip
    probe.close()
    if not specs:
        raise UserError(f"scenario {exp.scenario!r} has no {exp.learn} agents to train")

    # ---- the algorithm and its hyperparameters (change here) ----
    a, r = exp.algorithm, exp.resources
    common = {
        "lr": a.lr,
        "gamma": a.gamma,
        "train_batch_size_per_learner": a.train_batch_size,
        "entropy_coeff": a.entropy_coeff,
        "vf_loss_coeff": a.vf_loss_coeff,
        "grad_clip": a.grad_clip,
    }
    if a.name == "PPO":
        from ray.rllib.algorithms.ppo import PPOConfig

        config = PPOConfig().training(
            **common,
            minibatch_size=min(a.minibatch_size, a.train_batch_size),
            num_epochs=a.num_epochs,
            lambda_=a.gae_lambda,
            clip_param=a.clip_param,
        )
    elif a.name == "APPO":
        from ray.rllib.algorithms.appo import APPOConfig

        config = APPOConfig().training(**common, **vtrace_reuse(exp), clip_param=a.clip_param)
    else:
        from ray.rllib.algorithms.impala import IMPALAConfig

        config = IMPALAConfig().training(**common, **vtrace_reuse(exp))
    if a.extra:
        config = config.training(**a.extra)

    runner: dict[str, Any] = {}
    if runner_cls is not None:  # the batched path: one World of B worlds per env runner
        runner["env_runner_cls"] = runner_cls
    config = (
        config.environment(ENV_NAME, env_config=env_cfg)
        .framework("torch")
        .env_runners(
            **runner,
            num_env_runners=r.num_env_runners,
            num_envs_per_env_runner=r.num_envs_per_env_runner,
            rollout_fragment_length=fragment_length(exp),
            batch_mode=r.batch_mode,
            num_cpus_per_env_runner=r.num_cpus_per_env_runner,
            custom_resources_per_env_runner=dict(r.custom_resources_per_env_runner),
        )
        .learners(num_learners=r.num_learners, num_gpus_per_learner=r.num_gpus_per_learner)
        .multi_agent(
            policies=set(specs),
            policy_mapping_fn=policy_mapping_fn,
            policies_to_train=sorted(set(specs) - set(exp.init.freeze)),
        )
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs=specs))
        .callbacks(GameMetricsCallback)
        .debugging(seed=exp.seed)
    )
    return config
