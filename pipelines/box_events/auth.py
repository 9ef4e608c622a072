"""Box authentication as `httpx.Auth`: Client Credentials Grant, JWT, or a developer token.

Each flow attaches a bearer token, renews it shortly before Box says it expires, and on a 401 renews it
once and retries the request. The token is shared by every worker thread behind one lock, so a refresh
happens once, not once per thread. No secret or token ever reaches a log line or an error message.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Generator
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from dlt.common.configuration.specs import CredentialsConfiguration

from .config import (
    BoxClientCredentials,
    BoxDeveloperToken,
    BoxJwtCredentials,
    BoxJwtFileCredentials,
    load_jwt_app_config,
)
from .exceptions import BoxAuthError, ConfigurationError
from .ratelimit import RateLimiter
from .retries import RequestStats, RetryPolicy, send_with_retries
from .settings import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, TOKEN_REFRESH_MARGIN_S, TOKEN_REFRESH_MARGIN_SHARE

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_S = 45
"""Box accepts an assertion that expires at most 60 s ahead."""


def make_auth(
    credentials: CredentialsConfiguration,
    token_url: str,
    policy: RetryPolicy,
    limiter: RateLimiter | None = None,
) -> httpx.Auth:
    """The `httpx.Auth` of the flow whose spec dlt resolved (see `config.TBoxCredentials`).

    Token requests take their slot from `limiter` (the client's) like every other call to Box."""
    if isinstance(credentials, BoxJwtFileCredentials | BoxJwtCredentials):
        return JWTAuth(load_jwt_app_config(credentials), token_url, policy, limiter)
    if isinstance(credentials, BoxClientCredentials):
        return ClientCredentialsAuth(
            credentials.client_id,
            credentials.client_secret,
            credentials.enterprise_id,
            token_url,
            policy,
            limiter,
        )
    if isinstance(credentials, BoxDeveloperToken):
        return DeveloperTokenAuth(credentials.developer_token)
    raise TypeError(f"not a Box credentials spec: {type(credentials).__name__}")


class DeveloperTokenAuth(httpx.Auth):
    """A fixed developer token: valid 60 minutes and impossible to refresh."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            raise BoxAuthError(
                "Box rejected the developer token (expired or invalid; they last 60 minutes): "
                "generate a new one, or configure Client Credentials or JWT"
            )


class _RefreshingAuth(httpx.Auth):
    """Shared token cache: renew before expiry, and once on a 401."""

    def __init__(self, token_url: str, policy: RetryPolicy, limiter: RateLimiter | None = None) -> None:
        self.token_url = token_url
        self._policy = policy
        self._limiter = limiter
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.refreshes = 0
        self._http = httpx.Client(timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))

    def token_form(self) -> dict[str, str]:
        raise NotImplementedError

    def current_token(self, *, stale: str | None = None) -> str:
        """A valid token; `stale` is the one that just got a 401 (renew unless already renewed)."""
        with self._lock:
            expired = time.monotonic() >= self._renew_at
            if self._token is None or expired or self._token == stale:
                asked_at = time.monotonic()
                self._token, lifetime = self._request_token()
                margin = min(TOKEN_REFRESH_MARGIN_S, lifetime * TOKEN_REFRESH_MARGIN_SHARE)
                self._renew_at = asked_at + lifetime - margin
                self.refreshes += 1
            return self._token

    def _request_token(self) -> tuple[str, float]:
        def send() -> httpx.Response:
            if self._limiter is not None:
                self._limiter.acquire()
            return self._http.post(self.token_url, data=self.token_form())

        response = send_with_retries(
            send,
            what=f"the Box token endpoint {self.token_url}",
            policy=self._policy,
            stats=RequestStats(),
            on_throttled=self._limiter.throttled if self._limiter is not None else None,
        )
        if response.status_code != 200:
            raise BoxAuthError(_token_error_message(response))
        body = response.json()
        return body["access_token"], float(body.get("expires_in") or 3600)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.current_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.current_token(stale=token)}"
            yield request


def _token_error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        reason = f"{body.get('error')}: {body.get('error_description')}"
    except ValueError:
        reason = f"HTTP {response.status_code}"
    return (
        f"Box refused the credentials ({reason}): check the client id/secret and enterprise id "
        "(SOURCES__BOX_EVENTS__CREDENTIALS__*), and that the app is authorized in the Admin Console"
    )


class ClientCredentialsAuth(_RefreshingAuth):
    """Client Credentials Grant for the enterprise's service account (no refresh token: ask again)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        enterprise_id: str,
        token_url: str,
        policy: RetryPolicy,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(token_url, policy, limiter)
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "box_subject_type": "enterprise",
            "box_subject_id": str(enterprise_id),
        }

    def token_form(self) -> dict[str, str]:
        return self._form


class JWTAuth(_RefreshingAuth):
    """JWT bearer grant: a fresh RS256 assertion signed with the app's private key per token."""

    def __init__(
        self, app: dict[str, Any], token_url: str, policy: RetryPolicy, limiter: RateLimiter | None = None
    ) -> None:
        super().__init__(token_url, policy, limiter)
        if not app["enterprise_id"]:
            raise ConfigurationError(
                "the JWT app config has no enterpriseID: set SOURCES__BOX_EVENTS__CREDENTIALS__ENTERPRISE_ID"
            )
        self._app = app
        passphrase = app["passphrase"].encode() if app["passphrase"] else None
        try:
            self._key = serialization.load_pem_private_key(app["private_key"].encode(), passphrase)
        except (ValueError, TypeError):
            raise ConfigurationError(
                "cannot open the JWT private key: check appAuth.passphrase in the app config"
            ) from None

    def token_form(self) -> dict[str, str]:
        now = int(time.time())
        claims = {
            "iss": self._app["client_id"],
            "sub": self._app["enterprise_id"],
            "box_sub_type": "enterprise",
            "aud": self.token_url,
            "jti": uuid.uuid4().hex + uuid.uuid4().hex,
            "exp": now + JWT_LIFETIME_S,
            "iat": now,
        }
        assertion = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._app["key_id"]})
        return {
            "grant_type": JWT_GRANT,
            "assertion": assertion,
            "client_id": self._app["client_id"],
            "client_secret": self._app["client_secret"],
        }
