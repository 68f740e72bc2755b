"""The address `serve` listens on, checked before anything starts, so a bad one is one line."""

from __future__ import annotations

import errno
import socket


class ListenError(RuntimeError):
    """serve cannot listen where it was asked to; the message is one line."""


def listen_address(host: str, port: int) -> str:
    """The IP address to bind for host (granian takes addresses, not names), once a probe
    socket could bind it: a port already in use is refused here, not shared by a second
    server (granian's listeners set SO_REUSEPORT, so two of them would split the traffic)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ListenError(f"cannot listen on {host!r}: not an IP address or a known host name") from None
    family, _, _, _, sockaddr = infos[0]
    address = str(sockaddr[0])
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # A previous server's connections in TIME_WAIT must not refuse the port; a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ListenError(
                    f"port {port} on {address} is already in use (another serve?); choose another port"
                ) from None
            raise ListenError(f"cannot listen on {address}:{port}: {exc.strerror}") from None
    return address
