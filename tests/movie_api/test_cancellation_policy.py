"""CANCELLATION_POLICY: fee tiers read and checked when the settings load."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from movie_api.env import env_cancellation_policy
from tests.interpreter import clean_env, json_from, run_python

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({"policy": settings.CANCELLATION_POLICY}, default=str))
"""


def _env(**env) -> dict:
    return clean_env("DATABASE_URL", "REDIS_URL", DJANGO_SECRET_KEY="x" * 60, **env)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("48h:0,2h:50", ((2880, Decimal("0")), (120, Decimal("50")))),
        (" 2h:50 , 2d:0 ", ((2880, Decimal("0")), (120, Decimal("50")))),
        ("90m:12.5", ((90, Decimal("12.5")),)),
        ("3d:0,1d:10,6h:25,0m:100", ((4320, 0), (1440, 10), (360, 25), (0, 100))),
    ],
)
def test_tiers_are_read_longest_first(monkeypatch, value, expected):
    monkeypatch.setenv("CANCELLATION_POLICY", value)
    assert env_cancellation_policy("CANCELLATION_POLICY") == expected


def test_unset_or_empty_is_none(monkeypatch):
    monkeypatch.delenv("CANCELLATION_POLICY", raising=False)
    assert env_cancellation_policy("CANCELLATION_POLICY") is None
    monkeypatch.setenv("CANCELLATION_POLICY", "  ")
    assert env_cancellation_policy("CANCELLATION_POLICY") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("48:0", "a unit of m, h or d"),
        ("48x:0", "got '48x:0'"),
        ("48h", "<duration>:<fee percent>"),
        ("48h:101", "a percent from 0 to 100"),
        ("48h:-5", "got '48h:-5'"),
        ("48h:10.555", "got '48h:10.555'"),
        ("48h:0,,2h:50", "got ''"),
        ("2h:50,120m:10", "names the same duration twice"),
        ("48h:50,2h:10", "cannot charge a smaller fee"),
    ],
)
def test_a_bad_policy_is_refused(monkeypatch, value, message):
    monkeypatch.setenv("CANCELLATION_POLICY", value)
    with pytest.raises(ImproperlyConfigured, match="CANCELLATION_POLICY") as error:
        env_cancellation_policy("CANCELLATION_POLICY")
    assert message in str(error.value)


def test_settings_refuse_to_start_with_a_bad_policy():
    result = run_python(PROBE, _env(CANCELLATION_POLICY="48h:0,2h:150"))
    assert result.returncode != 0
    assert "ImproperlyConfigured: CANCELLATION_POLICY must be" in result.stderr


def test_settings_read_the_policy():
    assert json_from(PROBE, _env())["policy"] is None
    policy = json_from(PROBE, _env(CANCELLATION_POLICY="48h:0,2h:50"))["policy"]
    assert policy == [[2880, "0"], [120, "50"]]
