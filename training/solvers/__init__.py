"""Training of the learned graph-problem policies: PPO through RLlib (`ppo`), POMO (`pomo`, and
its RLlib Algorithm `pomo_rllib`) and the supervised GCOMB-style IM trainer (`gcomb`)."""
