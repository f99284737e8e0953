"""Running a service's ASGI app under uvicorn, with a clear word when the port is taken."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from shared.collector import collect_garbage_rarely


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


GRACEFUL_SHUTDOWN_SECONDS = 3


def bind_listener(host: str, port: int) -> socket.socket | None:
    """The listening socket, bound here so the port a caller asked for (or 0: any) is held from
    this moment on; None when it is taken."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            return None
        raise
    return listener


def serve(
    app_factory: Callable[[], FastAPI],
    host: str,
    port: int,
    port_env: str,
    port_file: Path | None = None,
) -> None:
    """Serve forever; exit with one line naming the port and the setting that changes it.

    Port 0 takes any free port; ``port_file`` then tells a supervisor which one. Choosing a free
    port beforehand and passing it in races every other process on the machine (an outgoing
    connection can take it in between); binding it here does not.
    """
    collect_garbage_rarely()
    listener = bind_listener(host, port)
    if listener is None:
        sys.exit(f"error: port {port} on {host} is already in use; set {port_env} to another port")
    if port_file is not None:
        written = port_file.with_suffix(".tmp")
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(str(listener.getsockname()[1]))
        written.replace(port_file)  # atomically, so a reader never sees half a number
    config = uvicorn.Config(
        app_factory(),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        # Open streams (the dashboard's server-sent events) never finish on their own: cut them
        # after a moment so shutdown still reaches the lifespan's cleanup before SIGKILL.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    uvicorn.Server(config).run(sockets=[listener])
