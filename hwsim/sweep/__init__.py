"""Design-space exploration: many simulations over a grid or a random sample of accelerator
configurations, run locally in processes or on a Dask cluster, written to a resumable CSV.

``spec`` reads the sweep description, ``runner`` runs it, ``results`` writes and reads the
CSV files, ``evaluate`` is the default per-configuration evaluation (the hwsim model),
``pareto`` extracts non-dominated configurations.
"""

from hwsim.sweep.spec import SweepSpec, load_sweep, parse_sweep

__all__ = ["SweepSpec", "load_sweep", "parse_sweep"]
