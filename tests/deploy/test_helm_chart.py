"""deploy/helm/accessbot, checked with Helm's own code and Kubernetes' own schemas.

helm-python-sdk binds Helm's Go SDK (the library `helm lint` and `helm template` are made of), so
the lint below is helm's lint and the manifests are what `helm template` would print. Each rendered
object is validated against the Kubernetes OpenAPI schemas kubernetes-validate bundles (strict:
unknown fields fail). The ServiceMonitor is a Prometheus Operator CRD with no bundled schema: its
shape is checked by hand against the operator's API reference
(https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor).
What this does not do: talk to a cluster (`helm install --dry-run=server`), see docs/deploy.md.
"""

from __future__ import annotations

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import CHART

KUBERNETES = "1.30.0"  # the oldest Kubernetes release the chart is checked for
EVERYTHING_ON = {
    "ingress": {"enabled": True, "className": "nginx", "tlsSecretName": "accessbot-tls",
                "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}},
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
    "catalog": {"catalog.yaml": "defaults:\n  max_duration: 8h\n"},
    "connectors": "instances:\n  okta: {type: okta, org_url: 'https://acme.okta.com', api_token: {env: OKTA_API_TOKEN}}\n",
    "people": "people: []\n",
    "onCall": "providers:\n  pd: {type: pagerduty, token: {env: PAGERDUTY_TOKEN}}\nschedules:\n"
              "  payments: {provider: pd, schedule: PPAY001}\n",
    "secrets": {"connectorSecret": "accessbot-connectors", "onCallSecret": "accessbot-on-call"},
    "config": {"extraEnv": {"ACCESSBOT_WORKER_THREADS": "32"}},
}


def render(values: dict | None = None) -> list[dict]:
    manifests = helm.Chart.load(CHART).render(values or {}, name="prod", namespace="access", is_install=True)
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["defaults", "everything-on"])
def test_helm_lint_passes_strictly(values):
    report = helm.lint(CHART, values, strict=True, namespace="access", kube_version=f"v{KUBERNETES}")
    assert report["errors"] == [] and [m for m in report["messages"] if m["severity"] >= 2] == [], report


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["defaults", "everything-on"])
def test_every_rendered_manifest_is_valid_kubernetes(values):
    objects = render(values)
    for obj in objects:
        if obj["kind"] == "ServiceMonitor":
            continue  # a CRD: checked in test_the_service_monitors_scrape_both_roles
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    assert len(objects) >= 7


def test_the_defaults_render_web_worker_migration_and_disruption_budgets_only():
    objects = render()
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objects)
    assert kinds == [("Deployment", "prod-accessbot-web"), ("Deployment", "prod-accessbot-worker"),
                     ("Job", "prod-accessbot-migrate"),
                     ("PodDisruptionBudget", "prod-accessbot-web"), ("PodDisruptionBudget", "prod-accessbot-worker"),
                     ("Service", "prod-accessbot-web"), ("Service", "prod-accessbot-worker")]


def test_the_migration_is_a_pre_install_and_pre_upgrade_hook_with_the_database_only():
    job = by_kind(render(), "Job")["prod-accessbot-migrate"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["db", "upgrade"]
    # Hooks run before the release's own objects exist: nothing but the pre-existing Secret.
    assert [e["name"] for e in container["env"] if "valueFrom" in e] == ["DATABASE_URL"]
    assert "volumes" not in job or all("configMap" not in v for v in job["spec"]["template"]["spec"]["volumes"])


def test_both_roles_probe_healthz_request_resources_and_run_as_non_root():
    deployments = by_kind(render(EVERYTHING_ON), "Deployment")
    for name, port, role in (("prod-accessbot-web", "http", "web"), ("prod-accessbot-worker", "metrics", "worker")):
        pod = deployments[name]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["args"] == ["serve", "--role", role]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/healthz", "port": port}, (name, probe)
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e for e in container["env"]}
        assert env["ACCESSBOT_REPLICA_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
        assert env["ACCESSBOT_CATALOG"]["value"] == "/etc/accessbot/catalog"
        assert container["envFrom"] == [{"secretRef": {"name": "accessbot-connectors"}},
                                        {"secretRef": {"name": "accessbot-on-call"}}]
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/etc/accessbot/catalog", "/etc/accessbot/conf", "/tmp"} <= mounts


def test_every_secret_comes_from_a_secret_reference_never_a_value():
    from bot.settings import Settings

    secret_settings = {name for name, field in Settings.model_fields.items()
                       if "SecretStr" in repr(field.annotation)}
    for obj in render(EVERYTHING_ON):
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        for container in obj["spec"]["template"]["spec"]["containers"]:
            for entry in container["env"]:
                if _is_secret(entry["name"]):
                    assert "value" not in entry and "secretKeyRef" in entry["valueFrom"], (obj["kind"], entry)
    web_env = {e["name"] for e in by_kind(render(), "Deployment")["prod-accessbot-web"]["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
    for setting in secret_settings:  # every secret the bot has can be given to it from the Secret
        field = Settings.model_fields[setting]
        names = {str(n) for n in getattr(field.validation_alias, "choices", [])} or {f"ACCESSBOT_{setting.upper()}"}
        assert names & web_env, f"the chart cannot set {setting}"
    assert any(e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "accessbot"
               for e in by_kind(render(), "Job")["prod-accessbot-migrate"]["spec"]["template"]["spec"]
               ["containers"][0]["env"])


def test_the_catalog_and_connector_files_are_config_maps_mounted_read_only():
    config_maps = by_kind(render(EVERYTHING_ON), "ConfigMap")
    assert config_maps["prod-accessbot-catalog"]["data"]["catalog.yaml"].startswith("defaults:")
    assert set(config_maps["prod-accessbot-conf"]["data"]) == {"connectors.yaml", "people.yaml", "on-call.yaml"}
    assert "{env: OKTA_API_TOKEN}" in config_maps["prod-accessbot-conf"]["data"]["connectors.yaml"]
    annotations = [d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                   for d in by_kind(render(EVERYTHING_ON), "Deployment").values()]
    changed = {**EVERYTHING_ON, "catalog": {"catalog.yaml": "defaults:\n  max_duration: 4h\n"}}
    assert annotations[0] != by_kind(render(changed), "Deployment")["prod-accessbot-web"]["spec"]["template"][
        "metadata"]["annotations"]["checksum/config"]  # a catalog change rolls the pods


def test_the_on_call_file_is_mounted_and_named_and_its_secret_becomes_environment_variables():
    for deployment in by_kind(render(EVERYTHING_ON), "Deployment").values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["ACCESSBOT_ON_CALL_FILE"] == "/etc/accessbot/conf/on-call.yaml"
        assert {"name": "conf", "mountPath": "/etc/accessbot/conf", "readOnly": True} in container["volumeMounts"]
        assert [s["secretRef"]["name"] for s in container["envFrom"]] == ["accessbot-connectors", "accessbot-on-call"]
    only_on_call = {"onCall": EVERYTHING_ON["onCall"], "secrets": {"onCallSecret": "accessbot-on-call"}}
    web = by_kind(render(only_on_call), "Deployment")["prod-accessbot-web"]
    assert set(by_kind(render(only_on_call), "ConfigMap")["prod-accessbot-conf"]["data"]) == {"on-call.yaml"}
    assert [s["secretRef"]["name"] for s in web["spec"]["template"]["spec"]["containers"][0]["envFrom"]] == [
        "accessbot-on-call"]
    assert "ACCESSBOT_ON_CALL_FILE" not in {e["name"] for e in by_kind(render(), "Deployment")["prod-accessbot-web"][
        "spec"]["template"]["spec"]["containers"][0]["env"]}  # unset: nobody counts as on call
    changed = {**EVERYTHING_ON, "onCall": EVERYTHING_ON["onCall"].replace("PPAY001", "PPAY002")}
    assert web["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != by_kind(
        render(changed), "Deployment")["prod-accessbot-web"]["spec"]["template"]["metadata"]["annotations"][
        "checksum/config"]  # an on-call file change rolls the pods


def test_the_ingress_sends_everything_to_the_web_service_over_tls():
    ingress = by_kind(render(EVERYTHING_ON), "Ingress")["prod-accessbot"]
    assert ingress["spec"]["tls"] == [{"hosts": ["accessbot.example.com"], "secretName": "accessbot-tls"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "prod-accessbot-web", "port": {"name": "http"}}


def test_the_service_monitors_scrape_both_roles():
    monitors = by_kind(render(EVERYTHING_ON), "ServiceMonitor")
    services = by_kind(render(EVERYTHING_ON), "Service")
    assert set(monitors) == {"prod-accessbot-web", "prod-accessbot-worker"}
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        assert set(monitor["spec"]) == {"selector", "endpoints"}
        assert monitor["spec"]["selector"]["matchLabels"].items() <= services[name]["metadata"]["labels"].items()
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        assert endpoint["port"] in {p["name"] for p in services[name]["spec"]["ports"]}
        assert endpoint["authorization"]["type"] == "Bearer"
        assert set(endpoint["authorization"]["credentials"]) == {"name", "key", "optional"}


def _is_secret(name: str) -> bool:
    return any(word in name for word in ("TOKEN", "SECRET", "DATABASE_URL", "PASSWORD"))
