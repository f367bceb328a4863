"""Scenarios: YAML files validated into pydantic models (`schema.py`), loaded by `loader.py`."""
