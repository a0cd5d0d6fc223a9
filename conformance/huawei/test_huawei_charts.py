"""Chart packages and job expiry through the official SDK: a real .tgz built here with tarfile is
unpacked by the emulator (Chart.yaml, values.yaml), a non-chart is refused, and finished jobs
expire to 404."""

import io
import json
import tarfile
import time

import huaweicloudsdkcce.v3 as m
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile

from hw_support import make_client, running_emulator, wait_for

CHART_YAML = """\
apiVersion: v2
name: shop
description: A demo shop
version: 0.4.1
appVersion: "2.7"
icon: https://example.com/shop.png
"""

VALUES_YAML = """\
# Default values for shop.
basic:
  admin_username: username
  admin_password: "*****"
global:
  namespace: demo
  port: 32080
  debug: false
image:
  repository: example.com/demo/shop
  tags: [latest, "1.0"]
resources: {}
ingress:
  hosts:
    - host: shop.local
      paths:
        - /
"""

EXPECTED_VALUES = {
    "basic": {"admin_username": "username", "admin_password": "*****"},
    "global": {"namespace": "demo", "port": 32080, "debug": False},
    "image": {"repository": "example.com/demo/shop", "tags": ["latest", "1.0"]},
    "resources": {},
    "ingress": {"hosts": [{"host": "shop.local", "paths": ["/"]}]},
}


def tgz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def upload(client, tmp_path, data, parameters='{"override":false}', name="upload.tgz"):
    path = tmp_path / name
    path.write_bytes(data)
    with open(path, "rb") as f:
        body = m.UploadAutopilotChartRequestBody(content=FormFile(f), parameters=parameters)
        return client.upload_autopilot_chart(m.UploadAutopilotChartRequest(body=body))


def test_real_chart_package_is_unpacked(client, tmp_path):
    data = tgz({"shop/Chart.yaml": CHART_YAML, "shop/values.yaml": VALUES_YAML, "shop/README.md": "# shop\n",
                "shop/templates/deployment.yaml": "kind: Deployment\n"})
    ch = upload(client, tmp_path, data, name="whatever-the-file-is-called.tgz")
    try:
        assert (ch.name, ch.version, ch.description) == ("shop", "0.4.1", "A demo shop")
        assert ch.icon_url == "https://example.com/shop.png"
        assert ch.chart_url == "shop-0.4.1.tgz" and ch.instruction == "README.md"
        assert json.loads(ch.values) == EXPECTED_VALUES
        vals = client.show_autopilot_chart_values(m.ShowAutopilotChartValuesRequest(chart_id=ch.id))
        assert vals.values.basic == EXPECTED_VALUES["basic"]
        assert json.loads(vals.raw_content) == {"values": EXPECTED_VALUES}
        # The same chart again is a conflict unless override is set.
        with pytest.raises(ClientRequestException) as ei:
            upload(client, tmp_path, data)
        assert (ei.value.status_code, ei.value.error_code) == (409, "CCE.02409001")
        newer = tgz({"shop/Chart.yaml": CHART_YAML, "shop/values.yaml": "basic:\n  admin_username: root\n"})
        again = upload(client, tmp_path, newer, parameters='{"override":true}')
        assert again.id == ch.id
        vals = client.show_autopilot_chart_values(m.ShowAutopilotChartValuesRequest(chart_id=ch.id))
        assert json.loads(vals.raw_content) == {"values": {"basic": {"admin_username": "root"}}}
    finally:
        client.delete_autopilot_chart(m.DeleteAutopilotChartRequest(chart_id=ch.id))


@pytest.mark.parametrize("data,why", [
    (b"shop-0.4.1.tgz is only a name", "not a gzip-compressed tar"),
    (tgz({"shop/values.yaml": VALUES_YAML}), "no Chart.yaml"),
    (tgz({"shop/Chart.yaml": "name: shop\n"}), "version is required"),
    (tgz({"shop/Chart.yaml": CHART_YAML, "shop/values.yaml": "a: [1, 2\n"}), "values.yaml"),
    (tgz({"shop/Chart.yaml": CHART_YAML.replace("0.4.1", "latest")}), "lint"),
])
def test_archive_that_is_not_a_chart_is_refused(client, tmp_path, data, why):
    with pytest.raises(ClientRequestException) as ei:
        upload(client, tmp_path, data)
    e = ei.value
    assert (e.status_code, e.error_code) == (400, "CCE.02400001"), (e.status_code, e.error_code, e.error_msg)
    assert why in e.error_msg


def test_skip_lint_accepts_a_loose_chart(client, tmp_path):
    data = tgz({"shop/Chart.yaml": "name: loose\nversion: latest\n"})
    ch = upload(client, tmp_path, data, parameters='{"skip_lint":true}')
    assert (ch.name, ch.version, ch.values) == ("loose", "latest", "{}")
    client.delete_autopilot_chart(m.DeleteAutopilotChartRequest(chart_id=ch.id))


def test_finished_jobs_expire_to_404():
    # 6 simulated minutes of retention at time scale 600: 0.6 s after the job ends.
    with running_emulator("--time-scale", "600", "--job-retention", "360") as url:
        c = make_client(url)
        body = m.AutopilotCluster(
            kind="Cluster", api_version="v3", metadata=m.AutopilotClusterMetadata(name="short-lived"),
            spec=m.AutopilotClusterSpec(
                flavor="cce.autopilot.cluster", version="v1.28",
                host_network=m.AutopilotHostNetwork(vpc="vpc-0001", subnet="subnet-0001"),
                container_network=m.AutopilotContainerNetwork(mode="eni")))
        job = c.create_autopilot_cluster(m.CreateAutopilotClusterRequest(body=body)).status.job_id
        show = lambda: c.show_autopilot_job(m.ShowAutopilotJobRequest(job_id=job))
        wait_for(lambda: show().status.phase == "Success")
        started = time.time()

        def gone():
            try:
                show()
                return False
            except ClientRequestException as e:
                return (e.status_code, e.error_code) == (404, "CCE.01404001")
        wait_for(gone, timeout=10)
        assert time.time() - started < 5
