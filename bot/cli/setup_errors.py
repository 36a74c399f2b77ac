"""Configuration and start-up errors as the operator should read them: what is wrong, where
(file:line), and how to fix it, in a few lines and never a traceback. Every command goes through
``short_message`` (``bot.cli.main`` and ``serve``); anything it does not recognise is a bug and
keeps its traceback."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.settings import Settings

SIMULATE_HINT = "ACCESSBOT_SIMULATE_CONNECTORS=1 runs accessbot with in-memory connectors instead"


class SetupError(Exception):
    """Something the operator must fix before the bot can start; the message says what and how."""


def short_message(error: BaseException, settings: Settings | None = None) -> str | None:
    """The operator's message for a configuration or start-up error; None when it is not one."""
    if isinstance(error, SetupError):
        return str(error)
    # Their modules are looked up, not imported: an error of a class is raised only once the class's
    # module was loaded, and importing the catalog's package (CEL included) here cost every command.
    if isinstance(error, _loaded("policies.errors", "PolicyLoadError")):
        return "The catalog does not load:\n" + _listed(str(issue) for issue in error.issues) + \
            "\nFix these lines (`accessbot policy check` shows them without starting the bot)."
    if isinstance(error, _loaded("connectors.config", "ConnectorConfigError")):
        return _connectors_message(error, settings)
    if isinstance(error, _loaded("connectors.errors", "ConfigError")):
        return f"The connector configuration is invalid: {error.detail}"
    if isinstance(error, ValidationError) and error.title == Settings.__name__:
        return "A setting is invalid:\n" + _listed(_setting_problem(e) for e in error.errors(include_url=False)) + \
            "\nSettings are environment variables named ACCESSBOT_<SETTING> (bot/settings.py lists them)."
    if isinstance(error, (DBAPIError, ArgumentError, NoSuchModuleError)):
        return _database_message(error, settings)
    if isinstance(error, OSError) and error.filename:  # an --output or --out the command cannot write
        return f"Cannot use {error.filename}: {error.strerror or error}."
    return None


def _loaded(module: str, name: str) -> type | tuple:
    """The class ``module.name`` if that module is imported, else () (``isinstance(x, ())`` is False)."""
    return getattr(sys.modules.get(module), name, ())


def current_settings() -> Settings | None:
    """The settings, for a message about them; None when they are themselves the problem."""
    try:
        return Settings()
    except ValidationError:
        return None


def _connectors_message(error, settings: Settings | None) -> str:
    text = "The connectors configuration is invalid:\n" + _listed(error.problems)
    absent = [p for p in error.problems if "is not set" in p or "does not exist" in p or " is empty" in p]
    if absent and settings is not None and settings.uses_example_connectors():
        return (text + "\nThis is the bundled Acme example: its systems and secrets do not exist. "
                + SIMULATE_HINT + " (the demo's way of running it).")
    fix = "Fix the options at those lines (`accessbot policy check` lists them without the secrets)"
    if absent:
        fix += "; set the missing credentials, or " + SIMULATE_HINT
    return text + "\n" + fix + "."


def _database_message(error: BaseException, settings: Settings | None) -> str:
    url = settings.database_url if settings is not None else ""
    try:
        shown = make_url(url).render_as_string(hide_password=True) if url else "the database"
    except ArgumentError:
        shown = "(an unreadable URL)"
    original = getattr(error, "orig", None) or error
    reason = " ".join(str(original).split())[:300]
    return (f"Cannot use the database {shown}: {reason}\n"
            "Check ACCESSBOT_DATABASE_URL (e.g. postgresql+psycopg://user@host:5432/accessbot) and that the "
            "server is up and reachable.")


def _setting_problem(error) -> str:
    name = ".".join(str(part) for part in error.get("loc", ())).upper() or "SETTINGS"
    return f"{name if name.startswith('ACCESSBOT_') else 'ACCESSBOT_' + name}: {error['msg']}"


def _listed(lines) -> str:
    return "\n".join(f"  - {line}" for line in lines)
