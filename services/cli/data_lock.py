"""One ``slipstream up`` per data directory.

Two stacks on one directory would open the same database files: the second server refuses
(WiredTiger's own lock) and ``up`` used to end in its traceback. An advisory lock on a file in
the directory says which process holds it. Its children share the lock, so the directory
stays taken until the last process of the stack has ended, and the kernel drops it then: a
killed ``up`` never leaves a stale lock behind, nor a new ``up`` racing its closing servers.
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
        holder = handle.read().strip()
        handle.close()
        raise DataDirInUse(in_use(data_dir, holder)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def in_use(data_dir: Path, holder: str) -> str:
    """Who holds the directory: a running ``up``, or the children of one that has ended
    (they hold the lock too, and close their files after it is gone)."""
    where = data_dir.resolve()
    if holder.isdigit() and not alive(int(holder)):
        return (
            f"{where} is still held by the servers of a slipstream up that has ended "
            f"(pid {holder}); they are stopping: try again in a few seconds"
        )
    return (
        f"{where} is in use by another slipstream up (pid {holder or 'unknown'}); "
        "stop it or pass another --data-dir"
    )


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (killed, its parent has not yet reaped it) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the parenthesised command name, which may itself hold spaces.
    return stat.rpartition(")")[2].split()[0] != "Z"
