"""HTTP/JSON at the gateway (rhip.gateway.http): a real gateway with its HTTP listener and two
real cells on loopback. Round trips (GET, POST, PATCH with a field mask), the same answers
and errors as gRPC through the same gateway, authentication, region isolation over HTTP,
bad JSON, request ids, deadlines and the served OpenAPI document.

One platform per module, on SQLite: the transcoding lives in the gateway, which is the same
whatever database the cells use (the cells' own tests cover PostgreSQL)."""

from __future__ import annotations

import http.client
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from gateway.http_platform import TIMEOUT, HttpPlatform, http_platform
from google.protobuf import json_format
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.gateway.http_rules import bindings
from rhip.gateway.openapi import load as load_openapi
from rhip.kit.errors import from_rpc_error
from support.cells import tenant_msg
from support.platform import free_port

JIANGSU_CITY, SHANDONG_CITY = "320300", "370400"
METRICS = f"127.0.0.1:{free_port()}"  # the gateway's Prometheus endpoint


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpPlatform]:
    # The gateway records its spans, so the cells record theirs in the same (sampled) trace.
    yield from http_platform(
        Path(tmp_path_factory.mktemp("http")),
        RHIP_TRACES_EXPORTER="memory",
        RHIP_METRICS_LISTEN=METRICS,
    )


@pytest.fixture(scope="module")
def admin(platform: HttpPlatform) -> str:
    return platform.login("xz-admin", JIANGSU_CITY)[0]


def _stub(platform: HttpPlatform) -> identity_service_pb2_grpc.IdentityServiceStub:
    return identity_service_pb2_grpc.IdentityServiceStub(platform.channel)


def _first_tenant(platform: HttpPlatform, token: str) -> dict:
    reply = platform.request("GET", f"/identity/v1/regions/{JIANGSU_CITY}/tenants", token=token)
    assert reply.status == 200, reply.body
    return reply.body["tenants"][0]


def test_get_answers_what_grpc_answers(platform: HttpPlatform, admin: str) -> None:
    tenant = _first_tenant(platform, admin)
    over_http = platform.request("GET", f"/identity/v1/{tenant['name']}", token=admin)
    over_grpc = _stub(platform).GetTenant(
        id_pb.GetTenantRequest(name=tenant["name"]),
        metadata=[("authorization", f"Bearer {admin}")],
        timeout=TIMEOUT,
    )
    assert over_http.status == 200
    assert over_http.body == json_format.MessageToDict(over_grpc)
    assert over_http.body["displayName"]  # names as the person reads them, not escaped
    assert "application/json" in over_http.headers["content-type"]


def test_list_takes_paging_and_enums_from_the_query(platform: HttpPlatform, admin: str) -> None:
    base = f"/identity/v1/regions/{JIANGSU_CITY}/tenants"
    first = platform.request("GET", f"{base}?pageSize=1", token=admin)
    assert first.status == 200 and len(first.body["tenants"]) == 1
    token = first.body["nextPageToken"]
    second = platform.request("GET", f"{base}?pageSize=1&pageToken={token}", token=admin)
    assert second.body["tenants"][0]["name"] != first.body["tenants"][0]["name"]
    clinics = platform.request("GET", f"{base}?type=TENANT_TYPE_VILLAGE_CLINIC", token=admin)
    assert clinics.status == 200
    assert {t["type"] for t in clinics.body["tenants"]} == {"TENANT_TYPE_VILLAGE_CLINIC"}


def test_post_creates_and_patch_updates_with_a_field_mask(
    platform: HttpPlatform, admin: str
) -> None:
    body = json_format.MessageToDict(tenant_msg("HTTP新建卫生院", "320311"))
    created = platform.request("POST", "/identity/v1/tenants", body, token=admin)
    assert created.status == 200, created.body
    name = created.body["name"]
    assert created.body["displayName"] == "HTTP新建卫生院"

    patched = platform.request(
        "PATCH",
        f"/identity/v1/{name}?updateMask=displayName",
        {"displayName": "HTTP改名卫生院", "regionCode": "370402"},  # not in the mask: kept
        token=admin,
    )
    assert patched.status == 200, patched.body
    assert patched.body["displayName"] == "HTTP改名卫生院"
    again = platform.request("GET", f"/identity/v1/{name}", token=admin)
    assert again.body["displayName"] == "HTTP改名卫生院"
    assert again.body["regionCode"] == "320311"

    suspended = platform.request(
        "POST", f"/identity/v1/{name}:suspend", {"reason": "HTTP test"}, token=admin
    )
    assert suspended.status == 200, suspended.body
    assert suspended.body["state"] == "TENANT_STATE_SUSPENDED"


def test_errors_are_json_status_with_readable_details(platform: HttpPlatform, admin: str) -> None:
    bad = json_format.MessageToDict(tenant_msg("", "320311"))  # a name is required
    reply = platform.request("POST", "/identity/v1/tenants", bad, token=admin)
    try:
        _stub(platform).CreateTenant(
            id_pb.CreateTenantRequest(tenant=tenant_msg("", "320311")),
            metadata=[("authorization", f"Bearer {admin}")],
            timeout=TIMEOUT,
        )
        raise AssertionError("gRPC accepted an empty name")
    except grpc.RpcError as error:
        expected = from_rpc_error(error)
    assert reply.status == 400
    assert reply.error["status"] == "INVALID_ARGUMENT" and reply.error["code"] == 400
    assert reply.reason == expected.reason
    assert reply.fields == [v.field for v in expected.violations]
    assert "bin" not in json.dumps(reply.body)  # no base64 trailers: plain JSON details


def test_bad_json_names_the_field(platform: HttpPlatform, admin: str) -> None:
    broken = platform.request("POST", "/identity/v1/tenants", b'{"displayName": ', token=admin)
    assert broken.status == 400
    assert broken.reason == "REQUEST_MALFORMED" and broken.fields == ["body"]
    assert "line 1" in broken.detail("BadRequest")["fieldViolations"][0]["description"]

    enum = platform.request("POST", "/identity/v1/tenants", {"type": "NO_SUCH"}, token=admin)
    assert enum.status == 400 and enum.fields == ["tenant.type"]

    unknown = platform.request("POST", "/identity/v1/tenants", {"colour": "red"}, token=admin)
    assert unknown.status == 400 and unknown.fields == ["tenant.colour"]

    wrong_type = platform.request(
        "GET", f"/identity/v1/regions/{JIANGSU_CITY}/tenants?pageSize=many", token=admin
    )
    assert wrong_type.status == 400 and wrong_type.fields == ["pageSize"]

    not_object = platform.request("POST", "/identity/v1/residents:search", [1], token=admin)
    assert not_object.status == 400 and not_object.fields == ["body"]


def test_authentication(platform: HttpPlatform) -> None:
    path = f"/identity/v1/regions/{JIANGSU_CITY}/tenants"
    missing = platform.request("GET", path)
    assert missing.status == 401 and missing.reason == "TOKEN_MISSING"
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = platform.request("GET", path, token="not.a.token")
    assert forged.status == 401
    wrong_scheme = platform.request("GET", path, headers={"Authorization": "Basic eDp5"})
    assert wrong_scheme.status == 401 and wrong_scheme.reason == "TOKEN_MALFORMED"
    bad_password = platform.request(
        "POST",
        "/identity/v1/tokens:login",
        {"password": {"username": "xz-admin", "password": "wrong-password-1"}},
        headers={"x-rhip-region": JIANGSU_CITY},
    )
    assert bad_password.status == 401
    no_region = platform.request("POST", "/identity/v1/tokens:login", {"password": {}})
    assert no_region.status == 400 and no_region.reason == "REGION_REQUIRED"


def test_an_outsider_is_refused_over_http_as_over_grpc(platform: HttpPlatform, admin: str) -> None:
    """Shandong's administrator asks for a Jiangsu tenant, in its region and in his own: the
    same status and reason over HTTP as over gRPC, and never the data."""
    tenant = _first_tenant(platform, admin)
    outsider, _ = platform.login("zz-admin", SHANDONG_CITY)
    for headers in ({}, {"x-rhip-region": JIANGSU_CITY}):
        reply = platform.request(
            "GET", f"/identity/v1/{tenant['name']}", token=outsider, headers=headers
        )
        try:
            _stub(platform).GetTenant(
                id_pb.GetTenantRequest(name=tenant["name"]),
                metadata=[("authorization", f"Bearer {outsider}"), *headers.items()],
                timeout=TIMEOUT,
            )
            raise AssertionError("gRPC answered an outsider")
        except grpc.RpcError as error:
            expected = from_rpc_error(error)
        assert reply.status in (403, 404), reply.body
        assert reply.error["status"] == expected.code.name
        assert reply.reason == expected.reason
        assert tenant["displayName"] not in json.dumps(reply.body, ensure_ascii=False)

    # A county administrator does not list the whole city over HTTP either.
    county, _ = platform.login("qs-admin", JIANGSU_CITY)
    listed = platform.request("GET", f"/identity/v1/regions/{JIANGSU_CITY}/tenants", token=county)
    assert listed.status == 403, listed.body


def test_archives_methods_are_reachable(platform: HttpPlatform) -> None:
    token, principal = platform.login("xz-doctor-1", JIANGSU_CITY)
    parent = f"tenants/{principal['tenantId']}"
    records = platform.request("GET", f"/archives/v1/{parent}/healthRecords", token=token)
    assert records.status == 200, records.body
    teams = platform.request("GET", f"/archives/v1/{parent}/teams", token=token)
    assert teams.status == 200, teams.body
    missing = platform.request("GET", "/archives/v1/healthRecords/0193a000-0000", token=token)
    assert missing.status in (403, 404), missing.body  # existence is not told
    assert missing.detail("ErrorInfo")["domain"] == "archives.rhip"


def test_the_other_services_are_reachable(platform: HttpPlatform) -> None:
    """referral, teleconsultation, mch, emr and qualifications answer over HTTP from their
    cells: lists with the caller's token, a custom method's body, the public signing key
    without one."""
    token, principal = platform.login("xz-doctor-1", JIANGSU_CITY)
    parent = f"tenants/{principal['tenantId']}"
    for path in (
        f"/referral/v1/{parent}/referrals?box=BOX_INBOX",
        f"/referral/v1/{parent}/teleconsultations",
        f"/mch/v1/{parent}/pregnancies?overdueOnly=true",
        f"/emr/v1/{parent}/parkedDocuments",
        f"/identity/v1/{parent}/qualifications?showRevoked=false",
    ):
        reply = platform.request("GET", path, token=token)
        assert reply.status == 200, (path, reply.body)
    not_a_bool = platform.request(
        "GET", f"/mch/v1/{parent}/pregnancies?overdueOnly=yes", token=token
    )
    assert not_a_bool.status == 400 and not_a_bool.fields == ["overdueOnly"], not_a_bool.body
    missing = platform.request(
        "POST", "/referral/v1/referrals/0193a000-0000:reject", {"reason": "x"}, token=token
    )
    assert missing.status in (403, 404), missing.body
    assert missing.detail("ErrorInfo")["domain"] == "referral.rhip"
    key = platform.request(
        "GET", "/referral/v1/reportSigningKey", headers={"x-rhip-region": JIANGSU_CITY}
    )
    assert key.status == 200 and key.body["publicKey"], key.body


def test_cross_cell_methods_have_no_http_path(platform: HttpPlatform, admin: str) -> None:
    for path in ("/archives/v1/recordTransfers:open", "/archives/v1/healthRecords:import"):
        reply = platform.request("POST", path, {}, token=admin)
        assert reply.status in (404, 405), reply.body


def test_unknown_paths_and_verbs(platform: HttpPlatform, admin: str) -> None:
    unknown = platform.request("GET", "/identity/v1/nothing/here", token=admin)
    assert unknown.status == 404 and unknown.reason == "HTTP_PATH_UNKNOWN"
    wrong_verb = platform.request("DELETE", "/identity/v1/tenants/x", token=admin)
    assert wrong_verb.status == 405 and wrong_verb.reason == "HTTP_METHOD_NOT_ALLOWED"


def test_request_id_trace_context_and_deadline(platform: HttpPlatform, admin: str) -> None:
    path = f"/identity/v1/regions/{JIANGSU_CITY}/tenants"
    traced = platform.request(
        "GET",
        path,
        token=admin,
        headers={
            "X-Request-Id": "http-test-42",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "grpc-timeout": "5S",
        },
    )
    assert traced.status == 200
    assert traced.headers["x-request-id"] == "http-test-42"
    # The cell's server span is in the caller's trace (the gateway passed the context on).
    cell_spans = platform.cells["320000"].spans.get_finished_spans()
    assert any(
        span.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
        and span.name.endswith("/ListTenants")
        for span in cell_spans
    )
    minted = platform.request("GET", path, token=admin, headers={"X-Request-Id": "x" * 500})
    assert len(minted.headers["x-request-id"]) == 32  # not adopted: one of the gateway's
    too_short = platform.request("GET", path, token=admin, headers={"grpc-timeout": "1m"})
    assert too_short.status == 504 and too_short.error["status"] == "DEADLINE_EXCEEDED"
    malformed = platform.request("GET", path, token=admin, headers={"grpc-timeout": "soon"})
    assert malformed.status == 400 and malformed.reason == "TIMEOUT_MALFORMED"


def test_the_openapi_document_is_served(platform: HttpPlatform) -> None:
    reply = platform.request("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.body == load_openapi()
    assert "/identity/v1/tenants/{tenant}" in reply.body["paths"]


def test_the_rate_limit_holds_over_http(tmp_path: Path) -> None:
    """HTTP calls draw on the same buckets as gRPC calls: past the burst, 429 with
    Retry-After and RESOURCE_EXHAUSTED."""
    limited = {"RHIP_RATE_LIMIT_PER_SECOND": "1", "RHIP_RATE_LIMIT_BURST": "3"}
    for platform in http_platform(tmp_path, **limited):
        token, _ = platform.login("xz-admin", JIANGSU_CITY)
        path = f"/identity/v1/regions/{JIANGSU_CITY}/tenants"
        statuses = [platform.request("GET", path, token=token).status for _ in range(3)]
        grpc_md = [("authorization", f"Bearer {token}")]
        request = id_pb.ListTenantsRequest(parent=f"regions/{JIANGSU_CITY}")
        try:
            _stub(platform).ListTenants(request, metadata=grpc_md, timeout=TIMEOUT)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        refused = platform.request("GET", path, token=token)
        assert statuses[0] == 200
        assert refused.status == 429, (statuses, refused.body)
        assert refused.error["status"] == "RESOURCE_EXHAUSTED"
        assert int(refused.headers["retry-after"]) >= 1


def test_every_binding_is_reachable_and_needs_its_token(platform: HttpPlatform) -> None:
    """Generated from the descriptors, so a new RPC is covered the day it gets its binding:
    every bound path reaches its method (not 404/405 from the router), and without a token
    every method but the public ones is 401 before anything is forwarded."""
    for binding in bindings():
        path = _sample_path(binding.template)
        reply = platform.request(
            binding.verb,
            path,
            {} if binding.body else None,
            headers={"x-rhip-region": JIANGSU_CITY},
        )
        assert reply.status not in (404, 405) or reply.reason not in (
            "HTTP_PATH_UNKNOWN",
            "HTTP_METHOD_NOT_ALLOWED",
        ), (binding.verb, path)
        if binding.info.public:
            assert reply.status != 401, (binding.verb, path, reply.body)
        else:
            assert reply.status == 401 and reply.reason == "TOKEN_MISSING", (path, reply.body)


def _sample_path(template: str) -> str:
    """The template with every variable filled (``{name=tenants/*}`` → ``tenants/x1``)."""

    def fill(found: re.Match[str]) -> str:
        return (found.group(2) or "*").replace("**", "x").replace("*", "x1")

    return re.sub(r"\{([a-z_.]+)(?:=([^}]*))?\}", fill, template)


def test_the_reference_page_is_served_locally(platform: HttpPlatform) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", platform.http_port, timeout=TIMEOUT)
    try:
        pages = {}
        for path in ("/docs/", "/docs/swagger-initializer.js", "/docs/swagger-ui-bundle.js"):
            connection.request("GET", path)
            response = connection.getresponse()
            pages[path] = (response.status, response.getheaders(), response.read())
        connection.request("GET", "/docs/../pyproject.toml")
        outside = connection.getresponse()
        outside.read()
    finally:
        connection.close()
    status, headers, page = pages["/docs/"]
    assert status == 200 and b"swagger-ui" in page
    assert "default-src 'self'" in dict(headers)["Content-Security-Policy"]
    assert b"http" not in page.replace(b"http-equiv", b"")  # nothing from elsewhere
    assert b'"/openapi.json"' in pages["/docs/swagger-initializer.js"][2]
    assert pages["/docs/swagger-ui-bundle.js"][0] == 200
    assert outside.status == 404


def test_http_calls_are_counted_like_grpc_calls(platform: HttpPlatform, admin: str) -> None:
    def handled() -> float:
        with urllib.request.urlopen(f"http://{METRICS}/metrics", timeout=TIMEOUT) as reply:
            text = reply.read().decode()
        wanted = (
            'grpc_server_handled_total{grpc_code="OK",grpc_method="ListTenants",'
            'grpc_service="rhip.api.identity.v1.IdentityService"}'
        )
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted))

    before = handled()
    for _ in range(3):
        reply = platform.request("GET", f"/identity/v1/regions/{JIANGSU_CITY}/tenants", token=admin)
        assert reply.status == 200
    assert handled() == before + 3


def test_cors_is_off_by_default(platform: HttpPlatform, admin: str) -> None:
    """No RHIP_GATEWAY_CORS_ORIGINS: no page of another origin may read an answer, and a
    preflight is not answered as one (test_cors covers the listener with origins listed)."""
    origin = {"Origin": "https://portal.example"}
    answer = platform.request(
        "GET", f"/identity/v1/regions/{JIANGSU_CITY}/tenants", token=admin, headers=origin
    )
    assert answer.status == 200
    assert not any(h.startswith("access-control-") for h in answer.headers)
    preflight = platform.request(
        "OPTIONS",
        f"/identity/v1/regions/{JIANGSU_CITY}/tenants",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status in (404, 405)
    assert not any(h.startswith("access-control-") for h in preflight.headers)
