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
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


log = logging.getLogger(__name__)
# Names an older release read, by the name that replaced them; accepted with a warning.
DEPRECATED_NAMES = {"ACCESSBOT_CONNECTORS": "ACCESSBOT_CONNECTORS_FILE"}

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "policies" / "examples" / "acme"
DEFAULT_DATA_DIR = Path(".accessbot")
ENV_FILE = ".env"
# Shared secrets we check incoming requests against, with the shortest we accept. Slack's signing
# secrets are 32 hex characters; ours are chosen by the operator, so ask for 128 bits' worth.
SHARED_SECRETS = {"slack_signing_secret": ("SLACK_SIGNING_SECRET", 32),
                  "hr_webhook_secret": ("ACCESSBOT_HR_WEBHOOK_SECRET", 16),
                  "hr_webhook_previous_secret": ("ACCESSBOT_HR_WEBHOOK_PREVIOUS_SECRET", 16),
                  "scim_bearer_token": ("ACCESSBOT_SCIM_BEARER_TOKEN", 16),
                  "admin_api_token": ("ACCESSBOT_ADMIN_API_TOKEN", 16),
                  "metrics_token": ("ACCESSBOT_METRICS_TOKEN", 16)}


def _alias(name: str) -> AliasChoices:
    return AliasChoices(f"ACCESSBOT_{name}", name)


class Settings(BaseSettings):
    # A .env file in the working directory is read too (the environment wins over it); see
    # docs/configuration.md.
    model_config = SettingsConfigDict(env_prefix="ACCESSBOT_", env_file=ENV_FILE, env_file_encoding="utf-8",
                                      extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_DATA_DIR}/accessbot.db",
                              validation_alias=_alias("DATABASE_URL"),
                              description="SQLAlchemy URL of the database that holds the ledger and the audit log "
                                          "(the only state); production: "
                                          "postgresql+psycopg://USER:PASSWORD@HOST:5432/accessbot")
    catalog: Path = Field(default=EXAMPLE_DIR / "catalog", validation_alias=_alias("CATALOG"),
                          description='The policy catalog: a YAML file or a folder of them (docs/policies.md)')
    people_file: Path | None = Field(default=None, validation_alias=_alias("PEOPLE_FILE"),
                                     description="The people directory (YAML or CSV); default: people.yaml, "
                                                 "people.yml or people.csv beside the catalog")
    connectors_file: Path | None = Field(default=None, validation_alias=_alias("CONNECTORS_FILE"),
                                         description="Connector instances and their credentials (docs/connectors.md);"
                                                     " default: connectors.yaml or connectors.yml beside the catalog")
    # ACCESSBOT_CONNECTORS: what `connectors check` and the docs once read; see _deprecated_names.
    deprecated_connectors_file: Path | None = Field(default=None, validation_alias="ACCESSBOT_CONNECTORS",
                                                    exclude=True, repr=False,
                                                    description="Deprecated name of ACCESSBOT_CONNECTORS_FILE, "
                                                                "accepted with a warning")
    on_call_file: Path | None = Field(default=None, validation_alias=_alias("ON_CALL_FILE"),
                                      description="Who is on call, for on_call() in auto-approve rules: PagerDuty, "
                                                  "Opsgenie or static schedules (docs/policies.md); unset: nobody "
                                                  "counts as on call")
    on_call_cache_seconds: int = Field(default=60, ge=5, le=3600, validation_alias=_alias("ON_CALL_CACHE_SECONDS"),
                                       description="How long an on-call roster is reused before the provider is "
                                                   "asked again (a handoff is seen within this time)")
    simulate_connectors: bool = Field(default=False, validation_alias=_alias("SIMULATE_CONNECTORS"),
                                      description="Replace every connector instance by an in-memory one (demo, trying"
                                                  " the catalog out)")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_BOT_TOKEN"),
                                              description='Secret: the Slack Bot User OAuth Token (xoxb-...)')
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_SIGNING_SECRET"),
                                                   description="Secret: the Slack app's signing secret; every request"
                                                               " to /slack/events is verified with it (HTTP mode)")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_alias("SLACK_APP_TOKEN"),
                                              description="Secret: the Slack app-level token (xapp-...), for Socket "
                                                          "Mode only")
    # GovSlack and tests point this elsewhere; it must end with a slash (urljoin drops the last segment).
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias=_alias("SLACK_API_URL"),
                               description="Base URL of the Slack Web API (GovSlack: https://slack-gov.com/api/); a "
                                           "trailing slash is added if missing")
    # Threads that run Slack listeners after their ack; a burst (an offboarding fan-out, many approvers
    # clicking at once) must not queue acks behind slow listeners (Bolt's default is 5).
    slack_listener_threads: int = Field(64,
                                        description='Threads that run Slack listeners after their ack')
    # Threads that do the database work behind Slack clicks after the ack (bounded so Slack never takes
    # every database connection; a burst waits in the queue, never in front of an ack).
    slack_work_threads: int = Field(8,
                                    description='Threads that do the database work behind Slack clicks after the ack')

    hr_webhook_secret: SecretStr | None = Field(default=None, validation_alias=_alias("HR_WEBHOOK_SECRET"),
                                                description="Secret: the HMAC key the HR system signs POST /hooks/hr "
                                                            "with; unset, the hook is closed")
    # Accepted besides hr_webhook_secret while the HR system moves to a new secret (docs/lifecycle.md).
    hr_webhook_previous_secret: SecretStr | None = Field(
        default=None, validation_alias=_alias("HR_WEBHOOK_PREVIOUS_SECRET"),
        description="Secret: a second HMAC key accepted on POST /hooks/hr while the HR system rotates to a new "
                    "hr_webhook_secret; unset after the rotation")
    scim_bearer_token: SecretStr | None = Field(default=None, validation_alias=_alias("SCIM_BEARER_TOKEN"),
                                                description="Secret: the bearer token the identity provider presents "
                                                            "to /scim/v2; unset, SCIM is closed")
    admin_api_token: SecretStr | None = Field(default=None, validation_alias=_alias("ADMIN_API_TOKEN"),
                                              description="Secret: the bearer token of the admin API (/api/v1); "
                                                          "unset, the admin API is closed")

    host: str = Field("127.0.0.1",
                      description="Address the web process and the worker's health and metrics server listen on "
                                  "(0.0.0.0 in a container)")
    port: int = Field(3000, ge=1, le=65535,
                      description="Port of the web process: Slack events, admin API, HR hook, SCIM, /healthz, "
                                  "/metrics")
    public_url: str = Field("https://accessbot.example.com",
                            description="The address Slack and people reach the bot at (the Request URLs of the Slack"
                                        " app manifest)")
    replica_id: str | None = Field(None,
                                   description="This process's name in leases and logs; default: a random "
                                               "replica-xxxxxxxx per process (set it to the pod name)")
    sweep_interval_seconds: float = Field(30.0,
                                          description="Seconds between the safety sweeps of the timers and the "
                                                      "notifier (they catch whatever a wake-up missed)")
    worker_threads: int = Field(16,
                                description='Threads that run connector calls (provisioning and revocation)')
    # Where the worker process serves its own /healthz and /metrics (what only it measures, e.g.
    # revoke lateness; the web app's /metrics has the rest). 0 turns it off.
    worker_metrics_port: int = Field(9101, ge=0, le=65535,
                                     description="Port of the worker process's own /healthz and /metrics; 0 turns "
                                                 "them off")
    usage_collect_every_hours: float = Field(24.0, gt=0, le=24 * 31,
                                             description="Hours between two complete passes reading last activity "
                                                         "from each target that can tell (docs/usage.md)")
    usage_stale_after_hours: float = Field(72.0, gt=0, le=24 * 92,
                                           description="Usage from a pass older than this many hours is stale: "
                                                       "nobody is asked and nothing is released on it; must be "
                                                       "longer than ACCESSBOT_USAGE_COLLECT_EVERY_HOURS")
    log_level: str = Field("INFO",
                           description='Log level: DEBUG, INFO, WARNING or ERROR')
    log_format: Literal["auto", "json", "human"] = Field(
        "auto", description="auto: JSON lines when standard error is not a terminal (containers, systemd), "
                            "human-readable lines on a terminal; json or human force one")
    metrics_token: SecretStr | None = Field(
        None, description="Secret: when set, /metrics, /docs, /redoc and /openapi.json want "
                          "'Authorization: Bearer <token>' (Prometheus: bearer_token / authorization)")

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

    @model_validator(mode="after")
    def _usage_windows(self) -> Settings:
        # Stale before the next pass is due would mean no usage is ever fresh enough to act on.
        if self.usage_stale_after_hours <= self.usage_collect_every_hours:
            raise ValueError(f"ACCESSBOT_USAGE_STALE_AFTER_HOURS ({self.usage_stale_after_hours:g}) must be longer "
                             f"than ACCESSBOT_USAGE_COLLECT_EVERY_HOURS ({self.usage_collect_every_hours:g})")
        return self

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "hr_webhook_secret",
                     "hr_webhook_previous_secret", "scim_bearer_token", "admin_api_token", "metrics_token",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        """``X=""`` in an env file or a chart means "not configured", never "the empty key"."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value

    def secret_problems(self) -> list[str]:
        """Secrets too short to be secret: refused at start, so a weak one never guards an endpoint."""
        problems = []
        for field, (name, shortest) in SHARED_SECRETS.items():
            value: SecretStr | None = getattr(self, field)
            if value is not None and len(value.get_secret_value().strip()) < shortest:
                problems.append(f"{name} is {len(value.get_secret_value().strip())} characters long; use at least "
                                f"{shortest} random characters (e.g. the output of `openssl rand -hex 32`), or "
                                "leave it unset to turn that endpoint off.")
        return problems

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    def resolved_people_file(self, catalog: Path | None = None) -> Path | None:
        """ACCESSBOT_PEOPLE_FILE, else people.yaml/.yml/.csv next to ``catalog`` (default: the configured one)."""
        from policies.neighbours import find_people_file  # the policies package (CEL) only when asked

        return self.people_file or find_people_file(catalog or self.catalog)

    def resolved_connectors_file(self, catalog: Path | None = None) -> Path | None:
        """ACCESSBOT_CONNECTORS_FILE, else connectors.yaml/.yml next to ``catalog`` (default: the configured one)."""
        from policies.neighbours import find_connectors_file

        return self.connectors_file or find_connectors_file(catalog or self.catalog)

    def uses_example_connectors(self) -> bool:
        """Whether the connectors file is the bundled Acme example's (its secrets exist nowhere)."""
        path = self.resolved_connectors_file()
        return path is not None and path.resolve().parent == EXAMPLE_DIR


def credentials_environment() -> Mapping[str, str]:
    """Where the connectors file's ``{env: VAR}`` references are looked up."""
    return os.environ


def health_port(role: str, environ: Mapping[str, str] | None = None) -> str:
    """The port the container's health check asks (``python -m bot.healthcheck``): the worker's metrics port
    or the web port. Read alone, without validating every other setting: a HEALTHCHECK must not fail on one
    that has nothing to do with whether the process answers."""
    name = "worker_metrics_port" if role == "worker" else "port"
    found = os.environ if environ is None else environ
    return found.get(f"ACCESSBOT_{name.upper()}", str(Settings.model_fields[name].default))


def _warn_deprecated(old: str, rest: str) -> None:
    # A log line, not warnings.warn: it reaches stderr before logging is set up, without a source line.
    log.warning("%s is deprecated: use %s (same meaning)%s", old, DEPRECATED_NAMES[old], rest)
