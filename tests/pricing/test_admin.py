"""Pricing admin: the API's rules as form errors; counters and comps read-only."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework import status

from pricing.models import PriceCard, Voucher
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["tickettype", "pricecard", "voucher"])
def test_admin_lists_and_adds(admin_client, model):
    Voucher.objects.create(code="LISTED", kind="percent", value=5)
    for view in ("changelist", "add"):
        url = reverse(f"admin:pricing_{model}_{view}")
        assert admin_client.get(url).status_code == status.HTTP_200_OK


def test_admin_price_card_takes_either_form_and_checks_rules(admin_client):
    url = reverse("admin:pricing_pricecard_add")
    bad = admin_client.post(
        url,
        {
            "name": "Bad",
            "prices": json.dumps({"standard": {"toddler": "1"}}),
            "rules": json.dumps([{"weekdays": [9]}]),
            "priority": 0,
        },
    )
    assert bad.status_code == status.HTTP_200_OK  # the form again, with errors
    assert b"Unknown ticket type" in bad.content
    assert not PriceCard.objects.exists()

    good = admin_client.post(
        url,
        {
            "name": "Matinee",
            "prices": json.dumps({"standard": "8"}),
            "rules": json.dumps([{"weekdays": [0, 1], "from": "10:00"}]),
            "priority": 0,
        },
    )
    assert good.status_code == status.HTTP_302_FOUND, good.content[:2000]
    card = PriceCard.objects.get()
    assert card.prices == {"standard": {"adult": "8.00"}}
    assert card.rules == [{"weekdays": [0, 1], "from": "10:00", "until": "24:00"}]


def test_admin_voucher_checks_the_value_and_never_edits_uses(admin_client):
    url = reverse("admin:pricing_voucher_add")
    fields = {"code": "HALF", "kind": "percent", "value": "150"}

    assert b"A percent is from 1 to 100." in admin_client.post(url, fields).content
    response = admin_client.post(url, {**fields, "value": "50", "uses": "7"})

    assert response.status_code == status.HTTP_302_FOUND, response.content[:2000]
    assert Voucher.objects.get().uses == 0


def test_admin_shows_a_comp_but_does_not_change_it(admin_client):
    comp = Voucher.objects.create(
        code="COMP-ABC", kind="percent", value=100, is_comp=True
    )
    url = reverse("admin:pricing_voucher_change", args=[comp.pk])

    assert admin_client.get(url).status_code == status.HTTP_200_OK
    assert admin_client.post(
        url, {"code": "X", "kind": "amount", "value": "1"}
    ).status_code == (status.HTTP_403_FORBIDDEN)
    comp.refresh_from_db()
    assert comp.code == "COMP-ABC"
