"""What a role calculator returns: `Sizing`, the numbers only it can derive, and its parts.
(`composegen lint` needs these and the inputs, not the plan side in `composegen.sizing.model`.)"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from composegen.sizing.quantity import Quantity


class EnvSetting(NamedTuple):
    key: str
    value: str
    why: Quantity | None = None  # the derivation, when the value is a derived number
    note: str = ""  # where a fixed value came from


class TmpfsMount(NamedTuple):
    path: str
    size: Quantity
    mode: str | None = None
    purpose: str = ""


class Sizing(NamedTuple):
    """What a role calculator returns: the numbers only it can derive."""

    memory: Quantity  # the memory limit before the profile's floor and rounding (tmpfs included)
    startup: Quantity  # expected time from start to healthy
    cpus: Quantity | None = None
    tmpfs: tuple[TmpfsMount, ...] = ()
    shm_size: Quantity | None = None
    environment: tuple[EnvSetting, ...] = ()
    command: tuple[str, ...] | None = None  # only where the base sets none and the image is known
    healthcheck_test: tuple[str, ...] | None = None  # a probe for the role, used when the base has none
    replicas: Quantity | None = None
    volumes: tuple[tuple[str, str], ...] = ()  # (named volume, target)
    hardening: bool = True  # False: the image needs root or a writable root (databases)
    extra: Mapping[str, Quantity] = MappingProxyType({})  # more derived numbers for explain
    notes: tuple[str, ...] = ()
    #: what the plan took from the base file where the profile would choose otherwise, overrode
    #: in it, or could not (composegen.sizing.runs): the overlay header and stderr say these too
    base_notes: tuple[str, ...] = ()
    #: the memory the bounds that run let the process reach (Redis's maxmemory, a JVM's heap and
    #: bounded regions), tmpfs and /dev/shm apart: a limit from measurements never goes below it
    floor: Quantity | None = None
    #: why `shm_size` holds all the service keeps in /dev/shm, where the calculator wrote the
    #: settings that bound it (PostgreSQL's, in the overlay's command); "" where nothing it wrote
    #: does: a larger shm_size the base sets is then kept (composegen.sizing.base_resources)
    shm_bound: str = ""
