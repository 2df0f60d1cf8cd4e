"""``hwsim import MODEL.onnx [-o NETWORK.yaml] [--input-size N|HxW] [--skip-unsupported]``.

Reads an ONNX model (optional extra: ``pip install -e '.[onnx]'``), converts it to hwsim
layers (see :mod:`hwsim.importers.onnx`) and writes a network YAML file, or prints it
to stdout without ``-o``. A one-line summary (layers, parameters, MACs) and the list of
dropped operators go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim._version import __version__
from hwsim.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "import", help="convert an ONNX model into a network YAML file",
        description="Convert an ONNX model into a readable hwsim network YAML file. Only the "
                    "graph and tensor shapes are read, never the weights.")
    parser.add_argument("model", help="ONNX model file (.onnx)")
    parser.add_argument("-o", "--output", metavar="NETWORK.yaml",
                        help="write the network YAML here (default: stdout)")
    parser.add_argument("--input-size", metavar="N|HxW",
                        help="input height and width (needed when the model's are symbolic)")
    parser.add_argument("--name", help="network name (default: the model file's name)")
    parser.add_argument("--skip-unsupported", action="store_true",
                        help="drop unsupported operators (each passes its input on) with a "
                             "warning, instead of failing")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the output file if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.importers.onnx import import_onnx
    from hwsim.importers.yaml_writer import network_yaml

    output = Path(args.output) if args.output else None
    if output is not None and output.exists() and not args.force:
        raise InputError("exists already; choose another name or add --force to overwrite it",
                         file=output)
    result = import_onnx(args.model, input_size=args.input_size,
                         skip_unsupported=args.skip_unsupported, name=args.name)
    network = result.network
    command = ["hwsim import", Path(args.model).name]
    if args.input_size:
        command.append(f"--input-size {args.input_size}")
    if args.skip_unsupported:
        command.append("--skip-unsupported")
    comments = [f"Imported by hwsim {__version__}: {' '.join(command)}"]
    if result.dropped:
        comments.append("Dropped (unsupported, each replaced by its input): "
                        + ", ".join(result.dropped))
    comments += list(result.notes)
    text = network_yaml(result.specs, network.input_shape, name=network.name,
                        description=network.description, source=network.source,
                        comments=comments)
    if result.dropped:
        print(f"hwsim: warning: dropped {len(result.dropped)} unsupported node(s): "
              + ", ".join(result.dropped), file=sys.stderr)
    for note in result.notes:
        print(f"hwsim: note: {note}", file=sys.stderr)
    summary = (f"{len(network.layers)} layers, {network.params:,} parameters, "
               f"{network.macs:,} MACs, input {network.input_shape}")
    if output is None:
        sys.stdout.write(text)
        print(f"hwsim: imported {args.model}: {summary}", file=sys.stderr)
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the network file: {exc.strerror or exc}",
                         file=output) from None
    print(f"hwsim: wrote {output}: {summary}", file=sys.stderr)
    return 0
