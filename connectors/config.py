"""The connectors configuration file: which connector instances exist and how they reach targets.

```yaml
instances:
  notion:                      # the instance name the catalog's entitlements point at
    type: scim
    base_url: https://api.notion.com/scim/v2
    token: {env: NOTION_SCIM_TOKEN}      # credentials are references, never literals
  it-desk:
    type: manual
    channel: C0123456789
```

Rules enforced here, before any connector is built:

* An option whose name ends in a secret word (``token``, ``secret``, ``password``, ``key``...)
  must be a reference: ``{env: VAR}`` or ``{file: /path}``. A literal is refused, so a catalog
  can be committed and reviewed without leaking credentials.
* References are resolved when instances are built (``resolve_references``), never at parse
  time, so ``simulate`` and ``check`` can read a file whose secrets are absent.
* Every error names the file, the line, the instance and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from connectors.errors import ConfigError
from connectors.kinds import KINDS

SECRET_WORDS = frozenset({"token", "secret", "password", "passwd", "passphrase", "key", "apikey",
                          "credential", "credentials"})
RESERVED_KEYS = frozenset({"type", "description"})
INSTANCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_WORD_BOUNDARY = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")


class Secret(str):
    """A resolved credential: a plain ``str`` whose repr never shows the value."""

    def __repr__(self) -> str:
        return "Secret('***')"


class ConnectorConfigError(ConfigError):
    """One or more problems in a connectors configuration; ``problems`` lists them one per line."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Where:
    """A place in a configuration file, for error messages."""

    source: str
    line: int | None = None
    instance: str | None = None

    def __str__(self) -> str:
        place = f"{self.source}:{self.line}" if self.line else self.source
        return f"{place}: instance {self.instance!r}" if self.instance else place

    def problem(self, reason: str) -> str:
        return f"{self}: {reason}"


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    type: str
    options: Mapping[str, Any]
    description: str = ""
    where: Where = field(default_factory=lambda: Where("<config>"))
    option_lines: Mapping[str, int] = field(default_factory=dict)

    def at(self, option: str | None = None) -> Where:
        """The place of this instance, or of one of its options."""
        line = self.option_lines.get(option) if option else None
        return Where(self.where.source, line or self.where.line, self.name)


@dataclass(frozen=True)
class ConnectorsConfig:
    instances: Mapping[str, InstanceConfig]
    source: str = "<config>"


# -- references --------------------------------------------------------------------------------
def is_secret_name(option: str) -> bool:
    words = [w.lower() for w in _WORD_BOUNDARY.split(option) if w]
    return bool(words) and words[-1] in SECRET_WORDS


def as_reference(value: Any) -> tuple[str, str] | None:
    """``("env", "VAR")`` or ``("file", "/path")`` when ``value`` is a reference, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        (kind, target), = value.items()
        if kind in ("env", "file") and isinstance(target, str) and target.strip():
            return kind, target.strip()
    return None


def resolve_reference(kind: str, target: str, environ: Mapping[str, str]) -> Secret:
    if kind == "env":
        if target not in environ:
            raise ValueError(f"environment variable {target} is not set")
        value = environ[target]
    else:
        try:
            value = Path(target).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"credential file {target} does not exist") from None
        except OSError as exc:
            raise ValueError(f"credential file {target} cannot be read ({exc.strerror})") from None
    value = value.strip()
    if not value:
        raise ValueError(f"{'environment variable' if kind == 'env' else 'credential file'} {target} is empty")
    return Secret(value)


def resolve_references(instance: InstanceConfig, environ: Mapping[str, str]) -> dict[str, Any]:
    """The instance's options with every ``{env:}``/``{file:}`` replaced by its ``Secret`` value."""
    resolved, unresolved = resolve_available(instance, environ)
    if unresolved:
        raise ConnectorConfigError(unresolved.values())
    return resolved


UNRESOLVED = Secret("unresolved-credential")  # stands in for a credential that is absent here


def resolve_available(instance: InstanceConfig, environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Resolve what can be: the options (an absent credential replaced by ``UNRESOLVED``), and the
    problem of each option whose credential is absent, so the other options can still be checked."""
    unresolved: dict[str, str] = {}

    def resolve(option: str, value: Any) -> Any:
        ref = as_reference(value)
        if ref is not None:
            try:
                return resolve_reference(*ref, environ)
            except ValueError as exc:
                unresolved.setdefault(option, instance.at(option).problem(f"option {option!r}: {exc}"))
                return UNRESOLVED
        if isinstance(value, Mapping):
            return {k: resolve(option, v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(option, v) for v in value]
        return value

    return {name: resolve(name, value) for name, value in instance.options.items()}, unresolved


def _literal_secret_problems(option: str, value: Any, path: str = "") -> list[str]:
    """Secret-named options (at any depth) that hold something other than a reference."""
    label = f"{path}.{option}" if path else option
    if isinstance(value, Mapping) and as_reference(value) is None:
        return [p for key, inner in value.items() for p in _literal_secret_problems(str(key), inner, label)]
    if is_secret_name(option) and value is not None and as_reference(value) is None:
        return [f"option {label!r} holds a literal credential; write it as {{env: VARIABLE}} or "
                f"{{file: /path/to/secret}} so no secret lives in the configuration"]
    return []


# -- parsing -----------------------------------------------------------------------------------
def load_config(path: str | Path, *, known_types: Iterable[str] | None = None) -> ConnectorsConfig:
    """Read and validate a connectors YAML file. Raises ConnectorConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConnectorConfigError([f"{path}: cannot read the connectors configuration ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Where(str(path), mark.line + 1 if mark else None)
        raise ConnectorConfigError([where.problem(f"invalid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse_config(data, source=str(path), lines=lines, known_types=known_types)


def parse_config(data: Any, *, source: str = "<config>", lines: Mapping[tuple[str, ...], int] | None = None,
                 known_types: Iterable[str] | None = None) -> ConnectorsConfig:
    """Validate an in-memory configuration (the parsed YAML, or a dict built by code)."""
    lines = lines or {}
    top = Where(source, lines.get(()))
    if data is None:
        return ConnectorsConfig({}, source)
    if not isinstance(data, Mapping):
        raise ConnectorConfigError([top.problem("expected a mapping with an 'instances' key")])
    problems = [Where(source, lines.get((str(k),))).problem(f"unknown top-level key {k!r}; expected 'instances'")
                for k in data if k != "instances"]
    raw_instances = data.get("instances") or {}
    if not isinstance(raw_instances, Mapping):
        problems.append(Where(source, lines.get(("instances",))).problem("'instances' must be a mapping"))
        raise ConnectorConfigError(problems)
    known = _known_types(known_types)
    instances: dict[str, InstanceConfig] = {}
    for name, raw in raw_instances.items():
        instance, instance_problems = _parse_instance(str(name), raw, source, lines, known)
        problems.extend(instance_problems)
        if instance is not None:
            instances[instance.name] = instance
    if problems:
        raise ConnectorConfigError(problems)
    return ConnectorsConfig(instances, source)


def _parse_instance(name: str, raw: Any, source: str, lines: Mapping[tuple[str, ...], int],
                    known: frozenset[str]) -> tuple[InstanceConfig | None, list[str]]:
    where = Where(source, lines.get(("instances", name)), name)
    if not INSTANCE_NAME.match(name):
        return None, [where.problem("instance names use letters, digits, '_', '-' and '.' (at most 63)")]
    if not isinstance(raw, Mapping):
        return None, [where.problem("expected a mapping with a 'type' and the connector's options")]
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        return None, [where.problem(f"missing 'type'; one of: {', '.join(sorted(known))}")]
    option_lines = {str(k): line for k, line in
                    ((key[2], line) for key, line in lines.items() if len(key) == 3 and key[:2] == ("instances", name))}
    instance = InstanceConfig(
        name=name, type=kind, description=str(raw.get("description") or ""), where=where,
        options={str(k): v for k, v in raw.items() if k not in RESERVED_KEYS}, option_lines=option_lines,
    )
    problems = []
    if kind not in known:
        problems.append(instance.at("type").problem(
            f"unknown connector type {kind!r}; known: {', '.join(sorted(known))}"))
    for option, value in instance.options.items():
        problems.extend(instance.at(option).problem(p) for p in _literal_secret_problems(option, value))
    return instance, problems


def _known_types(known_types: Iterable[str] | None) -> frozenset[str]:
    return frozenset(KINDS if known_types is None else known_types)


def _line_map(node: yaml.Node | None) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key, by its path of keys (``("instances", "hr", "token")``)."""
    found: dict[tuple[str, ...], int] = {}
    if node is not None:
        found[()] = node.start_mark.line + 1

    def walk(current: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                key_path = (*path, str(key.value))
                found[key_path] = key.start_mark.line + 1
                walk(value, key_path)

    if node is not None:
        walk(node, ())
    return found


# -- connector options ---------------------------------------------------------------------------
class ConnectorOptions(BaseModel):
    """Base of each connector's options model: unknown options are refused, values are frozen.

    Declare credentials as ``SecretStr`` so a printed model never shows them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Options every instance understands, whatever its type.
    reconcile: Literal["report", "revoke_orphans"] = "report"  # drift: only report, or remove orphans


class OptionsError(ConnectorConfigError):
    """A connector refused its options; ``option_errors`` pairs an option name (or None) with a reason."""

    def __init__(self, instance: str, option_errors: list[tuple[str | None, str]]):
        self.instance = instance
        self.option_errors = option_errors
        super().__init__(f"instance {instance!r}: " + (f"option {o!r}: {r}" if o else r) for o, r in option_errors)


OptionsT = TypeVar("OptionsT", bound=BaseModel)


def parse_options(model: type[OptionsT], instance: str, options: Mapping[str, Any]) -> OptionsT:
    """Validate a connector's options; errors never echo the values (they may be credentials)."""
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        raise OptionsError(instance, [_option_error(err) for err in exc.errors()]) from None


def _option_error(err: Any) -> tuple[str | None, str]:
    loc = [str(part) for part in err.get("loc", ())]
    option = loc[0] if loc else None
    inner = ".".join(loc[1:])
    if err["type"] == "missing":
        reason = "missing required option" + (f" {inner!r}" if inner else "")
    elif err["type"] == "extra_forbidden":
        reason = "unknown option" + (f" {inner!r}" if inner else "")
    else:
        reason = (f"{inner}: " if inner else "") + err["msg"]
    return option, reason


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def https_url(value: str) -> str:
    """An endpoint that will carry credentials or personal data: https, or http on loopback only."""
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise ValueError("must be an https:// URL (http:// only for a server on this machine)")
    return value


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """``"90m"``, ``"4h"``, ``"1d12h"``, ``"2w"``, ISO 8601 ``"PT4H"``/``"P2D"``, or seconds as a number."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    text = str(value).strip()
    iso = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text, re.IGNORECASE)
    if iso and any(iso.groups()):
        w, d, h, m, s = (int(g or 0) for g in iso.groups())
        return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
    compact = text.replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise ValueError(f"not a duration: use forms like 30m, 4h, 2d, 1d12h or PT4H (got {text[:20]!r})")
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def format_duration(value: timedelta) -> str:
    """The compact form ``parse_duration`` reads: ``1d12h``, ``30m``."""
    seconds = int(value.total_seconds())
    parts = []
    for unit in ("d", "h", "m", "s"):
        amount, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
