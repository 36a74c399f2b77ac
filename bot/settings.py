"""Configuration. The only code that reads the environment (prefix ACCESSBOT_ is optional for the
Slack names Slack's own docs use: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
SLACK_API_URL; DATABASE_URL likewise)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "policies" / "examples" / "acme"
DEFAULT_DATA_DIR = Path(".accessbot")
# Shared secrets we check incoming requests against, with the shortest we accept. Slack's signing
# secrets are 32 hex characters; ours are chosen by the operator, so ask for 128 bits' worth.
SHARED_SECRETS = {"slack_signing_secret": ("SLACK_SIGNING_SECRET", 32),
                  "hr_webhook_secret": ("ACCESSBOT_HR_WEBHOOK_SECRET", 16),
                  "hr_webhook_previous_secret": ("ACCESSBOT_HR_WEBHOOK_PREVIOUS_SECRET", 16),
                  "scim_bearer_token": ("ACCESSBOT_SCIM_BEARER_TOKEN", 16),
                  "admin_api_token": ("ACCESSBOT_ADMIN_API_TOKEN", 16)}


def _alias(name: str) -> AliasChoices:
    return AliasChoices(f"ACCESSBOT_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESSBOT_", env_file=None, extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_DATA_DIR}/accessbot.db",
                              validation_alias=_alias("DATABASE_URL"))
    catalog: Path = Field(default=EXAMPLE_DIR / "catalog", validation_alias=_alias("CATALOG"))
    people_file: Path | None = Field(default=None, validation_alias=_alias("PEOPLE_FILE"))
    connectors_file: Path | None = Field(default=None, validation_alias=_alias("CONNECTORS_FILE"))
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
    # Accepted besides hr_webhook_secret while the HR system moves to a new secret (docs/lifecycle.md).
    hr_webhook_previous_secret: SecretStr | None = Field(default=None,
                                                         validation_alias=_alias("HR_WEBHOOK_PREVIOUS_SECRET"))
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

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "hr_webhook_secret",
                     "hr_webhook_previous_secret", "scim_bearer_token", "admin_api_token", mode="before")
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

    def resolved_people_file(self) -> Path | None:
        if self.people_file:
            return self.people_file
        return _next_to_catalog(self.catalog, ("people.yaml", "people.yml", "people.csv"))

    def resolved_connectors_file(self) -> Path | None:
        if self.connectors_file:
            return self.connectors_file
        return _next_to_catalog(self.catalog, ("connectors.yaml", "connectors.yml"))


def _next_to_catalog(catalog: Path, names: tuple[str, ...]) -> Path | None:
    folders = [catalog] if catalog.is_dir() else []
    folders.append(catalog.parent)
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None
