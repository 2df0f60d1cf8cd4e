"""Energy: the layer's counts priced by the accelerator's energy table.

Count first, price second (Eyeriss, Chen, Emer and Sze, ISCA 2016; Accelergy): energy is
the dot product of the action counts from ``model.py`` with the per-action energies of
:class:`~hwsim.hardware.accelerator.EnergyTable`, kept apart by component:

* ``mac``   = effective MACs x ``mac`` + vector-unit operations x ``vector_op``
  (zero weights skipped by the dataflow spend no MAC energy);
* ``rf``    = register-file accesses x ``rf_access``;
* ``array`` = inter-PE transfers x ``inter_pe``: one per neighbour hop, and one per word a
  buffer puts on a bus (a broadcast to N PEs is one transfer, not N);
* ``glb``   = global-buffer reads and writes (array side and DMA side) x ``glb_access``;
* ``dram``  = DRAM words read and written x ``dram_word``;
* ``leakage`` = cycles x ``leakage_per_cycle``.

Each action is counted once, where it happens; the dataflows document their counts with a
worked example each (``hwsim/dataflow/ws.py``, ``os.py``). The defaults of the table are the
Eyeriss ratios (MAC 1, RF 1, inter-PE 2, GLB 6, DRAM 200 per 16-bit word).

The unit is the table's (``mac``: multiples of one 16-bit MAC; or ``pJ``). The same counts
can be re-priced for another technology by passing another table.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.cost.model import AccessCounts
from hwsim.hardware.accelerator import EnergyTable

ENERGY_COMPONENTS = ("mac", "rf", "array", "glb", "dram", "leakage")


@dataclass(frozen=True, slots=True)
class EnergyBreakdown:
    """Energy by component (MAC, register file, inter-PE array, global buffer, DRAM,
    leakage); ``total`` is their sum."""

    mac: float = 0.0
    rf: float = 0.0
    array: float = 0.0
    glb: float = 0.0
    dram: float = 0.0
    leakage: float = 0.0

    @property
    def total(self) -> float:
        return self.mac + self.rf + self.array + self.glb + self.dram + self.leakage

    def __add__(self, other: EnergyBreakdown) -> EnergyBreakdown:
        return EnergyBreakdown(*(getattr(self, c) + getattr(other, c) for c in ENERGY_COMPONENTS))

    def to_dict(self) -> dict[str, float]:
        out = {c: getattr(self, c) for c in ENERGY_COMPONENTS}
        out["total"] = self.total
        return out


def price(counts: AccessCounts, cycles: float, table: EnergyTable) -> EnergyBreakdown:
    """Energy of one layer by component, in ``table.unit``."""
    return EnergyBreakdown(
        mac=counts.effective_macs * table.mac + counts.vector_ops * table.vector_op,
        rf=counts.rf_accesses * table.rf_access,
        array=counts.inter_pe_transfers * table.inter_pe,
        glb=counts.glb_accesses * table.glb_access,
        dram=counts.dram_words * table.dram_word,
        leakage=cycles * table.leakage_per_cycle,
    )


__all__ = ["price", "EnergyBreakdown", "ENERGY_COMPONENTS"]
