"""HTTP pieces the vendor connectors share on top of connectors.http.ApiClient.

* ``BearerTokenAuth`` asks a token provider for every request, so expiring tokens (Google,
  Entra) are refreshed by the provider and never cached in headers.
* ``paged`` follows a vendor's "next page" pointer and refuses to return a partial list: a page
  that fails raises, a pointer to another host raises (it would receive our token), and a loop
  that never ends raises. ``pages`` is the same a page at a time (``Connector.member_pages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from connectors.errors import TransientError
from connectors.http import ApiClient, raise_for_status

MAX_PAGES = 10_000


class BearerTokenAuth(httpx.Auth):
    def __init__(self, token: Callable[[], str]):
        self._token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when the body is empty, not JSON or not an object."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def same_origin(base: str, url: str) -> bool:
    a, b = httpx.URL(base), httpx.URL(url)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


# Given a page's response, its items and the next page's absolute URL (None on the last page).
PageReader = Callable[[httpx.Response], tuple[list[Any], str | None]]


def paged(api: ApiClient, url: str, read_page: PageReader, *, params: dict[str, Any] | None = None,
          what: str = "", on_status: Callable[[httpx.Response], None] | None = None) -> Iterator[Any]:
    """Yield every item of a paged listing. ``on_status`` may map a status (404...) before the default."""
    for items in pages(api, url, read_page, params=params, what=what, on_status=on_status):
        yield from items


def pages(api: ApiClient, url: str, read_page: PageReader, *, params: dict[str, Any] | None = None,
          what: str = "", on_status: Callable[[httpx.Response], None] | None = None) -> Iterator[list[Any]]:
    """The same listing a page at a time (each page's items as one list), with the same refusals."""
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        response = api.request("GET", url, params=params)
        if on_status is not None:
            on_status(response)
        raise_for_status(response, ok=(200,), what=what)
        items, next_url = read_page(response)
        yield list(items)
        if not next_url:
            return
        if not same_origin(api.base_url, next_url):
            raise TransientError(f"{what}: next page points to another host; refusing to follow it")
        if next_url in seen:
            raise TransientError(f"{what}: the target returned the same next page twice")
        seen.add(next_url)
        url, params = next_url, None
    raise TransientError(f"{what}: more than {MAX_PAGES} pages; refusing a possibly partial list")


def segment(value: str) -> str:
    """One URL path segment: ids and e-mail addresses may not smuggle in '/', '?' or '#'."""
    return quote(value, safe="@:+")
