"""Event-level simulation: tiles through the DMA engine, the global buffer and the compute units.

Only this package imports SimPy. Build :class:`ScheduleItem` records (one per layer) and a
:class:`SimMachine`, call :func:`run_schedule`, and get a :class:`Schedule` with per-layer
start/end cycles, busy and stall cycles, and a timeline that :func:`write_chrome_trace` saves
for Perfetto / chrome://tracing. The rules of the model are in :mod:`hwsim.sim.engine`.
"""

from hwsim.sim.engine import run_schedule
from hwsim.sim.items import ScheduleItem, SimMachine
from hwsim.sim.schedule import LayerSchedule, Schedule, TraceSlice
from hwsim.sim.trace import chrome_trace, write_chrome_trace

__all__ = ["ScheduleItem", "SimMachine", "Schedule", "LayerSchedule", "TraceSlice",
           "run_schedule", "chrome_trace", "write_chrome_trace"]
