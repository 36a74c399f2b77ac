"""Check a connector instance's options, and the catalog's targets, against the instance's type,
without building a connector and without needing its credentials.

``accessbot policy check`` runs this with whatever credentials happen to be present: an absent one
is reported beside the option errors (one round, not "set the secrets, then learn the rest"), and
the options are validated with a stand-in value for it. ``serve`` and ``connectors check`` run the
same check before building anything, so every problem of every instance comes at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.config import ConnectorsConfig, InstanceConfig, resolve_available
from connectors.kinds import connector_class
from connectors.targets import TargetSpec, target_problems

# (target, target_options) -> [(target option or None for the target itself, reason)]
TargetCheck = Callable[[str, Mapping[str, Any]], list[tuple[str | None, str]]]


@dataclass(frozen=True)
class InstanceProblems:
    """What is wrong with one instance: its options, and the credentials absent from this environment."""

    options: list[str] = field(default_factory=list)
    credentials: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.options, *self.credentials]


def check_instance(instance: InstanceConfig, environ: Mapping[str, str]) -> InstanceProblems:
    try:
        cls = connector_class(instance.type)
    except KeyError:
        return InstanceProblems([instance.at("type").problem(f"unknown connector type {instance.type!r}")])
    except ImportError as exc:
        return InstanceProblems([instance.at("type").problem(
            f"connector type {instance.type!r} cannot be loaded: {exc}")])
    options, unresolved = resolve_available(instance, environ)
    return InstanceProblems(option_problems(cls.options_model, instance, options, skip=set(unresolved)),
                            list(unresolved.values()))


def check_config(config: ConnectorsConfig, environ: Mapping[str, str]) -> dict[str, InstanceProblems]:
    """Every instance's problems, by instance name (instances without any are left out)."""
    found = {name: check_instance(instance, environ) for name, instance in config.instances.items()}
    return {name: problems for name, problems in found.items() if problems.all}


def option_problems(model: type[BaseModel], instance: InstanceConfig, options: Mapping[str, Any],
                    *, skip: set[str] = frozenset()) -> list[str]:
    """One line per bad option, at its line; never the value (it may be a credential). Options in
    ``skip`` hold a stand-in for an absent credential: what their validators say about it is noise."""
    try:
        model.model_validate(dict(options))
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            loc = [str(part) for part in error.get("loc", ())]
            option = loc[0] if loc else None
            if option in skip and error["type"] != "extra_forbidden":
                continue
            problems.append(instance.at(option).problem(_reason(model, option, loc[1:], error)))
        return problems
    return []


def _reason(model: type[BaseModel], option: str | None, inner: list[str], error: Mapping[str, Any]) -> str:
    label = (f"option {option!r}" + (f" ({'.'.join(inner)})" if inner else "")) if option else "options"
    if error["type"] == "missing":
        return f"{label}: missing required option"
    if error["type"] == "extra_forbidden" and not inner:
        known = sorted(model.model_fields)
        close = difflib.get_close_matches(str(option), known, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{label}: unknown option{hint}; this type's options are: {', '.join(known)}"
    return f"{label}: {str(error['msg']).removeprefix('Value error, ')}"


def target_model(kind: str) -> type[TargetSpec] | None:
    """The target schema of a connector type; None when the type is unknown or cannot be loaded
    (the connectors file check reports that)."""
    try:
        return connector_class(kind).target_model
    except (KeyError, ImportError):
        return None


def target_checks(types: Mapping[str, str]) -> dict[str, TargetCheck]:
    """A target check per instance name, from each instance's type (``{"github": "github", ...}``)."""
    checks: dict[str, TargetCheck] = {}
    for name, kind in types.items():
        model = target_model(kind)
        if model is not None:
            checks[name] = lambda target, options, model=model: target_problems(model, target, options)
    return checks
