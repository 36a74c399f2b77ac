"""Turn pydantic's validation errors into issues a catalog author can act on: file, line, reason."""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from policies.errors import PolicyIssue, did_you_mean
from policies.yaml_source import PathKey, YamlDocument

M = TypeVar("M", bound=BaseModel)


def validate_piece(model: type[M], data: Any, doc: YamlDocument, path: PathKey,
                   issues: list[PolicyIssue], subject: str) -> M | None:
    """``model`` built from ``data`` (found at ``path`` in ``doc``), or None with issues appended.

    ``subject`` names the piece in messages ("github:admin", "bundle new-engineer").
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues.extend(issues_from(exc, model, data, doc, path, subject))
        return None


def issues_from(exc: ValidationError, model: type[BaseModel], data: Any, doc: YamlDocument,
                prefix: PathKey, subject: str) -> list[PolicyIssue]:
    found: dict[PathKey, list[str]] = {}
    for error in exc.errors():
        loc = _data_path(error["loc"], data)
        skipped = len(loc) != len(error["loc"])  # union branches: keep one message per place
        if skipped and loc in found:
            continue
        found.setdefault(loc, []).append(_message(error, model, loc))
    return [doc.issue(prefix + loc, f"{subject}: {message}")
            for loc, messages in found.items() for message in messages]


def _data_path(loc: Sequence[str | int], data: Any) -> PathKey:
    """Keep the parts of pydantic's location that are real keys or indexes of the YAML data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _looks_internal(part):
            path.append(part)  # a missing key: the error is about this key of this mapping
            node = None
            continue
        else:
            continue
        path.append(part)
    return tuple(path)


def _looks_internal(part: str) -> bool:
    return "[" in part or part in ("str", "int", "list", "dict", "bool")


def _message(error: dict[str, Any], model: type[BaseModel], loc: PathKey) -> str:
    kind = error["type"]
    name = _label(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _fields_at(model, loc[:-1])
        hint = (did_you_mean(key, allowed) if allowed else "") or _nested_hint(model, loc[:-1], key)
        where = f" in {_label(loc[:-1])}" if loc[:-1] else ""
        listing = f"; allowed keys: {', '.join(allowed)}" if allowed and not hint else ""
        return f"unknown key {key!r}{where}{hint}{listing}"
    if kind == "missing":
        return f"missing required key {str(loc[-1])!r}" + (f" in {_label(loc[:-1])}" if loc[:-1] else "")
    if kind == "too_short":
        ctx = error.get("ctx", {})
        least = ctx.get("min_length", 1)
        return f"{name}: needs at least {least} item{'s' if least != 1 else ''}, found {ctx.get('actual_length', 0)}"
    if kind in ("model_type", "dict_type"):
        fields = _fields_at(model, loc)
        keys = f" with keys such as {', '.join(fields[:4])}" if fields else ""
        return f"{name + ': ' if name else ''}should be a mapping{keys}{_got(error.get('input'))}"
    if kind == "list_type":
        value = error.get("input")
        hint = f"; write [{value}]" if isinstance(value, str) else ""
        return f"{name + ': ' if name else ''}should be a list{_got(value)}{hint}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if message.startswith("Input should be"):
        message = "should be" + message[len("Input should be"):] + _got(error.get("input"))
    return f"{name}: {message}" if name else message


def _got(value: Any) -> str:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return f", got {value!r}"
    return f", got a {'list' if isinstance(value, list) else 'mapping' if isinstance(value, dict) else 'value'}"


def _label(loc: PathKey) -> str:
    """('approval', 1, 'quorum') -> "approval #2.quorum": list positions counted from 1, as a reader counts."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"#{part + 1}" if not parts else f"{parts.pop()} #{part + 1}")
        else:
            parts.append(str(part))
    return ".".join(parts)


def _nested_hint(model: type[BaseModel], loc: PathKey, key: str) -> str:
    """' (did you mean 'maximum' under durations:?)' when the key belongs one level down."""
    for name in _fields_at(model, loc):
        inner = _fields_at(model, loc + (name,))
        close = difflib.get_close_matches(key, inner, n=1, cutoff=0.75)
        if close:
            return f" (did you mean {close[0]!r} under {name}:?)"
    return ""


def _fields_at(model: type[BaseModel], loc: PathKey) -> list[str]:
    """The keys allowed at ``loc``, the model's own keys before the ones it inherits."""
    current = _model_at(model, loc)
    if current is None:
        return []
    own = set(getattr(current, "__annotations__", {}))
    keys = sorted(current.model_fields.items(), key=lambda item: item[0] not in own)
    return [f.alias or name for name, f in keys]


def _model_at(model: type[BaseModel], loc: PathKey) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            by_key = {f.alias or name: f for name, f in current.model_fields.items()}
            field = by_key.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = (models or options)[0]
        else:
            return annotation
