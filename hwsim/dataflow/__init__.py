"""How a layer maps onto the PE array: one strategy per dataflow.

``base.py`` holds the shared records: the layer's loop bounds (:class:`~base.ConvShape`),
the machine parameters the strategies read (:class:`~base.MachineParams`), the result of a
mapping (:class:`~base.Mapping`) and the strategy protocol. ``ws.py`` and ``os.py`` are the
study's broadcast-array modes, ``hybrid.py`` picks the faster per layer; ``systolic.py``
models a SCALE-Sim-style systolic array and ``systolic_adapter.py`` wraps its ws/os/is
modes as strategies. ``registry.py`` is the literal table of which strategy runs which
dataflow on which array. What happens between DRAM and the global buffer (the tiling search
and the pipeline timing) is dataflow-independent and lives in ``hwsim.cost``.

A new dataflow is a class with ``name`` and ``map(shape, machine) -> Mapping``, added as one
entry in ``registry.py`` (and its name in ``hwsim.hardware.names``).
"""
