"""A sweep as a function, for notebooks and scripts: ``hwsim.sweep(spec) -> DataFrame``.

:func:`sweep` runs what ``hwsim sweep SPEC --out FILE`` runs, through the same functions
(:func:`hwsim.sweep.spec.load_sweep`, :func:`hwsim.sweep.evaluate.preflight`,
:func:`hwsim.sweep.runner.run_sweep`), so the rows, the files and the resume rules are the
command's: with ``out`` the rows stream to that CSV as they finish (invalid combinations to
``<out>.errors.csv``), and calling it again with the same ``out`` skips the rows already
there; an existing file that is not this sweep's results is refused (InputError), never
overwritten. Without ``out`` the rows go to a temporary file that is removed afterwards.

:func:`load_results` reads a results (or errors) CSV back into a DataFrame, numbers parsed,
with the checks of ``hwsim pareto`` (a file that is not a sweep's is an InputError).

``hwsim.sweep`` is this package's module object made callable (see ``__init__.py``), so
``hwsim.sweep(...)`` and ``hwsim.sweep.runner`` both work.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwsim.result import DEFAULT_ENGINE
from hwsim.sweep import results as R
from hwsim.sweep.evaluate import evaluate_task, preflight
from hwsim.sweep.runner import run_sweep
from hwsim.sweep.spec import SweepSpec, load_sweep, parse_sweep

log = logging.getLogger(__name__)


def _spec(spec: SweepSpec | str | Path | Mapping[str, Any]) -> SweepSpec:
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):  # paths inside resolve against the working directory
        return parse_sweep(dict(spec), "<sweep>", base_dir=Path.cwd())
    return load_sweep(spec)


def load_results(path: str | Path) -> Any:
    """A sweep's results CSV (or its ``.errors.csv``) as a pandas DataFrame: one row per
    line, the file's columns in order, numbers parsed. InputError if the file is missing,
    is not a sweep's file, or has a row of the wrong width (naming its line)."""
    import pandas as pd

    header, rows = R.read_table(path)
    return pd.DataFrame(rows, columns=header)


def sweep(spec: SweepSpec | str | Path | Mapping[str, Any], out: str | Path | None = None, *,
          jobs: int | None = 1, engine: str = DEFAULT_ENGINE, executor: str = "local",
          scheduler: str | None = None) -> Any:
    """Run (or resume) a sweep and return its results as a pandas DataFrame.

    ``spec``: a sweep file's path, its parsed :class:`SweepSpec`, or the same content as a
    mapping (paths relative to the working directory). ``out``: the results CSV to stream
    rows to (and resume from); None writes a temporary file. ``jobs``: worker processes (1,
    the default, runs in this process; 0: all cores; None: from the amount of work,
    ``hwsim.sweep.runner.workers_for``); ``engine``, ``executor`` and
    ``scheduler`` as the command's ``--engine``, ``--executor`` and ``--scheduler``.

    The DataFrame has the rows of ``out`` for ``engine`` (with a resumed ``out``, the rows
    done before too), in the file's column order. ``df.attrs["errors"]`` lists the skipped
    rows (invalid combinations, dicts of the errors CSV's columns) and
    ``df.attrs["summary"]`` counts what this call did. Rows that failed unexpectedly (a bug,
    retried on the next call) raise a RuntimeWarning. Bad input raises InputError before
    anything runs."""
    the_spec = _spec(spec)
    preflight(the_spec)
    with tempfile.TemporaryDirectory(prefix="hwsim-sweep-") as scratch:
        path = Path(out) if out is not None else Path(scratch) / "results.csv"
        summary = run_sweep(the_spec, path, evaluate=evaluate_task, engine=engine,
                            executor=executor, jobs=jobs, scheduler=scheduler)
        frame = load_results(path)
        errors = load_results(summary.errors_out) if summary.errors_out.exists() else None
    frame = frame[frame["engine"] == str(engine)].reset_index(drop=True)
    error_rows = ([] if errors is None else
                  errors[errors["engine"] == str(engine)].to_dict("records"))
    if summary.internal_rows:
        warnings.warn(f"sweep {the_spec.name}: {summary.internal_rows} rows failed with an "
                      "internal error (see df.attrs['errors']); they are retried on the next "
                      "call with the same out", RuntimeWarning, stacklevel=2)
    frame.attrs["errors"] = error_rows
    frame.attrs["summary"] = {
        "out": str(out) if out is not None else None, "configs": summary.configs,
        "total_rows": summary.total_rows, "already_done_rows": summary.already_done_rows,
        "ok_rows": summary.ok_rows, "invalid_rows": summary.invalid_rows,
        "internal_rows": summary.internal_rows, "elapsed_s": summary.elapsed_s}
    log.info("sweep %s: %d new rows, %d already done, %d invalid", the_spec.name,
             summary.ok_rows, summary.already_done_rows, summary.invalid_rows)
    return frame


__all__ = ["sweep", "load_results"]
