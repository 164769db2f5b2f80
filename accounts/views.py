"""Registration, login (rate-limited), the caller's profile and logout."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from movie_api.throttling import (
    AnonThrottle,
    LoginThrottle,
    RegisterThrottle,
    UserThrottle,
)

from .serializers import LogoutSerializer, MeSerializer, RegisterSerializer


class InvalidRefreshToken(exceptions.AuthenticationFailed):
    """401 ``token_not_valid``, as for a bad token anywhere else (the refresh
    endpoint, the Authorization header): one code, one status for clients."""

    default_detail = "The refresh token is invalid, expired or not yours."
    default_code = "token_not_valid"


class RegisterView(generics.CreateAPIView):
    serializer_class = RegisterSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle, AnonThrottle, UserThrottle]


class LoginView(TokenObtainPairView):
    """simplejwt's token pair view, with password guessing slowed per username and IP."""

    # Per address first: once it refuses, LoginThrottle adds no counter per guessed
    # username (movie_api.throttling).
    throttle_classes = [AnonThrottle, LoginThrottle, UserThrottle]


class MeView(generics.RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class LogoutView(APIView):
    @extend_schema(
        request=LogoutSerializer,
        responses={205: None},
        description=(
            "Blacklist one of the caller's refresh tokens. A refresh token that is "
            "invalid, expired, already blacklisted or another user's is refused "
            "with 401 `token_not_valid` and left as it was."
        ),
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidRefreshToken() from exc
        if str(token.payload.get("user_id")) != str(request.user.pk):
            raise InvalidRefreshToken()
        token.blacklist()
        return Response(status=status.HTTP_205_RESET_CONTENT)
