"""docs/grafana-dashboard.json only charts metrics accessbot serves, with labels they carry."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.http.metrics import Metrics
from bot.reporting.prometheus import watch_runner
from bot.provisioning.runner import ProvisioningRunner

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def test_every_panel_queries_a_metric_we_export(store, clock):
    metrics = Metrics(store)
    watch_runner(metrics.registry, ProvisioningRunner(store, {}, clock, lambda: None), store)
    exported = set()
    for family in metrics.registry.collect():
        exported |= {family.name, f"{family.name}_total", f"{family.name}_bucket"}
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "accessbot-lifecycle" and len(dashboard["panels"]) >= 10
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"accessbot_[a-z_]+", target["expr"])}
    assert used and used <= exported, used - exported
