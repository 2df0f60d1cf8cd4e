"""The order in which one layer's tiles go through the DMA engine and the compute unit.

The DMA engine executes its commands strictly in program order, and that order depends only
on the tiles' buffer footprints, never on timing: before each command the engine issues the
next tile's load if the tile fits (fewer than ``slots`` tiles live and its ``buffer_bytes``
fit in what is free of the global buffer), otherwise it stores the oldest live tile (waiting
for its computation) and frees its space. So the program can be written down before the
simulation, here, as a list of ``Load``/``Store`` commands, and the compute unit's program
is simply the tiles in order.

**Coalescing.** Wherever the program settles into a repeating step, store tile i, then load
tile i + K, while the compute unit computes tile i + 1, the step's timing is closed-form. K
= 2 while two consecutive tiles fit the buffer together (double buffering), K = 1 while they
do not (or without double buffering). For step t (storing tile i = s + t), let d_i =
latency + store bytes / bandwidth, a_j = latency + load bytes / bandwidth (each 0 for no
bytes: every transfer pays the DRAM latency), c_j = compute + write-back cycles of tile j,
and m_t = max(end of the DMA command before the step, end of tile i's computation). Then
(see :mod:`hwsim.sim.engine` for the rules these follow from):

- K = 2: store i runs [m_t, m_t + d_i], load i+2 runs [m_t + d_i, m_t + d_i + a_{i+2}],
  tile i+1 computes [m_t, m_t + c_{i+1}] (its load, the command before the step, has ended
  by m_t, and so has tile i); the next step starts at
  m_{t+1} = max(m_t + d_i + a_{i+2}, m_t + c_{i+1}) = m_t + p_t, p_t = max(c_{i+1}, d_i + a_{i+2}).
- K = 1: store i [m_t, m_t + d_i], load i+1 [m_t + d_i, m_t + d_i + a_{i+1}], tile i+1
  computes [m_t + d_i + a_{i+1}, m_t + p_t] with p_t = d_i + a_{i+1} + c_{i+1} = m_{t+1} - m_t.

Both quantities the next step depends on are m_t plus a constant of the step's three tiles,
so the whole stretch is a prefix sum: m_t = m_0 + p_0 + ... + p_{t-1}, whatever the tiles
are, as long as the program keeps the pattern (every pair of consecutive tiles fits, for K =
2; no pair does, for K = 1). A :class:`Block` replaces k such steps by this closed form (2
events instead of about 5 k). Its steps are grouped into :data:`Part` records, stretches
whose three tiles (stored, computed, loaded) stay the same, so the work of a block grows
with the number of runs it crosses, not with its tiles: the repeated short runs of a
depthwise layer become one block. ``tests/test_sim_engine.py`` checks the closed form
against the tile-by-tile simulation (``coalesce=False``) on random tile programs.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from hwsim.cost.prefetch import initial_tiles, peak_buffer_bytes
from hwsim.cost.tiles import TileRun

#: ``(steps, stored tile, computed tile, loaded tile)``: consecutive steps of a block whose
#: three tiles are the same records.
Part = tuple[int, TileRun, TileRun, TileRun]


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
    """``steps`` steady steps: step t stores tile ``first_store + t``, loads tile
    ``first_store + t + lag`` and computes tile ``first_store + t + 1``; ``parts`` gives
    the steps' tiles, in order (their step counts add up to ``steps``)."""

    first_store: int
    steps: int
    lag: int  # K: 2 (double buffered) or 1
    parts: tuple[Part, ...]

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

    @property
    def live_bytes_before(self) -> int:
        """Buffer bytes of the live tiles when the block starts: tiles s .. s + lag - 1."""
        _, stored, computed, _ = self.parts[0]
        return stored.buffer_bytes + (computed.buffer_bytes if self.lag == 2 else 0)

    @property
    def live_bytes_after(self) -> int:
        """Buffer bytes of the live tiles when it ends: s + k .. s + k + lag - 1."""
        _, _, computed, loaded = self.parts[-1]
        return loaded.buffer_bytes + (computed.buffer_bytes if self.lag == 2 else 0)


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
    ``slots`` is 1 or 2. The peak and the initial loads are :mod:`hwsim.cost.prefetch`'s
    (the analytic engine's prefetch reads the same functions).
    """
    first = _run_starts(runs, glb_bytes)
    program = _DmaProgram(tuple(runs), first, slots, glb_bytes)
    program.write(coalesce)
    return Plan(runs=tuple(runs), run_first=first, num_tiles=program.total,
                dma=tuple(program.dma), compute=program.compute_program(),
                peak_buffer_bytes=peak_buffer_bytes(runs, slots, glb_bytes),
                initial_loads=initial_tiles(runs, slots, glb_bytes))


def _run_starts(runs: tuple[TileRun, ...], glb_bytes: int) -> tuple[int, ...]:
    """The index of each run's first tile; ValueError for a tile larger than the buffer."""
    starts: list[int] = []
    total = 0
    for run in runs:
        if run.buffer_bytes > glb_bytes:
            raise ValueError(f"a tile needs {run.buffer_bytes} bytes of global buffer but the "
                             f"buffer has {glb_bytes}")
        starts.append(total)
        total += run.count
    return tuple(starts)


class _DmaProgram:
    """Writes one layer's DMA program command by command (the rule of the module docstring),
    with the state the rule reads: the live tiles and the bytes they hold."""

    def __init__(self, runs: tuple[TileRun, ...], first: tuple[int, ...], slots: int,
                 glb_bytes: int):
        self.runs, self.first, self.slots, self.glb_bytes = runs, first, slots, glb_bytes
        self.total = first[-1] + runs[-1].count if runs else 0
        self.dma: list[Load | Store | Block] = []
        self.blocks_by_compute: dict[int, Block] = {}
        self.after_of: dict[int, int | None] = {}  # tile -> its load's after_store
        self.live: deque[int] = deque()
        self.used = 0
        self.next_load = self.next_store = 0
        self.after: int | None = None

    def run_of(self, index: int) -> int:
        return bisect.bisect_right(self.first, index) - 1

    def tile(self, index: int) -> TileRun:
        return self.runs[self.run_of(index)]

    def write(self, coalesce: bool) -> None:
        while self.next_store < self.total:
            if self.next_load < self.total and self._load():
                continue
            if not (coalesce and self._block()):
                self._store()

    def _load(self) -> bool:
        """Load the next tile if it fits (a free slot and enough free bytes)."""
        tile = self.tile(self.next_load)
        if len(self.live) >= self.slots or self.used + tile.buffer_bytes > self.glb_bytes:
            return False
        self.dma.append(Load(self.next_load, self.after))
        self.after_of[self.next_load] = self.after
        self.live.append(self.next_load)
        self.used += tile.buffer_bytes
        self.next_load += 1
        return True

    def _store(self) -> None:
        i = self.next_store
        self.dma.append(Store(i))
        self.live.popleft()
        self.used -= self.tile(i).buffer_bytes
        self.after = i
        self.next_store += 1

    def _block(self) -> bool:
        """Write the steady block that starts with the store of the oldest live tile, if
        the pattern holds for at least two steps."""
        i = self.next_store
        if len(self.live) == 2:  # live == [i, i + 1]: every pair that fits keeps the pattern
            lag, steps = 2, self._first_pair(i + 1, fits=False) - i - 1
        elif len(self.live) == 1 and self.next_load < self.total:
            # tile i + 1 did not fit beside i: the pattern lasts while no pair fits
            lag, steps = 1, self._first_pair(i, fits=True) - i
        else:
            return False
        if steps < 2:
            return False
        block = Block(first_store=i, steps=steps, lag=lag, parts=self._parts(i, steps, lag))
        self.dma.append(block)
        self.blocks_by_compute[block.first_compute] = block
        # load i + t + lag follows store i + t; only the first and the last of these loads
        # can be read outside the block's closed form
        self.after_of[block.first_load] = block.first_store
        self.after_of[block.last_load] = block.last_store
        self.next_store = i + steps
        self.next_load = i + steps + lag
        self.live = deque(range(self.next_store, self.next_load))
        self.used = block.live_bytes_after
        self.after = block.last_store
        return True

    def _fits(self, run: TileRun, other: TileRun) -> bool:
        """Whether a tile of ``other`` may be loaded while one of ``run`` is live."""
        return self.slots == 2 and run.buffer_bytes + other.buffer_bytes <= self.glb_bytes

    def _first_pair(self, start: int, *, fits: bool) -> int:
        """The first x >= ``start`` whose pair of tiles (x, x + 1) fits the buffer together
        (``fits``) or does not; the layer's last tile if there is none. Walks runs, not
        tiles."""
        last_tile = self.total - 1
        r, x = self.run_of(start), start
        while x < last_tile:
            run = self.runs[r]
            last = self.first[r] + run.count - 1
            if x < last:  # pairs inside the run
                if self._fits(run, run) == fits:
                    return x
                x = last
                if x >= last_tile:
                    break
            if self._fits(run, self.runs[r + 1]) == fits:  # the pair across the boundary
                return x
            r, x = r + 1, last + 1
        return last_tile

    def _parts(self, s: int, steps: int, lag: int) -> tuple[Part, ...]:
        """Steps 0 .. steps - 1 of the block storing tile s first, grouped into stretches
        whose (stored, computed, loaded) tiles are the same runs: step t touches tiles
        s + t, s + t + 1 and s + t + lag, and a part ends where one of them leaves its run.
        Walks runs, not tiles."""
        runs, ends = self.runs, self.first[1:] + (self.total,)
        offsets = (0, 1, lag)
        at = [self.run_of(s + o) for o in offsets]  # the run of each of the three tiles
        parts: list[Part] = []
        t = 0
        while t < steps:
            # the first step at which one of the three tiles is past its run's end
            stop = min(steps, ends[at[0]] - s, ends[at[1]] - s - 1, ends[at[2]] - s - lag)
            stored, computed, loaded = runs[at[0]], runs[at[1]], runs[at[2]]
            last = parts[-1] if parts else None
            if last is not None and last[1] is stored and last[2] is computed and last[3] is loaded:
                parts[-1] = (last[0] + stop - t, stored, computed, loaded)
            else:
                parts.append((stop - t, stored, computed, loaded))
            for k, o in enumerate(offsets):
                if ends[at[k]] - s - o == stop:
                    at[k] += 1
            t = stop
        return tuple(parts)

    def compute_program(self) -> tuple[Compute | ComputeBlock, ...]:
        """The compute unit's program: the tiles in order, a block's tiles as one entry."""
        compute: list[Compute | ComputeBlock] = []
        j = 0
        while j < self.total:
            block = self.blocks_by_compute.get(j)
            if block is not None:
                compute.append(ComputeBlock(block, self.after_of[j]))
                j = block.last_compute + 1
            else:
                compute.append(Compute(j, self.after_of[j]))
                j += 1
        return tuple(compute)
