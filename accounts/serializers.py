"""Registration, "me" and token serializers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from .models import USERNAME_TAKEN
from .usernames import canonical_username, is_reserved_username

User = get_user_model()


class RegisterSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(required=True)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id"]
        # Taken as sent: " bob" breaks the documented pattern, so it is refused,
        # not quietly trimmed into "bob" (login does accept it, as "bob").
        extra_kwargs = {"username": {"trim_whitespace": False}}

    def validate_username(self, value):
        if is_reserved_username(value):
            raise serializers.ValidationError(
                "This username is reserved. Please choose another one."
            )
        if User.objects.filter(username_canonical=canonical_username(value)).exists():
            raise serializers.ValidationError(USERNAME_TAKEN)
        return value

    def validate(self, attrs):
        candidate = User(username=attrs.get("username"), email=attrs.get("email"))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError as exc:
            # Lost a race for the name (the unique canonical column said so): the
            # same answer as when the check above sees it taken.
            key = canonical_username(validated_data["username"])
            if User.objects.filter(username_canonical=key).exists():
                raise serializers.ValidationError(
                    {"username": [USERNAME_TAKEN]}
                ) from exc
            raise


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "roles"]
        read_only_fields = fields

    def get_roles(self, obj) -> list[str]:
        return obj.roles()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class SingleUseTokenRefreshSerializer(TokenRefreshSerializer):
    """Refresh that claims the old token in the blacklist *before* minting a new one.

    simplejwt's stock serializer checks the blacklist, mints, then blacklists, so
    parallel replays of one token each got a fresh pair (2-4 of 20 measured,
    shared/NOTES-security.md). Here the unique blacklist row is the claim: exactly
    one caller creates it, every other caller gets 401.
    """

    def validate(self, attrs):
        refresh = RefreshToken(
            attrs["refresh"]
        )  # verifies signature, expiry, blacklist
        user = User.objects.filter(pk=refresh.payload.get("user_id")).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed(
                "No active account found for the given token.", "no_active_account"
            )
        with transaction.atomic():
            _, created = refresh.blacklist()
        if not created:
            raise InvalidToken("Token is blacklisted")
        fresh = RefreshToken.for_user(user)
        return {"access": str(fresh.access_token), "refresh": str(fresh)}
