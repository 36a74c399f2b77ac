"""Process logging: JSON lines for machines, readable lines for people, and the context of each line.

Every line carries the timestamp, level, logger, the process role (web / worker / cli...) and the
replica id, plus whatever the code running at that moment is about: the HTTP request id, the
access request, grant or offboarding id, the Slack trigger. Those come from ``log_context(...)``,
a context variable, so they follow the work without being passed around (a thread pool starts
with an empty context: bind inside the function the pool runs).

Secrets never reach the output: each configured secret value is replaced by ``[redacted]`` in the
formatted line, message and traceback alike (a last line of defence; code does not log secrets).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from pydantic import SecretStr

REDACTED = "[redacted]"
# The fields a line may carry beside the process ones, in the order the human format shows them.
CONTEXT_FIELDS = ("http_request_id", "slack_trigger", "request_id", "grant_id", "offboarding_id", "action_id",
                  "due_job")

_context: ContextVar[Mapping[str, object]] = ContextVar("accessbot_log_context", default={})  # noqa: B039 (never mutated)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add ``fields`` (None values are left out) to every line logged inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, object]:
    return _context.get()


class _Process:
    role = "cli"
    replica = "-"


PROCESS = _Process()


def set_process(*, role: str | None = None, replica: str | None = None) -> None:
    """Name this process in every line from now on (the replica id is known once the deps exist)."""
    if role:
        PROCESS.role = role
    if replica:
        PROCESS.replica = replica


class Redactor:
    def __init__(self, secrets: list[str]):
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def secret_values(settings) -> list[str]:
    return [value.get_secret_value() for name in type(settings).model_fields
            if isinstance(value := getattr(settings, name), SecretStr)]


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": PROCESS.role,
            "replica": PROCESS.replica,
            **getattr(record, "accessbot_context", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = record.stack_info
        return self.redact(json.dumps(line, default=str, ensure_ascii=False))


class HumanFormatter(logging.Formatter):
    def __init__(self, redact: Redactor):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(accessbot_where)s]: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        context = getattr(record, "accessbot_context", {})
        where = " ".join([f"{PROCESS.role}@{PROCESS.replica}"] + [f"{k}={context[k]}" for k in context])
        record.accessbot_where = where
        return self.redact(super().format(record))


class _ContextFilter(logging.Filter):
    """Copies the context onto the record when it is made (the handler may format it later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.accessbot_context = {k: context[k] for k in sorted(context, key=_field_order)}
        return True


def _field_order(name: str) -> tuple[int, str]:
    return (CONTEXT_FIELDS.index(name) if name in CONTEXT_FIELDS else len(CONTEXT_FIELDS), name)


def wants_json(log_format: str, stream) -> bool:
    if log_format == "json":
        return True
    if log_format == "human":
        return False
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def configure(settings, *, role: str, stream=None, force: bool = False) -> logging.Handler | None:
    """Send every log line (ours, uvicorn's, Bolt's...) to standard error in the chosen format.

    Like logging.basicConfig: when something else already handles the root logger (an application
    embedding accessbot, pytest), it is left alone unless ``force``; returns None then."""
    stream = stream or sys.stderr
    set_process(role=role, replica=settings.replica_id)
    root = logging.getLogger()
    if not force and any(not getattr(h, "accessbot", False) for h in root.handlers):
        return None
    redact = Redactor(secret_values(settings))
    handler = logging.StreamHandler(stream)
    handler.accessbot = True
    handler.addFilter(_ContextFilter())
    handler.setFormatter(JsonFormatter(redact) if wants_json(settings.log_format, stream) else HumanFormatter(redact))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # uvicorn's own loggers keep their handlers otherwise: route them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler

