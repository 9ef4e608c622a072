"""Token endpoint: CCG, JWT (signature, claims, replay), expiry and revocation."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from box_emulator import Emulator, EmulatorConfig
from box_emulator.keys import make_app_config

PARAMS = {"stream_type": "admin_logs", "limit": 1}


def _ccg(emu: Emulator, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.config.client_id,
        "client_secret": emu.config.client_secret,
        "box_subject_type": "enterprise",
        "box_subject_id": emu.config.enterprise_id,
    }
    form.update(overrides)
    return form


def test_client_credentials_grant(emulator, http):
    emu, srv = emulator
    r = httpx.post(srv.token_url, data=_ccg(emu))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["restricted_to"] == []
    assert body["expires_in"] == 3600
    assert http(srv, body["access_token"]).get("/events", params=PARAMS).status_code == 200
    bad = httpx.post(srv.token_url, data=_ccg(emu, client_secret="nope"))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    assert "error_description" in bad.json()
    bad = httpx.post(srv.token_url, data=_ccg(emu, box_subject_id="123"))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    bad = httpx.post(srv.token_url, data=_ccg(emu, grant_type="password"))
    assert bad.status_code == 400 and bad.json()["error"] == "unsupported_grant_type"
    assert emu.stats_dict()["tokens_issued"] == 1


@pytest.fixture(scope="module")
def app_config() -> tuple[dict, str]:
    return make_app_config(EmulatorConfig())


def _assertion(app: dict, audience: str, **claims) -> str:
    settings = app["boxAppSettings"]
    key = serialization.load_pem_private_key(
        settings["appAuth"]["privateKey"].encode(), settings["appAuth"]["passphrase"].encode()
    )
    payload = {
        "iss": settings["clientID"],
        "sub": app["enterpriseID"],
        "box_sub_type": "enterprise",
        "aud": audience,
        "jti": secrets.token_hex(16),
        "exp": int(time.time()) + 45,
    }
    payload.update(claims)
    alg = payload.pop("alg", "RS256")
    kid = payload.pop("kid", settings["appAuth"]["publicKeyID"])
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def test_jwt_bearer_grant(emulator_server, http, app_config):
    app, public_pem = app_config
    emu, srv = emulator_server(jwt_public_keys={app["boxAppSettings"]["appAuth"]["publicKeyID"]: public_pem})

    def post(assertion: str) -> httpx.Response:
        return httpx.post(
            srv.token_url,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
                "client_id": emu.config.client_id,
                "client_secret": emu.config.client_secret,
            },
        )

    for alg in ("RS256", "RS384", "RS512"):
        r = post(_assertion(app, srv.token_url, alg=alg))
        assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert http(srv, token).get("/events", params=PARAMS).status_code == 200
    replay = _assertion(app, srv.token_url, jti="x" * 20)
    assert post(replay).status_code == 200
    refusals = [
        replay,  # jti reused
        _assertion(app, "https://elsewhere.example/oauth2/token"),
        _assertion(app, srv.token_url, exp=int(time.time()) + 600),
        _assertion(app, srv.token_url, exp=int(time.time()) - 600),
        _assertion(app, srv.token_url, jti="short"),
        _assertion(app, srv.token_url, sub="999"),
        _assertion(app, srv.token_url, kid="unknown-key"),
        "not.a.jwt",
    ]
    for assertion in refusals:
        r = post(assertion)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    other, _ = make_app_config(EmulatorConfig())  # signed by a key the emulator does not trust
    r = post(_assertion(other, srv.token_url))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = post(_assertion(app, srv.token_url, iss="someone-else"))
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def test_box_sdk_jwt_auth_gets_a_token(emulator_server, app_config):
    from box_sdk_gen import BaseUrls, BoxJWTAuth, JWTConfig, NetworkSession

    app, public_pem = app_config
    emu, srv = emulator_server(jwt_public_keys={app["boxAppSettings"]["appAuth"]["publicKeyID"]: public_pem})
    auth = BoxJWTAuth(JWTConfig.from_config_json_string(json.dumps(app)))
    session = NetworkSession(base_urls=BaseUrls(base_url=srv.base_url))
    token = auth.retrieve_token(network_session=session)
    assert token.access_token and emu.auth.lookup(f"Bearer {token.access_token}") is not None


def test_tokens_expire_in_real_time_and_can_be_revoked(emulator_server, http):
    emu, srv = emulator_server(token_ttl_seconds=0.5)
    token = httpx.post(srv.token_url, data=_ccg(emu)).json()["access_token"]
    client = http(srv, token)
    assert client.get("/events", params=PARAMS).status_code == 200
    time.sleep(0.6)
    r = client.get("/events", params=PARAMS)
    assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]
    # the developer token never expires
    assert http(srv, emu.config.developer_token).get("/events", params=PARAMS).status_code == 200

    emu2, srv2 = emulator_server(token_revoke_rate=1.0)
    token = httpx.post(srv2.token_url, data=_ccg(emu2)).json()["access_token"]
    assert http(srv2, token).get("/events", params=PARAMS).status_code == 401
    assert emu2.stats_dict()["tokens_revoked"] == 1
