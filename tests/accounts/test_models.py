"""Accounts: the constraints behind unique usernames, and the migration that
introduced them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BEFORE = ("accounts", "0003_cache_table")


@pytest.mark.parametrize("spelling", ["BOB", "Bob", " bob", "\uff42ob"])
def test_a_username_is_unique_whatever_its_spelling(spelling):
    UserFactory(username="bob")

    with pytest.raises(IntegrityError):
        User.objects.create(username=spelling)


def test_renaming_keeps_the_canonical_column_in_step():
    bob = UserFactory(username="bob")
    bob.username = "Robert"
    bob.save(update_fields=["username"])

    assert User.objects.get(pk=bob.pk).username_canonical == "robert"
    UserFactory(username="bob")  # the old name is free again


def test_model_validation_refuses_a_lookalike_as_the_admin_form_would():
    UserFactory(username="bob")
    twin = User(username="BOB", password="x")

    with pytest.raises(ValidationError) as caught:
        twin.full_clean()

    assert caught.value.message_dict["username"] == [
        "A user with that username already exists."
    ]


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_column_and_renames_later_duplicates():
    """Accounts created before the rule (same name, other case) survive: the
    oldest keeps the name, staff before customers, the others get "-<id>"."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old_apps = executor.loader.project_state([BEFORE]).apps
    OldUser = old_apps.get_model("accounts", "User")
    first = OldUser.objects.create(username="bob")
    second = OldUser.objects.create(username="Bob")
    squatter = OldUser.objects.create(username="admin")
    staff = OldUser.objects.create(username="ADMIN", is_staff=True)
    taken_suffix = OldUser.objects.create(username=f"bob-{second.pk}")
    alone = OldUser.objects.create(username="\u00c9mile")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    names = dict(User.objects.values_list("pk", "username"))
    assert names[first.pk] == "bob"
    assert names[staff.pk] == "ADMIN"
    assert names[squatter.pk] == f"admin-{squatter.pk}"
    assert names[taken_suffix.pk] == f"bob-{second.pk}"
    assert names[second.pk] == f"Bob-{second.pk}-2"
    assert names[alone.pk] == "\u00c9mile"
    assert User.objects.get(pk=alone.pk).username_canonical == "\u00e9mlle"
    assert User.objects.get_by_natural_key("\u00e9MILE").pk == alone.pk


@pytest.mark.django_db(transaction=True)
def test_confusables_migration_renames_ascii_lookalikes_of_an_earlier_account():
    """0007 folds 0/o, 1/l/I, rn/m into the canonical form: an account that now
    reads as an earlier one is renamed; the earlier one keeps its name."""
    before = ("accounts", "0006_throttle_cache_table")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    OldUser = executor.loader.project_state([before]).apps.get_model("accounts", "User")
    original = OldUser.objects.create(
        username="customer", username_canonical="customer"
    )
    zero = OldUser.objects.create(username="cust0mer", username_canonical="cust0mer")
    rn = OldUser.objects.create(username="custorner", username_canonical="custorner")
    honest = OldUser.objects.create(username="bob", username_canonical="bob")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    names = dict(User.objects.values_list("pk", "username"))
    assert names[original.pk] == "customer"
    assert names[zero.pk] == f"cust0mer-{zero.pk}"
    assert names[rn.pk] == f"custorner-{rn.pk}"
    assert names[honest.pk] == "bob"
    assert User.objects.get(pk=original.pk).username_canonical == "customer"
    assert User.objects.get_by_natural_key("CUST0MER").pk == original.pk
