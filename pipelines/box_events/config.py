"""How the pipeline reaches Box, as dlt configspecs resolved once per job.

Where each value comes from, strongest first: what the caller passes by name (a CLI flag, an
argument of `ApiOptions`), then dlt's providers (environment variables such as
`SOURCES__BOX_EVENTS__REQUESTS_PER_MINUTE`, `.dlt/secrets.toml`, `.dlt/config.toml`), then the
defaults below, whose numbers live in `settings.py` and nowhere else.

Credentials are a Union of one spec per Box flow, tried in order: a JWT app config (a file or the
JSON itself), Client Credentials Grant, a developer token. dlt resolves the first flow that is
complete, and when none is, `resolve_api` names in one line what each flow still lacks.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Union

import dlt
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs import BaseConfiguration, CredentialsConfiguration
from dlt.common.typing import TSecretStrValue, is_optional_type

from .exceptions import ConfigurationError
from .settings import (
    DEFAULT_API_BASE_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_TOKEN_URL,
    MAX_ATTEMPTS,
    MAX_RETRY_WAIT_S,
)

SECTIONS = ("sources", "box_events")
"""Every setting lives under [sources.box_events] (env: SOURCES__BOX_EVENTS__<NAME>)."""
ENV_PREFIX = "SOURCES__BOX_EVENTS__CREDENTIALS__"


@configspec
class BoxJwtFileCredentials(CredentialsConfiguration):
    """JWT: the app config JSON downloaded from the Box Developer Console, as a file."""

    jwt_config_file: str = None
    enterprise_id: str | None = None
    """Only when the app config has no enterpriseID."""

    flow: ClassVar[str] = "JWT (jwt_config_file)"

    def app_config_text(self) -> str:
        try:
            return Path(self.jwt_config_file).read_text()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the JWT app config file {self.jwt_config_file!r}: {exc.strerror}"
            ) from None


@configspec
class BoxJwtCredentials(CredentialsConfiguration):
    """JWT: the same app config JSON, inline (a secret: e.g. from a vault)."""

    jwt_config: TSecretStrValue = None
    enterprise_id: str | None = None

    flow: ClassVar[str] = "JWT (jwt_config)"

    def app_config_text(self) -> str:
        return self.jwt_config


@configspec
class BoxClientCredentials(CredentialsConfiguration):
    """Client Credentials Grant: the enterprise's service account (no refresh token: ask again)."""

    client_id: str = None
    client_secret: TSecretStrValue = None
    enterprise_id: str = None

    flow: ClassVar[str] = "Client Credentials"


@configspec
class BoxDeveloperToken(CredentialsConfiguration):
    """A developer token: valid 60 minutes, cannot be renewed (for trying things out)."""

    developer_token: TSecretStrValue = None

    flow: ClassVar[str] = "developer token"


TBoxCredentials = Union[BoxJwtFileCredentials, BoxJwtCredentials, BoxClientCredentials, BoxDeveloperToken]  # noqa: UP007 (dlt reads the Union)
CREDENTIAL_SPECS: tuple[type[CredentialsConfiguration], ...] = TBoxCredentials.__args__


@configspec
class BoxApiConfiguration(BaseConfiguration):
    """Where Box is, who we are to it, and how hard to press it."""

    api_base_url: str = DEFAULT_API_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    credentials: TBoxCredentials = None
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    """The client-side rate limit (Box allows about 1,000 a minute per user)."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Windows fetched at once."""
    max_attempts: int = MAX_ATTEMPTS
    max_retry_wait_s: float = MAX_RETRY_WAIT_S
    monthly_call_budget: int | None = None
    """The enterprise's monthly API allowance: `status` shows the share used and warns at 80%."""

    FLAGS: ClassVar[dict[str, str]] = {
        "requests_per_minute": "--requests-per-minute",
        "concurrency": "--concurrency",
    }

    def on_resolved(self) -> None:
        """Numbers that reach the client must make sense: a rate of 0 would divide by zero, 0
        threads would never fetch, 0 attempts never ask."""
        for name in ("requests_per_minute", "concurrency", "max_attempts", "max_retry_wait_s"):
            _check_positive(name, getattr(self, name), self.FLAGS.get(name))
        if self.monthly_call_budget is not None:
            _check_positive("monthly_call_budget", self.monthly_call_budget, None)


def _check_positive(name: str, value: Any, flag: str | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or value != value:
        where = f"pass {flag} or set " if flag else "set "
        raise ConfigurationError(
            f"{name} must be a positive number (got {value!r}): {where}sources.box_events.{name} "
            "in .dlt/config.toml (or its environment variable)"
        )


@dataclass
class ApiOptions:
    """What a caller chose explicitly; None means "from dlt config, else the default"."""

    api_base_url: str | None = None
    token_url: str | None = None
    credentials: CredentialsConfiguration | dict[str, Any] | None = None
    requests_per_minute: float | None = None
    concurrency: int | None = None
    max_attempts: int | None = None
    max_retry_wait_s: float | None = None

    def resolve(self) -> BoxApiConfiguration:
        return resolve_api(
            api_base_url=self.api_base_url,
            token_url=self.token_url,
            credentials=self.credentials,
            requests_per_minute=self.requests_per_minute,
            concurrency=self.concurrency,
            max_attempts=self.max_attempts,
            max_retry_wait_s=self.max_retry_wait_s,
        )


def resolve_api(
    *,
    api_base_url: str | None = None,
    token_url: str | None = None,
    credentials: CredentialsConfiguration | dict[str, Any] | None = None,
    requests_per_minute: float | None = None,
    concurrency: int | None = None,
    max_attempts: int | None = None,
    max_retry_wait_s: float | None = None,
) -> BoxApiConfiguration:
    """The API configuration: the values given here win over dlt's providers, which win over the
    defaults. Missing credentials are one line naming what each flow lacks."""
    explicit = {
        "api_base_url": api_base_url,
        "token_url": token_url,
        "credentials": _as_spec(credentials),
        "requests_per_minute": requests_per_minute,
        "concurrency": concurrency,
        "max_attempts": max_attempts,
        "max_retry_wait_s": max_retry_wait_s,
    }
    given = {name: value for name, value in explicit.items() if value is not None}
    try:
        return resolve_configuration(BoxApiConfiguration(), sections=SECTIONS, explicit_value=given)
    except ConfigFieldMissingException as exc:
        if "credentials" not in exc.fields:
            raise
        raise ConfigurationError(missing_credentials_message(_configured_credential_keys())) from None


def _configured_credential_keys() -> list[str]:
    """The credential keys some provider holds (names only: their values are secrets)."""
    names = {name for spec in CREDENTIAL_SPECS for name in spec.get_resolvable_fields()}
    return sorted(n for n in names if dlt.secrets.get(f"sources.box_events.credentials.{n}") is not None)


def _as_spec(credentials: CredentialsConfiguration | dict[str, Any] | None) -> Any:
    """A dict (tests, a Python caller) becomes the spec of the flow it describes."""
    if credentials is None or isinstance(credentials, CredentialsConfiguration):
        return credentials
    fields = {spec: spec.get_resolvable_fields() for spec in CREDENTIAL_SPECS}
    known = {name for hints in fields.values() for name in hints}
    unknown = sorted(set(credentials) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown credentials key {unknown[0]!r}: use one of {', '.join(sorted(known))}"
        )
    for spec, hints in fields.items():
        required = [name for name, hint in hints.items() if not is_optional_type(hint)]
        if all(credentials.get(name) for name in required):
            instance = spec()
            for name in hints:
                setattr(instance, name, credentials.get(name))
            return instance
    raise ConfigurationError(
        missing_credentials_message(given=sorted(k for k, v in credentials.items() if v))
    )


def missing_credentials_message(given: list[str] | None = None) -> str:
    """One line: what each flow still lacks, given the keys that are set."""
    hint = ""
    if given:
        lacks = []
        for spec in CREDENTIAL_SPECS:
            hints = spec.get_resolvable_fields()
            missing = [n for n, h in hints.items() if not is_optional_type(h) and n not in given]
            if len(missing) < len([h for h in hints.values() if not is_optional_type(h)]):
                lacks.append(f"{spec.flow} lacks {', '.join(missing)}")
        hint = f" ({', '.join(given)} given; {'; '.join(lacks)})" if lacks else f" ({', '.join(given)} given)"
    return (
        f"no complete Box credentials{hint}: set {ENV_PREFIX}CLIENT_ID, __CLIENT_SECRET and "
        "__ENTERPRISE_ID (Client Credentials), or __JWT_CONFIG_FILE (JWT), or __DEVELOPER_TOKEN, "
        "or the same keys under [sources.box_events.credentials] in .dlt/secrets.toml"
    )


def load_jwt_app_config(credentials: BoxJwtFileCredentials | BoxJwtCredentials) -> dict[str, Any]:
    """The parts of Box's app config JSON a JWT assertion needs, or one line saying what is wrong."""
    try:
        config = json.loads(credentials.app_config_text())
        settings = config["boxAppSettings"]
        auth = settings["appAuth"]
        return {
            "client_id": settings["clientID"],
            "client_secret": settings["clientSecret"],
            "key_id": auth["publicKeyID"],
            "private_key": auth["privateKey"],
            "passphrase": auth.get("passphrase") or None,
            "enterprise_id": str(config.get("enterpriseID") or credentials.enterprise_id or ""),
        }
    except (ValueError, KeyError, TypeError):
        raise ConfigurationError(
            "the JWT app config is not Box's app config JSON (boxAppSettings.clientID, "
            "clientSecret, appAuth.publicKeyID/privateKey/passphrase, enterpriseID): download it "
            "again from the Box Developer Console"
        ) from None
