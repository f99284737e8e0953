"""One `slipstream up` per data directory, and no stale lock after one is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.cli.data_lock import (
    LOCK_FILE,
    DataDirInUse,
    DataDirUnusable,
    alive,
    hold_data_dir,
)
from services.cli.stack import PortInUse, start_stack


def test_a_second_holder_is_refused_naming_the_first_until_it_lets_go(tmp_path: Path) -> None:
    first = hold_data_dir(tmp_path / "data")
    held_by_us = rf"in use by another slipstream up \(pid {os.getpid()}\)"
    with pytest.raises(DataDirInUse, match=held_by_us):
        hold_data_dir(tmp_path / "data")
    first.close()
    hold_data_dir(tmp_path / "data").close()


def test_a_port_in_use_refuses_the_stack_and_lets_the_directory_go(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} for ingest is already in use") as refused:
            start_stack(tmp_path / "data", env={}, ports={"ingest": port})
    # Let go of explicitly: the traceback (kept here) still holds start_stack's frame.
    assert refused.traceback
    hold_data_dir(tmp_path / "data").close()


def holding(data_dir: Path, then: str = "") -> subprocess.Popen[str]:
    """Another process holding ``data_dir`` (running ``then`` with its lock as ``lock``)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from services.cli.data_lock import hold_data_dir;"
            "from services.cli.processes import ChildProcess;"
            f"lock = hold_data_dir(Path({str(data_dir)!r}));{then}"
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = holding(tmp_path)
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


# A stack's process that takes its time to stop: it shares the lock and ignores the SIGTERM
# its parent's death sends it for a while, as a database server closing its files does.
SLOW_TO_STOP = (
    "import signal, time; signal.signal(signal.SIGTERM, lambda *_: None);"
    "print('child up', flush=True); time.sleep(2)"
)


def test_the_children_of_an_up_killed_outright_hold_the_directory_until_they_end(
    tmp_path: Path,
) -> None:
    log = tmp_path / "child.log"
    holder = holding(
        tmp_path / "data",
        f"ChildProcess.start('slow', [sys.executable, '-c', {SLOW_TO_STOP!r}],"
        f" Path({str(log)!r}), shared_fds=(lock.fileno(),));",
    )
    while "child up" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.05)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)

    with pytest.raises(
        DataDirInUse, match=f"servers of a slipstream up that has ended .pid {holder.pid}"
    ):
        hold_data_dir(tmp_path / "data")
    deadline = time.monotonic() + 15
    while True:
        try:
            hold_data_dir(tmp_path / "data").close()
            break
        except DataDirInUse:
            assert time.monotonic() < deadline, "the child never let the directory go"
            time.sleep(0.1)


def test_a_killed_process_not_yet_reaped_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    assert alive(child.pid)
    child.send_signal(signal.SIGKILL)
    # A zombie until waited for: its pid answers signals, yet nothing runs.
    deadline = time.monotonic() + 10
    while alive(child.pid):
        assert time.monotonic() < deadline, "still running after SIGKILL"
        time.sleep(0.05)
    child.wait(timeout=10)
    assert not alive(child.pid)
