"""The order in which one layer's tiles go through the DMA engine and the compute unit.

The DMA engine executes its commands strictly in program order, and that order depends only
on the tiles' buffer footprints, never on timing: before each command the engine issues the
next tile's load if the tile fits (fewer than ``slots`` tiles live and its ``buffer_bytes``
fit in what is free of the global buffer), otherwise it stores the oldest live tile (waiting
for its computation) and frees its space. So the program can be written down before the
simulation, here, as a list of ``Load``/``Store`` commands, and the compute unit's program
is simply the tiles in order.

**Coalescing.** Inside a run of identical tiles the program settles into a repeating step:
store tile i, then load tile i + K, while the compute unit computes tile i + 1 (K = 2 with
double buffering and two tiles fitting, K = 1 otherwise). With a = latency + load bytes /
bandwidth and d = latency + store bytes / bandwidth (each 0 for no bytes: every transfer
pays the DRAM latency), c = compute + write-back cycles per tile, and m_i = max(end of the DMA command before
the step, end of tile i's computation), the step is (see :mod:`hwsim.sim.engine` for the
rules these follow from):

- K = 2: store i runs [m_i, m_i + d], load i+2 runs [m_i + d, m_i + d + a], tile i+1
  computes [m_i, m_i + c]; the next step starts at m_{i+1} = max(m_i + d + a, m_i + c)
  = m_i + p with p = max(c, a + d).
- K = 1: store i [m_i, m_i + d], load i+1 [m_i + d, m_i + d + a], tile i+1 computes
  [m_i + d + a, m_i + p] with p = a + c + d, and m_{i+1} = m_i + p.

Both quantities the next step depends on are m_i plus a constant, so after the first step
the schedule is exactly periodic: step t starts at m_i + t * p. A :class:`Block` replaces k
such steps by this closed form (2 events instead of about 5 k); it is formed only when all
the tiles it touches belong to one run and the live tiles are exactly the ones the pattern
needs (every transfer pays its own DRAM latency, so a and d include it), so the closed form
is what the tile-by-tile simulation gives (``tests/test_sim_engine.py`` checks this against
``coalesce=False``).
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from hwsim.cost.prefetch import initial_tiles, peak_buffer_bytes
from hwsim.cost.tiles import TileRun


@dataclass(frozen=True, slots=True)
class Load:
    """Load tile ``tile``. ``after_store``: the store that last freed buffer space before it
    in the program (its data could not be fetched before that store ended), or None."""

    tile: int
    after_store: int | None


@dataclass(frozen=True, slots=True)
class Store:
    """Store tile ``tile`` (after its computation) and free its buffer space."""

    tile: int


@dataclass(frozen=True, slots=True)
class Block:
    """``steps`` steady steps of one run: step t stores tile ``first_store + t``, loads tile
    ``first_store + t + lag`` and computes tile ``first_store + t + 1``."""

    first_store: int
    steps: int
    lag: int  # K: 2 (double buffered) or 1
    tile: TileRun

    @property
    def first_compute(self) -> int:
        return self.first_store + 1

    @property
    def last_compute(self) -> int:
        return self.first_store + self.steps

    @property
    def last_store(self) -> int:
        return self.first_store + self.steps - 1

    @property
    def first_load(self) -> int:
        return self.first_store + self.lag

    @property
    def last_load(self) -> int:
        return self.first_store + self.steps - 1 + self.lag


@dataclass(frozen=True, slots=True)
class Compute:
    """Compute tile ``tile`` (and write it back). ``after_store`` is its load's (for stall
    attribution)."""

    tile: int
    after_store: int | None


@dataclass(frozen=True, slots=True)
class ComputeBlock:
    """The compute side of a :class:`Block`: tiles ``block.first_compute`` ..
    ``block.last_compute``. ``after_store`` is the first tile's load's."""

    block: Block
    after_store: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """One layer's DMA program and compute program."""

    runs: tuple[TileRun, ...]
    run_first: tuple[int, ...]  # index of each run's first tile
    num_tiles: int
    dma: tuple[Load | Store | Block, ...]
    compute: tuple[Compute | ComputeBlock, ...]
    peak_buffer_bytes: int
    initial_loads: int  # tiles loaded before the first store: admitted at the layer's start

    def tile(self, index: int) -> TileRun:
        return self.runs[bisect.bisect_right(self.run_first, index) - 1]


def make_plan(runs: tuple[TileRun, ...], *, slots: int, glb_bytes: int,
              coalesce: bool = True) -> Plan:
    """The DMA and compute programs of a layer whose tiles are ``runs``.

    Raises ValueError if a tile does not fit the global buffer on its own, or unless
    ``slots`` is 1 or 2. The peak and the initial loads are :mod:`hwsim.cost.prefetch`'s.
    """
    run_first: list[int] = []
    total = 0
    for run in runs:
        if run.buffer_bytes > glb_bytes:
            raise ValueError(f"a tile needs {run.buffer_bytes} bytes of global buffer but the "
                             f"buffer has {glb_bytes}")
        run_first.append(total)
        total += run.count
    first = tuple(run_first)

    def run_of(index: int) -> int:
        return bisect.bisect_right(first, index) - 1

    dma: list[Load | Store | Block] = []
    blocks_by_compute: dict[int, Block] = {}
    after_of: dict[int, int | None] = {}
    live: deque[int] = deque()
    used = 0
    next_load = next_store = 0
    after: int | None = None

    while next_store < total:
        if next_load < total:
            tile = runs[run_of(next_load)]
            if len(live) < slots and used + tile.buffer_bytes <= glb_bytes:
                dma.append(Load(next_load, after))
                after_of[next_load] = after
                live.append(next_load)
                used += tile.buffer_bytes
                next_load += 1
                continue
        i = next_store
        r = run_of(i)
        tile = runs[r]
        if coalesce:
            block = _steady_block(i, r, tile, live, slots, glb_bytes, first)
            if block is not None:
                dma.append(block)
                blocks_by_compute[block.first_compute] = block
                # load i + t + lag follows store i + t; only the first and the last of
                # these loads can be read outside the block's closed form
                after_of[block.first_load] = block.first_store
                after_of[block.last_load] = block.last_store
                next_store = i + block.steps
                next_load = i + block.steps + block.lag
                live = deque(range(next_store, next_load))
                used = block.lag * tile.buffer_bytes
                after = block.last_store
                continue
        dma.append(Store(i))
        live.popleft()
        used -= tile.buffer_bytes
        after = i
        next_store += 1

    compute: list[Compute | ComputeBlock] = []
    j = 0
    while j < total:
        block = blocks_by_compute.get(j)
        if block is not None:
            compute.append(ComputeBlock(block, after_of[j]))
            j = block.last_compute + 1
        else:
            compute.append(Compute(j, after_of[j]))
            j += 1
    return Plan(runs=tuple(runs), run_first=first, num_tiles=total, dma=tuple(dma),
                compute=tuple(compute), peak_buffer_bytes=peak_buffer_bytes(runs, slots, glb_bytes),
                initial_loads=initial_tiles(runs, slots, glb_bytes))


def _steady_block(i: int, r: int, tile: TileRun, live: deque[int], slots: int, glb_bytes: int,
                  run_first: tuple[int, ...]) -> Block | None:
    """The steady block starting with the store of tile ``i``, if the pattern holds."""
    last_in_run = run_first[r] + tile.count - 1
    if not live or live[0] != i:
        return None
    two_fit = 2 * tile.buffer_bytes <= glb_bytes
    if slots == 2 and two_fit and len(live) == 2:
        lag = 2  # live == [i, i + 1]; storing i makes room for exactly one more
    elif len(live) == 1 and (slots == 1 or not two_fit):
        lag = 1  # tile i + 1 cannot enter while i is live
    else:
        return None
    steps = last_in_run - i - lag + 1
    if steps < 2:
        return None
    return Block(first_store=i, steps=steps, lag=lag, tile=tile)
