"""What both provider fakes share: a real HTTP server on loopback, started and stopped with ``with``."""

from __future__ import annotations

from typing import Self

from tests.support.http_peer import HttpPeer, Recorded, Reply


class LoopbackFake:
    def __init__(self) -> None:
        self.peer = HttpPeer(responder=self._answer)

    def _answer(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.peer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.peer.stop()

    @property
    def url(self) -> str:
        return self.peer.url
