"""Fixtures for the Huawei SDK conformance suite: the emulator binary and an SDK client."""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from hw_support import AK, SK, TOKEN, make_client  # noqa: E402

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


@pytest.fixture(scope="session")
def client(emulator):
    return make_client(emulator)
