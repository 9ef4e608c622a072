"""Box authentication as `httpx.Auth`: Client Credentials Grant, JWT, or a developer token.

Each flow attaches a bearer token, renews it shortly before Box says it expires, and on a 401 renews it
once and retries the request. The token is shared by every worker thread behind one lock, so a refresh
happens once, not once per thread. No secret or token ever reaches a log line or an error message.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue

from .exceptions import BoxAuthError, ConfigurationError
from .ratelimit import RateLimiter
from .retries import RequestStats, RetryPolicy, send_with_retries
from .settings import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, TOKEN_REFRESH_MARGIN_S, TOKEN_REFRESH_MARGIN_SHARE

ENV_PREFIX = "SOURCES__BOX_EVENTS__CREDENTIALS__"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_S = 45
"""Box accepts an assertion that expires at most 60 s ahead."""


@configspec
class BoxCredentials(CredentialsConfiguration):
    """Credentials for one of three flows; the first complete one wins:
    JWT (`jwt_config_file` or `jwt_config`: Box's app config JSON), Client Credentials Grant
    (`client_id`, `client_secret`, `enterprise_id`), or a `developer_token` (60 minutes, no refresh)."""

    client_id: str | None = None
    client_secret: TSecretStrValue | None = None
    enterprise_id: str | None = None
    developer_token: TSecretStrValue | None = None
    jwt_config_file: str | None = None
    jwt_config: TSecretStrValue | None = None


def make_auth(
    credentials: BoxCredentials | dict[str, Any],
    token_url: str,
    policy: RetryPolicy,
    limiter: RateLimiter | None = None,
) -> httpx.Auth:
    """Pick the flow the credentials describe, or explain in one line what is missing.

    Token requests take their slot from `limiter` (the client's) like every other call to Box."""
    creds = _as_credentials(credentials)
    if creds.jwt_config or creds.jwt_config_file:
        return JWTAuth(_load_app_config(creds), token_url, policy, limiter)
    if creds.client_id and creds.client_secret and creds.enterprise_id:
        return ClientCredentialsAuth(
            creds.client_id, creds.client_secret, creds.enterprise_id, token_url, policy, limiter
        )
    if creds.developer_token:
        return DeveloperTokenAuth(creds.developer_token)
    given = [n for n in ("client_id", "client_secret", "enterprise_id") if getattr(creds, n)]
    hint = f" (only {', '.join(given)} given)" if given else ""
    raise ConfigurationError(
        f"no complete Box credentials{hint}: set {ENV_PREFIX}CLIENT_ID, __CLIENT_SECRET and "
        f"__ENTERPRISE_ID (or __DEVELOPER_TOKEN, or __JWT_CONFIG_FILE) or the same keys under "
        "[sources.box_events.credentials] in .dlt/secrets.toml"
    )


def _as_credentials(credentials: BoxCredentials | dict[str, Any]) -> BoxCredentials:
    if isinstance(credentials, BoxCredentials):
        return credentials
    creds = BoxCredentials()
    for key, value in credentials.items():
        if key not in BoxCredentials.__annotations__:
            raise ConfigurationError(f"unknown credentials key {key!r}")
        setattr(creds, key, value)
    return creds


def _load_app_config(creds: BoxCredentials) -> dict[str, Any]:
    try:
        text = creds.jwt_config or Path(creds.jwt_config_file).read_text()
        config = json.loads(text)
        settings = config["boxAppSettings"]
        auth = settings["appAuth"]
        return {
            "client_id": settings["clientID"],
            "client_secret": settings["clientSecret"],
            "key_id": auth["publicKeyID"],
            "private_key": auth["privateKey"],
            "passphrase": auth.get("passphrase") or None,
            "enterprise_id": str(config.get("enterpriseID") or creds.enterprise_id or ""),
        }
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the JWT app config file {creds.jwt_config_file!r}: {exc.strerror}"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise ConfigurationError(
            "the JWT app config is not Box's app config JSON (boxAppSettings.clientID, "
            "clientSecret, appAuth.publicKeyID/privateKey/passphrase, enterpriseID): download it "
            "again from the Box Developer Console"
        ) from None


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
