"""Child processes that die with their parent and stop politely, in order."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux only: if the supervisor is killed outright, the kernel sends SIGTERM to each child,
    # so even `kill -9 slipstream` leaves no orphans holding ports and data files.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    # Own process group: Ctrl-C reaches only the supervisor, which then stops children in order.
    os.setpgrp()


@dataclass
class ChildProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    # What started it, so a supervisor can start it again the same way (see ``restart``).
    command: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    # Open files it shares with its parent: the data directory's lock (``hold_data_dir``),
    # held until the last process of a stack has ended.
    shared_fds: tuple[int, ...] = ()

    @classmethod
    def start(
        cls,
        name: str,
        command: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        shared_fds: tuple[int, ...] = (),
    ) -> ChildProcess:
        kept = dict(env) if env is not None else None
        popen = _spawn(list(command), log_path, kept, shared_fds)
        return cls(name, popen, log_path, list(command), kept, shared_fds)

    def restart(self) -> None:
        """Start it again with the same command and environment, appending to the same log."""
        self.popen = _spawn(self.command, self.log_path, self.env, self.shared_fds)

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def stop(self, timeout: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def _spawn(
    command: list[str], log_path: Path, env: dict[str, str] | None, shared_fds: tuple[int, ...]
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent,
            pass_fds=shared_fds,
        )


def stop_all(children: Sequence[ChildProcess]) -> None:
    """Stop in reverse start order: services before the servers they depend on."""
    for child in reversed(children):
        child.stop()
