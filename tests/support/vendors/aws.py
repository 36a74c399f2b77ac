"""AWS test doubles: moto's server on 127.0.0.1, Stubber-ready clients, and a throttling endpoint.

moto 5.2.5 gaps to keep in mind (moto/ssoadmin/models.py): assignments succeed at once (never
IN_PROGRESS), duplicate creates append a second copy, ListAccountAssignments answers [] for a
permission set that does not exist (DescribePermissionSet does answer ResourceNotFoundException),
deleting a missing assignment → ResourceNotFoundException. Stubber covers what moto cannot, with the
errors each operation's API reference (docs.aws.amazon.com/singlesignon/latest/APIReference/)
lists: IN_PROGRESS then FAILED, ConflictException (HTTP 400, "retry with backoff"), AccessDenied. The throttling endpoint speaks sso-admin's JSON 1.1
protocol (X-Amz-Target: SWBExternalService.<Operation>) and answers 400 ThrottlingException, so
botocore's own retry loop is exercised over real HTTP.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REQUEST_ID = "00000000-0000-0000-0000-0000000000{:02d}"


class MotoServer:
    def __init__(self):
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset").raise_for_status()

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.url, **FAKE_KEYS)

    def stop(self) -> None:
        self._server.stop()


def offline_client(service: str) -> Any:
    """A client for Stubber: it never reaches the network while a Stubber is active."""
    return boto3.client(service, region_name=REGION, **FAKE_KEYS)


def status(key: str, state: str, number: int = 1, **extra: Any) -> dict[str, Any]:
    """A Create/Delete/Describe...Status response body (RequestId must be a 36-character UUID)."""
    return {key: {"Status": state, "RequestId": REQUEST_ID.format(number), **extra}}


class ThrottlingEndpoint:
    """Answers the first ``throttles`` sso-admin calls with ThrottlingException, then empty successes."""

    def __init__(self, throttles: int):
        self.throttles = throttles
        self.operations: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("content-length", 0)))
                endpoint.operations.append(self.headers.get("x-amz-target", "").rsplit(".", 1)[-1])
                if len(endpoint.operations) <= endpoint.throttles:
                    self._answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
                else:
                    self._answer(200, {"AccountAssignments": [], "PermissionSet": {"Name": "ReadOnly"}})

            def _answer(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/x-amz-json-1.1")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@dataclass(frozen=True)
class IdentityCenterSeed:
    account: str  # a member account of the organisation
    instance_arn: str
    identity_store_id: str
    permission_set_arn: str


def seed_identity_center(server: MotoServer) -> IdentityCenterSeed:
    """A fresh organisation with one member account, and a permission set in the Identity Center instance."""
    server.reset()
    organizations = server.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    account = organizations.create_account(Email="dev@acme.test", AccountName="dev")["CreateAccountStatus"]["AccountId"]
    sso = server.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    permission_set = sso.create_permission_set(Name="ReadOnly", InstanceArn=instance["InstanceArn"])[
        "PermissionSet"]["PermissionSetArn"]
    return IdentityCenterSeed(account, instance["InstanceArn"], instance["IdentityStoreId"], permission_set)


def add_identity_store_user(server: MotoServer, seed: IdentityCenterSeed, user_name: str) -> str:
    return server.client("identitystore").create_user(
        IdentityStoreId=seed.identity_store_id, UserName=user_name, DisplayName=user_name,
        Name={"GivenName": user_name.split("@")[0], "FamilyName": "Test"})["UserId"]
