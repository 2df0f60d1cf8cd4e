"""MobileNet v1 width multiplier x resolution: accuracy against inference time and energy.

The MobileNet paper (Howard et al., 2017, Tables 6 and 7) scales MobileNet v1 by the width
multiplier alpha (1.0, 0.75, 0.5, 0.25) and the input resolution (224, 192, 160, 128).
``networks/mobilenet_v1.yaml`` has ``alpha`` as a parameter; the resolution is the network's
input size. Every (alpha, resolution) point is simulated on the WS and OS reference designs
and the hybrid Squeezelerator, and the table marks each design's Pareto front of (max top-1,
min time, min energy) over the points with a published accuracy.

Output: ``experiments/out/mobilenet_space.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Artifact, Study, script_main  # noqa: E402
from _design_space import Point, tradeoff_study  # noqa: E402

NAME = "mobilenet_space"
STEM = "mobilenet_v1"
ALPHAS = (1.0, 0.75, 0.5, 0.25)
RESOLUTIONS = (224, 192, 160, 128)


def run(study: Study, stem: str = STEM, alphas: Sequence[float] = ALPHAS,
        resolutions: Sequence[int] = RESOLUTIONS) -> Artifact:
    points = [Point(stem, {"alpha": a}, r, label=f"{a} MobileNet-{r}")
              for a in alphas for r in resolutions]
    return tradeoff_study(study, NAME, points, ["alpha"],
                          "MobileNet v1 width multiplier x resolution on the three designs")


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
