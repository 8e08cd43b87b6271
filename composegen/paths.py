"""The user's paths: resolved without failing on a loop of symbolic links, and an `OSError` about
one (a full disk, a folder without permission, a name too long) turned into one line that names
the file and says what to do, never an internal error."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from composegen.errors import InputError

_PERMISSIONS = "check the permissions of the file and of the folders above it"
_NO_SPACE = "free some disk space, then run again"
#: What went wrong and what to do, by errno, in composegen's words (anything else: the system's
#: words, and check the path).
REASONS = {
    errno.ENOSPC: ("the disk is full", _NO_SPACE),
    errno.EDQUOT: ("the disk quota is used up", _NO_SPACE),
    errno.EACCES: ("permission denied", _PERMISSIONS),
    errno.EPERM: ("permission denied", _PERMISSIONS),
    errno.EROFS: ("the filesystem is read-only", "choose a path on a writable filesystem"),
    errno.ENAMETOOLONG: ("the name is too long", "use a shorter name"),
    errno.ELOOP: ("the path is a loop of symbolic links", "fix or remove the link"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("it is a folder", "name a file"),
    errno.EEXIST: ("something else is in the way", "choose another path"),
    errno.ENOENT: ("no such file or folder", "check the path, or create the file"),
}


def real_path(path: Path) -> Path:
    """`path.resolve()` that never raises: a loop of symbolic links (which `Path.resolve` turns
    into a RuntimeError on Python 3.11) stays as written, and reading or writing it then says so."""
    return Path(os.path.realpath(path))


def os_error(err: OSError, path: Path | str, doing: str) -> InputError:
    """One line for `err` about the user's `path`: `path: cannot DOING: why (what to do)`."""
    reason, fix = REASONS.get(err.errno or 0, (err.strerror or str(err), "check the path"))
    return InputError(f"cannot {doing}: {reason}", where=str(path), fix=fix)


def find_compose_files(root: Path) -> list[str]:
    """What `docker compose` picks in a folder: compose.yaml (or the older names) plus its override.
    (Here, not with composegen.yaml's loader: `composegen lint` asks it without importing pydantic.)"""
    for base in ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"):
        if (root / base).is_file():
            stem, ext = base.rsplit(".", 1)
            override = f"{stem}.override.{ext}"
            return [base, override] if (root / override).is_file() else [base]
    return []
