"""The machine description: PE array, buffers, DRAM, vector unit, energy table, and the
YAML loader (``load_accelerator``)."""

from hwsim.hardware.accelerator import Accelerator, Buffer, Dram, EnergyTable, PEArray, Sparsity, VectorUnit
from hwsim.hardware.loader import load_accelerator, parse_accelerator

__all__ = ["Accelerator", "PEArray", "Buffer", "Dram", "VectorUnit", "Sparsity", "EnergyTable",
           "load_accelerator", "parse_accelerator"]
