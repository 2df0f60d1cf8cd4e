"""``hwsim list [networks|accelerators|sweeps]``: what ships with hwsim, by name.

Each bundled file (:mod:`hwsim.bundled`, discovered in its folder) with the first sentence of
its ``description`` (or its ``name``); any of these names can stand for the file, as in
``hwsim run sqnxt23v5 --accel squeezelerator``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from hwsim import bundled
from hwsim.config import yamlio
from hwsim.errors import InputError

MAX_SUMMARY = 90  # characters of a description shown


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "list", help="the bundled networks, accelerators and sweeps, by name",
        description="List the networks, accelerators and sweeps that ship with hwsim. Give "
                    "a name instead of a file anywhere a file is asked for "
                    "(hwsim run sqnxt23v5 --accel squeezelerator).")
    parser.add_argument("kind", nargs="?", choices=bundled.KINDS,
                        help="only this kind (default: all three)")
    parser.set_defaults(func=run)


def summary(path: Path) -> str:
    """The first sentence of the file's description, else its name ('' if unreadable)."""
    try:
        data = yamlio.read_yaml(path)
    except InputError:
        return ""
    if not isinstance(data, dict):
        return ""
    text = " ".join(str(data.get("description") or data.get("name") or "").split())
    first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    if len(first) > MAX_SUMMARY:
        first = first[:MAX_SUMMARY].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return first


def run(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else list(bundled.KINDS)
    for i, kind in enumerate(kinds):
        files = bundled.bundled_files(kind)
        folder = bundled.bundled_dir(kind)
        if i:
            print()
        print(f"{kind} ({len(files)}, in {folder}):" if folder else f"{kind}: none bundled")
        width = max((len(name) for name in files), default=0)
        for name, path in files.items():
            print(f"  {name:<{width}}  {summary(path)}".rstrip())
    return 0
