"""Access tokens as Box issues and checks them: CCG, JWT assertions, developer tokens.

Why it matters: a pipeline's auth layer is only proven if the emulator refuses what Box
refuses (wrong secret, wrong subject, a JWT with a bad signature, audience, `exp` too far
ahead, a replayed `jti`) and expires tokens. Lifetimes run on real monotonic time, never on
the event clock, so moving the event clock in a test does not expire anyone's token.

Developer tokens are fixed strings from the config and never expire or get revoked, so tests
and demos always have a working credential. Issued tokens are random, so a token from one
emulator instance is never accepted by another.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace

import jwt

from box_emulator.config import EmulatorConfig
from box_emulator.enterprise import Enterprise, User
from box_emulator.errors import ApiError

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_ALGORITHMS = ("RS256", "RS384", "RS512")
BOX_TOKEN_URL = "https://api.box.com/oauth2/token"
WWW_AUTHENTICATE_INVALID = (
    b'Bearer realm="Service", error="invalid_token", '
    b'error_description="The access token provided is invalid."'
)
WWW_AUTHENTICATE_MISSING = b'Bearer realm="Service"'


class TokenError(Exception):
    """A token-endpoint failure: OAuth2 `error` code and description (HTTP 400)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(slots=True)
class AccessToken:
    """An issued token and who it speaks for."""

    value: str
    user: User
    is_admin: bool
    expires_at: float | None  # time.monotonic() deadline; None = never
    kind: str  # ccg | jwt | developer
    revoked: bool = False


class AuthService:
    """Issues and validates access tokens."""

    def __init__(self, cfg: EmulatorConfig, enterprise: Enterprise, ttl_seconds: float) -> None:
        self.cfg = cfg
        self.enterprise = enterprise
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}
        self._seen_jti: set[str] = set()
        self.tokens_issued = 0
        admin = enterprise.admin
        regular = enterprise.regular_users[0]
        for value, user, is_admin in (
            (cfg.developer_token, admin, True),
            (cfg.non_admin_token, regular, False),
        ):
            self._tokens[value] = AccessToken(value, user, is_admin, None, "developer")

    # ------------------------------------------------------------------ issuing
    def issue(self, form: dict[str, str], token_urls: set[str]) -> dict[str, object]:
        """Handle one `POST /oauth2/token` form; raises `TokenError` when Box would refuse."""
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            self._check_client(form)
            user, is_admin = self._subject(form.get("box_subject_type"), form.get("box_subject_id"))
            return self._new_token(user, is_admin, "ccg")
        if grant == JWT_GRANT:
            self._check_client(form)
            user, is_admin = self._verify_assertion(form.get("assertion", ""), token_urls)
            return self._new_token(user, is_admin, "jwt")
        if not grant:
            raise TokenError("invalid_request", "Invalid grant_type parameter or parameter missing")
        raise TokenError("unsupported_grant_type", f"The grant type {grant!r} is not supported")

    def _check_client(self, form: dict[str, str]) -> None:
        if form.get("client_id") != self.cfg.client_id:
            raise TokenError("invalid_client", "The client credentials are invalid")
        if form.get("client_secret") != self.cfg.client_secret:
            raise TokenError("invalid_client", "The client credentials are invalid")

    def _subject(self, subject_type: str | None, subject_id: str | None) -> tuple[User, bool]:
        if subject_type == "enterprise" and subject_id == self.cfg.enterprise_id:
            return self.enterprise.service_account, True
        if subject_type == "user" and subject_id in self.enterprise.by_id:
            user = self.enterprise.by_id[subject_id]
            if not user.external and user.id != "2":
                return user, user.role in ("admin", "coadmin")
        raise TokenError("invalid_grant", "Grant credentials are invalid")

    def _verify_assertion(self, assertion: str, token_urls: set[str]) -> tuple[User, bool]:
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_grant", f"Invalid JWT assertion: {exc}") from None
        kid = header.get("kid")
        key = self.cfg.jwt_public_keys.get(kid) if kid else None
        if key is None:
            raise TokenError("invalid_grant", "Please check the 'kid' header parameter.")
        if header.get("alg") not in JWT_ALGORITHMS:
            raise TokenError("invalid_grant", "Please check the 'alg' header parameter.")
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=list(JWT_ALGORITHMS),
                audience=sorted(token_urls | {BOX_TOKEN_URL}),
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("invalid_grant", "Please check the 'exp' claim.") from None
        except jwt.InvalidAudienceError:
            raise TokenError("invalid_grant", "Please check the 'aud' claim.") from None
        except jwt.InvalidSignatureError:
            raise TokenError("invalid_grant", "Signature verification failed.") from None
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_grant", f"Invalid JWT assertion: {exc}") from None
        if claims.get("iss") != self.cfg.client_id:
            raise TokenError("invalid_client", "Please check the 'iss' claim.")
        if claims["exp"] > time.time() + 60 + 5:
            raise TokenError("invalid_grant", "Please check the 'exp' claim.")
        jti = str(claims.get("jti"))
        if not 16 <= len(jti) <= 128:
            raise TokenError("invalid_grant", "Please check the 'jti' claim.")
        with self._lock:
            if jti in self._seen_jti:
                raise TokenError("invalid_grant", "Please check the 'jti' claim.")
            self._seen_jti.add(jti)
        return self._subject(claims.get("box_sub_type"), str(claims.get("sub")))

    def _new_token(self, user: User, is_admin: bool, kind: str) -> dict[str, object]:
        value = f"T{secrets.token_hex(16)}"
        with self._lock:
            self._tokens[value] = AccessToken(value, user, is_admin, time.monotonic() + self.ttl, kind)
            self.tokens_issued += 1
        return {
            "access_token": value,
            "expires_in": int(self.ttl),
            "token_type": "bearer",
            "restricted_to": [],
        }

    # ------------------------------------------------------------------ checking
    def lookup(self, authorization: str | None) -> AccessToken | None:
        """The live token behind an `Authorization` header, or None (-> 401)."""
        if not authorization or authorization[:7].lower() != "bearer ":
            return None
        value = authorization[7:].strip()
        with self._lock:
            token = self._tokens.get(value)
            if token is None or token.revoked:
                return None
            if token.expires_at is not None and time.monotonic() >= token.expires_at:
                return None
            return token

    def revoke(self, token: AccessToken) -> bool:
        """Revoke a token early (hostile profiles); developer tokens are immune."""
        if token.kind == "developer":
            return False
        with self._lock:
            token.revoked = True
        return True

    # ------------------------------------------------------------------ As-User
    def act_as(self, token: AccessToken, user_id: str) -> AccessToken:
        """`token` speaking for `user_id`, as Box reads an `As-User: <user id>` header.

        Box allows it when the app has "perform actions as users" (`as_user_permission`) and the
        caller is an admin, co-admin or the service account (an admin token here); otherwise 403
        `access_denied_insufficient_permissions`. A user id the enterprise does not have is a 404
        `not_found`, and a service account's id (which Box's guide says cannot be used in the
        header) a 403: both UNVERIFIED, Box's exact answers are not documented. The result is an
        admin token only when that user is an admin or co-admin (enterprise streams need one).
        """
        if not self.cfg.as_user_permission or not token.is_admin:
            raise _insufficient_permission()
        user = self.enterprise.by_id.get(user_id.strip())
        if user is None or user.external or user.id == "2":
            raise ApiError(404, f"Not Found: no user {user_id!r} for the As-User header", code="not_found")
        if user in self.enterprise.service_accounts:
            raise _insufficient_permission()
        return replace(token, user=user, is_admin=user.role in ("admin", "coadmin"))


def _insufficient_permission() -> ApiError:
    return ApiError(
        403, "Access denied - insufficient permission", code="access_denied_insufficient_permissions"
    )
