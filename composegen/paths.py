"""The user's paths: resolved without failing on a loop of symbolic links, and an `OSError` about
one (a full disk, a folder without permission, a name too long) turned into one line that names
the file and says what to do, never an internal error."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from composegen.errors import InputError

_PERMISSIONS = "check the permissions of the file and of the folders above it"
#: What to do about each kind of failure (anything else: check the path).
FIXES = {
    errno.ENOSPC: "free some disk space, then run again",
    errno.EDQUOT: "free some disk space, then run again",
    errno.EACCES: _PERMISSIONS,
    errno.EPERM: _PERMISSIONS,
    errno.EROFS: "the filesystem is read-only: choose a path on a writable one",
    errno.ENAMETOOLONG: "use a shorter name",
    errno.ELOOP: "the path is a loop of symbolic links: fix or remove the link",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "name a file, not a folder",
    errno.EEXIST: "it is in the way: choose another path",
    errno.ENOENT: "check the path, or create the file",
}


def real_path(path: Path) -> Path:
    """`path.resolve()` that never raises: a loop of symbolic links (which `Path.resolve` turns
    into a RuntimeError on Python 3.11) stays as written, and reading or writing it then says so."""
    return Path(os.path.realpath(path))


def os_error(err: OSError, path: Path | str, doing: str = "") -> InputError:
    """One line for `err` about the user's `path`: `path: cannot DOING: why (what to do)`."""
    reason = err.strerror or str(err)
    return InputError(
        f"cannot {doing}: {reason}" if doing else reason,
        where=str(path),
        fix=FIXES.get(err.errno or 0, "check the path"),
    )
