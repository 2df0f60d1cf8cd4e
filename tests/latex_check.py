"""Compile a LaTeX table with ``pdflatex`` and measure it (for the tests of tables that go
into papers). Tests using it skip cleanly where pdflatex is not installed (CI)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PDFLATEX = shutil.which("pdflatex")
requires_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")

# The document around a table: every \resizebox reports the natural width of what it holds,
# the width it was given and the line width, through \immediate\write to the log.
PREAMBLE = r"""\documentclass[%(options)s]{article}
\usepackage{booktabs,graphicx}
\let\hwsimresizebox\resizebox
\renewcommand\resizebox[3]{\setbox0\hbox{#3}\setbox2\hbox{\hwsimresizebox{#1}{#2}{#3}}%%
  \immediate\write16{HWSIM natural=\the\wd0\space fitted=\the\wd2\space line=\the\linewidth}%%
  \box2}
\begin{document}
Text before the table.
\input{table.tex}
\end{document}
"""


@dataclass(frozen=True)
class Measured:
    natural_pt: float | None  # the tabular's own width (None: the table has no \resizebox)
    fitted_pt: float | None   # its width on the page
    line_pt: float | None     # \linewidth where it stands
    overfull: list[str]       # the log's overfull-box warnings

    @property
    def fits(self) -> bool:
        return not self.overfull and (self.fitted_pt is None or self.line_pt is None
                                      or self.fitted_pt <= self.line_pt + 0.5)


def compile_table(tex: str, directory: Path, *, twocolumn: bool = True) -> Measured:
    """pdflatex a document holding ``tex``; AssertionError (with the log's end) if it fails."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "table.tex").write_text(tex, encoding="utf-8")
    (directory / "doc.tex").write_text(PREAMBLE % {"options": "twocolumn" if twocolumn else ""},
                                       encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=directory, capture_output=True, text=True, timeout=120)
    log = (directory / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, f"pdflatex failed:\n{log[-2000:]}"
    found = re.search(r"HWSIM natural=([\d.]+)pt\s*fitted=([\d.]+)pt\s*line=([\d.]+)pt", log)
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+pt) too wide\)", log)
    if found is None:
        return Measured(None, None, None, overfull)
    natural, fitted, line = (float(v) for v in found.groups())
    return Measured(natural, fitted, line, overfull)
