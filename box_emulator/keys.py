"""Test credentials for JWT auth: an RSA keypair and a Box app-config JSON.

Why: the JWT path (signed assertion, encrypted private key, passphrase, `kid`) can only be
tested end to end with a key the emulator trusts. `make_app_config` returns the app config in
Box's download format plus the public key to hand to `EmulatorConfig(jwt_public_keys=...)`.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from box_emulator.config import EmulatorConfig

DEFAULT_KEY_ID = "emu0key1"
DEFAULT_PASSPHRASE = "emulator-passphrase"


def make_app_config(
    cfg: EmulatorConfig | None = None,
    *,
    key_id: str = DEFAULT_KEY_ID,
    passphrase: str = DEFAULT_PASSPHRASE,
    key_size: int = 2048,
) -> tuple[dict[str, Any], str]:
    """Return (Box app config dict, public key PEM) for the config's client and enterprise."""
    cfg = cfg or EmulatorConfig()
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    app_config = {
        "boxAppSettings": {
            "clientID": cfg.client_id,
            "clientSecret": cfg.client_secret,
            "appAuth": {
                "publicKeyID": key_id,
                "privateKey": private_pem,
                "passphrase": passphrase,
            },
        },
        "enterpriseID": cfg.enterprise_id,
    }
    return app_config, public_pem
