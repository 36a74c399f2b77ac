"""docs/configuration.md, written from the settings model itself so it cannot drift from the code
(tests/test_configuration_doc.py fails when the page and the model disagree).

Regenerate with ``scripts/configuration-doc`` (or ``python -m bot.settings_reference > docs/configuration.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.settings import ENV_FILE, Settings

REPO_ROOT = Path(__file__).resolve().parent.parent

HEADER = f"""# Configuration reference

<!-- Generated from bot/settings.py by scripts/configuration-doc: edit the field descriptions there, not this page.
     tests/test_configuration_doc.py fails when the two disagree. -->

accessbot reads its settings from the environment. A `{ENV_FILE}` file in the working directory
is read too (`NAME=value` lines, `#` comments); a variable set in the environment wins over the
same name in the file. Names are case-insensitive. Where two names are listed, either works (the
short one is the name Slack's own documentation uses).

Settings marked *Secret* are never printed: not in logs, not in `repr()`, not in error messages.
In Kubernetes they come from Secrets (deploy/helm/accessbot, `secrets.*`), in compose from the
`.env` file beside `compose.yaml` (docs/deploy.md).

| Setting | Environment variable | Default | Meaning |
|---|---|---|---|
"""


def environment_names(name: str, field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"{Settings.model_config.get('env_prefix', '')}{name}".upper()]


def default_text(field: FieldInfo) -> str:
    default = field.default if field.default_factory is None else field.default_factory()
    if default is PydanticUndefined or default is None:
        return "(unset)"
    if isinstance(default, SecretStr):
        return "(secret)"
    if isinstance(default, Path) and default.is_absolute() and default.is_relative_to(REPO_ROOT):
        default = default.relative_to(REPO_ROOT)  # the installed example, not this machine's path
    return f"`{default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        names = "<br>".join(f"`{env}`" for env in environment_names(name, field))
        rows.append(f"| `{name}` | {names} | {_cell(default_text(field))} | {_cell(field.description or '')} |")
    return HEADER + "\n".join(rows) + "\n"


def undocumented() -> list[str]:
    """Settings without a description: the page would show an empty meaning for them."""
    return [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]


if __name__ == "__main__":
    sys.stdout.write(render())
