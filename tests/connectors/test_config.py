"""The connectors configuration file: credential references, clear errors, building instances."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from connectors.config import ConnectorConfigError, Secret, is_secret_name, load_config, parse_duration
from connectors.host import ConnectorHost
from connectors.memory import MemoryConnector
from connectors.registry import build_connectors, load_connectors
from connectors.scim import ScimConnector


def write(tmp_path, text: str):
    path = tmp_path / "connectors.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


GOOD = """
instances:
  notion:
    type: scim
    description: Notion workspace
    base_url: https://api.notion.com/scim/v2/
    token: {env: NOTION_TOKEN}
  figma:
    type: scim
    base_url: https://www.figma.com/scim/v2/acme
    token: {file: TOKEN_FILE}
    user_lookup: email
"""


def test_instances_are_built_with_credentials_resolved_from_env_and_file(tmp_path):
    secret_file = tmp_path / "figma.token"
    secret_file.write_text("figma-secret\n")
    path = write(tmp_path, GOOD.replace("TOKEN_FILE", str(secret_file)))
    connectors = load_connectors(path, environ={"NOTION_TOKEN": "notion-secret"})
    try:
        assert sorted(connectors) == ["figma", "notion"]
        notion, figma = connectors["notion"], connectors["figma"]
        assert isinstance(notion, ScimConnector)
        assert notion.settings.base_url == "https://api.notion.com/scim/v2"
        assert notion.settings.token.get_secret_value() == "notion-secret"
        assert figma.settings.token.get_secret_value() == "figma-secret"
        assert figma.settings.user_lookup == "email"
        assert "secret" not in repr(notion.settings)
    finally:
        connectors.close()


def test_the_service_host_reaches_the_connectors_that_use_one():
    host = ConnectorHost()
    connectors = build_connectors({"instances": {
        "hr": {"type": "scim", "base_url": "https://hr.example.com/scim/v2", "token": {"env": "T"}},
        "groups": {"type": "slack_usergroups", "token": {"env": "T"}},
        "notes": {"type": "memory"},
    }}, environ={"T": "x"}, host=host)
    assert connectors["hr"].host is host and connectors["groups"].host is host
    assert not hasattr(connectors["notes"], "host")
    connectors.close()

    alone = build_connectors({"instances": {"hr": {"type": "scim", "base_url": "https://hr.example.com/scim/v2",
                                                   "token": {"env": "T"}}}}, environ={"T": "x"})
    assert alone["hr"].host is not host  # without one, an in-process host
    alone.close()


def test_a_literal_token_is_refused_with_file_line_and_the_fix(tmp_path):
    path = write(tmp_path, """
        instances:
          notion:
            type: scim
            base_url: https://x.test
            token: abc123
    """)
    with pytest.raises(ConnectorConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:5: instance 'notion'" in message
    assert "{env: VARIABLE}" in message and "{file: /path/to/secret}" in message
    assert "abc123" not in message


@pytest.mark.parametrize("key", ["token", "client_secret", "api_key", "password", "signingSecret", "private_key"])
def test_secret_words_anywhere_in_options_must_be_references(key):
    with pytest.raises(ConnectorConfigError, match=key):
        build_connectors({"instances": {"x": {"type": "scim", "auth": {key: "literal"}}}}, environ={})


@pytest.mark.parametrize("key", ["token_url", "key_id", "base_url", "monkey_business"])
def test_names_that_merely_contain_a_secret_word_are_not_secrets(key):
    assert not is_secret_name(key)


def test_a_missing_environment_variable_names_instance_option_and_variable(tmp_path):
    path = write(tmp_path, GOOD.replace("TOKEN_FILE", "/nonexistent/figma.token"))
    with pytest.raises(ConnectorConfigError) as caught:
        load_connectors(path, environ={})
    problems = caught.value.problems
    assert any(f"{path}:6: instance 'notion': option 'token': environment variable NOTION_TOKEN is not set" == p
               for p in problems), problems
    assert any("instance 'figma'" in p and "/nonexistent/figma.token does not exist" in p for p in problems)


def test_an_unknown_type_lists_the_known_ones(tmp_path):
    path = write(tmp_path, """
        instances:
          hr:
            type: scimm
    """)
    with pytest.raises(ConnectorConfigError, match=r":3: instance 'hr': unknown connector type 'scimm'; known: .*scim"):
        load_config(path)


def test_connector_option_errors_point_at_the_option_line(tmp_path):
    path = write(tmp_path, """
        instances:
          hr:
            type: scim
            base_url: ftp://nope
            token: {env: T}
            remove_style: sideways
            colour: blue
    """)
    with pytest.raises(ConnectorConfigError) as caught:
        load_connectors(path, environ={"T": "x"})
    text = str(caught.value)
    assert f"{path}:4: instance 'hr': option 'base_url': must be an https:// URL" in text
    assert f"{path}:6: instance 'hr': option 'remove_style'" in text
    assert f"{path}:7: instance 'hr': option 'colour': unknown option" in text


def test_missing_required_option(tmp_path):
    with pytest.raises(ConnectorConfigError, match="instance 'hr': option 'base_url': missing required option"):
        build_connectors({"instances": {"hr": {"type": "scim", "token": {"env": "T"}}}}, environ={"T": "x"})


def test_invalid_yaml_gives_the_line(tmp_path):
    path = write(tmp_path, "instances:\n  hr: {type: scim\n")
    with pytest.raises(ConnectorConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_config(path)


def test_unknown_top_level_keys_and_bad_names_are_refused():
    with pytest.raises(ConnectorConfigError) as caught:
        build_connectors({"instance": {}, "instances": {"bad name!": {"type": "memory"}}})
    assert "unknown top-level key 'instance'" in str(caught.value)
    assert "instance 'bad name!': instance names use" in str(caught.value)


def test_an_empty_file_has_no_instances(tmp_path):
    assert len(load_connectors(write(tmp_path, "# nothing yet\n"))) == 0


def test_simulate_replaces_every_instance_and_needs_no_secret(tmp_path):
    connectors = load_connectors(write(tmp_path, GOOD), environ={}, simulate=True)
    assert {name: type(c) for name, c in connectors.items()} == {"notion": MemoryConnector, "figma": MemoryConnector}
    assert connectors.configured_type("notion") == "scim"


def test_simulate_still_refuses_literal_secrets():
    with pytest.raises(ConnectorConfigError, match="literal credential"):
        build_connectors({"instances": {"x": {"type": "scim", "token": "abc"}}}, simulate=True)


def test_simulate_still_refuses_options_the_real_type_would_refuse():
    # The demo's simulator must not hide what a deployment of the same file would refuse.
    with pytest.raises(ConnectorConfigError, match="option 'base_url': unknown option") as caught:
        build_connectors({"instances": {"okta": {"type": "okta", "base_url": "https://acme.okta.com",
                                                 "api_token": {"env": "OKTA_TOKEN"}}}}, simulate=True)
    assert "OKTA_TOKEN" not in str(caught.value)  # absent credentials are fine when simulating


def test_secret_values_never_show_in_repr():
    assert repr(Secret("hunter2")) == "Secret('***')"
    assert Secret("hunter2") == "hunter2"


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("4h", timedelta(hours=4)), ("1d12h", timedelta(days=1, hours=12)),
    ("2w", timedelta(weeks=2)), ("PT4H", timedelta(hours=4)), ("P2D", timedelta(days=2)), (90, timedelta(seconds=90)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["soon", "4 hours", "h", "P", "-3h", True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
