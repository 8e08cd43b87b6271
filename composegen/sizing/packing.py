"""Replicas onto hosts: first-fit decreasing on the dominant resource, memory and CPU together.

Each replica is an `Item` (its memory limit, cpus and the GPUs it reserves); each machine a
`HostSize` (what it has for containers, after its own reserve, and its GPUs). A replica that
reserves GPUs goes only where that many GPUs are still free: GPU services land on GPU hosts.
Items are sorted by their dominant share of a host, the larger of memory ÷ host memory and cpus ÷
host cpus (and GPUs ÷ host GPUs), largest first, and each goes onto the first open host where its
memory, cpus and GPUs still fit; a host is opened when none has room. FFD uses at most
11/9 × optimal + 6/9 hosts in one dimension (Dósa 2007); in two it is a heuristic, and the tests pin
cases with known optimal answers.

Amounts are integers (bytes, nano-cpus as Docker counts NanoCPUs): 160 × 0.1 cores is exactly 16.
Pure: no I/O, no composegen types beyond these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NANO = 1_000_000_000


def nano_cpus(cpus: float) -> int:
    """Cores as Docker's NanoCPUs (an integer, so sums are exact)."""
    return round(cpus * NANO)


@dataclass(frozen=True)
class Item:
    """One replica of a service: what its limits take from a host."""

    service: str
    index: int  # 1-based replica number
    memory: int  # bytes
    nano_cpus: int
    gpus: int = 0  # GPUs it reserves (docker hands each to one container)


@dataclass(frozen=True)
class HostSize:
    """A machine: `memory` and `nano_cpus` it has for containers (its own reserve taken off), and
    its GPUs."""

    label: str
    memory: int
    nano_cpus: int
    gpus: int = 0


@dataclass(frozen=True)
class Bin:
    """One host and the replicas placed on it; `extra` when the hosts given were not enough."""

    host: HostSize
    items: tuple[Item, ...]
    extra: bool = False

    @property
    def memory_used(self) -> int:
        return sum(i.memory for i in self.items)

    @property
    def nano_cpus_used(self) -> int:
        return sum(i.nano_cpus for i in self.items)

    def counts(self) -> dict[str, int]:
        """Replicas per service on this host, in the order first placed."""
        found: dict[str, int] = {}
        for item in self.items:
            found[item.service] = found.get(item.service, 0) + 1
        return found


class ReplicaTooLarge(ValueError):
    """One replica needs more than an empty host of every size given."""

    def __init__(self, item: Item, hosts: Sequence[HostSize]) -> None:
        super().__init__(item.service)
        self.item = item
        self.hosts = tuple(hosts)


def _fits(item: Item, memory_free: int, cpus_free: int, gpus_free: int = 0) -> bool:
    return item.memory <= memory_free and item.nano_cpus <= cpus_free and item.gpus <= gpus_free


def _fits_empty(item: Item, host: HostSize) -> bool:
    return _fits(item, host.memory, host.nano_cpus, host.gpus)


def dominant_share(item: Item, host: HostSize) -> float:
    """The larger of the item's memory and CPU shares of `host`."""
    memory = item.memory / host.memory if host.memory else float("inf")
    cpus = item.nano_cpus / host.nano_cpus if host.nano_cpus else (float("inf") if item.nano_cpus else 0.0)
    gpus = item.gpus / host.gpus if host.gpus else (float("inf") if item.gpus else 0.0)
    return max(memory, cpus, gpus)


def pack(items: Sequence[Item], hosts: Sequence[HostSize]) -> tuple[Bin, ...]:
    """Place every item: onto the hosts given, in order, then onto more of the last one.

    Raises `ReplicaTooLarge` for an item no empty host of any given size holds.
    """
    if not hosts:
        raise ValueError("pack needs at least one host")
    for item in items:
        if not any(_fits_empty(item, h) for h in hosts):
            raise ReplicaTooLarge(item, hosts)
    reference = hosts[-1]
    order = sorted(items, key=lambda i: (-dominant_share(i, reference), -i.memory, -i.nano_cpus, i.service, i.index))
    opened: list[_Open] = []
    for item in order:
        target = next((b for b in opened if b.fits(item)), None)
        while target is None:
            given = len(opened) < len(hosts)
            size = hosts[len(opened)] if given else _next_size(item, hosts)
            opened.append(_Open(size, extra=not given))
            target = opened[-1] if opened[-1].fits(item) else None
        target.add(item)
    return tuple(Bin(b.size, tuple(b.items), b.extra) for b in opened)


class _Open:
    """A host being filled."""

    def __init__(self, size: HostSize, *, extra: bool) -> None:
        self.size = size
        self.extra = extra
        self.items: list[Item] = []
        self.memory_free = size.memory
        self.cpus_free = size.nano_cpus
        self.gpus_free = size.gpus

    def fits(self, item: Item) -> bool:
        return _fits(item, self.memory_free, self.cpus_free, self.gpus_free)

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.memory_free -= item.memory
        self.cpus_free -= item.nano_cpus
        self.gpus_free -= item.gpus


def _next_size(item: Item, hosts: Sequence[HostSize]) -> HostSize:
    """The size of a host added beyond those given: the last one, else the largest that holds `item`
    (a given host too small for it stays open for smaller items)."""
    last = hosts[-1]
    if _fits_empty(item, last):
        return last
    fitting = [h for h in hosts if _fits_empty(item, h)]
    return max(fitting, key=lambda h: (h.memory, h.nano_cpus, h.gpus))


def lower_bound(items: Sequence[Item], host: HostSize) -> int:
    """Hosts of one size no packing can do with fewer than: total memory or cpus ÷ one host's."""
    memory = sum(i.memory for i in items)
    cpus = sum(i.nano_cpus for i in items)
    by_memory = -(-memory // host.memory) if host.memory else 0
    by_cpus = -(-cpus // host.nano_cpus) if host.nano_cpus else 0
    return max(by_memory, by_cpus, 1 if items else 0)
