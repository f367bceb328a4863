"""What is left of the old `aerena.graphs.learned` package: the `aerena train-solver` front end
(`cli.py`). The nets and their inference live in :mod:`aerena.agents.solvers`, their trainers
in :mod:`aerena.training.solvers`."""
