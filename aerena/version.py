"""The package version: one small module, so library code can read it without importing the
`aerena` front door (`aerena/__init__.py` is for users; library modules never import it)."""

__version__ = "0.1.0"
