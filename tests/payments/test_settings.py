"""The payment settings, checked in fresh interpreters."""

from tests.interpreter import clean_env, json_from, run_python

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "provider": settings.PAYMENT_PROVIDER,
    "extension": settings.PAYMENT_HOLD_EXTENSION_SECONDS,
    "base": settings.STRIPE_API_BASE,
}))
"""


def _env(**env) -> dict:
    return clean_env(
        "DATABASE_URL", "REDIS_URL", **{"DJANGO_SECRET_KEY": "x" * 60, **env}
    )


def test_the_test_provider_is_the_default():
    assert json_from(PROBE, _env()) == {
        "provider": "test",
        "extension": 300,
        "base": "",
    }


def test_stripe_with_both_keys_starts():
    settings = json_from(
        PROBE,
        _env(
            PAYMENT_PROVIDER="Stripe",
            STRIPE_SECRET_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_x",
            STRIPE_API_BASE="http://127.0.0.1:18100",
            PAYMENT_HOLD_EXTENSION_SECONDS="120",
        ),
    )
    assert settings == {
        "provider": "stripe",
        "extension": 120,
        "base": "http://127.0.0.1:18100",
    }


def test_stripe_without_its_keys_refuses_to_start():
    result = run_python(
        PROBE, _env(PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_x")
    )
    assert result.returncode != 0
    assert "needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET" in result.stderr


def test_an_unknown_provider_refuses_to_start():
    result = run_python(PROBE, _env(PAYMENT_PROVIDER="paypal"))
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER must be one of" in result.stderr


def test_booking_services_never_import_a_provider_sdk():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in (root / "reservations").rglob("*.py"):
        assert "import stripe" not in path.read_text(), path
    importers = [
        path.name
        for path in (root / "payments").rglob("*.py")
        if "import stripe\n" in path.read_text()
    ]
    assert importers == ["stripe_provider.py"]
