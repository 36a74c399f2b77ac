"""Build connectors for a test and close them all at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from connectors.base import Connector

C = TypeVar("C", bound=Connector)


@contextmanager
def connector_factory(cls: type[C], name: str, base_options: Mapping[str, Any],
                      **injected: Any) -> Iterator[Callable[..., C]]:
    """Yields ``build(injected=None, **options)``: options override ``base_options``; ``injected``
    (clocks, sleep, clients) overrides the keyword arguments given here."""
    built: list[C] = []

    def build(injected_here: Mapping[str, Any] | None = None, **options: Any) -> C:
        connector = cls(name, {**base_options, **options}, **{**injected, **(injected_here or {})})
        built.append(connector)
        return connector

    yield build
    for connector in built:
        connector.close()
