"""Training GNN agents with RLlib: experiment schema, recipe, evaluation, progress.

See :mod:`aerena.training.train` (the recipe) and :mod:`aerena.training.config`.
Nothing here imports torch or Ray at import time except the modules that need them.
"""
