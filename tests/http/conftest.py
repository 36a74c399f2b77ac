"""The real app (create_app) with the lifecycle plugins, over a test World and Deps."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.http.hooks import hooks_plugin
from bot.http.scim import scim_plugin
from tests.lifecycle.conftest import LIFECYCLE_CATALOG
from tests.support.deps import close, deps_for
from tests.support.world import make_world

HR_SECRET = "hr-shared-secret-for-tests"
SCIM_TOKEN = "scim-token-for-tests"
ADMIN_TOKEN = "admin-api-token-for-tests"


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG)


@pytest.fixture
def deps(world):
    d = deps_for(world, hr_webhook_secret=HR_SECRET, scim_bearer_token=SCIM_TOKEN, admin_api_token=ADMIN_TOKEN)
    yield d
    close(d)


@pytest.fixture
def app(deps):
    return create_app(deps.settings, deps=deps, plugins=[hooks_plugin, scim_plugin])


@pytest.fixture
def client(app):
    # No lifespan: the app's shutdown would close Deps, which the fixture owns.
    return TestClient(app)
