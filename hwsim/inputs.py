"""Reading a network file by its suffix: the one place that chooses the reader.

``.onnx`` files go to the ONNX importer (an optional extra: ``pip install -e '.[onnx]'``),
everything else to the network YAML format (``hwsim.config.network_file``). This module
sits above both ``hwsim.config`` and ``hwsim.importers`` so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwsim import bundled
from hwsim.config.network_file import read_network_file
from hwsim.errors import InputError
from hwsim.workload.network import Network

ONNX_SUFFIXES = (".onnx",)


def is_onnx(path: str | Path) -> bool:
    """Whether ``path`` is read by the ONNX importer (by its suffix, case-insensitively)."""
    return Path(path).suffix.lower() in ONNX_SUFFIXES


def load_network(path: str | Path, input_size: Any = None, *,
                 params: Mapping[str, Any] | None = None) -> Network:
    """Read a network file, YAML or ONNX (by suffix); InputError on bad input.

    ``input_size`` overrides the file's input height and width (N or (H, W) or 'HxW');
    ``params`` overrides the values of the file's declared ``params`` (YAML only: an ONNX
    file declares none, so any override is an InputError).
    A bare name (``sqnxt23v5``) that is not a file is a bundled network
    (:mod:`hwsim.bundled`).
    """
    path = bundled.resolve("networks", path)
    if is_onnx(path):
        if params:
            raise InputError(f"cannot override params ({', '.join(sorted(params))}): an ONNX "
                             "file declares no params", file=path)
        # onnx is a heavy optional dependency: imported only when an ONNX file is read
        from hwsim.importers.onnx import load_onnx_network

        return load_onnx_network(Path(path), input_size=input_size)
    return read_network_file(path, input_size=input_size, params=params)


__all__ = ["load_network", "is_onnx", "ONNX_SUFFIXES"]
