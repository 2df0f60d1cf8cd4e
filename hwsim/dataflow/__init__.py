"""How a layer maps onto the PE array: one strategy per dataflow over shared tiling code.

``base.py`` holds the shapes, the machine parameters, the :class:`~base.Mapping` record,
the strategy registry and the DRAM tiling search; ``ws.py`` and ``os.py`` are the study's
broadcast-array modes, ``hybrid.py`` picks the faster per layer; ``systolic.py`` models a
SCALE-Sim-style systolic array.
"""
