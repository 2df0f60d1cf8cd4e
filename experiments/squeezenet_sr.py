"""The SqueezeNet squeeze-ratio (SR) sweep in hardware terms.

The SqueezeNet paper (Iandola et al., 2016, section 5.1) varies the squeeze ratio SR (the
squeeze layer's channels as a fraction of the expand layers') from 0.125 to 1.0 on its
design space (``networks/squeezenet_space.yaml``: base_e 128, incr_e 128, freq 2,
pct_3x3 0.5) and reports model size and top-5 accuracy. This script adds what each point
costs on the WS and OS reference designs and the hybrid Squeezelerator: MACs, inference time
and energy, beside the published accuracy where the network file records it.

Output: ``experiments/out/squeezenet_sr.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Artifact, Study, script_main  # noqa: E402
from _design_space import one_parameter_study  # noqa: E402

NAME = "squeezenet_sr"
STEM = "squeezenet_space"
VALUES = (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0)


def run(study: Study, stem: str = STEM, values: Sequence[float] = VALUES) -> Artifact:
    return one_parameter_study(study, NAME, stem, "SR", values, "squeeze ratio SR",
                               "SqueezeNet design space: squeeze ratio SR on the three designs")


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
