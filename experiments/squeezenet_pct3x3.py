"""The SqueezeNet pct_3x3 sweep in hardware terms: more 3x3 expand filters, what they cost.

Section 5.2 of the SqueezeNet paper (Iandola et al., 2016) holds SR at 0.5 and moves pct_3x3,
the 3x3 filters' share of each Fire module's expand filters, between 1 % and 99 %; top-5
accuracy plateaus at 50 % while the model keeps growing. Here every point of that sweep on
``networks/squeezenet_space.yaml`` also gets its MACs, time and energy on the three designs
(WS, OS, hybrid).

Output: ``experiments/out/squeezenet_pct3x3.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Artifact, Study, script_main  # noqa: E402
from _design_space import one_parameter_study  # noqa: E402

NAME = "squeezenet_pct3x3"
STEM = "squeezenet_space"
VALUES = (0.01, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0.99)


def run(study: Study, stem: str = STEM, values: Sequence[float] = VALUES) -> Artifact:
    return one_parameter_study(study, NAME, stem, "pct_3x3", values, "share of 3x3 expand filters",
                               "SqueezeNet design space: share of 3x3 filters on the three designs",
                               fixed={"SR": 0.5})


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
