"""The hwsim version, in one place (``pyproject.toml`` says the same; everything that prints
or records the version imports it from here)."""

__version__ = "0.1.0"
