"""docs/configuration.md is the settings model, written out: it fails here when they disagree."""

from __future__ import annotations

from pathlib import Path

from bot import settings_reference
from bot.settings import Settings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_the_configuration_page_is_in_step_with_the_settings_model():
    assert PAGE.read_text() == settings_reference.render(), (
        "docs/configuration.md is out of date: run scripts/configuration-doc and commit the result")


def test_every_setting_has_a_meaning_and_a_row_with_its_environment_variables():
    assert settings_reference.undocumented() == []
    page = PAGE.read_text()
    for name, field in Settings.model_fields.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        for env in settings_reference.environment_names(name, field):
            assert f"`{env}`" in row


def test_defaults_are_shown_as_the_code_has_them_and_secrets_have_none():
    page = PAGE.read_text()
    assert "| `port` | `ACCESSBOT_PORT` | `3000` |" in page
    assert "| `catalog` | `ACCESSBOT_CATALOG`<br>`CATALOG` | `policies/examples/acme/catalog` |" in page
    assert "| `slack_bot_token` | `ACCESSBOT_SLACK_BOT_TOKEN`<br>`SLACK_BOT_TOKEN` | (unset) |" in page
    assert str(Path(__file__).resolve().parents[1]) not in page  # no machine's own path


def test_a_dot_env_file_in_the_working_directory_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("# accessbot\nACCESSBOT_PORT=4100\nACCESSBOT_LOG_LEVEL=DEBUG\n"
                                   "SLACK_SIGNING_SECRET=from-the-file\n")
    monkeypatch.chdir(tmp_path)
    for name in ("ACCESSBOT_PORT", "ACCESSBOT_LOG_LEVEL", "SLACK_SIGNING_SECRET", "ACCESSBOT_SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCESSBOT_LOG_LEVEL", "WARNING")
    settings = Settings()
    assert settings.port == 4100
    assert settings.log_level == "WARNING"
    assert settings.slack_signing_secret.get_secret_value() == "from-the-file"


def test_without_a_dot_env_file_the_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCESSBOT_PORT", raising=False)
    assert Settings().port == 3000
