"""``hwsim info``: table, CSV and JSON through ``hwsim.cli.main.main``.

The JSON keys listed in the README are a contract; the values checked here are hand counts
of SqueezeNet v1.0 and MobileNet v1 (shared/reference/networks.md).
"""

import csv
import io
import json
from pathlib import Path

import pytest

from hwsim.cli.main import main

NETWORKS = Path(__file__).resolve().parent.parent / "networks"
SQUEEZENET = str(NETWORKS / "squeezenet_v1.0.yaml")

CONTRACT_TOP = {"network", "input_shape", "layers", "totals", "mac_share"}
CONTRACT_LAYER = {"name", "type", "inputs", "in_shape", "out_shape", "kernel", "stride",
                  "padding", "groups", "params", "macs"}
CONTRACT_TOTALS = {"params", "bn_params", "macs"}
MAC_SHARE_KEYS = {"first_conv", "conv1x1", "convFxF", "depthwise", "fc"}


def run(capsys, *argv):
    status = main(["info", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def info_json(capsys, *argv):
    status, out, err = run(capsys, *argv, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def test_json_contract_keys(capsys):
    doc = info_json(capsys, SQUEEZENET)
    assert CONTRACT_TOP <= set(doc)
    assert CONTRACT_TOTALS <= set(doc["totals"])
    assert set(doc["mac_share"]) == MAC_SHARE_KEYS
    for layer in doc["layers"]:
        assert CONTRACT_LAYER <= set(layer), layer["name"]
        assert len(layer["in_shape"]) == 3 and len(layer["out_shape"]) == 3
        assert len(layer["kernel"]) == 2 and len(layer["stride"]) == 2
        assert len(layer["padding"]) == 4
        assert isinstance(layer["inputs"], list)


def test_json_values_squeezenet(capsys):
    doc = info_json(capsys, SQUEEZENET)
    assert doc["network"] == "SqueezeNet v1.0"
    assert doc["input_shape"] == [3, 227, 227]
    assert doc["totals"]["params"] == 1_248_424
    assert doc["totals"]["macs"] == 832_667_936
    assert doc["totals"]["bn_params"] == 0
    layers = {layer["name"]: layer for layer in doc["layers"]}
    conv1 = layers["conv1"]
    assert conv1 == {**conv1, "type": "conv", "inputs": ["input"], "in_shape": [3, 227, 227],
                     "out_shape": [96, 111, 111], "kernel": [7, 7], "stride": [2, 2],
                     "padding": [0, 0, 0, 0], "groups": 1, "params": 96 * 3 * 7 * 7 + 96,
                     "macs": 96 * 111 * 111 * 3 * 7 * 7}
    concat = layers["fire2/concat"]
    assert concat["inputs"] == ["fire2/expand1x1", "fire2/expand3x3"]
    assert concat["out_shape"] == [64 + 64, 55, 55]
    assert concat["macs"] == 0 and concat["params"] == 0
    assert doc["mac_share"]["first_conv"] == pytest.approx(96 * 111 * 111 * 3 * 49 / 832_667_936)
    assert sum(doc["mac_share"].values()) == pytest.approx(1.0)


def test_json_depthwise_and_asymmetric_padding(capsys):
    doc = info_json(capsys, str(NETWORKS / "mobilenet_v1.yaml"))
    layers = {layer["name"]: layer for layer in doc["layers"]}
    assert layers["conv0"]["padding"] == [0, 1, 0, 1]
    assert layers["conv2/depthwise"]["groups"] == 64
    assert layers["conv2/depthwise"]["macs"] == 64 * 56 * 56 * 3 * 3
    assert doc["totals"]["bn_params"] == 2 * (32 + 2 * (32 + 64 + 128 + 128 + 256 + 256
                                                        + 512 * 6 + 1024) + 1024 - 32)


def test_input_size_flag(capsys):
    doc = info_json(capsys, SQUEEZENET, "--input-size", "224")
    assert doc["input_shape"] == [3, 224, 224]
    conv1 = next(layer for layer in doc["layers"] if layer["name"] == "conv1")
    assert conv1["out_shape"] == [96, (224 - 7) // 2 + 1, (224 - 7) // 2 + 1]
    doc = info_json(capsys, SQUEEZENET, "--input-size", "227x259")
    assert doc["input_shape"] == [3, 227, 259]


def test_csv_has_one_row_per_layer(capsys):
    status, out, _ = run(capsys, SQUEEZENET, "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 + 8 * 4 + 3 + 4  # conv1, 8 fires of 4 layers, 3 pools, drop/conv10/pool10/prob
    conv1 = rows[0]
    assert conv1["name"] == "conv1"
    assert int(conv1["macs"]) == 96 * 111 * 111 * 3 * 7 * 7
    assert int(conv1["params"]) == 96 * 3 * 7 * 7 + 96


@pytest.mark.parametrize("path", sorted(NETWORKS.glob("*.yaml")), ids=lambda p: p.name)
def test_table_fits_in_100_columns(capsys, path):
    status, out, err = run(capsys, str(path))
    assert status == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    # every layer has a row, and the totals are printed
    network_layers = json.loads(run(capsys, str(path), "--format", "json")[1])["layers"]
    assert len(lines) >= len(network_layers) + 4
    assert any(line.startswith("MACs:") for line in lines)


def test_table_shows_totals(capsys):
    status, out, _ = run(capsys, SQUEEZENET)
    assert status == 0
    assert "1,248,424" in out and "832,667,936" in out
    assert out.startswith("SqueezeNet v1.0")


def test_results_go_to_stdout_and_nothing_to_stderr(capsys):
    status, out, err = run(capsys, SQUEEZENET, "--format", "json")
    assert status == 0 and out and err == ""
