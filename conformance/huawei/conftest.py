"""Fixtures for the Huawei SDK conformance suite: the emulator binary and an SDK client."""

import json
import os
import subprocess
import time

import pytest
from huaweicloudsdkcce.v3 import CceClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig

AK = "conformance-ak"
SK = "conformance-sk"
PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "conformance-token"


@pytest.fixture(scope="session")
def emulator():
    """Starts `clusterform-emulator --huawei 127.0.0.1:0 --time-scale 600` and yields its URL."""
    binary = os.environ.get("CLUSTERFORM_EMULATOR_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("set CLUSTERFORM_EMULATOR_BIN to the built clusterform-emulator binary (conformance/run.sh does)")
    proc = subprocess.Popen(
        [binary, "--huawei", "127.0.0.1:0", "--time-scale", "600", "--access-key", AK,
         "--secret-key", SK, "--token", TOKEN, "--seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline()
        if not line:
            pytest.fail("emulator exited before printing its address")
        url = json.loads(line)["huawei"]
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def make_client(url, ak=AK, sk=SK, project=PROJECT):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    cfg.retry_times = 0
    return (CceClient.new_builder()
            .with_http_config(cfg)
            .with_credentials(BasicCredentials(ak, sk, project))
            .with_endpoints([url])
            .build())


@pytest.fixture(scope="session")
def client(emulator):
    return make_client(emulator)


def wait_for(fn, timeout=20.0, interval=0.05):
    """Polls `fn` until it returns a truthy value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not reached in {timeout}s (last: {last!r})")
