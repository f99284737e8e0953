"""One ``slipstream up`` per data directory.

Two stacks on one directory would open the same database files: the second server refuses
(WiredTiger's own lock) and ``up`` used to end in its traceback. An advisory lock on a file in
the directory says which process holds it, and the kernel drops it when that process ends, so
a killed ``up`` never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TextIO

LOCK_FILE = "up.lock"


class DataDirUnusable(Exception):
    """The data directory cannot hold a stack: said in one line, not a traceback."""


class DataDirInUse(DataDirUnusable):
    pass


def hold_data_dir(data_dir: Path) -> TextIO:
    """Lock ``data_dir`` for this process; closing the returned file releases it."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = (data_dir / LOCK_FILE).open("a+", encoding="utf-8")
    except OSError as exc:
        raise DataDirUnusable(f"cannot use {data_dir} as the data directory: {exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise DataDirInUse(
            f"{data_dir.resolve()} is in use by another slipstream up (pid {holder}); "
            "stop it or pass another --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
