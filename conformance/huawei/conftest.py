"""Fixtures for the Huawei SDK conformance suite: the emulator binary and an SDK client."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from hw_support import make_client, running_emulator  # noqa: E402


@pytest.fixture(scope="session")
def emulator():
    """The emulator at time scale 600 (an 8-minute create takes 0.8 s). Finished jobs are kept
    10 simulated hours (60 s) so that tests reading a job late in the run still find it."""
    try:
        with running_emulator("--time-scale", "600", "--seed", "7", "--job-retention", "36000") as url:
            yield url
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def client(emulator):
    return make_client(emulator)
