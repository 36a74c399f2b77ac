"""Option validation and self-check reporting shared by the vendor connectors.

Options arrive with credentials already resolved, so nothing here may echo an input value:
pydantic's default messages include the offending input, which could be a token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pydantic

from connectors.base import Check
from connectors.config import ConnectorOptions
from connectors.errors import ConfigError, ConnectorError

OptionsModel = TypeVar("OptionsModel", bound=pydantic.BaseModel)


class VendorOptions(ConnectorOptions):
    """Base for a vendor connector's options: unknown keys are refused (a typo must not pass silently)."""


def parse_options(model: type[OptionsModel], kind: str, name: str, options: Mapping[str, Any]) -> OptionsModel:
    """Validate ``options`` or raise ConfigError naming every bad field, never its value."""
    try:
        return model.model_validate(dict(options))
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "(options)"
            problems.append(f"{where}: {error['msg']}")
        raise ConfigError(f"{kind} connector {name!r}: invalid options: " + "; ".join(problems)) from None


def probe_checks(probe: Callable[[], str]) -> list[Check]:
    """Run one authenticated read and report config, reachability and credentials from its fate.

    ``probe`` returns a short description of what it saw ("org acme", "user bot@x"). An auth
    failure proves the target is reachable; a transient one proves nothing about credentials.
    """
    config = Check("config", True)
    try:
        seen = probe()
    except (KeyError, TypeError, ValueError) as exc:  # an answer of an unexpected shape: report, never raise
        return [config, Check("reachability", True),
                Check("credentials", False, f"unexpected answer from the target ({type(exc).__name__})",
                      "invalid_request")]
    except ConnectorError as exc:
        if exc.kind in ("transient", "rate_limited"):
            return [config, Check("reachability", False, exc.detail, exc.kind),
                    Check("credentials", False, "not checked: target unreachable", exc.kind)]
        return [config, Check("reachability", True), Check("credentials", False, exc.detail, exc.kind)]
    return [config, Check("reachability", True), Check("credentials", True, seen)]
