import pytest

from tests.fixtures.fake_catalog import FakeCatalog


@pytest.fixture(scope="session")
def fake_catalog():
    return FakeCatalog()
