"""Deploy checks (`manage.py check --deploy`) for the JWT signing key."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

MIN_KEY_LENGTH = 50
MIN_KEY_UNIQUE_CHARACTERS = 5


@register(Tags.security, deploy=True)
def check_jwt_signing_key(app_configs, **kwargs) -> list[Warning]:
    key = str(settings.SIMPLE_JWT.get("SIGNING_KEY") or "")
    if key == settings.SECRET_KEY:
        return [
            Warning(
                "JWTs are signed with DJANGO_SECRET_KEY.",
                hint=(
                    "Set JWT_SIGNING_KEY to its own random value, so that rotating "
                    "one key does not invalidate, or expose, the other."
                ),
                id="accounts.W001",
            )
        ]
    # The same bar Django sets for SECRET_KEY (security.W009); HS256 wants 256 bits.
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_KEY_UNIQUE_CHARACTERS:
        return [
            Warning(
                "JWT_SIGNING_KEY is too short or too simple to sign tokens safely.",
                hint=(
                    f"Use at least {MIN_KEY_LENGTH} random characters, e.g. "
                    "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
                ),
                id="accounts.W002",
            )
        ]
    return []
