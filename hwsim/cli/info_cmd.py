"""``hwsim info NETWORK [--input-size N|HxW] [--format table|csv|json]``."""

from __future__ import annotations

import argparse
import sys

from hwsim.inputs import load_network
from hwsim.report import network_info


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("info", help="per-layer shapes, parameters and MACs of a network",
                            description="Show a network's layers, shapes, parameters, MACs "
                                        "and MAC share by layer class.")
    parser.add_argument("network", help="network YAML (or .onnx) file")
    add_input_size(parser)
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def add_input_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input-size", metavar="N|HxW",
                        help="override the input height and width (e.g. 224 or 224x192)")


def run(args: argparse.Namespace) -> int:
    network = load_network(args.network, input_size=args.input_size)
    writer = {"table": network_info.to_table, "csv": network_info.to_csv,
              "json": network_info.to_json}[args.format]
    text = writer(network)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
