"""The `local_lago` fixture, registered with pytest by lago_dyn's `pytest11` entry point.

    def test_signup(local_lago):
        client = lago_dyn.Client(base_url=local_lago.base_url, api_key="test")
        ...

Override the `lago_spec` fixture in your conftest.py to serve another spec than lago_dyn's default.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from .server import LocalLago


@pytest.fixture
def lago_spec() -> Any:
    """The spec LocalLago serves; None is lago_dyn's default Customers spec."""
    return None


@pytest.fixture
def local_lago(lago_spec: Any) -> Iterator[LocalLago]:
    """A running LocalLago on 127.0.0.1, stopped after the test."""
    with LocalLago(lago_spec) as lago:
        yield lago
