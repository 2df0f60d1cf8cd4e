"""Event-level simulation: tiles through the DMA engine, the global buffer and the compute units.

Only this package imports SimPy. Build :class:`ScheduleItem` records (one per layer) and a
:class:`SimMachine`, call :func:`run_schedule`, and get a :class:`Schedule` with per-layer
start/end cycles, busy and stall cycles, and a timeline that :func:`write_chrome_trace` saves
for Perfetto / chrome://tracing. The rules of the model are in :mod:`hwsim.sim.engine`.
"""

from hwsim.sim.items import ScheduleItem, SimMachine
from hwsim.sim.schedule import LayerSchedule, Schedule, TraceSlice

__all__ = ["ScheduleItem", "SimMachine", "Schedule", "LayerSchedule", "TraceSlice",
           "run_schedule", "chrome_trace", "write_chrome_trace"]


def __getattr__(name: str):
    # SimPy is imported only when a schedule is actually run.
    if name == "run_schedule":
        from hwsim.sim.engine import run_schedule

        return run_schedule
    if name in ("chrome_trace", "write_chrome_trace"):
        from hwsim.sim import trace

        return getattr(trace, name)
    raise AttributeError(f"module 'hwsim.sim' has no attribute {name!r}")
