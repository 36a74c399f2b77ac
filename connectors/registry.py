"""Connector kinds and instances.

``KINDS`` (``connectors.kinds``) maps a configuration ``type`` to its class, imported lazily so an
instance of one vendor never needs another vendor's libraries installed. ``load_connectors`` turns a
connectors file (see ``connectors.config``) into a ``ConnectorSet``; ``build_connectors`` does
the same from an in-memory mapping. ``host`` (see ``connectors.host``) is what the service lends
the classes that need it: a lock shared by its replicas and a memory of learned facts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connectors import kinds
from connectors.base import Connector
from connectors.config import (
    ConnectorConfigError,
    ConnectorsConfig,
    InstanceConfig,
    OptionsError,
    load_config,
    parse_config,
    resolve_references,
)
from connectors.errors import ConfigError
from connectors.host import ConnectorHost
from connectors.kinds import KINDS
from connectors.schema_check import check_instance

# Credentials come from the environment the caller passes (the bot: bot.settings), never read here.
NO_ENVIRONMENT: Mapping[str, str] = MappingProxyType({})


def connector_class(kind: str) -> type[Connector]:
    try:
        return kinds.connector_class(kind)
    except KeyError:
        raise ConfigError(f"unknown connector type {kind!r}; known: {', '.join(sorted(KINDS))}") from None


def build(name: str, kind: str, options: Mapping[str, Any], *, host: ConnectorHost | None = None) -> Connector:
    return instantiate(connector_class(kind), name, options, host)


def instantiate(cls: type[Connector], name: str, options: Mapping[str, Any], host: ConnectorHost | None) -> Connector:
    if cls.uses_host and host is not None:
        return cls(name, options, host=host)
    return cls(name, options)


class ConnectorSet(Mapping[str, Connector]):
    """The live instances, by name. The workflow looks connectors up here and nowhere else."""

    def __init__(self, instances: Mapping[str, Connector] | None = None):
        self._instances: dict[str, Connector] = dict(instances or {})
        self._configured_types: dict[str, str] = {}

    def __getitem__(self, name: str) -> Connector:
        try:
            return self._instances[name]
        except KeyError:
            raise ConfigError(f"no connector instance named {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._instances)

    def __len__(self) -> int:
        return len(self._instances)

    def add(self, connector: Connector, *, configured_type: str | None = None) -> None:
        self._instances[connector.name] = connector
        if configured_type:
            self._configured_types[connector.name] = configured_type

    def configured_type(self, name: str) -> str:
        """The ``type`` the configuration gave (a simulated instance's class kind is ``memory``)."""
        return self._configured_types.get(name) or self[name].kind

    def close(self) -> None:
        for connector in self._instances.values():
            connector.close()


# -- instances from configuration ------------------------------------------------------------------
def load_connectors(path: str | Path, *, environ: Mapping[str, str] = NO_ENVIRONMENT,
                    simulate: bool = False, host: ConnectorHost | None = None) -> ConnectorSet:
    """Build every instance of a connectors YAML file; raises ConnectorConfigError listing all problems.

    ``simulate=True`` replaces each instance by a MemoryConnector of the same name and resolves no
    credential (the demo and the embedded defaults run with no target and no secret); it offers only
    what the real type would with those options (``simulated``).
    """
    return build_connectors(load_config(path, known_types=KINDS), environ=environ, simulate=simulate, host=host)


def build_connectors(config: ConnectorsConfig | Mapping[str, Any], *, environ: Mapping[str, str] = NO_ENVIRONMENT,
                     simulate: bool = False, source: str = "<config>",
                     host: ConnectorHost | None = None) -> ConnectorSet:
    """Like ``load_connectors`` from an in-memory configuration (``{"instances": {...}}``)."""
    connectors, failures = build_each(config, environ=environ, simulate=simulate, source=source, host=host)
    if failures:
        connectors.close()
        raise ConnectorConfigError([problem for failure in failures for problem in failure.problems])
    return connectors


@dataclass(frozen=True)
class BuildFailure:
    """An instance that could not be built, and why (one line per problem)."""

    name: str
    type: str
    problems: list[str]


def build_each(config: ConnectorsConfig | Mapping[str, Any], *, environ: Mapping[str, str] = NO_ENVIRONMENT,
               simulate: bool = False, source: str = "<config>",
               host: ConnectorHost | None = None) -> tuple[ConnectorSet, list[BuildFailure]]:
    """Build what can be built and report, per instance, what cannot (``connectors check`` shows both).

    Without ``host`` every instance gets an in-process one (one lock and one memory per process).
    """
    if not isinstance(config, ConnectorsConfig):
        config = parse_config(config, source=source, known_types=KINDS)
    host = host or ConnectorHost()
    connectors = ConnectorSet()
    failures: list[BuildFailure] = []
    for instance in config.instances.values():
        try:
            connectors.add(build_instance(instance, environ=environ, simulate=simulate, host=host),
                           configured_type=instance.type)
        except ConnectorConfigError as exc:
            failures.append(BuildFailure(instance.name, instance.type, exc.problems))
    return connectors, failures


def build_instance(instance: InstanceConfig, *, environ: Mapping[str, str] = NO_ENVIRONMENT,
                   simulate: bool = False, host: ConnectorHost | None = None) -> Connector:
    # The options must be right for the real type even when simulated, or the simulator hides what the
    # deployment would refuse; only a real instance needs its credentials. Every problem in one round.
    problems = check_instance(instance, environ)
    if found := (problems.options if simulate else problems.all):
        raise ConnectorConfigError(found)
    try:
        if simulate:
            return simulated(instance)
        options = resolve_references(instance, environ)
        return instantiate(connector_class(instance.type), instance.name, options, host)
    except OptionsError as exc:
        raise ConnectorConfigError(
            instance.at(option).problem(f"option {option!r}: {reason}" if option else reason)
            for option, reason in exc.option_errors
        ) from None
    except ConnectorConfigError:
        raise
    except ConfigError as exc:
        raise ConnectorConfigError([instance.at().problem(exc.detail)]) from None
    except ImportError as exc:
        raise ConnectorConfigError([instance.at("type").problem(
            f"connector type {instance.type!r} cannot be loaded: {exc}")]) from None


def simulated(instance: InstanceConfig) -> Connector:
    """An in-memory stand-in that offers what the real type offers with these options, and nothing
    more (a simulated GitHub cannot suspend accounts either), applying each call at once."""
    from connectors.memory import MemoryConnector

    real = connector_class(instance.type).capabilities_for(instance.name, instance.options)
    offered = replace(MemoryConnector.capabilities, list_members=real.list_members, suspend=real.suspend,
                      reactivate=real.reactivate, end_sessions=real.end_sessions)
    return MemoryConnector(instance.name, {}, capabilities=offered)
