"""Throttling of wrong tokens per client address, with every failure logged.

After FAILURE_LIMIT wrong tokens within WINDOW seconds from one client address (`api.clients`),
that address is refused (`Throttled`: 429 with Retry-After on the API, the sign-in page with
429 on the pages) until the oldest of those failures is WINDOW seconds old; a right token is
refused meanwhile too, so that guessing on tells nothing. A request without a token is not a
failure. Bearer tokens, the pages' cookie and the sign-in form count together.

Every wrong or refused token is logged as a warning on the `ledger.access` logger, with the
client's address and the token's first SHOWN characters only, never the whole token.

The counts are kept in the memory of each server process: every worker counts on its own (with
`ledger serve --workers 4` an address may try up to 4 x FAILURE_LIMIT times a window), and a
restart forgets them. At most MAX_ADDRESSES addresses are remembered.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from ledger.access import AccessStore, Principal

FAILURE_LIMIT = 10
WINDOW = 60
"""Seconds."""
SHOWN = 6
"""How many characters of a wrong token the log shows ("mkl_" and two more)."""
MAX_ADDRESSES = 10_000

log = logging.getLogger("ledger.access")


class Throttled(Exception):
    """Refuse a token from an address that sent too many wrong ones of late."""

    def __init__(self, address: str, retry_after: int) -> None:
        super().__init__(f"{address}: too many wrong tokens; try again in {retry_after} s")
        self.address = address
        self.retry_after = retry_after


class Throttle:
    """Count the wrong tokens of each client address within a sliding window."""

    def __init__(
        self,
        limit: int = FAILURE_LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()  # (routes run in a thread pool)
        self._failures: dict[str, deque[float]] = {}

    def authenticate(
        self, access: AccessStore, token: str, address: str, where: str
    ) -> Principal | None:
        """The principal of `token`, or None (a failure: counted and logged); raise Throttled,
        without looking at the token, while `address` is held back."""
        wait = self.retry_after(address)
        if wait is not None:
            log.warning(
                "refused a token from %s on %s: %r... (held back for %d s more)",
                address,
                where,
                token[:SHOWN],
                wait,
            )
            raise Throttled(address, wait)
        principal = access.authenticate(token)
        if principal is None:
            count = self._fail(address)
            log.warning(
                "wrong token from %s on %s: %r... (%d within %d s)",
                address,
                where,
                token[:SHOWN],
                count,
                self.window,
            )
        return principal

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may now."""
        now = self.clock()
        with self._lock:
            failures = self._failures.get(address)
            if failures is None or len(failures) < self.limit:
                return None
            free_at = failures[0] + self.window
        return math.ceil(free_at - now) if free_at > now else None

    def _fail(self, address: str) -> int:
        now = self.clock()
        with self._lock:
            failures = self._failures.setdefault(address, deque(maxlen=self.limit))
            failures.append(now)
            if len(self._failures) > MAX_ADDRESSES:
                self._forget(now)
            return sum(1 for moment in failures if moment > now - self.window)

    def _forget(self, now: float) -> None:
        for address in [a for a, f in self._failures.items() if f[-1] <= now - self.window]:
            del self._failures[address]
        while len(self._failures) > MAX_ADDRESSES:  # all recent: drop the longest known
            del self._failures[next(iter(self._failures))]


def throttle_of(app_state: object) -> Throttle:
    """The throttle of an app (`app.state.throttle`)."""
    found = getattr(app_state, "throttle", None)
    assert isinstance(found, Throttle), "create_app sets app.state.throttle"
    return found
