"""The air-defence world: the `World` engine (Numba kernels over arrays) and its faces.

* :mod:`.world` -- `World`, B worlds stepped together (arrays in, arrays out);
* :mod:`.parallel` -- `AirDefenseParallelEnv`, the PettingZoo env (its docstring is the env
  card: agents, observations, actions, rewards, termination, version);
* :mod:`.single` -- `AirDefenseSingleEnv`, `gymnasium.make("aerena/AirDefense-v2")`: one side;
* :mod:`.vector` -- `AirDefenseVectorEnv`, batched worlds with same-step auto-reset;
* :mod:`.rllib_env` -- `AirDefenseMultiAgentEnv`, RLlib's new-stack `MultiAgentEnv`;
* :mod:`.spaces` -- observation / action / state spaces and their bounds.

Nothing is imported here, so importing the package stays cheap (and never imports Ray).
"""
