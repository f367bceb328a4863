"""`BatchedEnvRunner`: the default RLlib env runner of every aerena experiment.

One runner owns one :class:`~aerena.training.sampler.BatchedSampler` -- a single `World`
of B = `num_envs_per_env_runner` worlds stepped by one kernel call -- and runs each role's
module forward ONCE per step over the deciding agents of all worlds. It hands RLlib the
usual `MultiAgentEpisode` chunks, so every learner connector, loss and algorithm (PPO,
APPO, IMPALA) works unchanged.

Why a custom `EnvRunner` and not RLlib's `VectorMultiAgentEnv` interface (measured with
`benchmarks/rllib_throughput.py`): `MultiAgentEnvRunner` keeps per-env, per-agent Python
bookkeeping in its step loop (`MultiAgentEpisode.add_env_step` for every sub-env, the
env-to-module and module-to-env connector pipelines over per-agent dicts, the callbacks),
about 1-2 ms per env step on this machine whatever the vectorisation -- its cost is the
286 env-steps/s the B = 1 path reached. Here the step loop touches only arrays (the
world's buffers, one torch forward per role, one sample call); episodes are built once
per `sample()` call from the recorded arrays (a few hundred small objects, not one per
agent step). `make_vec` builds only `SyncVectorMultiAgentEnv` (a list of single envs), so
a native batched env would need a runner subclass anyway.

Exploration: actions are drawn from the masked categorical of the module's
`action_dist_inputs` (`forward_exploration`), with a torch generator seeded from the
experiment seed and the runner index; `explore=False` takes the greedy action. Each row
stores `action_logp` and `action_dist_inputs` for PPO's ratio and APPO/IMPALA's v-trace.

Metrics: RLlib's env/agent step counters and episode return/length, plus the per-episode
game results under ``aerena/...`` (the sums :mod:`aerena.training.callbacks` documents).
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import numpy as np
import torch
from ray.rllib.connectors.env_to_module import EnvToModulePipeline
from ray.rllib.connectors.module_to_env import ModuleToEnvPipeline
from ray.rllib.core import COMPONENT_RL_MODULE
from ray.rllib.core.columns import Columns
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner
from ray.rllib.env.multi_agent_episode import MultiAgentEpisode
from ray.rllib.env.single_agent_episode import SingleAgentEpisode
from ray.rllib.env.utils.infinite_lookback_buffer import InfiniteLookbackBuffer
from ray.rllib.utils.metrics import (
    EPISODE_LEN_MEAN,
    EPISODE_RETURN_MEAN,
    NUM_AGENT_STEPS_SAMPLED,
    NUM_AGENT_STEPS_SAMPLED_LIFETIME,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
    NUM_MODULE_STEPS_SAMPLED,
    NUM_MODULE_STEPS_SAMPLED_LIFETIME,
    SAMPLE_TIMER,
    WEIGHTS_SEQ_NO,
)

from aerena.training import trust
from aerena.training.callbacks import SUMS
from aerena.training.sampler import BatchedSampler, EpisodeChunk
from aerena.training.side_env import SideEnv


class BatchedEnvRunner(MultiAgentEnvRunner):
    """B batched worlds per runner, episodes built from arrays (see the module docstring)."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        EnvRunner.__init__(self, config=config, **kwargs)
        self.spaces = kwargs.get("spaces", {})
        self._device = torch.device("cpu")
        self._callbacks: list[Any] = []
        self.env: Any = None
        self.sampler: BatchedSampler | None = None
        self._overrides: dict[str, Any] | None = None  # set_overrides (curriculum)
        self.num_envs = 0
        if (
            self.worker_index is None
            or self.worker_index > 0
            or self.config.create_env_on_local_worker
            or self.config.num_env_runners == 0
        ):
            self.make_env()
        self.module = None
        self.make_module()
        # RLlib's connector pipelines are not run by this runner; they exist (empty of
        # state) so that checkpoints and state syncs see the components they expect
        self._env_to_module = EnvToModulePipeline(connectors=[])
        self._module_to_env = ModuleToEnvPipeline(connectors=[])
        self._weights_seq_no = 0
        self._env_runner_state_server = None
        seed = int(self.config.seed or 0)
        self.generator = torch.Generator()
        self.generator.manual_seed(int(np.random.SeedSequence([seed, self.worker_index or 0])
                                       .generate_state(1)[0]))  # fmt: skip
        self.timers = {"episodes": 0.0}  # building MultiAgentEpisodes (the sampler has the rest)

    # ------------------------------------------------------------------ env and spaces
    def make_env(self) -> None:
        cfg = dict(self.config.env_config)
        if self._overrides is not None:  # a curriculum stage's scenario
            cfg["overrides"] = self._overrides
        trust.adopt_runner_decision(cfg)  # the driver's --trust-checkpoint (remote too)
        B = int(self.config.num_envs_per_env_runner)
        complete = self.config.batch_mode == "complete_episodes"
        self.sampler = BatchedSampler(cfg, B, worker_index=self.worker_index, env_cls=SideEnv,
                                      complete_episodes=complete)  # fmt: skip
        self.num_envs = B
        # the per-agent spaces come from the B = 1 env of the same config (one source); they
        # do not depend on the opponent, so the probe plays the scripted one (no checkpoint
        # or league loaded twice)
        probe = SideEnv({**cfg, "opponent": "scripted"})
        self._obs_spaces = dict(probe.observation_spaces)
        self._act_spaces = dict(probe.action_spaces)
        probe.close()
        self.env = self.sampler

    def set_overrides(self, overrides: dict[str, Any]) -> None:
        """A curriculum stage: rebuild the worlds with these scenario overrides (episodes
        start afresh; the modules and spaces stay)."""
        self._overrides = dict(overrides)
        if self.sampler is not None:  # not the env-less local runner beside remote ones
            self.make_env()

    def get_spaces(self) -> dict[str, Any]:
        if self.sampler is None:
            return self.spaces
        out: dict[str, Any] = {}
        for agent, sp in self._obs_spaces.items():
            mid = self.config.policy_mapping_fn(agent, None)
            out.setdefault(mid, (sp, self._act_spaces[agent]))
        return out

    def make_module(self) -> None:
        spec = self.config.get_multi_rl_module_spec(spaces=self.get_spaces(), inference_only=True)
        self.module = spec.build()

    def assert_healthy(self) -> None:
        assert self.sampler is not None and self.module is not None

    def stop(self) -> None:
        pass

    # ------------------------------------------------------------------ sampling
    def _policy(self, explore: bool) -> Any:
        def act(role: str, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
            batch = {Columns.OBS: {k: torch.from_numpy(v) for k, v in obs.items()}}
            with torch.no_grad():
                mod = self.module[role]
                out = mod.forward_exploration(batch) if explore else mod.forward_inference(batch)
                logits = out[Columns.ACTION_DIST_INPUTS]
                logp_all = torch.log_softmax(logits, dim=-1)
                if explore:
                    a = torch.multinomial(logp_all.exp(), 1, generator=self.generator)[:, 0]
                else:
                    a = logits.argmax(dim=-1)
                logp = logp_all.gather(1, a[:, None])[:, 0]
            return a.numpy(), logp.numpy(), logits.numpy()

        return act

    def sample(
        self,
        *,
        num_timesteps: int | None = None,
        num_episodes: int | None = None,
        explore: bool | None = None,
        random_actions: bool = False,
        force_reset: bool = False,
    ) -> list[MultiAgentEpisode]:
        del random_actions, force_reset
        assert self.sampler is not None
        if explore is None:
            explore = self.config.explore
        if num_timesteps is None and num_episodes is None:
            frag = self.config.get_rollout_fragment_length(self.worker_index)
            num_timesteps = frag * self.num_envs
        self.metrics.log_value(WEIGHTS_SEQ_NO, self._weights_seq_no, window=1)
        with self.metrics.log_time(SAMPLE_TIMER):
            chunks: list[EpisodeChunk] = []
            episodes: list[MultiAgentEpisode] = []
            # a short request in many worlds may close no decision yet (a plan's one
            # decision closes only at its episode's end): sample on until some agent of a
            # trained module has a complete one (RLlib's learners need at least one row)
            while not any(self._trained(c) for c in chunks):
                more = self.sampler.collect(max(1, int(num_timesteps or 0)),
                                            self._policy(explore), num_episodes)  # fmt: skip
                chunks += more
                t1 = time.perf_counter()
                episodes += [self._episode(c) for c in more if c.segments]
            t2 = time.perf_counter()
        self.timers["episodes"] += t2 - t1
        self._log(chunks)
        return episodes

    def _trained(self, c: EpisodeChunk) -> bool:
        """Whether the chunk holds a decision of a module that is trained."""
        train = self.config.policies_to_train
        if train is None:
            return bool(c.segments)
        if callable(train):
            return any(train(s.role, None) for s in c.segments)
        return any(s.role in train for s in c.segments)

    def _episode(self, c: EpisodeChunk) -> MultiAgentEpisode:
        """A MultiAgentEpisode chunk built in one go from the recorded arrays."""
        ma = MultiAgentEpisode(
            id_=c.episode_id,
            observation_space=self._obs_spaces,
            action_space=self._act_spaces,
            agent_to_module_mapping_fn=self.config.policy_mapping_fn,
            env_t_started=c.t0,
        )
        ma.env_t = c.t1
        ma.is_terminated, ma.is_truncated = c.terminated, c.truncated
        for sg in c.segments:
            m = len(sg.actions)
            seq = np.full(m, self._weights_seq_no, dtype=np.int64)
            sa = SingleAgentEpisode(
                id_=f"{c.episode_id}-{sg.agent}",
                observations=InfiniteLookbackBuffer(sg.obs),
                infos=InfiniteLookbackBuffer([{} for _ in range(m + 1)]),
                actions=InfiniteLookbackBuffer(sg.actions),
                rewards=InfiniteLookbackBuffer(sg.rewards.astype(np.float32)),
                extra_model_outputs={
                    Columns.ACTION_LOGP: InfiniteLookbackBuffer(sg.logp),
                    Columns.ACTION_DIST_INPUTS: InfiniteLookbackBuffer(sg.logits),
                    WEIGHTS_SEQ_NO: InfiniteLookbackBuffer(seq),
                },
                terminated=sg.terminated,
                truncated=sg.truncated,
                t_started=sg.t_started,
                len_lookback_buffer=0,
                agent_id=sg.agent,
                module_id=sg.role,
                multi_agent_episode_id=c.episode_id,
            )
            sa.observation_space = self._obs_spaces[sg.agent]
            sa.action_space = self._act_spaces[sg.agent]
            ma.agent_episodes[sg.agent] = sa
            ma._agent_to_module_mapping[sg.agent] = sg.role
        return ma

    def _log(self, chunks: list[EpisodeChunk]) -> None:
        env_steps = sum(c.t1 - c.t0 for c in chunks)
        per_agent: dict[str, int] = defaultdict(int)
        per_module: dict[str, int] = defaultdict(int)
        for c in chunks:
            for s in c.segments:
                per_agent[s.agent] += len(s.actions)
                per_module[s.role] += len(s.actions)
        m = self.metrics
        m.log_value(NUM_ENV_STEPS_SAMPLED, env_steps, reduce="sum")
        m.log_value(NUM_ENV_STEPS_SAMPLED_LIFETIME, env_steps, reduce="lifetime_sum",
                    with_throughput=True)  # fmt: skip
        for aid, n in per_agent.items():
            m.log_value((NUM_AGENT_STEPS_SAMPLED, aid), n, reduce="sum")
            m.log_value((NUM_AGENT_STEPS_SAMPLED_LIFETIME, aid), n, reduce="lifetime_sum")
        for mid, n in per_module.items():
            m.log_value((NUM_MODULE_STEPS_SAMPLED, mid), n, reduce="sum")
            m.log_value((NUM_MODULE_STEPS_SAMPLED_LIFETIME, mid), n, reduce="lifetime_sum")
        self.num_env_steps_sampled_lifetime += env_steps
        assert self.sampler is not None
        done = self.sampler.finished
        self.sampler.finished = []
        win = max(1, self.config.metrics_num_episodes_for_smoothing
                  // max(1, self.config.num_env_runners or 1))  # fmt: skip
        for out in done:
            m.log_value(NUM_EPISODES, 1, reduce="sum")
            m.log_value(NUM_EPISODES_LIFETIME, 1, reduce="lifetime_sum")
            m.log_value(EPISODE_RETURN_MEAN, out["return_learning"], window=win)
            m.log_value(EPISODE_LEN_MEAN, out["env_steps"], window=win)
            values = {
                "episodes": 1.0,
                "attacker_wins": 1.0 if out["winner"] == "attacker" else 0.0,
                **{k: float(out[k]) for k in SUMS[2:]},
            }
            for key, value in values.items():
                m.log_value(("aerena", key), value, reduce="sum")

    def get_metrics(self) -> dict[str, Any]:
        return self.metrics.reduce()

    def get_checkpointable_components(self) -> list[tuple[str, Any]]:
        return [(COMPONENT_RL_MODULE, self.module)]
