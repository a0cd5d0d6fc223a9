"""The official huaweicloudsdkcce SDK, unchanged but for its endpoint, against the emulator.

Every `*autopilot*` method of `CceClient` must be declared by some test through `@covers`,
and each test must really call what it declares (checked after the test).
"""

import io
import tarfile

import pytest
from huaweicloudsdkcce.v3 import *  # noqa: F401,F403 - request classes by name
import huaweicloudsdkcce.v3 as m
from huaweicloudsdkcce.v3 import CceClient
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile

from hw_support import AK, PROJECT, SK, TOKEN, make_client, wait_for

COVERED = set()
CALLED = set()


def covers(*names):
    def deco(fn):
        COVERED.update(names)
        fn._covers = names
        return fn
    return deco


class Tracking:
    """Delegates to the SDK client and records which methods were called."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if callable(attr) and "autopilot" in name:
            def call(*a, **kw):
                CALLED.add(name)
                return attr(*a, **kw)
            return call
        return attr


@pytest.fixture
def c(client, request):
    CALLED.clear()
    yield Tracking(client)
    declared = getattr(request.function, "_covers", ())
    missing = [n for n in declared if n not in CALLED]
    assert not missing, f"test declares but never calls: {missing}"


def sdk_autopilot_methods():
    return sorted(n for n in dir(CceClient)
                  if "autopilot" in n and not n.startswith("_") and not n.endswith("_invoker"))


def cluster_body(name, version="v1.28"):
    return m.AutopilotCluster(
        kind="Cluster", api_version="v3",
        metadata=m.AutopilotClusterMetadata(name=name),
        spec=m.AutopilotClusterSpec(
            flavor="cce.autopilot.cluster", version=version, category="Turbo", type="VirtualMachine",
            host_network=m.AutopilotHostNetwork(vpc="vpc-0001", subnet="subnet-0001"),
            container_network=m.AutopilotContainerNetwork(mode="eni"),
            eni_network=m.AutopilotEniNetwork(subnets=[m.AutopilotNetworkSubnet(subnet_id="eni-0001")]),
        ),
    )


def expect_error(fn, status, code):
    with pytest.raises(ClientRequestException) as ei:
        fn()
    e = ei.value
    assert e.status_code == status, (e.status_code, e.error_code, e.error_msg)
    assert e.error_code == code, (e.error_code, e.error_msg)
    assert e.request_id, "X-Request-Id must be parsed into request_id"
    return e


def create_available(c, name, version="v1.28"):
    r = c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body(name, version)))
    uid = r.metadata.uid
    wait_for(lambda: c.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid)).status.phase == "Available")
    return uid, r


@pytest.fixture(scope="module")
def cluster(client):
    uid, _ = create_available(client, "shared-cluster")
    return uid


# ---------------------------------------------------------------- coverage

def test_every_sdk_autopilot_method_is_declared():
    methods = sdk_autopilot_methods()
    assert len(methods) >= 61
    missing = [n for n in methods if n not in COVERED]
    assert not missing, f"SDK methods without a conformance test: {missing}"


# ---------------------------------------------------------------- auth

def test_bad_secret_key_is_refused_with_401(emulator):
    bad = make_client(emulator, sk="wrong-secret")
    e = expect_error(lambda: bad.list_autopilot_clusters(m.ListAutopilotClustersRequest()), 401, "CCE.01401001")
    assert e.error_msg.startswith("Authorization failed.")


def test_unknown_access_key_is_refused_on_addon_path(emulator):
    bad = make_client(emulator, ak="other-ak")
    expect_error(lambda: bad.list_autopilot_addon_templates(m.ListAutopilotAddonTemplatesRequest()), 401, "CCE.03401001")


def test_token_auth(emulator):
    import requests
    r = requests.get(f"{emulator}/autopilot/v3/clusterupgradepaths", headers={"X-Auth-Token": TOKEN}, timeout=5)
    assert r.status_code == 200 and r.headers["X-Request-Id"]
    r = requests.get(f"{emulator}/autopilot/v3/clusterupgradepaths", headers={"X-Auth-Token": "nope"}, timeout=5)
    assert r.status_code == 401 and r.json()["error_code"] == "CCE.01401001"


# ---------------------------------------------------------------- clusters

@covers("create_autopilot_cluster", "show_autopilot_cluster", "show_autopilot_job", "list_autopilot_clusters",
        "delete_autopilot_cluster")
def test_cluster_lifecycle(c):
    r = c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body("lifecycle-one")))
    assert r.status.phase == "Creating"
    assert r.spec.version == "v1.28" and r.spec.platform_version
    assert r.spec.kubernetes_svc_ip_range == "10.247.0.0/16"
    uid, job = r.metadata.uid, r.status.job_id
    j = c.show_autopilot_job(m.ShowAutopilotJobRequest(job_id=job))
    assert j.spec.type == "CreateCluster" and j.status.phase in ("Initializing", "Running")
    assert [s.spec.type for s in j.spec.sub_jobs] == ["InstallMaster", "CreatePSMCert"]
    wait_for(lambda: c.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid)).status.phase == "Available")
    got = c.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid, detail="true"))
    assert got.status.endpoints[0].type == "Internal"
    assert c.show_autopilot_job(m.ShowAutopilotJobRequest(job_id=job)).status.phase == "Success"
    names = [i.metadata.name for i in c.list_autopilot_clusters(m.ListAutopilotClustersRequest(status="Available")).items]
    assert "lifecycle-one" in names
    d = c.delete_autopilot_cluster(m.DeleteAutopilotClusterRequest(cluster_id=uid, delete_efs="false", lts_reclaim_policy="Retain"))
    assert d.status.job_id and d.status.delete_option
    def gone():
        try:
            c.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid))
            return False
        except ClientRequestException as e:
            return e.status_code == 404 and e.error_code == "CCE.01404001"
    wait_for(gone)


@covers("create_autopilot_cluster", "show_autopilot_quotas")
def test_duplicate_name_and_quota(c, emulator):
    # A project of its own, so the filled quota does not starve the other tests.
    c = Tracking(make_client(emulator, project="99999999999999999999999999999999"))
    before = c.show_autopilot_quotas(m.ShowAutopilotQuotasRequest()).quotas[0]
    assert before.quota_key == "autopilot_cluster" and before.quota_limit == 5
    c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body("dup-name")))
    expect_error(lambda: c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body("dup-name"))),
                 409, "CCE.01409001")
    used = c.show_autopilot_quotas(m.ShowAutopilotQuotasRequest()).quotas[0].used
    assert used == before.used + 1
    for i in range(5 - used):
        c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body(f"quota-fill-{i}")))
    expect_error(lambda: c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=cluster_body("quota-over"))),
                 400, "CCE.01400007")


@pytest.fixture(scope="module")
def other(emulator):
    """A client on a second project: worlds are separate per project."""
    return Tracking(make_client(emulator, project="fedcba9876543210fedcba9876543210"))


@pytest.fixture(scope="module")
def ocluster(emulator):
    cl = make_client(emulator, project="fedcba9876543210fedcba9876543210")
    uid, _ = create_available(cl, "other-project-cluster")
    return uid


@covers("update_autopilot_cluster", "update_autopilot_cluster_eip", "show_autopilot_cluster_endpoints",
        "create_autopilot_kubernetes_cluster_cert")
def test_update_eip_endpoints_cert(c, other, ocluster):
    c = other
    CALLED.clear()
    r = c.update_autopilot_cluster(m.UpdateAutopilotClusterRequest(
        cluster_id=ocluster, body=m.AutopilotClusterInformation(spec=m.AutopilotClusterInformationSpec(description="new description"))))
    assert r.spec.description == "new description"
    bind = c.update_autopilot_cluster_eip(m.UpdateAutopilotClusterEipRequest(
        cluster_id=ocluster, body={"spec": {"action": "bind", "spec": {"id": "eip-1234"}}}))
    assert bind.status.public_endpoint.startswith("https://")
    ep = c.show_autopilot_cluster_endpoints(m.ShowAutopilotClusterEndpointsRequest(cluster_id=ocluster))
    assert ep.status.public_endpoint == bind.status.public_endpoint and ep.status.private_endpoint
    cert = c.create_autopilot_kubernetes_cluster_cert(m.CreateAutopilotKubernetesClusterCertRequest(
        cluster_id=ocluster, body={"duration": 30}))
    assert cert.current_context == "external" and cert.port_id
    c.update_autopilot_cluster_eip(m.UpdateAutopilotClusterEipRequest(cluster_id=ocluster, body={"spec": {"action": "unbind"}}))
    assert c.show_autopilot_cluster_endpoints(m.ShowAutopilotClusterEndpointsRequest(cluster_id=ocluster)).status.public_endpoint == ""
    expect_error(lambda: c.create_autopilot_kubernetes_cluster_cert(m.CreateAutopilotKubernetesClusterCertRequest(
        cluster_id=ocluster, body={"duration": 0})), 400, "CCE.01400001")


@covers("batch_create_autopilot_cluster_tags", "batch_delete_autopilot_cluster_tags")
def test_tags(c, other, ocluster):
    r = other.batch_create_autopilot_cluster_tags(m.BatchCreateAutopilotClusterTagsRequest(
        cluster_id=ocluster, body={"tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "a"}]}))
    assert r.status_code == 204
    r = other.batch_delete_autopilot_cluster_tags(m.BatchDeleteAutopilotClusterTagsRequest(
        cluster_id=ocluster, body={"tags": [{"key": "team"}]}))
    assert r.status_code == 204
    got = other._inner.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=ocluster))
    assert [(t.key, t.value) for t in got.spec.cluster_tags] == [("env", "prod")]
    many = {"tags": [{"key": f"k{i}", "value": "v"} for i in range(20)]}
    expect_error(lambda: other.batch_create_autopilot_cluster_tags(m.BatchCreateAutopilotClusterTagsRequest(
        cluster_id=ocluster, body=many)), 400, "CCE.01400001")


# ---------------------------------------------------------------- add-ons

@covers("list_autopilot_addon_templates", "create_autopilot_addon_instance", "show_autopilot_addon_instance",
        "list_autopilot_addon_instances", "update_autopilot_addon_instance", "rollback_autopilot_addon_instance",
        "delete_autopilot_addon_instance")
def test_addon_lifecycle(c, cluster):
    tpl = c.list_autopilot_addon_templates(m.ListAutopilotAddonTemplatesRequest(addon_template_name="coredns"))
    versions = [v.version for v in tpl.items[0].spec.versions]
    assert "1.28.4" in versions and tpl.items[0].spec.versions[0].support_versions[0].cluster_version
    body = {"kind": "Addon", "apiVersion": "v3", "metadata": {"annotations": {"addon.install/type": "install"}},
            "spec": {"clusterID": cluster, "addonTemplateName": "coredns", "version": "1.28.4", "values": {"flavor": {"replicas": 2}}}}
    a = c.create_autopilot_addon_instance(m.CreateAutopilotAddonInstanceRequest(body=body))
    assert a.status.status == "installing"
    aid = a.metadata.uid
    expect_error(lambda: c.create_autopilot_addon_instance(m.CreateAutopilotAddonInstanceRequest(body=body)), 409, "CCE.03409001")
    bad = dict(body, spec=dict(body["spec"], addonTemplateName="cce-hpa-controller", version="1.5.2"))
    expect_error(lambda: c.create_autopilot_addon_instance(m.CreateAutopilotAddonInstanceRequest(body=bad)), 400, "CCE.03400001")
    show = lambda: c.show_autopilot_addon_instance(m.ShowAutopilotAddonInstanceRequest(id=aid, cluster_id=cluster))
    wait_for(lambda: show().status.status == "running")
    items = c.list_autopilot_addon_instances(m.ListAutopilotAddonInstancesRequest(cluster_id=cluster)).items
    assert [i.spec.addon_template_name for i in items] == ["coredns"]
    up = dict(body, metadata={"annotations": {"addon.upgrade/type": "upgrade"}}, spec=dict(body["spec"], version="1.28.6"))
    u = c.update_autopilot_addon_instance(m.UpdateAutopilotAddonInstanceRequest(id=aid, body=up))
    assert u.status.status == "upgrading"
    wait_for(lambda: show().status.status == "running")
    s = show()
    assert s.spec.version == "1.28.6" and s.status.is_rollbackable and s.status.previous_version == "1.28.4"
    rb = c.rollback_autopilot_addon_instance(m.RollbackAutopilotAddonInstanceRequest(id=aid, body={"clusterID": cluster}))
    assert rb.status.status == "rollbacking" and rb.spec.version == "1.28.4"
    wait_for(lambda: show().status.status == "running")
    d = c.delete_autopilot_addon_instance(m.DeleteAutopilotAddonInstanceRequest(id=aid, cluster_id=cluster))
    assert d.status_code == 200

    def gone():
        try:
            show()
            return False
        except ClientRequestException as e:
            return e.status_code == 404 and e.error_code == "CCE.03404001"
    wait_for(gone)


# ---------------------------------------------------------------- upgrade

@covers("list_autopilot_cluster_upgrade_paths", "list_autopilot_cluster_upgrade_feature_gates",
        "show_autopilot_cluster_upgrade_info", "create_autopilot_upgrade_work_flow", "create_autopilot_pre_check",
        "show_autopilot_pre_check", "list_autopilot_pre_check_tasks", "create_autopilot_cluster_master_snapshot",
        "list_autopilot_cluster_master_snapshot_tasks", "upgrade_autopilot_cluster",
        "show_autopilot_upgrade_cluster_task", "list_autopilot_upgrade_cluster_tasks", "create_autopilot_post_check",
        "show_autopilot_upgrade_work_flow", "list_autopilot_upgrade_work_flows")
def test_upgrade_workflow_end_to_end(c):
    uid, _ = create_available(c._inner, "upgrade-me", "v1.27")
    paths = c.list_autopilot_cluster_upgrade_paths(m.ListAutopilotClusterUpgradePathsRequest())
    hop = {p.version: p.target_versions for p in paths.upgrade_paths}
    assert hop["v1.27"] == ["v1.28.3-r0"] and hop["v1.28"] == ["v1.29.1-r0"]
    gates = c.list_autopilot_cluster_upgrade_feature_gates(m.ListAutopilotClusterUpgradeFeatureGatesRequest())
    assert gates.upgrade_feature_gates["EvsSnapshot"] == "Support"
    info = c.show_autopilot_cluster_upgrade_info(m.ShowAutopilotClusterUpgradeInfoRequest(cluster_id=uid))
    assert info.spec.version_info.target_versions == ["v1.28.3-r0"]
    wf = c.create_autopilot_upgrade_work_flow(m.CreateAutopilotUpgradeWorkFlowRequest(
        cluster_id=uid, body={"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": uid, "targetVersion": "v1.28"}}))
    assert (wf.spec.cluster_version, wf.spec.target_version) == ("v1.27.3-r0", "v1.28.3-r0")
    assert [p.task_type for p in wf.status.point_statuses] == ["PreCheck", "Snapshot", "Cluster", "PostCheck"]
    upgrade_body = {"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"}, "spec": {"clusterUpgradeAction": {
        "targetVersion": "v1.28.3-r0", "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": 20}}}}}
    expect_error(lambda: c.upgrade_autopilot_cluster(m.UpgradeAutopilotClusterRequest(cluster_id=uid, body=upgrade_body)),
                 400, "CCE.01400001")
    pc = c.create_autopilot_pre_check(m.CreateAutopilotPreCheckRequest(cluster_id=uid, body={
        "kind": "PreCheckTask", "apiVersion": "v3", "spec": {"clusterID": uid, "clusterVersion": wf.spec.cluster_version, "targetVersion": wf.spec.target_version}}))
    assert pc.status.phase == "Init"
    pcid = pc.metadata.uid
    done = wait_for(lambda: (lambda t: t if t.status.phase == "Success" else None)(
        c.show_autopilot_pre_check(m.ShowAutopilotPreCheckRequest(cluster_id=uid, task_id=pcid))))
    assert done.status.expire_time_stamp
    assert [t.metadata.uid for t in c.list_autopilot_pre_check_tasks(m.ListAutopilotPreCheckTasksRequest(cluster_id=uid)).items] == [pcid]
    snap = c.create_autopilot_cluster_master_snapshot(m.CreateAutopilotClusterMasterSnapshotRequest(cluster_id=uid))
    wait_for(lambda: any(t.metadata.uid == snap.uid and t.status.phase == "Success" for t in
                         c.list_autopilot_cluster_master_snapshot_tasks(m.ListAutopilotClusterMasterSnapshotTasksRequest(cluster_id=uid)).items))
    up = c.upgrade_autopilot_cluster(m.UpgradeAutopilotClusterRequest(cluster_id=uid, body=upgrade_body))
    tid = up.metadata.uid
    assert up.spec.cluster_upgrade_action.target_version == "v1.28.3-r0"
    assert c._inner.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid)).status.phase == "Upgrading"
    wait_for(lambda: c.show_autopilot_upgrade_cluster_task(m.ShowAutopilotUpgradeClusterTaskRequest(cluster_id=uid, task_id=tid)).status.phase == "Success")
    assert [t.metadata.uid for t in c.list_autopilot_upgrade_cluster_tasks(m.ListAutopilotUpgradeClusterTasksRequest(cluster_id=uid)).items] == [tid]
    cl = c._inner.show_autopilot_cluster(m.ShowAutopilotClusterRequest(cluster_id=uid))
    assert (cl.status.phase, cl.spec.version) == ("Available", "v1.28")
    post = c.create_autopilot_post_check(m.CreateAutopilotPostCheckRequest(cluster_id=uid, body={
        "kind": "PostCheckTask", "apiVersion": "v3", "spec": {"clusterID": uid, "clusterVersion": "v1.27.3-r0", "targetVersion": "v1.28.3-r0"}}))
    assert post.status.phase == "Success"
    w = c.show_autopilot_upgrade_work_flow(m.ShowAutopilotUpgradeWorkFlowRequest(cluster_id=uid, upgrade_workflow_id=wf.metadata.uid))
    assert w.status.phase == "Success"
    assert [p.task_id for p in w.status.point_statuses] == [pcid, snap.uid, tid, post.metadata.uid]
    lst = c.list_autopilot_upgrade_work_flows(m.ListAutopilotUpgradeWorkFlowsRequest(cluster_id=uid))
    assert [x.metadata.uid for x in lst.items] == [wf.metadata.uid]


@covers("create_autopilot_upgrade_work_flow", "upgrade_autopilot_work_flow_update", "retry_autopilot_upgrade_cluster_task")
def test_workflow_cancel_and_retry_rules(c, cluster):
    wf = c.create_autopilot_upgrade_work_flow(m.CreateAutopilotUpgradeWorkFlowRequest(
        cluster_id=cluster, body={"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": cluster, "targetVersion": "v1.29"}}))
    assert wf.status.phase == "Init"
    expect_error(lambda: c.create_autopilot_upgrade_work_flow(m.CreateAutopilotUpgradeWorkFlowRequest(
        cluster_id=cluster, body={"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"targetVersion": "v1.30"}})), 400, "CCE.01400001")
    r = c.upgrade_autopilot_work_flow_update(m.UpgradeAutopilotWorkFlowUpdateRequest(
        cluster_id=cluster, upgrade_workflow_id=wf.metadata.uid, body={"status": {"phase": "Cancel"}}))
    assert r.status.phase == "Cancel"
    expect_error(lambda: c.upgrade_autopilot_work_flow_update(m.UpgradeAutopilotWorkFlowUpdateRequest(
        cluster_id=cluster, upgrade_workflow_id=wf.metadata.uid, body={"status": {"phase": "Cancel"}})), 400, "CCE.01400001")
    expect_error(lambda: c.retry_autopilot_upgrade_cluster_task(m.RetryAutopilotUpgradeClusterTaskRequest(cluster_id=cluster)),
                 400, "CCE.01400001")


# ---------------------------------------------------------------- charts and releases

def chart_archive(name, version):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()
        info = tarfile.TarInfo(f"{name}/Chart.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class NamedBytes(io.BytesIO):
    def __init__(self, data, name):
        super().__init__(data)
        self.name = name


@covers("upload_autopilot_chart", "list_autopilot_charts", "show_autopilot_chart", "show_autopilot_chart_values",
        "download_autopilot_chart", "update_autopilot_chart", "show_autopilot_user_charts_quotas",
        "create_autopilot_release", "show_autopilot_release", "list_autopilot_releases", "update_autopilot_release",
        "show_autopilot_release_history", "delete_autopilot_release", "delete_autopilot_chart")
def test_charts_and_releases(c, cluster, tmp_path):
    data = chart_archive("web", "1.0.0")
    path = tmp_path / "web-1.0.0.tgz"
    path.write_bytes(data)
    with open(path, "rb") as f:
        body = m.UploadAutopilotChartRequestBody(content=FormFile(f), parameters='{"override":false,"skip_lint":true}')
        ch = c.upload_autopilot_chart(m.UploadAutopilotChartRequest(body=body))
    assert (ch.name, ch.version) == ("web", "1.0.0")
    assert ch.id in [x.id for x in c.list_autopilot_charts(m.ListAutopilotChartsRequest()).body]
    assert c.show_autopilot_chart(m.ShowAutopilotChartRequest(chart_id=ch.id)).chart_url == "web-1.0.0.tgz"
    c.show_autopilot_chart_values(m.ShowAutopilotChartValuesRequest(chart_id=ch.id))
    dl = c.download_autopilot_chart(m.DownloadAutopilotChartRequest(chart_id=ch.id))
    chunks = []
    dl.consume_download_stream(lambda resp: chunks.append(resp.content))
    assert b"".join(chunks) == data
    with open(path, "rb") as f:
        body = m.UpdateAutopilotChartRequestBody(content=FormFile(f), parameters='{"override":true}')
        assert c.update_autopilot_chart(m.UpdateAutopilotChartRequest(chart_id=ch.id, body=body)).id == ch.id
    q = c.show_autopilot_user_charts_quotas(m.ShowAutopilotUserChartsQuotasRequest())
    assert q.quotas.resources[0].quota == 200 and q.quotas.resources[0].used >= 1

    rel = c.create_autopilot_release(m.CreateAutopilotReleaseRequest(cluster_id=cluster, body={
        "chart_id": ch.id, "name": "web", "namespace": "default", "version": "1.0.0", "values": {"replicas": 1}}))
    assert rel.status == "PENDING_INSTALL"
    show = lambda: c.show_autopilot_release(m.ShowAutopilotReleaseRequest(cluster_id=cluster, namespace="default", name="web"))
    wait_for(lambda: show().status == "DEPLOYED")
    assert [r.name for r in c.list_autopilot_releases(m.ListAutopilotReleasesRequest(cluster_id=cluster, namespace="default")).body] == ["web"]
    u = c.update_autopilot_release(m.UpdateAutopilotReleaseRequest(cluster_id=cluster, namespace="default", name="web", body={
        "chart_id": ch.id, "action": "upgrade", "parameters": {}, "values": {"replicas": 2}}))
    assert u.status == "PENDING_UPGRADE" and u.version == 2
    wait_for(lambda: show().status == "DEPLOYED")
    hist = c.show_autopilot_release_history(m.ShowAutopilotReleaseHistoryRequest(cluster_id=cluster, namespace="default", name="web"))
    assert [h.version for h in hist.body] == [1, 2]
    c.delete_autopilot_release(m.DeleteAutopilotReleaseRequest(cluster_id=cluster, namespace="default", name="web"))
    expect_error(show, 404, "CCE.02404001")
    assert c.delete_autopilot_chart(m.DeleteAutopilotChartRequest(chart_id=ch.id)).status_code == 200
    expect_error(lambda: c.show_autopilot_chart(m.ShowAutopilotChartRequest(chart_id=ch.id)), 404, "CCE.02404001")


# ---------------------------------------------------------------- SDK-only operations

@covers("create_autopilot_maintenance_window", "show_autopilot_maintenance_window",
        "update_autopilot_maintenance_window", "delete_autopilot_maintenance_window")
def test_maintenance_window(c, cluster):
    expect_error(lambda: c.show_autopilot_maintenance_window(m.ShowAutopilotMaintenanceWindowRequest(cluster_id=cluster)), 404, "CCE.01404001")
    w = {"weekly_period": "Monday,Friday", "start_time": "02:00", "duration_hours": 4, "upgrade_scope": "patch"}
    r = c.create_autopilot_maintenance_window(m.CreateAutopilotMaintenanceWindowRequest(cluster_id=cluster, body=w))
    assert r.duration_hours == 4
    assert c.show_autopilot_maintenance_window(m.ShowAutopilotMaintenanceWindowRequest(cluster_id=cluster)).start_time == "02:00"
    r = c.update_autopilot_maintenance_window(m.UpdateAutopilotMaintenanceWindowRequest(cluster_id=cluster, body=dict(w, duration_hours=6)))
    assert r.duration_hours == 6
    c.delete_autopilot_maintenance_window(m.DeleteAutopilotMaintenanceWindowRequest(cluster_id=cluster))
    expect_error(lambda: c.show_autopilot_maintenance_window(m.ShowAutopilotMaintenanceWindowRequest(cluster_id=cluster)), 404, "CCE.01404001")


@covers("list_autopilot_jobs", "get_autopilot_one_job", "delete_autopilot_job")
def test_v2_jobs(c, cluster):
    jobs = c.list_autopilot_jobs(m.ListAutopilotJobsRequest()).body
    create = [j for j in jobs if j.spec.clusteruid == cluster and j.spec.type == "CreateCluster"]
    assert create and create[0].status.status == "Success"
    jid = create[0].metadata.uid
    assert c.get_autopilot_one_job(m.GetAutopilotOneJobRequest(job_id=jid)).spec.resourcename == "shared-cluster"
    c.delete_autopilot_job(m.DeleteAutopilotJobRequest(job_id=jid))
    expect_error(lambda: c.get_autopilot_one_job(m.GetAutopilotOneJobRequest(job_id=jid)), 404, "CCE.01404001")


@covers("list_autopilot_upgrade_plans", "update_autopilot_upgrade_plan", "show_autopilot_cluster_config",
        "show_autopilot_feature_gates")
def test_plans_log_configs_feature_gates(c, cluster):
    plans = c.list_autopilot_upgrade_plans(m.ListAutopilotUpgradePlansRequest(cluster_id=cluster))
    assert plans.kind == "List"
    expect_error(lambda: c.update_autopilot_upgrade_plan(m.UpdateAutopilotUpgradePlanRequest(
        cluster_id=cluster, upgrade_plan_id="no-such-plan", body={"notBefore": "2026-12-01T00:00:00Z"})), 404, "CCE.01404001")
    cfg = c.show_autopilot_cluster_config(m.ShowAutopilotClusterConfigRequest(cluster_id=cluster))
    assert cfg.ttl_in_days == 7 and {x.name for x in cfg.log_configs} >= {"kube-apiserver", "audit"}
    fg = c.show_autopilot_feature_gates(m.ShowAutopilotFeatureGatesRequest())
    assert fg.api_version == "v3.1" and fg.spec
