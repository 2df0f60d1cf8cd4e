"""Entry point of the ``hwsim`` command: argument parsing and error handling.

Each sub-command lives in its own module of this package, exposing ``register(subparsers)``
(which adds its parser and sets ``func``) and is listed in :data:`COMMANDS`. ``main`` turns
errors into exit statuses: 0 ok, 2 bad input (a one-paragraph message, no traceback), 1 an
internal error or an output that could not be written (a full disk), 130 interrupted.
Results go to stdout, messages and progress to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from hwsim._version import __version__
from hwsim.errors import HwsimError, InputError, OutputError

# Sub-command modules, in the order ``hwsim --help`` lists them. They are imported only when
# their command runs (and they import the model, plotting or sweep machinery inside their
# functions): these function-level imports are deliberate, for the command line's start-up
# speed (``hwsim info`` need not load SimPy, matplotlib or dask).
COMMANDS = ["info", "run", "import", "compare", "plot", "sweep", "pareto", "list"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that sub-command's (imports stay light:
    ``hwsim run`` need not load the sweep, plotting or import machinery)."""
    parser = argparse.ArgumentParser(
        prog="hwsim",
        description="Hardware-aware performance and energy simulator for CNNs.",
    )
    parser.add_argument("--version", action="version", version=f"hwsim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more to stderr (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS if only is None else [only]:
        module = importlib.import_module(f"hwsim.cli.{name}_cmd")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv``; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    if command is None and "--version" in args_list and not {"-h", "--help"} & set(args_list):
        # what argparse would print, without importing every sub-command (start-up time)
        print(f"hwsim {__version__}")
        return 0
    parser = build_parser(command if command in COMMANDS else None)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="hwsim: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"hwsim: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:  # a full disk: not bad input, not a bug
        print(f"hwsim: error: {exc}", file=sys.stderr)
        return 1
    except HwsimError as exc:
        print(f"hwsim: internal error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def console_main() -> None:
    """The ``hwsim`` console script."""
    sys.exit(main())
