"""Installing and finding what ships with hwsim: bundled files by name (``hwsim run
sqnxt23v5 --accel squeezelerator``), ``hwsim list``, the wheel's copy of the bundled
folders, the licence and citation files, the small-sweep default of ``-j``, and the
README's install steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hwsim import bundled
from hwsim.cli import sweep_cmd
from hwsim.cli.main import main
from hwsim.errors import InputError
from hwsim.inputs import load_network

REPO = Path(__file__).resolve().parents[1]
TINY_NET = "name: mine\ninput: [3, 8, 8]\nlayers:\n  - {name: c, type: conv, out_channels: 4, kernel: 3}\n"


def test_a_bare_name_is_the_bundled_file(capsys):
    assert bundled.resolve("networks", "sqnxt23v5") == REPO / "networks" / "sqnxt23v5.yaml"
    assert bundled.resolve("networks", "squeezenet_v1.0").name == "squeezenet_v1.0.yaml"
    assert load_network("sqnxt23v5").name == load_network(REPO / "networks/sqnxt23v5.yaml").name
    assert main(["run", "sqnxt23v5", "--accel", "squeezelerator"]) == 0
    by_name = capsys.readouterr().out
    assert main(["run", str(REPO / "networks/sqnxt23v5.yaml"), "--accel",
                 str(REPO / "accelerators/squeezelerator.yaml")]) == 0
    assert capsys.readouterr().out == by_name


def test_an_existing_file_wins_over_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sqnxt23v5").write_text(TINY_NET)
    assert load_network("sqnxt23v5").name == "mine"


def test_an_unknown_name_lists_the_bundled_ones(capsys):
    with pytest.raises(InputError) as info:
        bundled.resolve("accelerators", "squeezelerater")
    text = str(info.value)
    assert text.startswith("squeezelerater: no such file, and no bundled accelerator")
    assert "(did you mean 'squeezelerator'?)" in text and "ws_32x32" in text
    assert main(["run", "sqnxt23v9", "--accel", "squeezelerator"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'sqnxt23v5'" in err and "Traceback" not in err
    # a path keeps the reader's own message
    assert main(["info", "nowhere/x.yaml"]) == 2
    assert "nowhere/x.yaml" in capsys.readouterr().err


def test_hwsim_list_discovers_the_files(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for kind in bundled.KINDS:
        stems = sorted(p.stem for p in (REPO / kind).glob("*.yaml"))
        assert stems and f"{kind} ({len(stems)}, in " in out
        for stem in stems:
            assert f"\n  {stem} " in out, stem
    squeezelerator = yaml.safe_load((REPO / "accelerators/squeezelerator.yaml").read_text())
    first = " ".join(squeezelerator["description"].split()).split(". ")[0]
    assert first[:60] in out
    assert main(["list", "sweeps"]) == 0
    assert capsys.readouterr().out.startswith("sweeps (")


def test_the_build_copies_the_bundled_folders_into_the_package(tmp_path):
    """setup.py's build_py: what a wheel (pip wheel .) carries, found by hwsim.bundled as an
    installed package would find it."""
    lib = tmp_path / "lib"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
                   cwd=REPO, check=True, capture_output=True)
    for kind in bundled.KINDS:
        built = sorted(p.name for p in (lib / "hwsim" / "_bundled" / kind).glob("*.yaml"))
        assert built == sorted(p.name for p in (REPO / kind).glob("*.yaml"))
    code = ("import hwsim.bundled as b; print(b.bundled_dir('sweeps')); "
            "print(sorted(b.bundled_files('networks'))[0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(lib)},
                         check=True, capture_output=True, text=True).stdout.split()
    assert out == [str(lib / "hwsim" / "_bundled" / "sweeps"), "alexnet"]


def test_license_and_citation():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'license = {text = "MIT"}' in pyproject
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "hwsim developers" in text
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    assert citation["version"] in pyproject and citation["authors"]


def test_a_small_sweep_runs_in_this_process(tmp_path, monkeypatch, capsys):
    (tmp_path / "tiny.yaml").write_text(TINY_NET)
    spec = tmp_path / "s.yaml"  # 2 configurations x 1 network: 2 rows
    spec.write_text(yaml.safe_dump({
        "name": "small", "accelerator": str(REPO / "accelerators" / "ws_16x16.yaml"),
        "networks": ["tiny.yaml"],
        "axes": [{"name": "glb_kib", "path": "buffer.global_kib", "values": [64, 128]}]}))
    seen = []
    real = sweep_cmd.run_sweep

    def recording(*args, **kwargs):
        seen.append(kwargs["jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_cmd, "run_sweep", recording)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r.csv"), "--no-progress"]) == 0
    assert seen == [1] and "in this process (small sweep: -j 1)" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r2.csv"), "-j", "2",
                 "--no-progress"]) == 0
    assert seen == [1, 2]  # -j given: kept


def test_readme_quick_start_makes_a_venv_first():
    readme = (REPO / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):readme.index("## Inspecting")]
    commands = [line for line in quick.split("```bash")[1].split("```")[0].splitlines()
                if line and not line.startswith("#")]
    assert commands[0].startswith("python3 -m venv .venv && . .venv/bin/activate")
    assert "hwsim[onnx]" not in readme and "pip install -e '.[onnx]'" in readme
    assert "hwsim run sqnxt23v5 --accel squeezelerator" in quick


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):readme.index("## Inspecting")]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    command = [line for line in ci if "pytest" in line]
    assert len(command) == 1 and "\n" + command[0] + "\n" in quick
