"""Authentication as the official SDK meets it: wrong keys, a request altered after the SDK signed
it (through the SDK's own HTTP handler hook), an `X-Sdk-Date` more than 15 minutes off (signed by
the SDK's `Signer`), and a 429 from the fault file surfaced as the SDK's documented exception."""

import datetime
import os
import tempfile

import pytest
import requests
import huaweicloudsdkcce.v3 as m
from huaweicloudsdkcce.v3 import CceClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from hw_support import AK, PROJECT, SK, make_client, running_emulator


def assert_auth_failed(e, code):
    """The documented 401: `CCE.0x401001` "Authorization failed." in the combined error body."""
    assert e.status_code == 401, (e.status_code, e.error_code, e.error_msg)
    assert e.error_code == code, (e.error_code, e.error_msg)
    assert e.error_msg.startswith("Authorization failed."), e.error_msg
    assert e.request_id


def tampering_client(url, tamper):
    """An SDK client whose HTTP handler alters each request after the SDK signed it."""
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    cfg.retry_times = 0
    handler = HttpHandler().add_request_handler(lambda request, **_: tamper(request))
    return (CceClient.new_builder()
            .with_http_config(cfg)
            .with_credentials(BasicCredentials(AK, SK, PROJECT))
            .with_endpoints([url])
            .with_http_handler(handler)
            .build())


def test_wrong_access_key_and_wrong_secret_key_get_401(emulator):
    for client in (make_client(emulator, ak="not-our-ak"), make_client(emulator, sk="not-our-sk")):
        with pytest.raises(ClientRequestException) as ei:
            client.list_autopilot_clusters(m.ListAutopilotClustersRequest())
        assert_auth_failed(ei.value, "CCE.01401001")


def test_a_body_altered_after_signing_is_refused(emulator):
    def tamper(request):
        request.body = request.body.replace(b"tampered-before", b"tampered-after!")
    c = tampering_client(emulator, tamper)
    body = m.AutopilotCluster(
        kind="Cluster", api_version="v3", metadata=m.AutopilotClusterMetadata(name="tampered-before"),
        spec=m.AutopilotClusterSpec(
            flavor="cce.autopilot.cluster", version="v1.28",
            host_network=m.AutopilotHostNetwork(vpc="vpc-0001", subnet="subnet-0001"),
            container_network=m.AutopilotContainerNetwork(mode="eni")))
    with pytest.raises(ClientRequestException) as ei:
        c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=body))
    assert_auth_failed(ei.value, "CCE.01401001")
    # Nothing was created under either name.
    names = [i.metadata.name for i in make_client(emulator).list_autopilot_clusters(
        m.ListAutopilotClustersRequest()).items]
    assert not {"tampered-before", "tampered-after!"} & set(names)


def test_a_query_altered_after_signing_is_refused(emulator):
    def tamper(request):
        request.uri = request.uri.replace("status=Available", "status=Creating")
    c = tampering_client(emulator, tamper)
    with pytest.raises(ClientRequestException) as ei:
        c.list_autopilot_clusters(m.ListAutopilotClustersRequest(status="Available"))
    assert_auth_failed(ei.value, "CCE.01401001")
    # The same call untouched passes.
    assert tampering_client(emulator, lambda r: None).list_autopilot_clusters(
        m.ListAutopilotClustersRequest(status="Available")).kind


def signed_get(url, path, sdk_date):
    """A GET signed by the SDK's own signer with a preset `X-Sdk-Date`, sent as signed."""
    host = url.split("://", 1)[1]
    req = SdkRequest(method="GET", schema="http", host=host, resource_path=path, query_params=[],
                     header_params={"Content-Type": "application/json", "X-Project-Id": PROJECT,
                                    "X-Sdk-Date": sdk_date}, body="")
    Signer(BasicCredentials(AK, SK, PROJECT)).sign(req)
    return requests.get(req.url, headers=req.header_params, timeout=5)


def test_x_sdk_date_more_than_15_minutes_off_is_refused(emulator):
    path = f"/autopilot/v3/projects/{PROJECT}/clusters"
    now = datetime.datetime.utcnow()
    fmt = "%Y%m%dT%H%M%SZ"
    assert signed_get(emulator, path, now.strftime(fmt)).status_code == 200
    for skew in (datetime.timedelta(minutes=16), -datetime.timedelta(minutes=16)):
        r = signed_get(emulator, path, (now + skew).strftime(fmt))
        assert r.status_code == 401, r.text
        body = r.json()
        assert (body["error_code"], body["errorCode"]) == ("CCE.01401001", "CCE.01401001"), body
        assert body["error_msg"] == "Authorization failed." and body["reason"] == "Unauthorized", body
        assert r.headers["X-Request-Id"]


def test_a_fault_file_429_surfaces_as_client_request_exception():
    faults = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    faults.write('[[rate_limit]]\nroute = "GET /autopilot/v3/projects/*/quotas"\nper_second = 0.001\nburst = 1\n')
    faults.close()
    try:
        with running_emulator("--faults", faults.name) as url:
            c = make_client(url)
            assert c.show_autopilot_quotas(m.ShowAutopilotQuotasRequest()).quotas
            with pytest.raises(ClientRequestException) as ei:
                c.show_autopilot_quotas(m.ShowAutopilotQuotasRequest())
            # The SDK's urllib3 retry owns 429 (retry_times = 0 here) and reports it this way.
            assert ei.value.status_code == 429
            assert "429" in (ei.value.error_code or "") + (ei.value.error_msg or "")
            # The same request signed by the SDK's signer but sent raw: the documented 429 body
            # and the Retry-After the SDK's retry honours.
            now = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
            r = signed_get(url, f"/autopilot/v3/projects/{PROJECT}/quotas", now)
            assert r.status_code == 429, r.text
            assert r.json()["reason"] == "TooManyRequests" and r.headers["Retry-After"], r.text
    finally:
        os.unlink(faults.name)
