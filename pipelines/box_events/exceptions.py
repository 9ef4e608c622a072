"""Errors the pipeline raises on purpose.

Each carries a one-line message that says what is wrong and what to change, so the command line can
print it without a traceback. None of them ever includes a secret or a token.
"""

from __future__ import annotations

from collections.abc import Callable


class BoxEventsError(Exception):
    """Base class: an error the user can act on; its message is the whole story."""


class ConfigurationError(BoxEventsError):
    """A setting or an argument is missing or malformed."""


class ReadOnlyQueryError(BoxEventsError):
    """`boxevents query` refused a statement that would change the warehouse (`--write` allows it)."""


class BoxAuthError(BoxEventsError):
    """Box refused the credentials or the token could not be obtained."""


class BoxPermissionError(BoxEventsError):
    """Box answered 403: the app lacks the scope or the user is not an admin."""


class BoxRequestError(BoxEventsError):
    """Box answered a 4xx the pipeline cannot fix by retrying (a 400 carries Box's message)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class BoxUnavailableError(BoxEventsError):
    """The API stayed unreachable or kept failing after every retry."""


class BoxResponseError(BoxEventsError):
    """Box answered 200 with something that is not a usable events page (not JSON, a wrong
    envelope, an entry without `event_id`, an unreadable `created_at`, a position that does not
    advance). The window it belongs to is abandoned whole, so nothing half-read is loaded."""


def find_cause(exc: BaseException | None, match: Callable[[BaseException], bool]) -> BaseException | None:
    """The first exception in `exc`'s chain (causes, contexts, and dlt's wrapped `.exception`) that
    `match` accepts: dlt wraps our errors, interrupts and disk errors in its own step failures."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if match(exc):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "exception", None)
    return None
