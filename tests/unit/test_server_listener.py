"""The listening socket is bound before the app is built, so a chosen port cannot be lost."""

from __future__ import annotations

import socket

from shared.server import bind_listener, port_is_free


def test_port_zero_binds_a_free_port_and_holds_it() -> None:
    listener = bind_listener("127.0.0.1", 0)
    assert listener is not None
    with listener:
        port = listener.getsockname()[1]
        assert port != 0
        listener.listen()
        assert not port_is_free("127.0.0.1", port)
        assert bind_listener("127.0.0.1", port) is None


def test_a_taken_port_is_none_not_an_exception() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        assert bind_listener("127.0.0.1", squatter.getsockname()[1]) is None
