"""`hwsim run --format json` on the SCALE-Sim-style designs: each layer's compute_cycles is
SCALE-Sim 3.0.0's "Total Cycles" for it (values recorded in test_systolic.py, with the
command that produced them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_systolic import SCALESIM_TOTAL_CYCLES

from hwsim.cli.main import main

REPO = Path(__file__).resolve().parent.parent

# hwsim layer of a bundled network -> the name of its SCALE-Sim record
LAYERS = {
    ("alexnet", "conv1"): "alexnet_conv1",
    ("squeezenet_v1.0", "fire2/squeeze1x1"): "fire2_squeeze1x1",
    ("squeezenet_v1.0", "fire2/expand1x1"): "fire2_expand1x1",
    ("squeezenet_v1.0", "fire2/expand3x3"): "fire2_expand3x3",
    ("mobilenet_v1", "conv7/pointwise"): "mobilenet_pw_14x14x512",
}


def run_json(network: str, dataflow: str, capsys) -> dict:
    status = main(["run", str(REPO / "networks" / f"{network}.yaml"), "--accel",
                   str(REPO / "accelerators" / f"scalesim_{dataflow}_32x32.yaml"),
                   "--format", "json"])
    assert status == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_run_json_compute_cycles_equal_scalesim_total_cycles(dataflow, capsys):
    for network in sorted({net for net, _ in LAYERS}):
        layers = {l["name"]: l for l in run_json(network, dataflow, capsys)["layers"]}
        for (net, name), record in LAYERS.items():
            if net != network:
                continue
            expected = SCALESIM_TOTAL_CYCLES[dataflow][record]
            assert layers[name]["compute_cycles"] == expected, (network, name, dataflow)
            assert layers[name]["array_cycles"] == expected
            assert layers[name]["dataflow"] == dataflow
