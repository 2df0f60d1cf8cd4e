"""The sweep on the real model: the accelerator loader judges each combination, the
pipeline simulates it; the bundled sweep file loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_fixtures import write_real_sweep

from hwsim.cli.main import main
from hwsim.errors import InputError
from hwsim.hardware.area import PE_65NM_MM2, SRAM_65NM_MM2_PER_KIB
from hwsim.sweep.evaluate import area_buffer_bytes, build_accelerator, evaluate_task, preflight
from hwsim.sweep.results import errors_path, read_rows
from hwsim.sweep.runner import plan
from hwsim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, axes: list) -> Path:
    return write_real_sweep(tmp_path, axes)


def tasks(path: Path):
    spec = load_sweep(path)
    return plan(spec, "analytic", set())[0]


def test_a_misspelt_key_is_caught_before_the_sweep_starts(tmp_path):
    spec = load_sweep(write(tmp_path, [{"path": "pe_array.row", "values": [8]},
                                       {"path": "bufer.global_kib", "values": [64]}]))
    with pytest.raises(InputError) as info:
        preflight(spec)
    text = str(info.value)
    assert "s.yaml: axis 'pe_array.row': pe_array.row: unknown key (did you mean 'rows'?)" in text
    assert "s.yaml: axis 'bufer.global_kib': bufer: unknown key (did you mean 'buffer'?)" in text


def test_invalid_combinations_become_invalid_outcomes_naming_the_sweep(tmp_path):
    # 'is' is a dataflow of systolic arrays only; a zero-row array is no array
    path = write(tmp_path, [{"path": "dataflow", "values": ["ws", "is"]},
                            {"path": "pe_array.rows", "values": [0, 8]}])
    by_values = {t.config.values: t for t in tasks(path)}
    with pytest.raises(InputError) as info:
        build_accelerator(by_values[(("dataflow", "is"), ("pe_array.rows", 8))])
    assert "s.yaml (dataflow=is, pe_array.rows=8): dataflow: expected one of ws, os, hybrid" \
        in str(info.value)
    with pytest.raises(InputError, match="pe_array.rows: must be at least 1, got 0"):
        build_accelerator(by_values[(("dataflow", "ws"), ("pe_array.rows", 0))])
    (outcome,) = evaluate_task(by_values[(("dataflow", "is"), ("pe_array.rows", 8))])
    assert outcome.kind == "invalid" and outcome.network == "tiny"


def test_overrides_reach_the_machine(tmp_path):
    path = write(tmp_path, [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
                             "values": [8, 32]},
                            {"path": "buffer.global_kib", "values": [256]}])
    machines = [build_accelerator(t) for t in tasks(path)]
    assert [(m.pe_array.rows, m.pe_array.cols, m.buffer.global_kib) for m in machines] == \
        [(8, 8, 256), (32, 32, 256)]


def test_area_proxy_by_hand(tmp_path):
    (task,) = tasks(write(tmp_path, [{"path": "pe_array.rf_entries_per_pe", "values": [16]}]))
    machine = build_accelerator(task)
    # global 128 + preload 8 + broadcast 8 KiB, and 16 x 16 PEs x 16 registers x 2 bytes
    assert area_buffer_bytes(machine) == (128 + 8 + 8) * 1024 + 16 * 16 * 16 * 2


def test_the_bundled_sweep_describes_72_configurations_over_six_networks():
    spec = load_sweep(REPO / "sweeps" / "array_rf_glb.yaml")
    assert spec.config_count == 3 * 2 * 4 * 3
    assert [n.label for n in spec.networks] == ["squeezenet_v1.0", "sqnxt23", "sqnxt23v2",
                                                "sqnxt23v3", "sqnxt23v4", "sqnxt23v5"]
    preflight(spec)


def test_sweep_command_end_to_end(tmp_path, capsys):
    # 2 arrays x 3 settings of (dataflow, buffer): ws/128 KiB runs; 'is' is not a dataflow of
    # the broadcast array; 0.01 KiB holds no tile of conv1 -> 2 rows, 4 skipped
    path = write(tmp_path, [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
                             "values": [8, 16]},
                            {"zip": [{"path": "dataflow", "values": ["ws", "is", "ws"]},
                                     {"name": "glb_kib", "path": "buffer.global_kib",
                                      "values": [128, 128, 0.01]}]}])
    out = tmp_path / "r.csv"
    assert main(["sweep", str(path), "--out", str(out), "-j", "1", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "skipped (array=8, dataflow=is, glb_kib=128) on tiny: [invalid]" in err
    assert "no tile fits the global buffer" in err
    rows = read_rows(out)
    assert sorted(r["array"] for r in rows) == [8, 16]
    # conv1: 8 x 16 x 16 outputs x 3 x 3 x 3; conv2: 16 x 16 x 16 x 8
    assert {r["total_macs"] for r in rows} == {8 * 16 * 16 * 3 * 3 * 3 + 16 * 16 * 16 * 8}
    assert {r["area_pes"] for r in rows} == {8 * 8, 16 * 16}
    # mm^2 beside the proxy: PEs and KiB at the 65 nm coefficients (checked in test_area.py)
    assert all(r["area_mm2"] == pytest.approx(r["area_pes"] * PE_65NM_MM2 + r["area_buffer_bytes"]
                                              / 1024 * SRAM_65NM_MM2_PER_KIB) for r in rows)
    assert all(r["latency_ms"] == pytest.approx(r["total_cycles"] / 1000 / 1000) for r in rows)
    assert all(r["energy_total"] == pytest.approx(sum(r[f"energy_{c}"] for c in
                                                      ("mac", "rf", "array", "glb", "dram",
                                                       "leakage"))) for r in rows)
    errors = read_rows(errors_path(out))
    assert len(errors) == 4 and {e["kind"] for e in errors} == {"invalid"}
    # a second run finds everything done, the invalid combinations included
    assert main(["sweep", str(path), "--out", str(out), "-j", "1", "--no-progress"]) == 0
    assert "0 new rows, 6 already done" in capsys.readouterr().err


def test_sweep_rows_equal_a_direct_simulation(tmp_path):
    import hwsim

    path = write(tmp_path, [{"path": "dataflow", "values": ["os"]}])
    (task,) = tasks(path)
    (outcome,) = evaluate_task(task)
    direct = hwsim.simulate(hwsim.load_network(tmp_path / "tiny.yaml"),
                            hwsim.load_accelerator(tmp_path / "small.yaml"), dataflow="os")
    assert outcome.metrics["total_cycles"] == direct.total_cycles
    assert outcome.metrics["energy_total"] == direct.energy.total


def test_sweep_command_dry_run_and_bad_spec(tmp_path, capsys):
    path = write(tmp_path, [{"path": "pe_array.rows", "values": [8, 16]}])
    assert main(["sweep", str(path), "--out", str(tmp_path / "r.csv"), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "config_key,pe_array.rows"
    assert [line.split(",")[1] for line in out[1:]] == ["8", "16"]
    assert not (tmp_path / "r.csv").exists()
    bad = write(tmp_path, [{"path": "pe_array.rows", "values": "8"}])
    assert main(["sweep", str(bad), "--out", str(tmp_path / "r.csv")]) == 2
    assert "s.yaml: axes[0].values: expected a non-empty list" in capsys.readouterr().err


def test_event_engine_rows(tmp_path):
    from hwsim.sweep.runner import run_sweep

    path = write(tmp_path, [{"path": "dataflow", "values": ["ws", "os"]}])
    spec = load_sweep(path)
    out = tmp_path / "r.csv"
    run_sweep(spec, out, engine="analytic", jobs=1)
    run_sweep(spec, out, engine="event", jobs=1)
    rows = read_rows(out)
    assert sorted((r["dataflow"], r["engine"]) for r in rows) == [
        ("os", "analytic"), ("os", "event"), ("ws", "analytic"), ("ws", "event")]
    # the engines schedule the same work: MACs and DRAM traffic agree
    for dataflow in ("ws", "os"):
        pair = [r for r in rows if r["dataflow"] == dataflow]
        assert pair[0]["total_macs"] == pair[1]["total_macs"] == 8 * 16 * 16 * 27 + 16 * 16 * 16 * 8
        assert pair[0]["dram_bytes"] == pair[1]["dram_bytes"]
