"""Accounts: registration, JWT tokens (rotation, logout), "me", roles, superusers."""

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework import status
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import BOX_OFFICE, CATALOGUE_MANAGERS
from accounts.serializers import RegisterSerializer
from tests.assertions import error_of
from tests.factories import UserFactory
from tests.reservations.helpers import run_in_threads

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"
PASSWORD = "Str0ng-pass!"


def tokens_for(client, user) -> dict:
    response = client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == status.HTTP_200_OK, response.content
    return response.json()


# --- register --------------------------------------------------------------------


def test_register_creates_a_customer(api_client):
    response = api_client.post(
        REGISTER,
        {
            "username": "alice",
            "email": "alice@example.com",
            "password": "Corr3ct-Horse!",
        },
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    user = User.objects.get(username="alice")
    assert response.json() == {
        "id": user.pk,
        "username": "alice",
        "email": "alice@example.com",
    }
    assert user.check_password("Corr3ct-Horse!")
    assert not user.is_staff
    assert user.roles() == ["customer"]


def test_registered_user_can_log_in(api_client):
    api_client.post(
        REGISTER,
        {"username": "bob", "email": "bob@example.com", "password": "Corr3ct-Horse!"},
    )

    response = api_client.post(TOKEN, {"username": "bob", "password": "Corr3ct-Horse!"})

    assert response.status_code == status.HTTP_200_OK


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901", "carolcarol1"],
    ids=["too-short", "common", "numeric", "like-username"],
)
def test_weak_password_is_400_with_password_errors(api_client, password):
    response = api_client.post(
        REGISTER,
        {"username": "carolcarol1", "email": "carol@example.com", "password": password},
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["password"]
    assert err["fields"]["password"]
    assert not User.objects.filter(username="carolcarol1").exists()


def test_taken_username_is_400(api_client, user):
    response = api_client.post(
        REGISTER,
        {"username": user.username, "email": "new@example.com", "password": PASSWORD},
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["username"]
    assert User.objects.filter(username=user.username).count() == 1


def register(client, username: str):
    return client.post(
        REGISTER,
        {"username": username, "email": "new@example.com", "password": PASSWORD},
    )


@pytest.mark.parametrize(
    "username",
    [
        "Moviefan",
        "MOVIEFAN",
        "mOvIeFaN",
        # ASCII look-alikes (Unicode TR39 confusables): found by testing from outside
        "m0viefan",
        "movlefan",
        "movIefan",
        "mov1efan",
        "rnoviefan",
    ],
)
def test_username_taken_in_another_case_is_400(api_client, username):
    UserFactory(username="moviefan")

    err = error_of(register(api_client, username), status.HTTP_400_BAD_REQUEST)

    assert err["fields"] == {"username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username",
    [
        "m\u043eviefan",  # Cyrillic o
        "\uff4doviefan",  # fullwidth m: NFKC makes it "moviefan"
        "movief\u0430n",  # Cyrillic a
        "\u00dbser",  # Latin, but not ASCII
    ],
    ids=["cyrillic-o", "fullwidth-m", "cyrillic-a", "U-circumflex"],
)
def test_non_ascii_username_is_400(api_client, username):
    UserFactory(username="moviefan")

    err = error_of(register(api_client, username), status.HTTP_400_BAD_REQUEST)

    assert list(err["fields"]) == ["username"]
    assert "unaccented" in err["fields"]["username"][0]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username",
    [
        "admin",
        "Admin",
        "ROOT",
        "staff",
        "support",
        "boxoffice",
        "manager",
        "customer",
        # decorated or look-alike spellings: found by testing from outside
        "customer_",
        "manager.",
        "boxoffice2",
        "admin1",
        "_admin",
        "b0xoffice",
        "boxofflce",
        "rnanager",
    ],
)
def test_reserved_username_is_400(api_client, username):
    err = error_of(register(api_client, username), status.HTTP_400_BAD_REQUEST)

    assert err["fields"] == {
        "username": ["This username is reserved. Please choose another one."]
    }
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["adminton", "madmin", "bob", "moviefan2"])
def test_names_that_merely_contain_a_reserved_word_register(api_client, username):
    assert register(api_client, username).status_code == status.HTTP_201_CREATED


def _documented_username_pattern() -> str:
    schema = yaml.safe_load(
        (Path(__file__).parents[2] / "openapi.yaml").read_text(encoding="utf-8")
    )
    return schema["components"]["schemas"]["RegisterRequest"]["properties"]["username"][
        "pattern"
    ]


@pytest.mark.parametrize(
    "username",
    [
        "bob",
        "b.o@b+b-b_9",
        "\u00db",
        "\u00e9mile",
        "\u0661\u0662",  # Arabic-Indic digits: \d in Python, not in ECMA-262
        " bob",
        "bob ",
        "bob\n",
        "bo b",
        "bob!",
    ],
)
def test_registration_agrees_with_the_documented_username_pattern(api_client, username):
    """A client validating against openapi.yaml and the server say the same."""
    # JSON Schema patterns are ECMA-262: \w and \d are ASCII, $ is end of input.
    pattern = re.compile(_documented_username_pattern().replace("$", r"\Z"), re.ASCII)

    response = register(api_client, username)

    documented = bool(pattern.search(username))
    assert (response.status_code == status.HTTP_201_CREATED) is documented, (
        response.content
    )


@pytest.mark.django_db(transaction=True)
def test_lookalike_registrations_racing_create_one_account():
    """Eight clients register spellings of one name at once: the unique canonical
    column lets one through, and the others get the ordinary 400, never a 500."""
    spellings = ["Racer", "racer", "RACER", "rAcer", "raCer", "racEr", "raceR", "RAcer"]

    responses = run_in_threads(
        len(spellings), lambda i: register(APIClient(), spellings[i])
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [status.HTTP_201_CREATED] + [status.HTTP_400_BAD_REQUEST] * 7
    assert User.objects.filter(username__iexact="racer").count() == 1


def test_the_database_refuses_a_lookalike_the_check_missed(api_client, monkeypatch):
    """The unique canonical column is the backstop: lose the race past the check
    and the answer is still 400 username taken."""
    UserFactory(username="racer")
    monkeypatch.setattr(RegisterSerializer, "validate_username", lambda self, v: v)

    err = error_of(register(api_client, "RACER"), status.HTTP_400_BAD_REQUEST)

    assert err["fields"] == {"username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


def test_missing_fields_are_each_reported(api_client):
    response = api_client.post(REGISTER, {})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert set(err["fields"]) == {"username", "email", "password"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("username", "bad name!"), ("username", "x" * 151)],
)
def test_invalid_register_field_is_400(api_client, field, value):
    body = {"username": "dave", "email": "dave@example.com", "password": PASSWORD}

    response = api_client.post(REGISTER, {**body, field: value})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [field]


def test_register_ignores_privilege_fields(api_client):
    response = api_client.post(
        REGISTER,
        {
            "username": "eve",
            "email": "eve@example.com",
            "password": PASSWORD,
            "is_staff": True,
            "is_superuser": True,
        },
    )

    assert response.status_code == status.HTTP_201_CREATED
    eve = User.objects.get(username="eve")
    assert not eve.is_staff
    assert not eve.is_superuser


def test_register_works_with_a_stale_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.post(
        REGISTER,
        {"username": "frank", "email": "frank@example.com", "password": PASSWORD},
    )

    assert response.status_code == status.HTTP_201_CREATED


# --- tokens --------------------------------------------------------------------


def test_token_obtain_returns_access_and_refresh(api_client, user):
    body = tokens_for(api_client, user)

    assert set(body) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(ME).json()["username"] == user.username


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "user-x", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_401(api_client, credentials):
    UserFactory(username="user-x")

    response = api_client.post(TOKEN, credentials)

    error_of(response, status.HTTP_401_UNAUTHORIZED, "no_active_account")


@pytest.mark.parametrize(
    "spelling",
    [
        "customer",
        "CUSTOMER",
        "Customer",
        "    customer",
        "customer\t",
        "\ncustomer",
        "\uff43\uff55\uff53\uff54\uff4f\uff4d\uff45\uff52",  # fullwidth
    ],
)
def test_any_spelling_of_a_username_logs_in_to_its_account(api_client, spelling):
    account = UserFactory(username="Customer")
    UserFactory(username="customer2")

    response = api_client.post(TOKEN, {"username": spelling, "password": PASSWORD})

    assert response.status_code == status.HTTP_200_OK, response.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get(ME).json()["id"] == account.pk


def test_a_lookalike_spelling_is_not_the_account(api_client):
    UserFactory(username="customer")

    response = api_client.post(
        TOKEN, {"username": "cu\u0455tomer", "password": PASSWORD}
    )

    error_of(response, status.HTTP_401_UNAUTHORIZED, "no_active_account")


def test_inactive_user_gets_no_token(api_client):
    ghost = UserFactory(is_active=False)

    response = api_client.post(
        TOKEN, {"username": ghost.username, "password": PASSWORD}
    )

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_token_obtain_missing_fields_is_400(api_client):
    err = error_of(api_client.post(TOKEN, {}), status.HTTP_400_BAD_REQUEST)

    assert set(err["fields"]) == {"username", "password"}


def test_refresh_returns_a_new_pair(api_client, user):
    first = tokens_for(api_client, user)

    response = api_client.post(REFRESH, {"refresh": first["refresh"]})

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != first["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(ME).status_code == status.HTTP_200_OK


def test_refresh_rotates_old_refresh_token_is_401(api_client, user):
    first = tokens_for(api_client, user)
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}).json()

    replay = api_client.post(REFRESH, {"refresh": first["refresh"]})

    error_of(replay, status.HTTP_401_UNAUTHORIZED, "token_not_valid")
    assert (
        api_client.post(REFRESH, {"refresh": rotated["refresh"]}).status_code
        == status.HTTP_200_OK
    )


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "garbage"})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": ["a"]}])
def test_refresh_without_a_token_is_400(api_client, body):
    response = api_client.post(REFRESH, body)

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [
        "refresh"
    ]


def test_access_token_is_not_a_refresh_token(api_client, user):
    pair = tokens_for(api_client, user)

    response = api_client.post(REFRESH, {"refresh": pair["access"]})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


# --- logout ----------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user):
    pair = tokens_for(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]})

    assert response.status_code == status.HTTP_205_RESET_CONTENT
    api_client.credentials()
    error_of(
        api_client.post(REFRESH, {"refresh": pair["refresh"]}),
        status.HTTP_401_UNAUTHORIZED,
        "token_not_valid",
    )


def test_logout_twice_is_401(api_client, user):
    pair = tokens_for(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    api_client.post(LOGOUT, {"refresh": pair["refresh"]})

    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_logout_with_someone_elses_refresh_token_is_401(api_client, user):
    """As the README promises for ``token_not_valid``, and as the refresh endpoint
    answers for a refresh token it will not take."""
    victim = UserFactory()
    their_pair = tokens_for(api_client, victim)
    my_pair = tokens_for(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {my_pair['access']}")

    response = api_client.post(LOGOUT, {"refresh": their_pair["refresh"]})

    err = error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")
    assert err["message"] == "The refresh token is invalid, expired or not yours."
    assert response["WWW-Authenticate"].startswith("Bearer")
    api_client.credentials()
    assert (
        api_client.post(REFRESH, {"refresh": their_pair["refresh"]}).status_code
        == status.HTTP_200_OK
    )


def test_logout_anonymous_is_401(api_client, user):
    pair = tokens_for(api_client, user)

    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "not_authenticated")
    assert (
        api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code
        == status.HTTP_200_OK
    )


def test_logout_without_a_refresh_token_is_400(auth_client):
    err = error_of(auth_client.post(LOGOUT, {}), status.HTTP_400_BAD_REQUEST)

    assert list(err["fields"]) == ["refresh"]


def test_logout_with_a_garbage_token_is_401(auth_client):
    response = auth_client.post(LOGOUT, {"refresh": "garbage"})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


# --- me and roles ------------------------------------------------------------------


def test_me_anonymous_is_401(api_client):
    error_of(api_client.get(ME), status.HTTP_401_UNAUTHORIZED, "not_authenticated")


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    error_of(api_client.get(ME), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_me_for_a_customer(auth_client, user):
    assert auth_client.get(ME).json() == {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "roles": ["customer"],
    }


@pytest.mark.parametrize(
    ("who", "roles"),
    [
        ("manager_client", ["customer", "catalogue_manager"]),
        ("box_office_client", ["customer", "box_office"]),
        ("staff_client", ["customer", "catalogue_manager", "box_office", "staff"]),
    ],
)
def test_me_lists_roles(request, who, roles):
    assert request.getfixturevalue(who).get(ME).json()["roles"] == roles


def test_me_for_a_superuser(client_for):
    root = UserFactory(is_staff=True, is_superuser=True)

    assert client_for(root).get(ME).json()["roles"] == [
        "customer",
        "staff",
        "superuser",
    ]


def test_role_groups_hold_the_right_permissions():
    def codenames(name):
        return set(
            Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        )

    manager = codenames(CATALOGUE_MANAGERS)
    for model in ("movie", "theater", "screen", "showtime"):
        for action in ("add", "change", "delete"):
            assert f"{action}_{model}" in manager
    assert not any(c.endswith("reservation") for c in manager)
    box_office = codenames(BOX_OFFICE)
    assert "view_reservation" in box_office
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in box_office)


def test_roles_grant_model_permissions(manager, box_office, user):
    assert manager.has_perm("movies.add_movie")
    assert manager.has_perm("showtimes.delete_showtime")
    assert not manager.has_perm("reservations.view_reservation")
    assert box_office.has_perm("reservations.view_reservation")
    assert not box_office.has_perm("movies.add_movie")
    assert not user.has_perm("movies.add_movie")


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "S3cure-enough!")

    call_command("createsuperuser", "--noinput", verbosity=0)

    root = User.objects.get(username="root")
    assert root.is_superuser
    assert root.is_staff
    assert root.email == "root@example.com"
    assert root.check_password("S3cure-enough!")
