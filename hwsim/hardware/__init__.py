"""The machine description: PE array, buffers, DRAM, vector unit and energy table.

The YAML reader is :mod:`hwsim.config.accelerator_file` (``hwsim.load_accelerator``)."""

from hwsim.hardware.accelerator import Accelerator, Buffer, Dram, EnergyTable, PEArray, Sparsity, VectorUnit

__all__ = ["Accelerator", "PEArray", "Buffer", "Dram", "VectorUnit", "Sparsity", "EnergyTable"]
