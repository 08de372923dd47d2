"""Private files: the data directory is 0700, what it holds (the SQLite database, the session
key, backups, files set aside) is readable by its owner only — whatever the umask.

A mode given to ``open``/``mkdir`` is masked by the umask, which can only remove bits: files
created with 0600 and directories with 0700 stay private under any umask, but a file created
by a library (SQLite creates its database 0644 minus the umask) or by an older version must be
tightened. ``secure_home`` does that at every start; symbolic links are never followed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
_OTHERS = 0o077  # group and world bits


def private_directory(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (created 0700 when missing, its
    group and world bits removed when it exists)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY)
    tighten(path)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner can read: created empty 0600 when missing (before
    any library opens it), tightened when it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         PRIVATE_FILE))
    except FileExistsError:
        tighten(path)
    return path


def tighten(path: Path) -> None:
    """Remove the group and world bits of ``path`` (a symbolic link or a missing file: left
    alone)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode) or not mode & _OTHERS:
        return
    path.chmod(stat.S_IMODE(mode) & ~_OTHERS)


def secure_home(home: Path) -> Path:
    """The data directory 0700 and everything in it owner-only (links not followed)."""
    private_directory(home)
    for directory, subdirectories, files in os.walk(home):
        for name in (*subdirectories, *files):
            tighten(Path(directory) / name)
    return home
