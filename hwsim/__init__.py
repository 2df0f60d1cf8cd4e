"""hwsim: a hardware-aware performance and energy simulator for convolutional networks.

Public API::

    import hwsim
    net = hwsim.load_network("networks/sqnxt23v5.yaml")
    acc = hwsim.load_accelerator("accelerators/ws_32x32.yaml")
    result = hwsim.simulate(net, acc)          # per-layer and total cycles and energy
    result.to_dataframe()
    acc.with_changes(**{"pe_array.rows": 32})  # a checked copy
    df = hwsim.sweep("sweeps/array_rf_glb.yaml", out="out/r.csv")  # a DataFrame
    df = hwsim.load_results("out/r.csv")

The library is quiet: it logs through ``logging`` and never prints.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from hwsim._version import __version__

if TYPE_CHECKING:  # imported lazily at run time (see __getattr__), visible to type checkers
    from hwsim.config.accelerator_file import load_accelerator
    from hwsim.config.network_file import parse_network
    from hwsim.errors import HwsimError, InputError, ModelError
    from hwsim.inputs import load_network
    from hwsim.pipeline import simulate
    from hwsim.result import (
        DEFAULT_ENGINE,
        EnergyBreakdown,
        Engine,
        LayerResult,
        SimulationResult,
    )
    from hwsim.sweep.api import load_results, sweep
    from hwsim.workload.layer import Layer, TensorShape
    from hwsim.workload.network import Network

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Names served by __getattr__: the module that defines each. Nothing of the model is imported
# with the package (``hwsim --version`` and ``python -m hwsim`` start fast, and a command
# loads only what it uses); ``hwsim.sweep`` is the (callable) sweep package.
_LAZY = {
    "load_network": "hwsim.inputs", "parse_network": "hwsim.config.network_file",
    "load_accelerator": "hwsim.config.accelerator_file", "simulate": "hwsim.pipeline",
    "load_results": "hwsim.sweep.api",
    "SimulationResult": "hwsim.result", "LayerResult": "hwsim.result",
    "EnergyBreakdown": "hwsim.result", "Engine": "hwsim.result", "DEFAULT_ENGINE": "hwsim.result",
    "Network": "hwsim.workload.network", "Layer": "hwsim.workload.layer",
    "TensorShape": "hwsim.workload.layer",
    "HwsimError": "hwsim.errors", "InputError": "hwsim.errors", "ModelError": "hwsim.errors",
}


def __getattr__(name: str) -> Any:
    if name == "sweep":
        return importlib.import_module("hwsim.sweep")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # found once
        return value
    raise AttributeError(f"module 'hwsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["load_network", "parse_network", "load_accelerator", "simulate", "sweep",
           "load_results", "SimulationResult",
           "LayerResult", "EnergyBreakdown", "Engine", "DEFAULT_ENGINE",
           "Network", "Layer", "TensorShape", "HwsimError", "InputError", "ModelError",
           "__version__"]
