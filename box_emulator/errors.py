"""Box error bodies, built in one place so every failure has the shape clients parse.

Box answers API errors with a `ClientError` object and token-endpoint errors with an OAuth2
`{"error", "error_description"}` object; consumers (and the official SDKs) read `code`,
`message` and `request_id`, so the emulator must never answer with a bare string.
"""

from __future__ import annotations

from typing import Any

import orjson

HELP_URL = "https://developer.box.com/guides/api-calls/permissions-and-errors/common-errors/"

_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "unavailable",
}


def client_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    request_id: str,
    context_info: dict[str, Any] | None = None,
) -> bytes:
    """Serialize a Box `ClientError` body."""
    return orjson.dumps(
        {
            "type": "error",
            "status": status,
            "code": code or _DEFAULT_CODES.get(status, "bad_request"),
            "message": message,
            "context_info": context_info,
            "help_url": HELP_URL,
            "request_id": request_id,
        }
    )


def oauth_error(error: str, description: str) -> bytes:
    """Serialize an OAuth2 token-endpoint error body (`invalid_grant`, `invalid_client`, ...)."""
    return orjson.dumps({"error": error, "error_description": description})


class ApiError(Exception):
    """Raised inside request handling; the app turns it into a ClientError response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        context_info: dict[str, Any] | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.context_info = context_info
        self.headers = headers or []
