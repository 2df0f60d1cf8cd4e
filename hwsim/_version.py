"""The hwsim version, in one place (``pyproject.toml`` says the same; everything that prints
or records the version imports it from here)."""

__version__ = "0.1.0"

# The version of the JSON documents hwsim writes (run, info, trace, experiments): raised
# when a key is renamed or removed or changes meaning (adding keys does not raise it).
SCHEMA_VERSION = 1


def json_header() -> dict[str, object]:
    """The keys every JSON document hwsim writes starts with: ``schema_version`` and
    ``hwsim_version``."""
    return {"schema_version": SCHEMA_VERSION, "hwsim_version": __version__}
