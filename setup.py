"""Build hook: the wheel carries the bundled networks, accelerators and sweeps.

Everything else is in pyproject.toml. The repository keeps its top-level ``networks/``,
``accelerators/`` and ``sweeps/`` folders (the README's commands use those paths); building
copies their YAML files into the package as ``hwsim/_bundled/<folder>/``, where
:mod:`hwsim.bundled` finds them in an installed hwsim. The folders' files are globbed, not
listed: a file added to a folder is bundled.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("networks", "accelerators", "sweeps")
HERE = Path(__file__).resolve().parent


class BuildPyWithBundled(build_py):
    """build_py, then the bundled folders copied into the built package."""

    def run(self):
        super().run()
        for folder in BUNDLED:
            for source in sorted((HERE / folder).glob("*.yaml")):
                target = Path(self.build_lib) / "hwsim" / "_bundled" / folder / source.name
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithBundled})
