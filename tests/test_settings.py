"""One name per setting: the connectors file is ACCESSBOT_CONNECTORS_FILE; the old ACCESSBOT_CONNECTORS
still works, with a warning, and never wins over the new name."""

from __future__ import annotations

import logging

from bot.settings import Settings


def test_the_deprecated_name_is_read_with_a_warning(monkeypatch, caplog, tmp_path):
    monkeypatch.delenv("ACCESSBOT_CONNECTORS_FILE", raising=False)
    monkeypatch.setenv("ACCESSBOT_CONNECTORS", str(tmp_path / "old.yaml"))
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        assert Settings().resolved_connectors_file() == tmp_path / "old.yaml"
    assert "ACCESSBOT_CONNECTORS is deprecated: use ACCESSBOT_CONNECTORS_FILE" in caplog.text


def test_the_current_name_wins_and_the_old_one_is_said_to_be_ignored(monkeypatch, caplog, tmp_path):
    monkeypatch.setenv("ACCESSBOT_CONNECTORS", str(tmp_path / "old.yaml"))
    monkeypatch.setenv("ACCESSBOT_CONNECTORS_FILE", str(tmp_path / "new.yaml"))
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        assert Settings().resolved_connectors_file() == tmp_path / "new.yaml"
    assert "it is ignored" in caplog.text


def test_without_either_the_file_next_to_the_catalog_is_used(monkeypatch, tmp_path):
    for name in ("ACCESSBOT_CONNECTORS", "ACCESSBOT_CONNECTORS_FILE", "CONNECTORS_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "catalog").mkdir()
    (tmp_path / "connectors.yml").write_text("instances: {}\n")
    assert Settings(catalog=tmp_path / "catalog").resolved_connectors_file() == tmp_path / "connectors.yml"


def test_settings_is_the_only_reader_of_the_environment():
    """bot/settings.py reads the environment and hands values down (credentials_environment() for the
    connectors file, health_port() for the health check); nothing else in the product reads it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    reads = re.compile(r"\bos\.environ\b|getenv|from os import .*environ")
    readers = [str(path.relative_to(root)) for package in ("bot", "connectors", "policies")
               for path in sorted((root / package).rglob("*.py")) if reads.search(path.read_text(encoding="utf-8"))]
    assert readers == ["bot/settings.py"]
