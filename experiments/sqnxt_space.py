"""SqueezeNext width x depth x variant: accuracy against inference time and energy.

The SqueezeNext paper (Gholami et al., 2018) trades accuracy for size with the width
multiplier (1.0, 1.5, 2.0), the depth (23, 34 and 44 blocks) and the block variants v1..v5
(how the blocks are spread over the stages). Every point is one network file
(``sqnxt23``, ``sqnxt23v2`` .. ``v5``, ``sqnxt44``) at one ``width``, simulated
on the WS and OS reference designs and the hybrid Squeezelerator; the table marks each
design's Pareto front of (max top-1, min time, min energy) over the points whose file
publishes an accuracy for exactly that width. The 34-block model is left out: no source
found gives its blocks per stage (``networks/sqnxt44.yaml`` says where the 44-block split
comes from).

Output: ``experiments/out/sqnxt_space.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SQNXT_VARIANTS, Artifact, Study, script_main  # noqa: E402
from _design_space import Point, tradeoff_study  # noqa: E402

NAME = "sqnxt_space"
FILES = (*SQNXT_VARIANTS, "sqnxt44")
WIDTHS = (1.0, 1.5, 2.0)


def run(study: Study, files: Sequence[str] = FILES, widths: Sequence[float] = WIDTHS) -> Artifact:
    points = [Point(stem, {"width": w}, label=f"{w}-{stem}") for stem in files for w in widths]
    return tradeoff_study(study, NAME, points, ["width"],
                          "SqueezeNext width x depth x variant on the three designs")


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
