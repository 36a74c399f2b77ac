"""Routing and paging helpers for the respx vendor fakes (Link headers as Okta and GitHub send them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import respx


def link_page(request: httpx.Request, items: list[Any], *, size_param: str, cursor_param: str,
              default_size: int, max_size: int) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` and its Link header; the cursor is the index of the page's first item.

    Okta and GitHub both give the client an opaque absolute URL to follow; an index is opaque
    enough for a test, and the client must not build the URL itself.
    """
    size = min(int(request.url.params.get(size_param, default_size)), max_size)
    start = int(request.url.params.get(cursor_param, 0))
    page = items[start:start + size]
    links = [f'<{request.url}>; rel="self"']
    if start + size < len(items):
        following = request.url.copy_merge_params({cursor_param: str(start + size), size_param: str(size)})
        links.append(f'<{following}>; rel="next"')
    return page, {"Link": ", ".join(links)}


Handler = Callable[..., httpx.Response]


def mount(router: respx.Router, base_url: str, routes: list[tuple[str, str, Handler]],
          wrap: Callable[[Handler], Handler]) -> None:
    """Route each (method, path regex with named groups, handler) under ``base_url``.

    ``wrap`` adds what every endpoint of the vendor does first (auth, throttling).
    """
    for method, pattern, handler in routes:
        router.route(method=method, url__regex=rf"^{re.escape(base_url)}{pattern}(\?.*)?$").mock(
            side_effect=wrap(handler))
