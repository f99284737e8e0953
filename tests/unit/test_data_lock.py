"""One `slipstream up` per data directory, and no stale lock after one is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.data_lock import LOCK_FILE, DataDirInUse, DataDirUnusable, hold_data_dir


def test_a_second_holder_is_refused_naming_the_first_until_it_lets_go(tmp_path: Path) -> None:
    first = hold_data_dir(tmp_path / "data")
    held_by_us = rf"in use by another slipstream up \(pid {os.getpid()}\)"
    with pytest.raises(DataDirInUse, match=held_by_us):
        hold_data_dir(tmp_path / "data")
    first.close()
    hold_data_dir(tmp_path / "data").close()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from services.cli.data_lock import hold_data_dir;"
            f"lock = hold_data_dir(Path({str(tmp_path)!r})); print('held', flush=True);"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    with pytest.raises(DataDirInUse, match=f"pid {holder.pid}"):
        hold_data_dir(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)

    hold_data_dir(tmp_path).close()
    assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"


def test_a_directory_that_cannot_be_made_is_one_line_naming_it(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory\n")
    with pytest.raises(DataDirUnusable, match=f"cannot use {occupied / 'data'} as the data"):
        hold_data_dir(occupied / "data")
