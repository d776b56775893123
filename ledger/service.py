"""The application service: record decisions, read them back, move them in and out.

`Ledger` keeps an in-memory `Knowledge` of every recorded decision, caught up from the store
before each read and write, so that other processes' writes are seen. Recording checks the
invariants against that knowledge, then appends the events at the next stream versions; if
another writer got there first the store refuses the stale versions, and the ledger catches up
and checks again. Nothing is half written: a batch is one transaction.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from eventsourcing.persistence import IntegrityError

from domain import decisions as d
from domain import events as ev
from domain.errors import ConcurrencyConflict, IdempotencyConflict, NotFound, RuleViolation
from domain.invariants import check
from domain.knowledge import Knowledge
from ledger import collector
from ledger.settings import Settings
from ledger.storage import GovernanceApplication, open_store

Clock = Callable[[], datetime]
Precondition = Callable[[Knowledge], None]

READ_PAGE = 1000
MAX_ATTEMPTS = 50


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DecisionView:
    """One decision with everything recorded about it since."""

    recorded: d.RecordedDecision
    current: d.Decision | None
    corrections: list[d.RecordedDecision]
    retraction: d.RecordedDecision | None
    consents: list[d.RecordedDecision]


@dataclass(frozen=True)
class ExportRecord:
    """A recorded decision with what `--restore` needs to reproduce it exactly."""

    recorded: d.RecordedDecision
    idempotency_key: str | None
    request_fingerprint: str | None

    def to_json(self) -> dict[str, Any]:
        data = self.recorded.model_dump(mode="json")
        if self.idempotency_key is not None:
            data["idempotency_key"] = self.idempotency_key
            data["request_fingerprint"] = self.request_fingerprint
        return data


def fingerprint(decisions: Sequence[d.Decision]) -> str:
    """A digest of a request's content, to tell a retry from a reuse of its idempotency key."""
    body = orjson.dumps([x.model_dump(mode="json") for x in decisions], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


class Ledger:
    """Record governance decisions and read them back."""

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        self.settings = settings
        self._clock = clock
        self._store: GovernanceApplication = open_store(settings)
        self._knowledge = Knowledge()
        self._snapshot: Knowledge | None = None
        self._lock = threading.RLock()
        self.catch_up()

    @property
    def store(self) -> GovernanceApplication:
        """The event store underneath (for verification and exports of the raw log)."""
        return self._store

    def close(self) -> None:
        self._store.close()

    # --- keeping up with the store ------------------------------------------------------

    def catch_up(self) -> int:
        """Take in decisions other processes recorded; return the head position."""
        with self._lock:
            for event in self._events_after(self._knowledge.head):
                self._take_in(event)
            return self._knowledge.head

    def _events_after(
        self, position: int, upto: int | None = None
    ) -> Iterator[ev.DecisionEvent[Any]]:
        while True:
            page = list(
                self._store.events.get(ev.LEDGER_STREAM_ID, gt=position, lte=upto, limit=READ_PAGE)
            )
            yield from page  # type: ignore[misc]
            if len(page) < READ_PAGE:
                return
            position = page[-1].originator_version

    def _take_in(self, event: ev.DecisionEvent[Any]) -> None:
        item = ev.recorded(event)
        key = event.idempotency_key
        self._knowledge.add(item, (key, event.request_fingerprint or "") if key else None)

    # --- recording ----------------------------------------------------------------------

    def record(
        self,
        decisions: Sequence[d.Decision],
        *,
        recorded_by: str,
        idempotency_key: str | None = None,
        precondition: Precondition | None = None,
    ) -> list[d.RecordedDecision]:
        """Check and record decisions atomically, in the given order; return them as recorded.

        `precondition` (e.g. an HTTP If-Match) is checked against the knowledge the decisions
        are appended to, so it holds at the moment of writing, also across processes: if
        another process writes first, the append fails, and both are checked again."""
        if not decisions:
            return []
        request = fingerprint(decisions) if idempotency_key else None
        for attempt in range(MAX_ATTEMPTS):
            with self._lock:
                # A plain first attempt skips the catch-up read: the store refuses versions
                # after a head this process has not seen, so a successful append proves the
                # knowledge it was checked against was current.
                optimistic = attempt == 0 and not idempotency_key and precondition is None
                if not optimistic:
                    self.catch_up()
                if idempotency_key:
                    earlier = self._replay(idempotency_key, request)
                    if earlier is not None:
                        return earlier
                if precondition is not None:
                    precondition(self._knowledge)
                head = self._knowledge.head
                try:
                    return self._append(decisions, recorded_by, idempotency_key, request)
                except IntegrityError:
                    continue  # another process recorded first: catch up, check again
                except RuleViolation:
                    if optimistic and self.catch_up() != head:
                        continue  # refused on stale knowledge: check again on what is known
                    raise
        raise ConcurrencyConflict(
            "other writers kept recording first; nothing was recorded, please retry"
        )

    def _replay(self, key: str, request: str | None) -> list[d.RecordedDecision] | None:
        earlier = self._knowledge.requests.get(key)
        if earlier is None:
            return None
        if earlier.fingerprint != request:
            raise IdempotencyConflict(
                f"the idempotency key {key!r} was already used for a different request"
            )
        return [self._knowledge.by_id[i] for i in earlier.decisions]

    def _append(
        self,
        decisions: Sequence[d.Decision],
        recorded_by: str,
        key: str | None,
        request: str | None,
    ) -> list[d.RecordedDecision]:
        head = self._knowledge.head
        recorded_at = self._next_timestamp()
        items: list[d.RecordedDecision] = []
        try:
            for index, decision in enumerate(decisions):
                try:
                    check(decision, self._knowledge)
                except RuleViolation as violation:
                    violation.decision_index = index
                    raise
                item = d.RecordedDecision(
                    id=uuid4(),
                    position=head + index + 1,
                    recorded_at=recorded_at,
                    recorded_by=recorded_by,
                    decision=decision,
                )
                self._knowledge.add(item, (key, request or "") if key else None)
                items.append(item)
            self._store.save(
                *(
                    ev.event_for(
                        item.decision,
                        decision_id=item.id,
                        position=item.position,
                        recorded_at=item.recorded_at,
                        recorded_by=recorded_by,
                        idempotency_key=key,
                        request_fingerprint=request,
                    )
                    for item in items
                )
            )
        except BaseException:
            self._knowledge.rollback_to(head)
            raise
        return items

    def _next_timestamp(self) -> datetime:
        """The ledger's clock, never running backwards along the ledger."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the ledger clock must be timezone-aware")
        now = now.astimezone(UTC)
        last = self._knowledge.recorded[-1].recorded_at if self._knowledge.recorded else None
        return max(now, last) if last is not None else now

    # --- reading ------------------------------------------------------------------------

    @property
    def head(self) -> int:
        return self.catch_up()

    def log(self, after: int = 0, limit: int = 100) -> list[d.RecordedDecision]:
        """Decisions in ledger order, `limit` at a time after position `after`."""
        with self._lock:
            self.catch_up()
            return self._knowledge.recorded[max(after, 0) : max(after, 0) + limit]

    def get(self, decision_id: UUID) -> DecisionView:
        """One decision with its corrections, retraction and consents."""
        with self._lock:
            self.catch_up()
            knowledge = self._knowledge
            item = knowledge.get(decision_id)
            if item is None:
                raise NotFound(f"no decision with id {decision_id} is recorded")
            corrections = [knowledge.by_id[i] for i in knowledge.corrections.get(decision_id, [])]
            retraction_id = knowledge.retracted_by.get(decision_id)
            return DecisionView(
                recorded=item,
                current=knowledge.current(decision_id),
                corrections=corrections,
                retraction=knowledge.by_id[retraction_id] if retraction_id else None,
                consents=[knowledge.by_id[i] for i in knowledge.consents.get(decision_id, [])],
            )

    def history(
        self, party: str | None = None, subject: str | None = None
    ) -> list[d.RecordedDecision]:
        """Every decision that names the party (as decider or otherwise) or the subject."""
        with self._lock:
            self.catch_up()
            return [
                item
                for item in self._knowledge.recorded
                if _names(item.decision, party=party, subject=subject)
            ]

    def knowledge(self) -> Knowledge:
        """What is known now — the live object: use it only while holding no expectations of
        stability (writers add to it, tentatively, under the ledger's lock). Readers that iterate
        or compute over it want `snapshot()`."""
        with self._lock:
            self.catch_up()
            return self._knowledge

    def snapshot(self) -> Knowledge:
        """What is known now, as a copy no writer will change; readers at the same head share
        it (callers must treat it as read-only)."""
        with self._lock:
            head = self.catch_up()
            frozen = self._snapshot
            if frozen is None or frozen.head != head:
                with collector.paused():  # (~100k lists and dictionaries that live on)
                    frozen = self._snapshot = self._knowledge.copy_until(head)
            return frozen

    def recorded(self) -> list[d.RecordedDecision]:
        with self._lock:
            self.catch_up()
            return list(self._knowledge.recorded)

    # --- moving data ----------------------------------------------------------------------

    def export(self) -> Iterator[ExportRecord]:
        """Every decision as stored, in ledger order, read from the store itself."""
        for event in self._events_after(0):
            yield ExportRecord(ev.recorded(event), event.idempotency_key, event.request_fingerprint)

    def restore(self, records: Iterable[ExportRecord]) -> int:
        """Write an export into an empty ledger, reproducing ids, positions and times exactly."""
        with self._lock:
            if self.catch_up() != 0:
                raise RuleViolation(
                    "restore_needs_empty_ledger",
                    "ledger",
                    self._knowledge.head,
                    "a restore writes into an empty ledger only; this one holds decisions",
                )
            events: list[ev.DecisionEvent[Any]] = []
            try:
                for index, record in enumerate(records):
                    item = record.recorded
                    if item.position != index + 1:
                        raise RuleViolation(
                            "restore_positions_contiguous",
                            f"line {index + 1}: position",
                            item.position,
                            f"positions must run 1, 2, 3, ...; expected {index + 1}",
                        )
                    check(item.decision, self._knowledge)
                    key = record.idempotency_key
                    self._knowledge.add(
                        item, (key, record.request_fingerprint or "") if key else None
                    )
                    events.append(
                        ev.event_for(
                            item.decision,
                            decision_id=item.id,
                            position=item.position,
                            recorded_at=item.recorded_at,
                            recorded_by=item.recorded_by,
                            idempotency_key=key,
                            request_fingerprint=record.request_fingerprint,
                        )
                    )
                if events:
                    self._store.save(*events)
            except BaseException:
                self._knowledge.rollback_to(0)
                raise
            return len(events)


def _names(decision: d.Decision, *, party: str | None, subject: str | None) -> bool:
    if isinstance(decision, d.DecisionCorrection):
        return _names(decision.replacement, party=party, subject=subject) or (
            party is not None and party in decision.decided_by
        )
    if party is not None and (
        party in decision.decided_by or any(p == party for _, p in decision.parties())
    ):
        return True
    if subject is not None:
        if any(s == subject for _, s in decision.subjects()):
            return True
        if ("subject", subject) in decision.entity_keys():
            return True
        if getattr(decision, "system", None) == subject:
            return True
    return party is not None and ("party", party) in decision.entity_keys()
