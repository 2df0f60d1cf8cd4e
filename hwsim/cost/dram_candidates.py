"""Every candidate DRAM tiling of a layer, as columns (the tiles: :mod:`hwsim.cost.dram_tiles`).

:func:`candidates` lists every (order, kt, pt, ct) from the halvings lists of
:class:`~hwsim.cost.dram_geometry.LayerGeometry`: for each output-channel tile ``kt`` and row
tile ``pt``, a ``k_outer`` tiling with all input channels, a ``p_outer`` one when there is
more than one tile, and one ``k_outer`` tiling per input-channel tile ``ct < C/G`` (when the
output-channel tile stays within a group and, with a fused pooling, the first row tile
emits as many pooled rows as the middle ones). A row tile whose pooling windows do not line
up with the tiles is skipped.

The candidates are counted in closed form for all of them at once over numpy arrays
(:mod:`hwsim.cost.dram_closed_form`): a layer has a few hundred and the search times only a
few, so a candidate's tiles are built (:mod:`hwsim.cost.dram_reference`) only when
:meth:`Candidates.tiling` makes it a :class:`~hwsim.cost.dram_tiles.DramTiling`. The
candidates of a layer are cached (per shape, array granularity, epilogue and whole-pass
flags); :func:`enumerate_tilings` gives them all built, in the enumeration order (by
``kt``, then ``pt``, then k_outer, p_outer and the input-channel tiles largest first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from hwsim.cost.dram_closed_form import Totals, cut_totals, k_outer_totals, p_outer_totals
from hwsim.cost.dram_geometry import LayerGeometry, Sizes
from hwsim.cost.dram_reference import cut_segments, k_outer_segments, p_outer_segments
from hwsim.cost.dram_tiles import K_OUTER, P_OUTER, DramTiling, Epilogue
from hwsim.dataflow.base import ConvShape

#: Candidate kinds (the ``kind`` column): all input channels k_outer / p_outer, channels cut.
K_ALL, P_ALL, K_CUT = 0, 1, 2


class Columns(NamedTuple):
    """Candidates' kinds, sizes and totals as int64 numpy arrays, one entry per candidate."""

    kind: np.ndarray
    kt: np.ndarray
    pt: np.ndarray
    ct: np.ndarray
    footprint: np.ndarray
    input: np.ndarray
    weight: np.ndarray
    output: np.ndarray
    n_tiles: np.ndarray
    work_sum: np.ndarray
    transfers: np.ndarray
    first_load: np.ndarray
    last_store: np.ndarray

    @classmethod
    def of(cls, tilings: Sequence[DramTiling]) -> Columns:
        """The columns of built tilings (kinds from their order and input channels)."""
        rows = [(P_ALL if t.order == P_OUTER else K_ALL, t.kt, t.pt, t.ct, t.footprint_words,
                 t.input_words, t.weight_words, t.output_words, t.n_tiles, t.work_sum,
                 t.transfers, t.first_load, t.last_store) for t in tilings]
        table = np.array(rows, dtype=np.int64).reshape(len(rows), len(cls._fields))
        return cls(*table.T)

    def take(self, index: np.ndarray) -> Columns:
        return Columns(*(column[index] for column in self))

    def dram_words(self) -> np.ndarray:
        return self.input + self.weight + self.output


@dataclass(frozen=True, slots=True)
class Candidates:
    """A layer's candidate tilings as :class:`Columns`, in the enumeration order."""

    geometry: LayerGeometry
    columns: Columns

    def __len__(self) -> int:
        return len(self.columns.kind)

    def tiling(self, index: int) -> DramTiling:
        """Candidate ``index`` as a :class:`DramTiling` (its tiles built on first use)."""
        g, c = self.geometry, self.columns
        kind, kt, pt, ct = (int(c.kind[index]), int(c.kt[index]), int(c.pt[index]),
                            int(c.ct[index]))
        foot, inp, wts, outw, n, work, transfers, first, last = (
            int(column[index]) for column in c[4:])
        z = g.sizes(kt, pt)
        build = (partial(cut_segments, g, z, ct) if kind == K_CUT else
                 partial(p_outer_segments if kind == P_ALL else k_outer_segments, g, z))
        return DramTiling(P_OUTER if kind == P_ALL else K_OUTER, kt, pt, ct, foot, inp, wts,
                          outw, n, g.work_total, work, transfers, first, last, build=build)

    @property
    def tilings(self) -> tuple[DramTiling, ...]:
        return tuple(self.tiling(i) for i in range(len(self)))


def _columns(kind: int, z: Sizes, ct: np.ndarray, totals: Totals) -> list[np.ndarray]:
    n = len(ct)
    return [np.full(n, kind, dtype=np.int64), z.kt, z.pt, ct,
            *(np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)) for v in totals)]


def _enumerate(g: LayerGeometry) -> Candidates:
    """Every candidate (module docstring), counted over arrays, sorted into the order."""
    z = g.size_grid()
    if not len(z.kt):
        return Candidates(g, Columns(*(np.zeros(0, dtype=np.int64),) * len(Columns._fields)))
    pairs = len(z.kt)
    base = np.arange(pairs, dtype=np.int64) * 1000  # room for each (kt, pt)'s candidates
    parts = [(base, _columns(K_ALL, z, np.full(pairs, g.C), k_outer_totals(g, z)))]
    p_rows = np.flatnonzero((z.n_k > 1) | (z.n_p > 1))
    zp = Sizes(*(column[p_rows] for column in z))
    parts.append((base[p_rows] + 1, _columns(P_ALL, zp, np.full(len(p_rows), g.C),
                                             p_outer_totals(g, zp))))
    cts = np.array([ct for ct in g.cts if ct < g.Cg], dtype=np.int64)
    applies = ~((g.G > 1) & (z.kt > g.Kg))
    if g.pool is not None:  # the cut order repeats the first row tile's pattern
        applies &= ~((z.n_p > 2) & (z.pooled_first != z.pooled_mid))
    cut_rows = np.repeat(np.flatnonzero(applies), len(cts))
    if len(cut_rows):
        zc = Sizes(*(column[cut_rows] for column in z))
        ct = np.tile(cts, len(cut_rows) // len(cts))
        offsets = 2 + np.tile(np.arange(len(cts), dtype=np.int64), len(cut_rows) // len(cts))
        parts.append((base[cut_rows] + offsets, _columns(K_CUT, zc, ct, cut_totals(g, zc, ct))))
    position = np.concatenate([p for p, _ in parts])
    order = np.argsort(position, kind="stable")
    columns = Columns(*(np.concatenate(cols)[order] for cols in zip(*(c for _, c in parts))))
    return Candidates(g, columns)


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class LruCache:
    """A least-recently-used cache of a function's results whose size can change (with the
    ``cache_info`` and ``cache_clear`` of :func:`functools.lru_cache`)."""

    def __init__(self, function: Callable[..., Any], maxsize: int) -> None:
        self.function = function
        self.maxsize = maxsize
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._hits = self._misses = 0

    def __call__(self, *args: Any) -> Any:
        data = self._data
        try:
            value = data[args]
        except KeyError:
            self._misses += 1
            value = data[args] = self.function(*args)
            while len(data) > self.maxsize:
                data.popitem(last=False)
            return value
        self._hits += 1
        data.move_to_end(args)
        return value

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self.maxsize, len(self._data))

    def cache_clear(self) -> None:
        self._data.clear()
        self._hits = self._misses = 0


#: Layers whose candidates are kept: a layer's are 40-130 KB of columns (a few hundred to
#: a thousand candidates), so a run of a 10,000-layer network of distinct shapes stays
#: within ~150 MB of them (a run reuses only repeated shapes); a sweep, which meets the same
#: shapes and array granularity on many machines, keeps :data:`SWEEP_CACHE_SIZE`
#: (``hwsim.sweep.evaluate`` raises it; ~300 MB for the 13 bundled networks of the speed
#: benchmark).
CACHE_SIZE = 1024
SWEEP_CACHE_SIZE = 8192


def _candidates(shape: ConvShape, k_unit: int, p_unit: int, c_unit: int,
                epi: Epilogue | None, whole_passes: tuple[bool, bool, bool]) -> Candidates:
    return _enumerate(LayerGeometry(shape, k_unit, p_unit, c_unit, epi, whole_passes))


#: The cache of :func:`candidates` (``cache_info``, ``cache_clear``, ``maxsize``).
CANDIDATE_CACHE = LruCache(_candidates, CACHE_SIZE)


def candidates(shape: ConvShape, k_unit: int, p_unit: int, c_unit: int,
               epi: Epilogue | None = None,
               whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> Candidates:
    """Every candidate tiling of ``shape`` (module docstring), changed by a fusion ``epi``
    (see :class:`~hwsim.cost.dram_tiles.Epilogue`), cached in :data:`CANDIDATE_CACHE`.
    With ``whole_passes`` (per loop: output channels, output rows, input channels) a
    tile's work counts rounded-up units (see :func:`~hwsim.cost.dram_tiles.pass_work`);
    otherwise work is channels x rows x input channels."""
    result: Candidates = CANDIDATE_CACHE(shape, k_unit, p_unit, c_unit, epi, whole_passes)
    return result


def enumerate_tilings(shape: ConvShape, k_unit: int, p_unit: int, c_unit: int,
                      epi: Epilogue | None = None,
                      whole_passes: tuple[bool, bool, bool] = (False, False, False)
                      ) -> tuple[DramTiling, ...]:
    """Every candidate of :func:`candidates`, built, in the enumeration order."""
    return candidates(shape, k_unit, p_unit, c_unit, epi, whole_passes).tilings


__all__ = ["enumerate_tilings", "candidates", "Candidates", "Columns", "K_ALL", "P_ALL",
           "K_CUT", "CANDIDATE_CACHE", "CACHE_SIZE", "SWEEP_CACHE_SIZE", "LruCache"]
