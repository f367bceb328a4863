"""Slow, obviously correct NumPy versions of aerena's kernels, for comparison in tests."""
