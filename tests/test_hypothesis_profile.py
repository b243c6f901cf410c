"""Every test runs with the project's hypothesis profile: no deadlines (tests/conftest.py)."""

from hypothesis import given, settings
from hypothesis import strategies as st


def test_the_profile_has_no_deadline():
    assert settings().deadline is None


@given(st.integers())
def test_a_property_test_without_its_own_settings_has_no_deadline(_n):
    assert settings.default.deadline is None
