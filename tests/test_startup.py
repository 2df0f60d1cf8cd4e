"""What the command line imports (issue 17: start-up time is part of every run). Not timed:
each case runs in a fresh interpreter and lists the modules it loaded; the speed itself is
measured by benchmarks/sim_speed.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Loaded by no analytic ``hwsim run``: plotting, tables of many runs, sweeps, the importers,
#: the event engine. (numpy is: the DRAM tiling search counts its candidates over arrays.)
NOT_FOR_A_RUN = ("pandas", "matplotlib", "onnx", "dask", "simpy", "hwsim.sim",
                 "hwsim.sweep", "hwsim.importers", "hwsim.report.plots", "hwsim.report.compare")


def loaded_after(code: str) -> set[str]:
    """The modules loaded by ``code`` in a fresh interpreter (its stdout discarded)."""
    script = ("import contextlib, io, json, sys\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              + "".join(f"    {line}\n" for line in code.splitlines())
              + "print(json.dumps(sorted(sys.modules)))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's package
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                         capture_output=True, text=True, env=env).stdout
    return set(json.loads(out))


def loaded_prefixes(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for p in prefixes if m == p or m.startswith(p + "."))


def test_version_imports_no_model_module():
    modules = loaded_after("from hwsim.cli.main import main\nmain(['--version'])")
    model = ("hwsim.config", "hwsim.workload", "hwsim.hardware", "hwsim.dataflow", "hwsim.cost",
             "hwsim.result", "hwsim.pipeline", "yaml", "numpy") + NOT_FOR_A_RUN
    assert loaded_prefixes(modules, model) == []
    assert "hwsim._version" in modules


def test_an_analytic_run_imports_only_what_it_uses():
    modules = loaded_after("from hwsim.cli.main import main\n"
                           "main(['run', 'networks/sqnxt23v5.yaml', '--accel', "
                           "'accelerators/ws_32x32.yaml'])")
    assert "hwsim.pipeline" in modules and "hwsim.report.run_report" in modules  # it ran
    assert loaded_prefixes(modules, NOT_FOR_A_RUN) == []


def test_the_event_engine_loads_simpy_when_it_runs():
    modules = loaded_after("from hwsim.cli.main import main\n"
                           "main(['run', 'networks/squeezenet_v1.0.yaml', '--accel', "
                           "'accelerators/ws_32x32.yaml', '--engine', 'event'])")
    assert {"simpy", "hwsim.sim.engine"} <= modules


def test_import_hwsim_loads_a_public_name_when_first_used():
    modules = loaded_after("import hwsim")
    assert loaded_prefixes(modules, ("hwsim.config", "hwsim.pipeline", "hwsim.result")) == []
    modules = loaded_after("import hwsim\nhwsim.load_accelerator")
    assert "hwsim.config.accelerator_file" in modules and "hwsim.pipeline" not in modules
