"""The DRAM tiling of a layer: which tiles fit the global buffer, and the fastest of them.

Everything between DRAM and the global buffer is dataflow-independent and lives here and in
:mod:`hwsim.cost.dram_tiles` (how a layer is cut into DRAM tiles, what each tile loads and
stores), :mod:`hwsim.cost.dram_candidates` (every candidate) and :mod:`hwsim.cost.dram_search`
(the closed-form time of the tiles and the search): :func:`search_tiling` takes the fastest
tiling that fits (then the least DRAM traffic, then the fewest tiles; exact ties only) and
returns it as a :class:`Tiling` record. Every DRAM tile is one DMA load and one DMA store,
each paying the DRAM latency; with double buffering the first tile's load and the last
tile's store are exposed (:mod:`hwsim.cost.timing`). The array's cycles do not depend on the
DRAM tiling in this model, so the search trades refetches and latencies against exposed
transfers. Every (order, kt, pt, ct) is a candidate whatever the budget; only the fit filter
depends on it, so a bigger buffer is never slower.

Legend: K output channels, C input channels, G groups, H x W input, P x Q output,
R x S kernel, kt/pt/ct tile sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hwsim.cost.dram_search import best_tiling
from hwsim.cost.dram_tiles import DramTiling, Epilogue, NoTileFits
from hwsim.cost.timing import DEFAULT_TIMING, Timing
from hwsim.dataflow.base import ConvShape


class TilingError(ValueError):
    """No tile of the layer fits the global buffer."""


@dataclass(frozen=True, slots=True)
class Tiling:
    """The chosen DRAM tiling of one layer and its DRAM traffic (words).

    ``order`` is ``k_outer`` or ``p_outer`` (see :mod:`hwsim.cost.dram_tiles`); ``kt``,
    ``pt``, ``ct`` the tile sizes; ``footprint_words`` one tile's global-buffer space.
    ``pipeline_tiles`` is the number of DRAM tiles (one DMA load and one store each),
    ``first_load_words`` and ``last_store_words`` what the pipeline cannot hide.
    """

    order: str
    kt: int
    pt: int
    ct: int
    footprint_words: int
    input_read_words: int
    weight_read_words: int
    output_write_words: int
    pipeline_tiles: int
    first_load_words: int
    last_store_words: int

    @property
    def read_words(self) -> int:
        return self.input_read_words + self.weight_read_words

    @property
    def dram_words(self) -> int:
        return self.read_words + self.output_write_words

    @classmethod
    def of(cls, t: DramTiling) -> Tiling:
        return cls(t.order, t.kt, t.pt, t.ct, t.footprint_words, t.input_words, t.weight_words,
                   t.output_words, t.n_tiles, t.first_load_words(), t.last_store_words())


@lru_cache(maxsize=16384)
def search_dram_tiles(shape: ConvShape, budget_words: int, k_unit: int, p_unit: int,
                      c_unit: int = 1, compute_cycles: float = 0.0,
                      timing: Timing = DEFAULT_TIMING, whole_budget_words: int | None = None,
                      setup_cycles: float = 0.0, epi: Epilogue | None = None,
                      whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> DramTiling:
    """The fastest tiling whose tiles fit ``budget_words`` (a one-tile layer may use
    ``whole_budget_words``, default: twice the budget with double buffering), with its
    tiles (changed by a fusion ``epi``, see :class:`~hwsim.cost.dram_tiles.Epilogue`).
    TilingError if nothing fits."""
    if whole_budget_words is None:
        whole_budget_words = budget_words * 2 if timing.double_buffering else budget_words
    try:
        return best_tiling(shape, budget_words, whole_budget_words, k_unit, p_unit, c_unit,
                           float(compute_cycles), float(setup_cycles), timing.word_bytes,
                           float(timing.dram_latency_cycles), timing.dram_bytes_per_cycle,
                           timing.double_buffering, epi, whole_passes)
    except NoTileFits as exc:
        raise TilingError(str(exc)) from None


def search_tiling(shape: ConvShape, budget_words: int, k_unit: int, p_unit: int,
                  c_unit: int = 1, compute_cycles: float = 0.0,
                  timing: Timing = DEFAULT_TIMING, whole_budget_words: int | None = None,
                  setup_cycles: float = 0.0,
                  whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> Tiling:
    """:func:`search_dram_tiles` as a :class:`Tiling` record."""
    return Tiling.of(search_dram_tiles(shape, budget_words, k_unit, p_unit, c_unit,
                                       compute_cycles, timing, whole_budget_words,
                                       setup_cycles, None, whole_passes))


__all__ = ["Tiling", "TilingError", "search_tiling", "search_dram_tiles"]
