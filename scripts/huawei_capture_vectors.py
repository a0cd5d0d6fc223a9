#!/usr/bin/env python3
"""Capture SDK-HMAC-SHA256 signer vectors from the official Huawei Cloud CCE Python SDK.

The script starts a logging HTTP server on 127.0.0.1 (random port), points the official
`huaweicloudsdkcce` client at it (endpoint override, BasicCredentials with a project id, no region,
so nothing ever leaves the machine), calls a varied set of Autopilot operations, and writes every
request exactly as received to crates/clusterform-client-huawei/tests/data/sdk_vectors.json.

The Rust test `tests/sdk_vectors` then recomputes each Authorization header with our signer.

Usage (from the repository root):
    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-huawei.txt
    .venv/bin/python scripts/huawei_capture_vectors.py

Side effect of the SDK itself: huaweicloudsdkcore writes ~/.huaweicloud/application_id on import.
"""

import base64
import datetime as _dt
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AK = "AKTESTVECTOR0001"
SK = "SKtestVectorSecret/0001+xyz"
PROJECT_ID = "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d"
# The SDK takes X-Sdk-Date from the clock; pin it so the committed vectors are reproducible.
FIXED_NOW = _dt.datetime(2024, 6, 4, 12, 49, 28)

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "clusterform-client-huawei",
    "tests",
    "data",
    "sdk_vectors.json",
)

CAPTURED = []
CURRENT = {"name": None}


class _Handler(BaseHTTPRequestHandler):
    """Records each request and answers with a minimal body the SDK can deserialize."""

    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        raw = self.path
        path, _, query = raw.partition("?")
        CAPTURED.append(
            {
                "name": CURRENT["name"],
                "method": self.command,
                "path": path,
                "query": query,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_base64": base64.b64encode(body).decode("ascii"),
            }
        )
        status, payload = 200, b"{}"
        if path.endswith("/tags/create") or path.endswith("/tags/delete"):
            status, payload = 204, b""
        elif self.command == "GET" and (path.endswith("/releases") or path.endswith("/history")
                                        or path == "/autopilot/v2/charts"):
            payload = b"[]"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", "vector-%d" % len(CAPTURED))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, fmt, *args):  # keep the output readable
        pass


def _pin_clock():
    import huaweicloudsdkcore.signer.signer as signer_mod

    class _FixedDateTime(_dt.datetime):
        @classmethod
        def utcnow(cls):
            return FIXED_NOW

    signer_mod.datetime = _FixedDateTime


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    _pin_clock()
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.formdata import FormFile
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcce.v3 import CceClient
    import huaweicloudsdkcce.v3 as m

    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 10)
    cfg.retry_times = 0
    client = (
        CceClient.new_builder()
        .with_http_config(cfg)
        .with_credentials(BasicCredentials(AK, SK, PROJECT_ID))
        .with_endpoints(["http://127.0.0.1:%d" % port])
        .build()
    )

    tmp = tempfile.mkdtemp(prefix="hwvec")
    chart_path = os.path.join(tmp, "demo-chart-0.1.0.tgz")
    with open(chart_path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00fake-chart-bytes\x00\x01\x02")

    cluster = "e18f8b25-2270-11ef-a160-0255ac100100"
    calls = [
        ("list_clusters_bool_query", lambda: client.list_autopilot_clusters(
            m.ListAutopilotClustersRequest(detail=True, status="Available", version="v1.28"))),
        ("show_cluster", lambda: client.show_autopilot_cluster(
            m.ShowAutopilotClusterRequest(cluster_id=cluster))),
        ("create_cluster_non_ascii", lambda: client.create_autopilot_cluster(
            m.CreateAutopilotClusterRequest(body=m.AutopilotCluster(
                kind="Cluster", api_version="v3",
                metadata=m.AutopilotClusterMetadata(name="test-cluster-autopilot"),
                spec=m.AutopilotClusterSpec(
                    flavor="cce.autopilot.cluster", version="v1.28",
                    description="Prüfcluster für Tests ✓",
                    host_network=m.AutopilotHostNetwork(vpc="vpc-1", subnet="subnet-1"),
                    container_network=m.AutopilotContainerNetwork(mode="eni"),
                    cluster_tags=[m.AutopilotResourceTag(key="env", value="prod")]))))),
        ("update_cluster_put", lambda: client.update_autopilot_cluster(
            m.UpdateAutopilotClusterRequest(cluster_id=cluster, body=m.AutopilotClusterInformation(
                spec=m.AutopilotClusterInformationSpec(description="new description"))))),
        ("delete_cluster_query", lambda: client.delete_autopilot_cluster(
            m.DeleteAutopilotClusterRequest(cluster_id=cluster, delete_efs="true",
                                            delete_obs="try", lts_reclaim_policy="Retain"))),
        ("cancel_workflow_patch", lambda: client.upgrade_autopilot_work_flow_update(
            m.UpgradeAutopilotWorkFlowUpdateRequest(
                cluster_id=cluster, upgrade_workflow_id="5ddfdfde-87db-11ec-b5e5-0255ac111914",
                body=m.UpgradeWorkFlowUpdateRequestBody(
                    status=m.UpgradeWorkFlowUpdateRequestBodyStatus(phase="Cancel"))))),
        ("create_tags_204", lambda: client.batch_create_autopilot_cluster_tags(
            m.BatchCreateAutopilotClusterTagsRequest(cluster_id=cluster, body=m.BatchCreateClusterTagsRequestBody(
                tags=[m.AutopilotResourceTag(key="env", value="prod"),
                      m.AutopilotResourceTag(key="team", value="Größe")])))),
        ("delete_tags_204", lambda: client.batch_delete_autopilot_cluster_tags(
            m.BatchDeleteAutopilotClusterTagsRequest(cluster_id=cluster,
                                                     body=m.BatchDeleteClusterTagsRequestBody(
                                                         tags=[m.ResourceDeleteTag(key="env")])))),
        ("snapshot_v31_post_no_body", lambda: client.create_autopilot_cluster_master_snapshot(
            m.CreateAutopilotClusterMasterSnapshotRequest(cluster_id=cluster))),
        ("snapshot_tasks_v31_get", lambda: client.list_autopilot_cluster_master_snapshot_tasks(
            m.ListAutopilotClusterMasterSnapshotTasksRequest(cluster_id=cluster))),
        ("addon_templates_no_project_in_path", lambda: client.list_autopilot_addon_templates(
            m.ListAutopilotAddonTemplatesRequest(addon_template_name="coredns"))),
        ("delete_addon_query", lambda: client.delete_autopilot_addon_instance(
            m.DeleteAutopilotAddonInstanceRequest(id="90b775e0-5774-4e1d-ab3b-516332ba047a",
                                                  cluster_id=cluster))),
        ("create_addon", lambda: client.create_autopilot_addon_instance(
            m.CreateAutopilotAddonInstanceRequest(body=m.InstanceRequest(
                kind="Addon", api_version="v3",
                metadata=m.AddonMetadata(annotations={"addon.install/type": "install"}),
                spec=m.InstanceRequestSpec(cluster_id=cluster, addon_template_name="coredns",
                                           version="1.28.6",
                                           values={"flavor": {"replicas": 2}, "basic": {}}))))),
        ("releases_query_needs_encoding", lambda: client.list_autopilot_releases(
            m.ListAutopilotReleasesRequest(cluster_id=cluster, chart_id="chart a+b",
                                           namespace="ns/ü&x=1"))),
        ("show_release_path_encoding", lambda: client.show_autopilot_release(
            m.ShowAutopilotReleaseRequest(cluster_id=cluster, namespace="default",
                                          name="rel ü~1", show_resources="true"))),
        ("chart_quota_project_in_chart_slot", lambda: client.show_autopilot_user_charts_quotas(
            m.ShowAutopilotUserChartsQuotasRequest())),
        ("upload_chart_multipart", lambda: client.upload_autopilot_chart(
            m.UploadAutopilotChartRequest(body=m.UploadAutopilotChartRequestBody(
                parameters=json.dumps({"override": True, "skip_lint": True, "source": "package"}),
                content=FormFile(chart_path))))),
        ("update_chart_multipart_put", lambda: client.update_autopilot_chart(
            m.UpdateAutopilotChartRequest(chart_id="e99a7e86-afdd-11eb-aca3-0255ac100b0e",
                                          body=m.UpdateAutopilotChartRequestBody(
                                              parameters='{"override":true}',
                                              content=FormFile(chart_path))))),
        ("upgrade_cluster_post", lambda: client.upgrade_autopilot_cluster(
            m.UpgradeAutopilotClusterRequest(cluster_id=cluster, body=m.UpgradeClusterRequestBody(
                metadata=m.UpgradeClusterRequestMetadata(api_version="v3", kind="UpgradeTask"),
                spec=m.UpgradeSpec(cluster_upgrade_action=m.ClusterUpgradeAction(
                    target_version="v1.23",
                    strategy=m.UpgradeStrategy(
                        type="inPlaceRollingUpdate",
                        in_place_rolling_update=m.InPlaceRollingUpdate(user_defined_step=20)))))))),
    ]

    failures = 0
    for name, call in calls:
        CURRENT["name"] = name
        before = len(CAPTURED)
        try:
            call()
        except Exception as exc:  # the request is captured even when the answer does not decode
            print("note: %s raised %s: %s" % (name, type(exc).__name__, exc), file=sys.stderr)
        if len(CAPTURED) == before:
            failures += 1
            print("error: %s sent no request" % name, file=sys.stderr)
    server.shutdown()

    vectors = []
    for rec in CAPTURED:
        auth = next((v for k, v in rec["headers"] if k.lower() == "authorization"), None)
        rec.update({"ak": AK, "sk": SK, "authorization": auth})
        vectors.append(rec)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), os.path.normpath(OUT)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
