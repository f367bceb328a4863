"""Overrides for quick RLlib runs on `tiny` in the tests: one small minibatch per
iteration and a small model, so a run takes seconds."""

QUICK_RUN = {
    "algorithm.minibatch_size": 64,
    "algorithm.num_epochs": 1,
    "model.dim": 16,
    "model.embed_dim": 16,
    "model.heads": 2,
    "model.hidden": 32,
}
