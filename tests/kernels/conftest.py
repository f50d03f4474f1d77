"""Fixtures for the kernel tests (the simulator itself is chosen in tests/conftest.py)."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
