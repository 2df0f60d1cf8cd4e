"""How a layer maps onto the PE array: one strategy per dataflow over shared tiling code.

``base.py`` holds the shapes, the machine parameters, the :class:`~base.Mapping` record,
the strategy registry and the DRAM tiling search; ``ws.py`` and ``os.py`` are the study's
broadcast-array modes, ``hybrid.py`` picks the faster per layer; ``systolic.py`` models a
SCALE-Sim-style systolic array and ``systolic_adapter.py`` registers its ws/os/is modes.
A new dataflow is a class with ``name`` and ``map(shape, machine) -> Mapping`` passed to
``base.register(microarchitecture, strategy)``.
"""
