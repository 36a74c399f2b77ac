"""A reference connector whose member listing comes in pages, one of which can be made to fail."""

from __future__ import annotations

from connectors.errors import TransientError
from connectors.memory import MemoryConnector


class PagedMemory(MemoryConnector):
    def __init__(self, name: str, options=None, *, page_size: int = 2):
        super().__init__(name, options)
        self.page_size = page_size
        self.fail_page: dict[str, int] = {}  # target -> the page (0-based) that answers a 503
        self.pages_read = 0

    def member_pages(self, target):
        ids = sorted(self.members[target.ref])
        for number, start in enumerate(range(0, max(1, len(ids)), self.page_size)):
            if self.fail_page.get(target.ref) == number:
                raise TransientError(f"503 on page {number + 1} of {target.ref}")
            self.pages_read += 1
            yield [self.resolve_id(i) for i in ids[start:start + self.page_size]]

    def list_members(self, target):
        return iter([m for page in self.member_pages(target) for m in page])

    @staticmethod
    def resolve_id(principal: str):
        from connectors.base import PrincipalRef

        return PrincipalRef(id=principal, display=principal)
