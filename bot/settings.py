"""Configuration. The only code that reads the environment (prefix ACCESSBOT_ is optional for the
Slack names Slack's own docs use: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
SLACK_API_URL; DATABASE_URL likewise).

Every command finds its files here, the same way: the catalog is ACCESSBOT_CATALOG (else the
bundled example), the people and connectors files are ACCESSBOT_PEOPLE_FILE and
ACCESSBOT_CONNECTORS_FILE, else found next to the catalog (``policies.neighbours``). The
connectors file's ``{env: VAR}`` credentials are read from ``credentials_environment()``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from policies.neighbours import find_connectors_file, find_people_file

log = logging.getLogger(__name__)
# Names an older release read, by the name that replaced them; accepted with a warning.
DEPRECATED_NAMES = {"ACCESSBOT_CONNECTORS": "ACCESSBOT_CONNECTORS_FILE"}

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "policies" / "examples" / "acme"
DEFAULT_DATA_DIR = Path(".accessbot")


def _alias(name: str) -> AliasChoices:
    return AliasChoices(f"ACCESSBOT_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESSBOT_", env_file=None, extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_DATA_DIR}/accessbot.db",
                              validation_alias=_alias("DATABASE_URL"))
    catalog: Path = Field(default=EXAMPLE_DIR / "catalog", validation_alias=_alias("CATALOG"))
    people_file: Path | None = Field(default=None, validation_alias=_alias("PEOPLE_FILE"))
    connectors_file: Path | None = Field(default=None, validation_alias=_alias("CONNECTORS_FILE"))
    # ACCESSBOT_CONNECTORS: what `connectors check` and the docs once read; see _deprecated_names.
    deprecated_connectors_file: Path | None = Field(default=None, validation_alias="ACCESSBOT_CONNECTORS",
                                                    exclude=True, repr=False)
    # Replace every connector instance by an in-memory one (demo, trying the catalog out).
    simulate_connectors: bool = Field(default=False, validation_alias=_alias("SIMULATE_CONNECTORS"))

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_APP_TOKEN"))
    # GovSlack and tests point this elsewhere; it must end with a slash (urljoin drops the last segment).
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias=_alias("SLACK_API_URL"))
    # Threads that run Slack listeners after their ack; a burst (an offboarding fan-out, many approvers
    # clicking at once) must not queue acks behind slow listeners (Bolt's default is 5).
    slack_listener_threads: int = 64
    # Threads that do the database work behind Slack clicks after the ack (bounded so Slack never takes
    # every database connection; a burst waits in the queue, never in front of an ack).
    slack_work_threads: int = 8

    hr_webhook_secret: SecretStr | None = Field(default=None, validation_alias=_alias("HR_WEBHOOK_SECRET"))
    scim_bearer_token: SecretStr | None = Field(default=None, validation_alias=_alias("SCIM_BEARER_TOKEN"))
    admin_api_token: SecretStr | None = Field(default=None, validation_alias=_alias("ADMIN_API_TOKEN"))

    host: str = "127.0.0.1"
    port: int = 3000
    public_url: str = "https://accessbot.example.com"
    replica_id: str | None = None
    sweep_interval_seconds: float = 30.0
    worker_threads: int = 16
    # Where the worker process serves its own /healthz and /metrics (what only it measures, e.g.
    # revoke lateness; the web app's /metrics has the rest). 0 turns it off.
    worker_metrics_port: int = 9101
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _deprecated_names(self) -> Settings:
        old = self.deprecated_connectors_file
        if old is not None:
            if self.connectors_file is None:
                self.connectors_file = old
                _warn_deprecated("ACCESSBOT_CONNECTORS", "")
            else:
                _warn_deprecated("ACCESSBOT_CONNECTORS", f"; it is ignored, ACCESSBOT_CONNECTORS_FILE "
                                                         f"({self.connectors_file}) is set")
        return self

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    def resolved_people_file(self, catalog: Path | None = None) -> Path | None:
        """ACCESSBOT_PEOPLE_FILE, else people.yaml/.yml/.csv next to ``catalog`` (default: the configured one)."""
        return self.people_file or find_people_file(catalog or self.catalog)

    def resolved_connectors_file(self, catalog: Path | None = None) -> Path | None:
        """ACCESSBOT_CONNECTORS_FILE, else connectors.yaml/.yml next to ``catalog`` (default: the configured one)."""
        return self.connectors_file or find_connectors_file(catalog or self.catalog)

    def uses_example_connectors(self) -> bool:
        """Whether the connectors file is the bundled Acme example's (its secrets exist nowhere)."""
        path = self.resolved_connectors_file()
        return path is not None and path.resolve().parent == EXAMPLE_DIR


def credentials_environment() -> Mapping[str, str]:
    """Where the connectors file's ``{env: VAR}`` references are looked up."""
    return os.environ


def _warn_deprecated(old: str, rest: str) -> None:
    # A log line, not warnings.warn: it reaches stderr before logging is set up, without a source line.
    log.warning("%s is deprecated: use %s (same meaning)%s", old, DEPRECATED_NAMES[old], rest)
