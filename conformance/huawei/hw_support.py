"""Helpers shared by the Huawei conformance tests (constants, SDK client builder, polling)."""

import contextlib
import json
import os
import subprocess
import time

from huaweicloudsdkcce.v3 import CceClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig

AK = "conformance-ak"
SK = "conformance-sk"
PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "conformance-token"
def make_client(url, ak=AK, sk=SK, project=PROJECT):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    cfg.retry_times = 0
    return (CceClient.new_builder()
            .with_http_config(cfg)
            .with_credentials(BasicCredentials(ak, sk, project))
            .with_endpoints([url])
            .build())


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


@contextlib.contextmanager
def running_emulator(*extra_args):
    """Runs the emulator binary (`CLUSTERFORM_EMULATOR_BIN`) and yields its Huawei URL."""
    binary = os.environ.get("CLUSTERFORM_EMULATOR_BIN")
    if not binary or not os.path.exists(binary):
        raise RuntimeError("set CLUSTERFORM_EMULATOR_BIN to the built clusterform-emulator binary "
                           "(conformance/run.sh does)")
    proc = subprocess.Popen(
        [binary, "--huawei", "127.0.0.1:0", "--access-key", AK, "--secret-key", SK, "--token", TOKEN,
         *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("emulator exited before printing its address")
        yield json.loads(line)["huawei"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
