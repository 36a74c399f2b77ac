"""Claiming the ports `accessbot serve` listens on before anything else starts, so that a port
another process holds is a start-up error (exit 2, a message naming the port and the setting)
instead of uvicorn's exit 3 after the database was migrated and the worker started."""

from __future__ import annotations

import errno
import socket

from bot.cli.setup_errors import SetupError


def listening_socket(host: str, port: int, *, what: str, setting: str) -> socket.socket:
    """A socket bound to host:port (as uvicorn binds it); SetupError when the port is taken or the
    address cannot be used. ``what`` and ``setting`` name the listener and how to move it."""
    sock = socket.socket(family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SetupError(_message(error, host, port, what, setting)) from None
    return sock


def check_free(host: str, port: int, *, what: str, setting: str) -> None:
    """SetupError unless host:port could be listened on now (for a port another process will claim)."""
    listening_socket(host, port, what=what, setting=setting).close()


def _message(error: OSError, host: str, port: int, what: str, setting: str) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"Port {port} is already in use on {host}, so {what} cannot listen there. Stop the process "
                f"that holds it (another accessbot?), or choose another port with {setting}.")
    return f"Cannot listen on {host}:{port} for {what}: {error.strerror or error}. Check ACCESSBOT_HOST and {setting}."
