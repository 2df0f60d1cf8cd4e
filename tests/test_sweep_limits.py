"""Issue 15, sweeps: what a sweep file may ask for is bounded, result CSVs that would change a
Pareto front silently are refused naming the line and column, and concurrent, killed or
disk-full sweeps lose and duplicate nothing."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sweep_fixtures import write_real_sweep

from hwsim.cli.main import main
from hwsim.sweep.results import ID_COLUMNS, results_header
from hwsim.sweep.runner import ResultsLock
from hwsim.sweep.spec import MAX_CONFIGS

ROOT = Path(__file__).resolve().parents[1]
ARRAY_AXIS = {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16]}


def sweep(capsys, spec: Path, out: Path, *extra: str) -> tuple[int, str]:
    status = main(["sweep", str(spec), "--out", str(out), "-j", "1", "--no-progress", *extra])
    return status, capsys.readouterr().err


def hwsim_process(*argv: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "hwsim", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def identities(path: Path) -> list[tuple[str, ...]]:
    with open(path, newline="") as handle:
        return [tuple(row[c] for c in ID_COLUMNS) for row in csv.DictReader(handle)]


# --- what a sweep file may ask for -------------------------------------------------------------

def test_a_network_file_as_the_accelerator_is_rejected_before_running(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    data = yaml.safe_load(spec.read_text())
    data["accelerator"] = "tiny.yaml"
    spec.write_text(yaml.safe_dump(data))
    out = tmp_path / "r.csv"
    status, err = sweep(capsys, spec, out)
    assert status == 2 and "Traceback" not in err
    assert f"{spec}: accelerator: tiny.yaml is a network file, not an accelerator file (it has " \
           "input, layers)" in err
    assert not out.exists()  # nothing ran


def test_random_samples_are_bounded(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    data = yaml.safe_load(spec.read_text())
    data.update(mode="random", samples=1_000_000_000)
    spec.write_text(yaml.safe_dump(data))
    status, err = sweep(capsys, spec, tmp_path / "r.csv")
    assert status == 2 and "Traceback" not in err
    assert f"samples: must be at most {MAX_CONFIGS:,}, got 1000000000 (range: 1 to " \
           f"{MAX_CONFIGS:,})" in err


def twelve_axes() -> list[dict]:
    # 12 axes x 1,000 values: 10**36 configurations (the example)
    paths = ["layer_setup_cycles", "dram.latency_cycles", *(
        f"energy.{k}" for k in ("mac", "rf_access", "inter_pe", "glb_access", "dram_word",
                                "vector_op", "leakage_per_cycle")),
        "buffer.input_words_per_cycle", "buffer.weight_words_per_cycle",
        "buffer.output_words_per_cycle"]
    return [{"path": p, "range": {"from": 1, "to": 1000, "step": 1}} for p in paths]


def test_a_grid_too_large_to_finish_is_rejected_with_its_size(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, twelve_axes())
    started = time.perf_counter()
    status, err = sweep(capsys, spec, tmp_path / "r.csv")
    assert status == 2 and "Traceback" not in err
    assert f"axes: the grid has about 10^36 configurations, more than the {MAX_CONFIGS:,}" in err
    assert time.perf_counter() - started < 10


def test_random_samples_of_a_huge_grid_are_drawn_without_listing_it(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, twelve_axes())
    data = yaml.safe_load(spec.read_text())
    data.update(mode="random", samples=3, seed=1)
    spec.write_text(yaml.safe_dump(data))
    status = main(["sweep", str(spec), "--out", str(tmp_path / "r.csv"), "--dry-run"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert len(out.splitlines()) == 1 + 3  # header + the 3 samples
    assert "3 configurations (of 1000000000000000000000000000000000000 grid points)" in err


# --- result CSVs that would change a Pareto front silently ------------------------------------

def results_file(tmp_path: Path, latencies: list[str], *, header: list[str] | None = None,
                 repeat_first: bool = False) -> Path:
    """A hand-written results file: one configuration per latency, on network 'tiny'."""
    header = header or results_header(["array"])
    lines = [",".join(header)]
    for i, latency in enumerate(latencies):
        row = dict.fromkeys(header, "")
        row.update(config_key=f"k{i}", network="tiny", engine="analytic", array=8 * (i + 1),
                   latency_ms=latency, energy_total=10.0 + i, area_pes=64, energy_unit="mac",
                   hwsim_version="0.1.0")
        lines.append(",".join(str(row[c]) for c in header))
    if repeat_first:
        lines.append(lines[1])
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("bad, fragment", [
    ("nan", "is nan, not a finite number"),
    ("", "is empty"),
    ("-1", "is negative (-1)"),
    ("inf", "is inf, not a finite number"),
])
def test_a_bad_objective_value_names_its_line_and_column(tmp_path, capsys, bad, fragment):
    # line 1 is the header: the bad latency of the third configuration is on line 4
    path = results_file(tmp_path, ["4.0", "2.0", bad])
    for argv in (["pareto", str(path), "--objectives", "latency_ms,energy_total"],
                 ["plot", "sweep", str(path), "--out", str(tmp_path / "p.png")]):
        status = main(argv)
        err = capsys.readouterr().err
        assert status == 2 and "Traceback" not in err, err
        assert f"{path}: line 4, column 'latency_ms': {fragment}" in err
    assert not (tmp_path / "p.png").exists()


def test_a_duplicated_column_is_refused(tmp_path, capsys):
    header = results_header(["array"]) + ["latency_ms"]
    path = results_file(tmp_path, ["4.0", "2.0"], header=header)
    assert main(["pareto", str(path)]) == 2
    assert f"{path}: line 1: column 'latency_ms' appears twice (columns " \
           in capsys.readouterr().err


def test_duplicated_rows_are_refused_naming_both_lines(tmp_path, capsys):
    path = results_file(tmp_path, ["4.0", "2.0"], repeat_first=True)
    assert main(["pareto", str(path), "--aggregate", "sum"]) == 2
    assert f"{path}: line 4: repeats the row of line 2 (same config_key, network, engine)" \
           in capsys.readouterr().err


# --- the sweep's --out -------------------------------------------------------------------------

def test_sweep_out_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "r.csv"
    link.symlink_to(target)
    status, err = sweep(capsys, spec, link)
    assert status == 2
    assert f"{link}: is a symbolic link; give the real file ({target})" in err
    assert target.read_text() == "keep me\n" and link.is_symlink()


def test_sweep_out_that_is_a_fifo_is_refused(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    fifo = tmp_path / "r.csv"
    os.mkfifo(fifo)
    status, err = sweep(capsys, spec, fifo)
    assert status == 2
    assert f"{fifo}: is not a regular file (a FIFO, device or socket)" in err


def test_a_second_sweep_on_a_locked_out_says_who_holds_it(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    out = tmp_path / "r.csv"
    with ResultsLock(out):  # this process plays the first sweep
        status, err = sweep(capsys, spec, out)
    assert status == 2 and "Traceback" not in err
    assert f"{out}: is being written by another sweep (process {os.getpid()} on " in err
    assert not out.exists()
    assert sweep(capsys, spec, out)[0] == 0  # released: the sweep runs
    assert len(identities(out)) == 2 and not (tmp_path / "r.csv.lock").exists()


def test_resume_drops_repeated_rows(tmp_path, capsys):
    spec = write_real_sweep(tmp_path, [ARRAY_AXIS])
    out = tmp_path / "r.csv"
    assert sweep(capsys, spec, out)[0] == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines + lines[1:]))  # both rows again, as two runs left them
    status, err = sweep(capsys, spec, out)
    assert status == 0, err
    assert "2 repeated rows dropped" in err
    assert sorted(identities(out)) == sorted(set(identities(out))) and len(identities(out)) == 2


def many_configs_sweep(tmp_path: Path, values: int, latencies: int = 0) -> Path:
    """A sweep of ``values`` (x ``latencies``) configurations of the real model on a tiny
    network."""
    axes = [{"name": "setup", "path": "layer_setup_cycles",
             "range": {"from": 0, "to": values - 1, "step": 1}}]
    if latencies:
        axes.append({"name": "latency", "path": "dram.latency_cycles",
                     "range": {"from": 0, "to": latencies - 1, "step": 1}})
    return write_real_sweep(tmp_path, axes)


def test_two_sweeps_on_one_out_give_one_error_and_no_duplicated_row(tmp_path):
    spec = many_configs_sweep(tmp_path, 400)
    out = tmp_path / "r.csv"
    argv = ("sweep", str(spec), "--out", str(out), "-j", "1", "--no-progress")
    first, second = hwsim_process(*argv), hwsim_process(*argv)
    results = [p.communicate(timeout=120) for p in (first, second)]
    statuses = sorted(p.returncode for p in (first, second))
    errs = [err for _, err in results]
    assert statuses == [0, 2], errs
    loser = errs[[first.returncode, second.returncode].index(2)]
    assert f"{out}: is being written by another sweep (process " in loser
    ids = identities(out)
    assert len(ids) == len(set(ids)) == 400


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_sigkilled_sweep_leaves_no_worker_behind(tmp_path):
    spec = many_configs_sweep(tmp_path, 200, 100)  # 20,000 configurations: minutes of work
    sweep_process = hwsim_process("sweep", str(spec), "--out", str(tmp_path / "r.csv"), "-j",
                                  "2", "--no-progress")
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline and sweep_process.poll() is None:
            workers = _children(sweep_process.pid)
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool workers did not start"
        sweep_process.send_signal(signal.SIGKILL)
        sweep_process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
    finally:
        for pid in workers:  # only the workers this test started, if the test failed
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if sweep_process.poll() is None:
            sweep_process.kill()
        sweep_process.communicate()


def test_a_full_disk_stops_the_sweep_cleanly_and_keeps_the_finished_rows(tmp_path):
    spec = many_configs_sweep(tmp_path, 40)
    out = tmp_path / "r.csv"
    header = ",".join(results_header(["setup"])) + "\n"
    limit = len(header) + 2000  # about 8 rows fit

    def small_disk() -> None:  # in the child: files may not grow past the limit
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    argv = ("sweep", str(spec), "--out", str(out), "-j", "1", "--no-progress")
    full = hwsim_process(*argv, preexec_fn=small_disk)
    _, err = full.communicate(timeout=120)
    assert full.returncode == 1, err
    assert "Traceback" not in err
    assert f"hwsim: error: {out}: cannot write a row: File too large; the rows finished so far " \
           "are saved: make room and rerun the same command to resume" in err
    text = out.read_text()
    complete = text[: text.rfind("\n") + 1]  # a last line cut by the full disk is no row
    (tmp_path / "complete.csv").write_text(complete)
    kept = identities(tmp_path / "complete.csv")
    assert complete.startswith(header) and 0 < len(kept) < 40
    rerun = hwsim_process(*argv)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    ids = identities(out)
    assert len(ids) == len(set(ids)) == 40 and set(kept) <= set(ids)
