"""Design-space exploration: many simulations over a grid or a random sample of accelerator
configurations, run locally in processes or on a Dask cluster, written to a resumable CSV.

``spec`` reads the sweep description, ``runner`` runs it, ``results`` writes and reads the
CSV files, ``evaluate`` is the default per-configuration evaluation (the hwsim model),
``pareto`` extracts non-dominated configurations, ``api`` is the sweep as a function.

The package is callable: ``hwsim.sweep(spec, out=None, jobs=1, ...)`` is
:func:`hwsim.sweep.api.sweep` (results as a pandas DataFrame), while ``hwsim.sweep.runner``
and the other modules stay reachable as attributes. (A function named ``sweep`` in
``hwsim/__init__.py`` would be replaced by this package the first time any of its modules
is imported, so the package itself takes the call.)
"""

import sys
import types
from typing import Any

from hwsim.sweep.api import sweep as _sweep
from hwsim.sweep.spec import SweepSpec, load_sweep, parse_sweep


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["SweepSpec", "load_sweep", "parse_sweep"]
