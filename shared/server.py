"""Running a service's ASGI app under uvicorn, with a clear word when the port is taken."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI


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


def serve(app_factory: Callable[[], FastAPI], host: str, port: int, port_env: str) -> None:
    """Serve forever; exit with one line naming the port and the setting that changes it."""
    if not port_is_free(host, port):
        sys.exit(f"error: port {port} on {host} is already in use; set {port_env} to another port")
    uvicorn.run(
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
