"""The demand a layer puts on the machine, tile by tile: what the scheduler consumes.

The cost model (``cost/``) maps a layer onto the array and cuts it into DRAM tiles, described
as a sequence of :class:`TileRun` records: runs of identical tiles, each tile needing some
bytes loaded from DRAM into the global buffer before it can compute (one DMA transfer), some
PE-array cycles, some cycles to write results from the array back to the global buffer, and
some bytes stored to DRAM afterwards (one DMA transfer). The event scheduler (``sim/``) plays
these through the DMA engine, the double buffers and the array; it never recomputes tiling
or MACs ("compute produces demand, memory services it").

Time of a sequence of tiles, in closed form (:func:`runs_time`). A transfer of ``b`` bytes
holds the one DMA channel for ``latency + b / bandwidth`` cycles (0 if ``b = 0``). With
A_i / C_i / D_i the load / compute (+ write-back) / store cycles of tile i of n:

* double buffering (tile i + 1 loads and tile i - 1 stores while tile i computes)::

      T = A_1 + sum_i max(C_i, A_{i+1} + D_{i-1}) + D_n        (A_{n+1} = D_0 = 0)

* single buffering (nothing overlaps): ``T = sum_i (A_i + C_i + D_i)``.

The event engine (``hwsim.sim``) plays exactly this schedule, so both agree when nothing is
prefetched. Either way ``max(compute, memory) <= T <= compute + memory`` with memory the
channel time of all transfers (:func:`transfer_cycles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TileRun:
    """``count`` identical consecutive tiles of one layer.

    Per tile: ``load_bytes`` DRAM -> global buffer before compute (inputs and weights not
    already on chip), ``compute_cycles`` on the PE array (or the vector unit),
    ``writeback_cycles`` array -> global buffer after compute (the OS write-back; 0 when it
    overlaps compute), ``store_bytes`` global buffer -> DRAM after write-back, and
    ``buffer_bytes`` of global-buffer space the tile occupies while it is live.
    """

    count: int
    load_bytes: int
    compute_cycles: float
    store_bytes: int = 0
    writeback_cycles: float = 0
    buffer_bytes: int = 0

    def __post_init__(self) -> None:
        if self.count > 0 and min(self.load_bytes, self.compute_cycles, self.store_bytes,
                                  self.writeback_cycles, self.buffer_bytes) >= 0:
            return  # the common case, checked at once (a layer makes many runs)
        if self.count <= 0:
            raise ValueError("TileRun.count must be positive")
        for name in ("load_bytes", "compute_cycles", "store_bytes", "writeback_cycles",
                     "buffer_bytes"):
            if getattr(self, name) < 0:
                raise ValueError(f"TileRun.{name} must be non-negative")

    @property
    def total_load_bytes(self) -> int:
        return self.count * self.load_bytes

    @property
    def total_store_bytes(self) -> int:
        return self.count * self.store_bytes

    @property
    def total_compute_cycles(self) -> float:
        return self.count * (self.compute_cycles + self.writeback_cycles)

    @property
    def transfers(self) -> int:
        """DMA transfers of the run: one load and one store per tile, those with bytes."""
        return self.count * ((self.load_bytes > 0) + (self.store_bytes > 0))


class LazyRuns(Sequence[TileRun]):
    """A layer's tile runs, built by ``build`` when first read (a sweep reads only a layer's
    totals, the event engine its runs). Equal to the tuple of its runs."""

    __slots__ = ("_build", "_runs")

    def __init__(self, build: Callable[[], tuple[TileRun, ...]]) -> None:
        self._build: Callable[[], tuple[TileRun, ...]] | None = build
        self._runs: tuple[TileRun, ...] = ()

    @property
    def runs(self) -> tuple[TileRun, ...]:
        if self._build is not None:
            self._runs, self._build = tuple(self._build()), None
        return self._runs

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, index: Any) -> Any:
        return self.runs[index]

    def __iter__(self) -> Iterator[TileRun]:
        return iter(self.runs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRuns):
            other = other.runs
        return self.runs == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyRuns({self.runs!r})"


def one_transfer(num_bytes: float, latency: float, bytes_per_cycle: float) -> float:
    """Channel cycles of one transfer: latency + bytes / bandwidth, 0 for no bytes."""
    return latency + num_bytes / bytes_per_cycle if num_bytes > 0 else 0.0


def transfer_cycles(runs: Iterable[TileRun], latency: float, bytes_per_cycle: float) -> float:
    """Channel time of every load and store of ``runs``: ``transfers * latency + bytes /
    bandwidth`` (the layer's memory time)."""
    n = moved = 0
    for run in runs:
        n += run.transfers
        moved += run.total_load_bytes + run.total_store_bytes
    return n * latency + moved / bytes_per_cycle if n else 0.0


#: A run of identical tiles as the timing sees it: (count, load, compute, store) cycles.
TimedStep = tuple[int, float, float, float]


def _sum_steps(steps: Sequence[TimedStep], prev_d: float, next_a: float) -> float:
    """sum_i max(C_i, A_{i+1} + D_{i-1}) over ``steps``, whose neighbours outside are a tile
    storing ``prev_d`` before and one loading ``next_a`` after."""
    total = 0.0
    last = len(steps) - 1
    for j, (count, a, c, d) in enumerate(steps):
        after = steps[j + 1][1] if j < last else next_a
        if count == 1:
            total += max(c, after + prev_d)
        else:
            total += max(c, a + prev_d) + (count - 2) * max(c, a + d) + max(c, after + d)
        prev_d = d
    return total


def steps_time(segments: Sequence[tuple[Sequence[TimedStep], int]],
               double_buffering: bool) -> float:
    """Time of tiles given as segments (a pattern of runs repeated ``repeat`` times), in
    closed form (module docstring). A pattern repeated r > 2 times costs its two outer
    repetitions plus (r - 2) times one repetition between two identical ones."""
    segs = [(tuple(p), r) for p, r in segments if p and r > 0]
    if not segs:
        return 0.0
    if not double_buffering:
        return sum(r * sum(n * (a + c + d) for n, a, c, d in p) for p, r in segs)
    flat: list[TimedStep] = []
    extra = 0.0
    for pattern, repeat in segs:
        flat.extend(pattern * min(repeat, 2))
        if repeat > 2:
            extra += (repeat - 2) * _sum_steps(pattern, pattern[-1][3], pattern[0][1])
    return flat[0][1] + flat[-1][3] + _sum_steps(flat, 0.0, 0.0) + extra


def runs_time(runs: Sequence[TileRun], latency: float, bytes_per_cycle: float,
              double_buffering: bool) -> tuple[float, float, float]:
    """``(cycles, fill, drain)`` of a layer whose tiles are ``runs`` (module docstring):
    fill is the first tile's load, drain the last tile's store (both exposed)."""
    if not runs:
        return 0.0, 0.0, 0.0
    steps = [(r.count, one_transfer(r.load_bytes, latency, bytes_per_cycle),
              float(r.compute_cycles + r.writeback_cycles),
              one_transfer(r.store_bytes, latency, bytes_per_cycle)) for r in runs]
    return steps_time([(steps, 1)], double_buffering), steps[0][1], steps[-1][3]
