"""hwsim: a hardware-aware performance and energy simulator for convolutional networks.

Public API::

    import hwsim
    net = hwsim.load_network("networks/sqnxt23v5.yaml")
    acc = hwsim.load_accelerator("accelerators/ws_32x32.yaml")
    result = hwsim.simulate(net, acc)          # per-layer and total cycles and energy
    result.to_dataframe()

The library is quiet: it logs through ``logging`` and never prints.
"""

from __future__ import annotations

import logging

from hwsim.config.accelerator_file import load_accelerator
from hwsim.config.network_file import parse_network
from hwsim.errors import HwsimError, InputError, ModelError
from hwsim.inputs import load_network
from hwsim.workload.layer import Layer, TensorShape
from hwsim.workload.network import Network

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    # The pipeline is imported lazily so that ``import hwsim`` and the network tools stay
    # fast and usable while it loads its own dependencies.
    if name in ("simulate", "SimulationResult"):
        from hwsim import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'hwsim' has no attribute {name!r}")


__all__ = ["load_network", "parse_network", "load_accelerator", "simulate", "SimulationResult",
           "Network", "Layer", "TensorShape", "HwsimError", "InputError", "ModelError",
           "__version__"]
