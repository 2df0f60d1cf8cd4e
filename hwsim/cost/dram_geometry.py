"""What the DRAM tiling candidates of a layer are made of: its extents, its array
granularity, fusion's epilogue, and the sizes of each candidate's tiles.

:class:`LayerGeometry` gathers a layer once; its methods are the hooks every candidate
builder uses (input words a tile loads, words it stores, its work, the footprint the
epilogue adds). They are plain arithmetic, so the closed forms of
:mod:`hwsim.cost.dram_closed_form` call them with numpy arrays (one entry per candidate) and
the tile-by-tile builders of :mod:`hwsim.cost.dram_reference` with integers. :class:`Sizes`
is a candidate's cut of the output channels (``kt``) and rows (``pt``), in the same two forms.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from hwsim.cost.dram_tiles import Epilogue, halvings, pass_work, pooled_rows_per_tile
from hwsim.dataflow.base import ConvShape
from hwsim.workload.layer import ceil_div


class Sizes(NamedTuple):
    """How a candidate cuts output channels and rows (integers for one candidate, numpy
    arrays for many): ``n_k`` tiles of ``kt`` channels, ``n_full`` of them full, the last of
    ``k_last``; ``n_p`` row tiles of ``pt`` output rows needing ``r_full`` input rows, the
    last of ``p_last`` output rows and ``r_last`` input rows (with the rows a strided kernel
    skips), ``r_max`` the larger; with a fused pooling, the pooled rows the first, a middle
    and the last row tile emit (0 without)."""

    kt: Any
    n_k: Any
    n_full: Any
    k_last: Any
    pt: Any
    n_p: Any
    r_full: Any
    p_last: Any
    r_last: Any
    r_max: Any
    pooled_first: Any
    pooled_mid: Any
    pooled_last: Any


class LayerGeometry:
    """A layer's extents, its array granularity and fusion's epilogue, with the hooks the
    builders share: input words a tile loads (:meth:`ld`), words it stores (:meth:`stored`),
    its work (:meth:`work`) and the footprint the epilogue adds (:meth:`foot_extra`)."""

    def __init__(self, shape: ConvShape, k_unit: int, p_unit: int, c_unit: int,
                 epi: Epilogue | None, whole_passes: tuple[bool, bool, bool]) -> None:
        self.shape = shape
        self.weights = shape.weights
        self.K, self.C, self.G = shape.out_channels, shape.in_channels, shape.groups
        self.Kg, self.Cg = self.K // self.G, self.C // self.G
        self.H, self.W = shape.in_height, shape.in_width
        self.P, self.Q = shape.out_height, shape.out_width
        self.RS = shape.kernel_h * shape.kernel_w if shape.weights else 0
        self.r_eff = shape.dilation_h * (shape.kernel_h - 1) + 1
        self.bias = 1 if (shape.bias and shape.weights) else 0
        k_unit = max(1, min(k_unit, self.K))
        p_unit = max(1, min(p_unit, self.P))
        c_unit = max(1, min(c_unit, self.Cg))
        self.kts = halvings(self.K, k_unit)
        self.pts = halvings(self.P, p_unit)
        self.cts = halvings(self.Cg, c_unit) if self.Cg > 1 and shape.weights else (self.Cg,)
        self.units = tuple(u if flag else 1
                           for u, flag in zip((k_unit, p_unit, c_unit), whole_passes))
        # the epilogue's hooks (identities without one)
        self.num, self.den = (epi.input_num, epi.input_den) if epi is not None else (1, 1)
        self.store_out = epi is None or epi.store
        self.operand = epi is not None and epi.operand
        self.pool = epi.pool if epi is not None else None
        pool = self.pool
        self.q_out = pool[4] if pool is not None else self.Q
        self.pool_keep = (ceil_div(max(0, pool[0] - pool[1]), pool[1]) * self.q_out
                          if pool is not None else 0)
        self.work_total = self.work(self.K, self.P, self.Cg)

    def rows_in(self, p: int) -> int:
        return min(self.H, (p - 1) * self.shape.stride_h + self.r_eff)

    def pooled(self, pt: int) -> list[int] | None:
        """Pooled rows each row tile of ``pt`` emits (None: windows not aligned with the
        tiles, or no pooling)."""
        return pooled_rows_per_tile(self.pool, self.P, pt) if self.pool is not None else None

    def _row_split(self, pt: int) -> tuple[int, ...]:
        """(n_p, r_full, p_last, r_last, r_max, pooled first, middle, last) of row tiles
        of ``pt``."""
        n_p = ceil_div(self.P, pt)
        p_last = self.P - (n_p - 1) * pt
        full, last = self.rows_in(pt), self.rows_in(p_last)
        r_last = last + max(0, self.H - ((n_p - 1) * full + last))
        counts = self.pooled(pt) or [0]
        return (n_p, full, p_last, r_last, max(full, r_last), counts[0],
                counts[1 if len(counts) > 1 else 0], counts[-1])

    def sizes(self, kt: int, pt: int) -> Sizes:
        """The cut of one candidate (integers)."""
        n_k = ceil_div(self.K, kt)
        k_last = self.K - (n_k - 1) * kt
        n_p, full, p_last, r_last, r_max, first, mid, last = self._row_split(pt)
        return Sizes(kt, n_k, n_k - 1 if k_last != kt else n_k, k_last, pt, n_p, full, p_last,
                     r_last, r_max, first, mid, last)

    def size_grid(self) -> Sizes:
        """The cuts of every (kt, pt) of the halvings lists, ``kt`` outer (arrays), without
        the row tiles whose pooling windows do not line up with the tiles."""
        pts = [pt for pt in self.pts if self.pool is None or self.pooled(pt) is not None]
        kt = np.repeat(np.array(self.kts, dtype=np.int64), len(pts))
        n_k = -(-self.K // kt)
        k_last = self.K - (n_k - 1) * kt
        n_full = n_k - (k_last != kt)
        rows = np.array([(pt, *self._row_split(pt)) for pt in pts], dtype=np.int64)
        rows = np.tile(rows.reshape(len(pts), 9), (len(self.kts), 1)).T
        return Sizes(kt, n_k, n_full, k_last, *rows)

    def c_need(self, k: Any) -> Any:
        """Input channels ``k`` output channels read."""
        if not self.weights:  # pooling / element-wise: an output channel needs its own inputs
            return _min(self.C, -(-(k * self.C) // self.K))
        return self.C + 0 * k if self.G == 1 else _min(self.C, -(-k // self.Kg) * self.Cg)

    def w_words(self, k: Any, c: Any) -> Any:
        return k * c * self.RS

    def work(self, k: Any, p: Any, c: Any) -> Any:
        return pass_work(k, p, c, *self.units)

    def ld(self, words: Any, k: Any = 0, p: Any = 0) -> Any:
        """Input words a tile loads: its share from DRAM, plus its operand tile."""
        own = words if self.num == self.den else -(-(words * self.num) // self.den)
        return own + (k * p * self.Q if self.operand else 0)

    def stored(self, k: Any, p: Any, pooled: Any) -> Any:
        """Words a tile of ``k`` x ``p`` outputs stores when it emits ``pooled`` pooled rows
        (``pooled`` is read only with a fused pooling)."""
        if not self.store_out:
            return 0 * k
        return k * (p * self.Q if self.pool is None else pooled * self.q_out)

    def foot_extra(self, k: Any, pt: Any) -> Any:
        return (k * pt * self.Q if self.operand else 0) + k * self.pool_keep


def _min(a: int, b: Any) -> Any:
    """The smaller of an integer and an integer or array."""
    return min(a, b) if isinstance(b, int) else np.minimum(a, b)


__all__ = ["LayerGeometry", "Sizes"]
