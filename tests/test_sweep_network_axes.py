"""Network parameters as sweep axes (``network.params.NAME``, ``network.input_size``): the
rows' parameter counts, MACs and published accuracies by hand, the configuration key, resume,
preflight of undeclared parameters, and a Pareto front with ``max:top5``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sweep_fixtures import SMALL_ACCELERATOR

from hwsim.cli.main import main
from hwsim.errors import InputError
from hwsim.sweep.evaluate import preflight
from hwsim.sweep.keypaths import config_key
from hwsim.sweep.results import read_rows
from hwsim.sweep.spec import load_sweep

# A two-layer family: a 1x1 squeeze of s = SR * e channels, then a 3x3 expand (padding 1) of
# e channels, on a 3 x 8 x 8 input; no biases. With s squeeze channels:
#   parameters = 3 * s + s * e * 9,  MACs = (3 * s + s * e * 9) * 8 * 8 (every output 8 x 8)
TINY_FAMILY = {
    "name": "tinyfam", "input": [3, 8, 8], "params": {"e": 8, "SR": 0.5},
    "accuracy_table": [
        {"params": {"SR": 0.25}, "top1": 50.0, "top5": 75.0, "source": "made up for this test"},
        {"params": {"SR": 0.5}, "top5": 80.0, "source": "made up for this test"},
    ],
    "layers": [
        {"name": "squeeze", "type": "conv", "out_channels": "${int(SR * e)}", "kernel": 1,
         "bias": False},
        {"name": "expand", "type": "conv", "out_channels": "$e", "kernel": 3, "padding": 1,
         "bias": False},
    ],
}
# SR 0.25: s = 2: 6 + 144 = 150 parameters, 150 x 64 = 9,600 MACs
# SR 0.5:  s = 4: 12 + 288 = 300 parameters, 19,200 MACs
# SR 0.75: s = 6: 18 + 432 = 450 parameters, 28,800 MACs
BY_SR = {0.25: (150, 9_600), 0.5: (300, 19_200), 0.75: (450, 28_800)}


def write(tmp_path: Path, axes: list, networks: list | None = None) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL_ACCELERATOR)
    (tmp_path / "fam.yaml").write_text(yaml.safe_dump(TINY_FAMILY, sort_keys=False))
    spec = {"accelerator": "small.yaml", "networks": networks or ["fam.yaml"], "axes": axes}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


SR_X_ARRAY = [{"name": "SR", "path": "network.params.SR", "values": [0.25, 0.5, 0.75]},
              {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16]}]


def sweep(path: Path, out: Path) -> int:
    return main(["sweep", str(path), "--out", str(out), "-j", "1", "--no-progress"])


def test_sr_x_array_rows_by_hand_and_resume(tmp_path, capsys):
    path = write(tmp_path, SR_X_ARRAY)
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 0
    rows = read_rows(out)
    assert len(rows) == 3 * 2
    header = out.read_text().splitlines()[0].split(",")
    assert header[:5] == ["config_key", "network", "engine", "SR", "array"]
    for row in rows:
        params, macs = BY_SR[row["SR"]]
        assert (row["param_count"], row["total_macs"]) == (params, macs)
        assert row["area_pes"] == row["array"] ** 2
    # accuracy only where the table has exactly that point; SR 0.75 has none (never
    # interpolated between 0.5 and ... anything)
    accuracy = {r["SR"]: (r["top1"], r["top5"]) for r in rows}
    assert accuracy == {0.25: (50.0, 75.0), 0.5: (None, 80.0), 0.75: (None, None)}
    # the network's settings are part of the key: six distinct configurations
    assert len({r["config_key"] for r in rows}) == 6
    # a killed run: drop the last two rows; the rerun writes exactly those two
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:-2]))
    capsys.readouterr()
    assert sweep(path, out) == 0
    assert "2 new rows, 4 already done" in capsys.readouterr().err
    again = read_rows(out)
    assert sorted((r["SR"], r["array"]) for r in again) == sorted((r["SR"], r["array"])
                                                                  for r in rows)


def test_pareto_with_max_top5_leaves_out_rows_without_accuracy(tmp_path, capsys):
    path = write(tmp_path, SR_X_ARRAY)
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 0
    capsys.readouterr()
    assert main(["pareto", str(out), "--objectives", "energy_total,max:top5",
                 "--format", "csv"]) == 0
    captured = capsys.readouterr()
    # the two SR 0.75 rows have no top5
    assert "note: 2 of 6 rows have no top5 value and are left out of the front" in captured.err
    lines = captured.out.splitlines()
    columns = lines[0].split(",")
    front = [dict(zip(columns, line.split(","))) for line in lines[1:]]
    assert {r["SR"] for r in front} <= {"0.25", "0.5"}
    # SR 0.25 does half the MACs of SR 0.5 (so less energy) and SR 0.5 has the better top5
    # (80 > 75): neither dominates the other. Within an SR, the cheapest machine is on the
    # front (machines of equal energy tie and are all kept).
    rows = read_rows(out)
    cheapest = {sr: min(r["energy_total"] for r in rows if r["SR"] == sr) for sr in (0.25, 0.5)}
    assert cheapest[0.25] < cheapest[0.5]
    expected = {r["config_key"] for r in rows
                if r["SR"] in cheapest and r["energy_total"] == cheapest[r["SR"]]}
    assert {r["config_key"] for r in front} == expected


def test_input_size_axis_scales_the_macs(tmp_path):
    path = write(tmp_path, [{"name": "res", "path": "network.input_size", "values": [4, 8]}])
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 0
    rows = {r["res"]: r for r in read_rows(out)}
    # SR 0.5, s = 4: 300 weights applied at every output: 4 x 4 and 8 x 8 positions
    assert rows[4]["total_macs"] == 300 * 16 and rows[8]["total_macs"] == 300 * 64
    assert rows[4]["param_count"] == rows[8]["param_count"] == 300
    # the accuracy table's points are at the file's 8 x 8: none at 4 x 4
    assert rows[8]["top5"] == 80.0 and rows[4]["top5"] is None


def test_config_key_of_accelerator_only_sweeps_is_the_machine_alone(tmp_path):
    spec = load_sweep(write(tmp_path, [{"path": "pe_array.rows", "values": [8]}]))
    (config,) = spec.configs()
    data = yaml.safe_load(SMALL_ACCELERATOR)
    data["pe_array"]["rows"] = 8
    assert config.key == config_key(data) and config.network_overrides == ()
    spec = load_sweep(write(tmp_path, [{"path": "pe_array.rows", "values": [8]},
                                       {"path": "network.params.SR", "values": [0.5]}]))
    (config,) = spec.configs()
    assert config.key == config_key({"accelerator": data,
                                     "network": {"network.params.SR": 0.5}})
    assert config.network_params == {"SR": 0.5} and config.overrides == (("pe_array.rows", 8),)


def test_an_undeclared_parameter_is_bad_input_before_any_work(tmp_path, capsys):
    path = write(tmp_path, [{"name": "sr", "path": "network.params.sr", "values": [0.25]}])
    with pytest.raises(InputError) as info:
        preflight(load_sweep(path))
    text = str(info.value)
    assert "s.yaml: axis 'sr': fam.yaml: cannot override: not a parameter of this network" \
        in text
    assert "did you mean 'SR'?" in text and "declared: SR, e" in text
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 2
    err = capsys.readouterr().err
    assert "axis 'sr'" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("axis, message", [
    ({"path": "network.width", "values": [1]},
     "axes[0].path: 'network.width': a network axis sets 'network.params.NAME'"),
    ({"path": ["network.params.SR", "pe_array.rows"], "values": [1]},
     "axes[0].path: an axis sets either the network"),
    ({"path": "network.input_size", "values": [0]}, "axes[0].values[0]:"),
])
def test_malformed_network_axes(tmp_path, axis, message):
    with pytest.raises(InputError) as info:
        load_sweep(write(tmp_path, [axis]))
    assert message in str(info.value)


def test_sqnxt23_width_x_array_on_the_bundled_file(tmp_path, capsys):
    repo = Path(__file__).resolve().parent.parent
    spec = {"accelerator": str(repo / "accelerators" / "squeezelerator.yaml"),
            "networks": [str(repo / "networks" / "sqnxt23.yaml")],
            "axes": [{"name": "width", "path": "network.params.width", "values": [1.0, 2.0]},
                     {"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
                      "values": [8, 16]}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 0
    rows = read_rows(out)
    # README's bundled-network table (amirgholami/SqueezeNext prototxt): 1.0-SqNxt-23
    # 705,728 parameters and 277,999,808 MACs; 2.0-SqNxt-23 2,339,008 and 742,070,464
    totals = {r["width"]: (r["param_count"], r["total_macs"]) for r in rows}
    assert totals == {1.0: (705_728, 277_999_808), 2.0: (2_339_008, 742_070_464)}
    # sqnxt23.yaml publishes 82.60 top-5 at its defaults (width 1.0) and 88.17 at width 2.0
    # (SqueezeNext paper, ImageNet results table)
    assert {(r["width"], r["top5"]) for r in rows} == {(1.0, 82.6), (2.0, 88.17)}
    capsys.readouterr()
    assert sweep(path, out) == 0
    assert "0 new rows, 4 already done" in capsys.readouterr().err
    assert main(["pareto", str(out), "--objectives", "latency_ms,max:top5"]) == 0
    captured = capsys.readouterr()
    assert "have no top5 value" not in captured.err
    # per width, the faster array wins at the same accuracy; width 1.0 is faster, width 2.0
    # more accurate, so one row of each width is on the front
    assert "2 non-dominated of 4 rows" in captured.err


def test_a_value_outside_param_choices_is_bad_input_before_any_work(tmp_path, capsys):
    # fam.yaml declares SR's accepted values; the axis's second value is not one of them
    family = dict(TINY_FAMILY, param_choices={"SR": [0.25, 0.5]})
    path = write(tmp_path, [{"name": "SR", "path": "network.params.SR", "values": [0.25, 0.75]}])
    (tmp_path / "fam.yaml").write_text(yaml.safe_dump(family, sort_keys=False))
    with pytest.raises(InputError) as info:
        preflight(load_sweep(path))
    assert "s.yaml: axis 'SR': fam.yaml: override 0.75 is not one of 0.25, 0.5" in str(info.value)
    out = tmp_path / "r.csv"
    assert sweep(path, out) == 2
    assert "Traceback" not in capsys.readouterr().err and not out.exists()
