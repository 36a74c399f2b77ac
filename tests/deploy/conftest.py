"""What the deployment files say, read once for the tests that check the code runs what they say."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.support.databases import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "accessbot"


def dockerfile_instruction(name: str) -> list[str]:
    """The JSON-form arguments of the last ``name`` instruction (ENTRYPOINT, CMD) of the Dockerfile."""
    found = re.findall(rf"^{name}\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert found, f"the Dockerfile has no JSON-form {name}"
    return json.loads(found[-1])


def dockerfile_env() -> dict[str, str]:
    """The runtime stage's ENV (one ENV instruction of KEY=value lines)."""
    stage = (ROOT / "Dockerfile").read_text().split("AS runtime", 1)[1]
    block = re.search(r"^ENV (.*?)(?<!\\)\n", stage, flags=re.MULTILINE | re.DOTALL).group(1)
    return dict(pair.split("=", 1) for pair in block.replace("\\\n", " ").split())


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def image_command(service: str) -> list[str]:
    """What the container of a compose service runs: the image's entrypoint plus the service's command."""
    return dockerfile_instruction("ENTRYPOINT") + compose()["services"][service]["command"]


@pytest.fixture
def empty_postgres_url():
    """A PostgreSQL database with nothing in it (the first `docker compose up`), dropped afterwards."""
    name = f"accessbot_deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def scrubbed_environ() -> dict[str, str]:
    """The test process's environment without any accessbot or Slack setting a developer may have."""
    return {k: v for k, v in os.environ.items()
            if not k.upper().startswith(("ACCESSBOT_", "SLACK_")) and k.upper() != "DATABASE_URL"}
