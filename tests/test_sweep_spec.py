"""Sweep descriptions: parsing, checking, grid and random expansion, configuration keys."""

from __future__ import annotations

import pytest
import yaml
from sweep_fixtures import ACCELERATOR, write_files

from hwsim.errors import InputError
from hwsim.sweep.spec import apply_overrides, config_key, load_sweep, split_path

SQUARE = {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16, 32]}
RF = {"path": "pe_array.rf_entries", "values": [8, 16]}
GLB = {"name": "glb_kib", "path": "glb.size_kib", "range": {"from": 64, "to": 512, "times": 2}}
DATAFLOW = {"path": "dataflow", "values": ["ws", "os", "hybrid"]}


def test_grid_counts_every_combination(tmp_path):
    spec = load_sweep(write_files(tmp_path, [SQUARE, RF, GLB, DATAFLOW]))
    configs = list(spec.configs())
    assert spec.grid_size == 3 * 2 * 4 * 3
    assert len(configs) == 3 * 2 * 4 * 3
    assert spec.axis_names == ("array", "pe_array.rf_entries", "glb_kib", "dataflow")
    # every combination exactly once, and every configuration a different machine
    assert len({c.values for c in configs}) == 72
    assert len({c.key for c in configs}) == 72


def test_grid_order_is_mixed_radix_last_axis_fastest(tmp_path):
    spec = load_sweep(write_files(tmp_path, [SQUARE, RF, GLB, DATAFLOW]))
    assert dict(spec.config_at(0).values) == {"array": 8, "pe_array.rf_entries": 8,
                                              "glb_kib": 64, "dataflow": "ws"}
    assert dict(spec.config_at(1).values)["dataflow"] == "os"
    assert dict(spec.config_at(3).values)["glb_kib"] == 128
    # index = ((array * 2 + rf) * 4 + glb) * 3 + dataflow: 32, 16, 256, hybrid
    index = ((2 * 2 + 1) * 4 + 2) * 3 + 2
    assert dict(spec.config_at(index).values) == {"array": 32, "pe_array.rf_entries": 16,
                                                  "glb_kib": 256, "dataflow": "hybrid"}
    with pytest.raises(IndexError):
        spec.config_at(72)


def test_linked_paths_move_together(tmp_path):
    spec = load_sweep(write_files(tmp_path, [SQUARE]))
    for config in spec.configs():
        overrides = dict(config.overrides)
        assert overrides["pe_array.rows"] == overrides["pe_array.cols"] == \
            dict(config.values)["array"]


def test_zip_group_pairs_values_instead_of_crossing(tmp_path):
    axes = [{"zip": [{"name": "glb_kib", "path": "glb.size_kib", "values": [64, 128, 256]},
                     {"name": "bw", "path": "dram.bandwidth_gb_per_s", "values": [8, 16, 32]}]},
            RF]
    spec = load_sweep(write_files(tmp_path, axes))
    assert spec.config_count == 3 * 2
    pairs = {(dict(c.values)["glb_kib"], dict(c.values)["bw"]) for c in spec.configs()}
    assert pairs == {(64, 8), (128, 16), (256, 32)}


def test_zip_members_may_repeat_values_but_not_whole_points(tmp_path):
    ok = [{"zip": [{"path": "dataflow", "values": ["ws", "os", "ws"]},
                   {"path": "glb.size_kib", "values": [64, 64, 128]}]}]
    assert load_sweep(write_files(tmp_path, ok)).config_count == 3
    twice = [{"zip": [{"path": "dataflow", "values": ["ws", "os", "ws"]},
                      {"path": "glb.size_kib", "values": [64, 64, 64]}]}]
    assert "axes[0].zip: a combination of values is listed twice" in _problems(tmp_path, twice)


def test_ranges_include_their_end(tmp_path):
    axes = [{"path": "pe_array.rows", "range": {"from": 8, "to": 32, "step": 8}},
            {"path": "glb.size_kib", "range": {"from": 64, "to": 512, "times": 2}}]
    spec = load_sweep(write_files(tmp_path, axes))
    assert spec.axes[0].values == (8, 16, 24, 32)
    assert spec.axes[1].values == (64, 128, 256, 512)


def test_random_samples_are_distinct_reproducible_and_seed_dependent(tmp_path):
    def sample(seed, samples=10):
        path = write_files(tmp_path, [SQUARE, RF, GLB, DATAFLOW],
                           extra={"mode": "random", "samples": samples, "seed": seed})
        return [c.values for c in load_sweep(path).configs()]

    first = sample(7)
    assert len(first) == 10 and len(set(first)) == 10
    assert sample(7) == first
    assert sample(8) != first
    # more samples than points: the whole grid, once each
    assert len(set(sample(7, samples=1000))) == 72


def test_random_sampling_never_lists_a_huge_space(tmp_path):
    axes = [{"path": "pe_array.rows", "range": {"from": 1, "to": 1000, "step": 1}},
            {"path": "pe_array.cols", "range": {"from": 1, "to": 1000, "step": 1}},
            {"path": "pe_array.rf_entries", "range": {"from": 1, "to": 1000, "step": 1}},
            {"path": "glb.size_kib", "range": {"from": 1, "to": 1000, "step": 1}},
            {"path": "dram.bandwidth_gb_per_s", "range": {"from": 1, "to": 1000, "step": 1}}]
    spec = load_sweep(write_files(tmp_path, axes, extra={"mode": "random", "samples": 5}))
    assert spec.grid_size == 1000 ** 5
    assert len({c.key for c in spec.configs()}) == 5


def test_key_depends_on_the_machine_not_on_the_sweep_file(tmp_path):
    base = dict(ACCELERATOR)
    # setting a parameter to the value it already has gives the base machine's key
    same = apply_overrides(base, [("pe_array.rows", 16)])
    assert config_key(same) == config_key(base)
    assert config_key(apply_overrides(base, [("pe_array.rows", 8)])) != config_key(base)
    assert config_key(apply_overrides(base, [("dataflow", "ws")])) != \
        config_key(apply_overrides(base, [("dataflow", "os")]))
    # key order in the file, and 128 written as 128.0, do not matter
    assert config_key(dict(reversed(list(base.items())))) == config_key(base)
    assert config_key(apply_overrides(base, [("glb.size_kib", 128.0)])) == config_key(base)
    # the same point named differently in two sweep files has the same key
    a = load_sweep(write_files(tmp_path, [SQUARE], sweep_dir="one"))
    renamed = dict(SQUARE, name="n")
    b = load_sweep(write_files(tmp_path, [renamed], sweep_dir="two"))
    assert [c.key for c in a.configs()] == [c.key for c in b.configs()]


def test_paths_resolve_against_the_sweep_file_not_the_working_directory(tmp_path, monkeypatch):
    path = write_files(tmp_path, [RF])
    monkeypatch.chdir(tmp_path / "networks")
    spec = load_sweep(path)
    assert spec.accelerator_file == str((tmp_path / "accelerators" / "toy.yaml").resolve())
    assert [n.label for n in spec.networks] == ["a", "b"]


def test_split_path():
    assert split_path("buffers.glb.size_kib") == ["buffers", "glb", "size_kib"]
    assert split_path("levels[1].size_kib") == ["levels", 1, "size_kib"]
    with pytest.raises(ValueError):
        split_path("pe_array..rows")


def _problems(tmp_path, axes, **extra) -> str:
    with pytest.raises(InputError) as info:
        load_sweep(write_files(tmp_path, axes, extra=extra))
    return str(info.value)


def test_a_path_through_a_value_is_rejected(tmp_path):
    text = _problems(tmp_path, [{"path": "glb.size_kib.half", "values": [8]}])
    assert ("s.yaml: axes[0].path: glb.size_kib is the value 128, not a mapping: cannot set "
            "'half' in it (in toy.yaml)") in text


def test_a_key_the_base_file_leaves_out_can_be_set(tmp_path):
    # the base relies on defaults for 'sparsity'; the sweep sets it (the accelerator loader,
    # not the sweep file, decides whether such a key exists)
    spec = load_sweep(write_files(tmp_path, [{"path": "sparsity.zero_weight_fraction",
                                              "values": [0.0, 0.4]}]))
    config = spec.config_at(1)
    assert apply_overrides(spec.accelerator_data, config.overrides)["sparsity"] == \
        {"zero_weight_fraction": 0.4}
    assert "sparsity" not in spec.accelerator_data


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    axes = [{"path": "glb.size_kib", "values": []},
            {"zip": [{"path": "pe_array.rows", "values": [8, 16]},
                     {"path": "pe_array.cols", "values": [8]}]},
            {"path": "pe_array.rf_entries", "values": [8, 8]},
            {"name": "network", "path": "dram.bandwidth_gb_per_s", "values": [1]}]
    text = _problems(tmp_path, axes, mode="random", colour="red")
    assert "axes[0].values: expected a non-empty list" in text
    assert "axes[1].zip: the axes of a zip group must have the same number of values" in text
    assert "axes[2].values: a value is listed twice" in text
    assert "axes[3].name: 'network' is a column of the results already" in text
    assert "samples: missing: mode 'random' needs the number of samples" in text
    assert "colour: unknown key" in text


def test_an_axis_setting_a_path_twice_is_rejected(tmp_path):
    text = _problems(tmp_path, [SQUARE, {"path": "pe_array.cols", "values": [4]}])
    assert "key path 'pe_array.cols' is set by two axes" in text


def test_missing_network_file(tmp_path):
    path = write_files(tmp_path, [RF])
    data = yaml.safe_load(path.read_text())
    data["networks"].append("../networks/nope.yaml")
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        load_sweep(path)
    assert "s.yaml: networks[2].file: file not found: ../networks/nope.yaml" in str(info.value)
