"""SqueezeNet with and without bypass connections, in hardware terms.

The SqueezeNet paper (Iandola et al., 2016, section 6) compares the plain network with simple
bypass (identity adds around Fire 3, 5, 7 and 9) and complex bypass (1x1-conv bypasses
around the other Fire modules too). ``networks/squeezenet_space.yaml`` has them as the
``bypass: none | simple | complex`` parameter. This script gives each variant's parameters,
MACs, inference time and energy on the WS and OS reference designs and the hybrid
Squeezelerator (the adds run on the vector unit, the extra 1x1 convs on the array), beside
the published accuracy.

Output: ``experiments/out/squeezenet_bypass.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Artifact, Study, script_main  # noqa: E402
from _design_space import one_parameter_study  # noqa: E402

NAME = "squeezenet_bypass"
STEM = "squeezenet_space"
VALUES = ("none", "simple", "complex")


def run(study: Study, stem: str = STEM, values: Sequence[str] = VALUES) -> Artifact:
    return one_parameter_study(study, NAME, stem, "bypass", values, "bypass",
                               "SqueezeNet with simple and complex bypass on the three designs")


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
