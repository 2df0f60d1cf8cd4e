"""Accelerator records and the accelerator YAML loader: values, base chains, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.cli.main import main
from hwsim.config.accelerator_file import load_accelerator
from hwsim.errors import InputError
from hwsim.hardware import Accelerator, Buffer, Dram, EnergyTable, PEArray, Sparsity

REPO = Path(__file__).resolve().parent.parent
ACCELERATORS = REPO / "accelerators"
BROADCAST_FILES = ["ws_32x32", "os_32x32", "ws_16x16", "os_16x16", "squeezelerator",
                   "squeezelerator_rf8"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- records --------------------------------------------------------------------------

def test_derived_quantities_of_the_default_machine():
    acc = Accelerator()
    assert acc.word_bytes == 16 // 8
    assert acc.dram_bytes_per_cycle == 16e9 / 1000e6          # 16 GB/s at 1 GHz
    assert acc.buffer.tile_budget_bytes == 512 * 1024 // 2     # double-buffered halves
    assert acc.pes == 16 * 16


def test_bandwidth_per_cycle_follows_the_clock():
    acc = Accelerator(clock_mhz=800.0, dram=Dram(bandwidth_gb_per_s=16.0))
    assert acc.dram_bytes_per_cycle == pytest.approx(16e9 / 800e6)


def test_single_buffering_gives_the_whole_buffer_to_a_tile():
    assert Buffer(global_kib=128, double_buffering=False).tile_budget_bytes == 128 * 1024


def test_sparsity_density_only_in_the_dataflows_that_skip():
    s = Sparsity(zero_weight_fraction=0.4, skip_zero_weights_in=("os",))
    assert s.density("os") == pytest.approx(1 - 0.4)
    assert s.density("ws") == 1.0


@pytest.mark.parametrize("make", [
    lambda: PEArray(rows=0),
    lambda: PEArray(rows=16, cols=16, rf_entries_per_pe=1.5),
    lambda: Buffer(global_kib=-1),
    lambda: Dram(bandwidth_gb_per_s=0),
    lambda: Sparsity(zero_weight_fraction=1.0),
    lambda: EnergyTable(unit="joule"),
    lambda: EnergyTable(dram_word=-1),
    lambda: Accelerator(dataflow="is"),                      # 'is' exists on systolic only
    lambda: Accelerator(data_width_bits=12),
    lambda: Accelerator(sparsity=Sparsity(0.4, ("is",))),
])
def test_invalid_records_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_systolic_arrays_accept_input_stationary():
    acc = Accelerator(microarchitecture="systolic", dataflow="is")
    assert acc.dataflows == ("ws", "os", "is")


def test_with_changes_replaces_nested_fields_and_keeps_the_rest():
    acc = Accelerator()
    bigger = acc.with_changes(**{"pe_array.rows": 32, "buffer.global_kib": 128, "dataflow": "os"})
    assert (bigger.pe_array.rows, bigger.pe_array.cols) == (32, 16)
    assert bigger.buffer.global_kib == 128 and bigger.buffer.double_buffering
    assert bigger.dataflow == "os" and acc.dataflow == "ws"


# --- bundled files ----------------------------------------------------------------------

@pytest.mark.parametrize("name", BROADCAST_FILES)
def test_every_bundled_study_design_loads(name):
    acc = load_accelerator(ACCELERATORS / f"{name}.yaml")
    assert acc.name == name
    assert acc.microarchitecture == "broadcast"
    # stated by the papers for every design
    assert acc.data_width_bits == 16
    assert acc.dram.bandwidth_gb_per_s == 16 and acc.dram.latency_cycles == 100
    assert acc.sparsity.zero_weight_fraction == pytest.approx(0.4)
    assert acc.energy.unit == "mac"
    assert (acc.energy.mac, acc.energy.rf_access, acc.energy.inter_pe, acc.energy.glb_access,
            acc.energy.dram_word) == (1, 1, 2, 6, 200)


def test_reference_designs_as_the_papers_state_them():
    ws = load_accelerator(ACCELERATORS / "ws_32x32.yaml")
    os_ = load_accelerator(ACCELERATORS / "os_32x32.yaml")
    for acc in (ws, os_):
        assert (acc.pe_array.rows, acc.pe_array.cols) == (32, 32)
        assert acc.buffer.global_kib == 512 and acc.buffer.double_buffering
        assert acc.buffer.input_words_per_cycle == acc.buffer.weight_words_per_cycle == 32
    assert ws.dataflow == "ws" and ws.sparsity.skip_zero_weights_in == ()
    assert os_.dataflow == "os" and os_.pe_array.rf_entries_per_pe == 8
    assert os_.sparsity.skip_zero_weights_in == ("os",)


def test_base_chain_squeezelerator_rf8():
    # squeezelerator_rf8 -> squeezelerator -> os_16x16 -> os_32x32 -> ws_32x32
    acc = load_accelerator(ACCELERATORS / "squeezelerator_rf8.yaml")
    assert acc.dataflow == "hybrid"                       # from squeezelerator
    assert acc.buffer.global_kib == 128                   # from squeezelerator
    assert (acc.pe_array.rows, acc.pe_array.cols) == (16, 16)   # from os_16x16
    assert acc.pe_array.rf_entries_per_pe == 8            # its own
    assert acc.sparsity.skip_zero_weights_in == ("os",)   # from os_32x32
    assert acc.buffer.psum_words_per_cycle == 32          # from ws_32x32
    assert load_accelerator(ACCELERATORS / "squeezelerator.yaml").pe_array.rf_entries_per_pe == 16


def test_base_paths_resolve_against_the_yaml_file(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "base.yaml", "pe_array: {rows: 4, cols: 4}\nbuffer: {global_kib: 64}\n")
    child = write(sub, "child.yaml", "base: base.yaml\nbuffer: {double_buffering: false}\n")
    monkeypatch.chdir(tmp_path)  # not the file's directory
    acc = load_accelerator(child)
    assert acc.pe_array.rows == 4 and acc.buffer.global_kib == 64
    assert acc.buffer.double_buffering is False
    assert acc.name == "child"


# --- bad input ----------------------------------------------------------------------------

def test_unknown_key_names_file_place_and_suggestion(tmp_path):
    path = write(tmp_path, "x.yaml", "dram: {bandwidth_gbps: 16}\n")
    with pytest.raises(InputError) as err:
        load_accelerator(path)
    assert str(err.value) == (f"{path}: dram.bandwidth_gbps: unknown key "
                              "(did you mean 'bandwidth_gb_per_s'?)")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = write(tmp_path, "x.yaml", "pe_array: {rows: -2, colls: 4}\nclock_mhz: fast\n"
                                     "sparsity: {zero_weight_fraction: 1.5}\n")
    with pytest.raises(InputError) as err:
        load_accelerator(path)
    places = [p.place for p in err.value.problems]
    assert places == ["pe_array.rows", "pe_array.colls", "clock_mhz",
                      "sparsity.zero_weight_fraction"]
    text = str(err.value)
    assert "must be at least 1, got -2" in text
    assert "did you mean 'cols'?" in text
    assert "expected a number, got the string 'fast'" in text
    assert "must be a fraction in [0, 1), got 1.5" in text


def test_input_stationary_on_the_broadcast_array_explains_why(tmp_path):
    path = write(tmp_path, "x.yaml", "dataflow: is\n")
    with pytest.raises(InputError) as err:
        load_accelerator(path)
    assert "dataflow: expected one of ws, os, hybrid on a broadcast array, got 'is'" in str(err.value)
    assert "microarchitecture: systolic" in str(err.value)


def test_systolic_input_stationary_loads(tmp_path):
    path = write(tmp_path, "x.yaml", "microarchitecture: systolic\ndataflow: is\n")
    assert load_accelerator(path).dataflow == "is"


def test_skipping_in_an_unknown_dataflow_is_refused(tmp_path):
    path = write(tmp_path, "x.yaml", "sparsity: {skip_zero_weights_in: [os, hybrid]}\n")
    with pytest.raises(InputError, match="'hybrid' is not a dataflow of a broadcast array"):
        load_accelerator(path)


def test_a_problem_inherited_from_a_base_names_the_base(tmp_path):
    base = write(tmp_path, "base.yaml", "buffer: {global_kb: 64}\n")
    child = write(tmp_path, "child.yaml", "base: base.yaml\ndataflow: os\n")
    with pytest.raises(InputError) as err:
        load_accelerator(child)
    problem, = err.value.problems
    assert Path(problem.file) == base.resolve()
    assert problem.place == "buffer.global_kb"


def test_missing_and_circular_bases(tmp_path):
    missing = write(tmp_path, "a.yaml", "base: nowhere.yaml\n")
    with pytest.raises(InputError, match="base: base file 'nowhere.yaml' not found"):
        load_accelerator(missing)
    write(tmp_path, "b.yaml", "base: c.yaml\n")
    c = write(tmp_path, "c.yaml", "base: b.yaml\n")
    with pytest.raises(InputError, match="circular base"):
        load_accelerator(c)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_accelerator(tmp_path / "none.yaml")
    bad = write(tmp_path, "bad.yaml", "pe_array: {rows: 4\n")
    with pytest.raises(InputError, match="invalid YAML: line"):
        load_accelerator(bad)


def test_bad_accelerator_exits_2_through_the_cli_without_traceback(tmp_path, capsys):
    path = write(tmp_path, "x.yaml", "dram: {bandwidth_gbps: 16}\n")
    status = main(["run", str(REPO / "networks" / "squeezenet_v1.0.yaml"), "--accel", str(path)])
    captured = capsys.readouterr()
    assert status == 2
    assert "dram.bandwidth_gbps: unknown key (did you mean 'bandwidth_gb_per_s'?)" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_regression_non_finite_values_are_named_in_the_file_that_wrote_them(tmp_path):
    # A NaN used to slip past the loader and be reported against the base file by the
    # record's own check; infinities crashed the model (ZeroDivisionError, OverflowError).
    write(tmp_path, "base.yaml", "pe_array: {rows: 4, cols: 4}\n")
    path = write(tmp_path, "x.yaml", "base: base.yaml\nclock_mhz: .inf\n"
                                     "buffer: {global_kib: .nan}\n"
                                     "dram: {bandwidth_gb_per_s: .nan}\n")
    with pytest.raises(InputError) as err:
        load_accelerator(path)
    assert [(p.file, p.place) for p in err.value.problems] == [
        (str(path), "clock_mhz"), (str(path), "buffer.global_kib"),
        (str(path), "dram.bandwidth_gb_per_s")]
    assert "expected a finite number, got inf" in str(err.value)
    assert "expected a finite number, got nan" in str(err.value)
