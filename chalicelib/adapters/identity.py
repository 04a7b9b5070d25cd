"""Who is calling: log-in against the Cognito user pool and verification of its ID tokens.

The app verifies every JWT itself (signature against the pool's JWKS, issuer, audience, expiry,
token use), because Chalice's local mode does not enforce Cognito authorizers and a second check
costs microseconds. Only RS256 is accepted, which shuts out `alg: none` and HMAC key confusion.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.errors import DomainError, Unauthenticated
from . import aws


@dataclass(frozen=True)
class Principal:
    sub: str
    username: str
    roles: frozenset[str]
    unit_id: str | None
    office_id: str | None

    def public(self) -> dict:
        return {"sub": self.sub, "username": self.username, "roles": sorted(self.roles),
                "unit_id": self.unit_id, "office_id": self.office_id}


class IdentityUnavailable(DomainError):
    status = 503
    code = "identity_unavailable"
    message = "Không kiểm tra được phiên đăng nhập, vui lòng thử lại sau."


class TokenVerifier:
    """Verifies ID tokens against the pool's JWKS (fetched once, cached an hour).

    Two guards keep a hostile caller from turning tokens into work: a token whose `kid` is not
    among the pool's keys refreshes the JWKS at most once a minute (else every forged `kid`
    would be a fetch from Cognito), and a token already verified is answered from a small cache
    until it expires (a busy officer's inbox polls send the same token again and again).
    """
    REFRESH_COOLDOWN_SECONDS = 60
    CACHE_SIZE = 4096

    def __init__(self, issuer: str, audience: str, jwks_url: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._issuer, self._audience, self._jwks_url = issuer, audience, jwks_url
        self._jwks: Any = None
        self._clock = clock
        self._refreshed_at = float("-inf")
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self) -> Any:
        if self._jwks is None:
            import jwt  # lazy: cryptography is not needed to import the app
            self._jwks = jwt.PyJWKClient(self._jwks_url, cache_keys=True, lifespan=3600)
        return self._jwks

    def _signing_key(self, token: str) -> Any:
        import jwt
        kid = jwt.get_unverified_header(token).get("kid")
        keys = self._keys()
        for refresh in (False, True):
            found = [k for k in keys.get_signing_keys(refresh=refresh) if k.key_id == kid]
            if found:
                return found[0]
            now = self._clock()
            with self._lock:
                if now - self._refreshed_at < self.REFRESH_COOLDOWN_SECONDS:
                    break
                self._refreshed_at = now
        raise Unauthenticated(code="invalid_token")

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        principal, expires = self._verify(token)
        with self._lock:
            self._verified[token] = (principal, expires)
            while len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        import jwt
        try:
            key = self._signing_key(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self._audience,
                                issuer=self._issuer,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWKClientConnectionError as exc:
            raise IdentityUnavailable() from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthenticated(code="invalid_token") from exc
        if claims.get("token_use") != "id":
            raise Unauthenticated(code="invalid_token")
        return Principal(
            sub=claims["sub"],
            username=claims.get("cognito:username", claims["sub"]),
            roles=frozenset(claims.get("cognito:groups") or ()),
            unit_id=claims.get("custom:unit_id") or None,
            office_id=claims.get("custom:office_id") or None,
        ), float(claims["exp"])


def login(region: str, client_id: str, username: str, password: str) -> dict:
    """Exchange a username and password for tokens; one message for every kind of failure."""
    cognito = aws.client("cognito-idp", region)
    try:
        result = cognito.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password})
    except (cognito.exceptions.NotAuthorizedException,
            cognito.exceptions.UserNotFoundException,
            cognito.exceptions.InvalidParameterException) as exc:
        raise Unauthenticated("Tên đăng nhập hoặc mật khẩu không đúng.",
                              code="invalid_credentials") from exc
    tokens = result.get("AuthenticationResult") or {}
    if "IdToken" not in tokens:
        raise Unauthenticated("Tài khoản cần hoàn tất bước xác thực bổ sung.",
                              code="challenge_required")
    return {"id_token": tokens["IdToken"], "access_token": tokens.get("AccessToken"),
            "refresh_token": tokens.get("RefreshToken"), "expires_in": tokens.get("ExpiresIn"),
            "token_type": "Bearer"}


def username_taken(region: str, pool_id: str, username: str) -> bool:
    cognito = aws.client("cognito-idp", region)
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException:
        return False
    return True


def create_unit_user(region: str, pool_id: str, username: str, role: str, unit_id: str,
                     email: str) -> str:
    """A login for a newly registered unit's user; Cognito e-mails the temporary password (the
    invitation). Idempotent: an existing user of the same unit is reused. Returns the user's sub."""
    cognito = aws.client("cognito-idp", region)
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=username, DesiredDeliveryMediums=["EMAIL"],
            UserAttributes=[{"Name": "custom:unit_id", "Value": unit_id},
                            {"Name": "email", "Value": email}])
    except cognito.exceptions.UsernameExistsException:
        pass
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    if attributes.get("custom:unit_id") != unit_id:
        raise UsernameTaken(username)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    return attributes["sub"]


class UsernameTaken(RuntimeError):
    """The username belongs to someone else: the activation cannot complete as submitted."""
