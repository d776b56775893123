"""The stored event types: one named, versioned class per decision kind, made from the registry.

An event wraps a decision (its content) with what the ledger adds: the decision's id, who
recorded it, and the idempotency key of the request that recorded it. `timestamp` is the
ledger's clock (`recorded_at`) and `originator_version` the decision's position in the ledger.

Each kind's class is named by its decision class's `event` (e.g. `PartyRegistered`) and lives
in this module, so its topic is `domain.events:PartyRegistered`. Never rename a kind's `event`
without registering the old topic (`eventsourcing.utils.register_topic`). To change what every
event stores, raise `DecisionEvent.class_version` and add an `upcast_vN_vN+1(state)` static
method to it; for one kind's payload, declare that kind's class here by hand (a subclass of
`DecisionEvent[ThatDecision]` with its own `class_version` and upcasters), before the classes
are made below. The mapper in `ledger.storage` runs the upcasters when it loads an old payload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict

from domain import decisions as d

LEDGER_STREAM_ID = uuid5(NAMESPACE_URL, "urn:meldkamer-ledger:governance-decisions")
"""Every decision is an event of this one stream, so its version is the ledger position and a
stale write is caught by the store's (stream, version) uniqueness."""

D = TypeVar("D", bound=d.Decision)


class DecisionEvent(BaseModel, Generic[D]):
    """A decision as stored: an immutable fact in the governance ledger."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    decision_id: UUID
    recorded_by: str
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    decision: D


def _event_class(decision_class: type[d.Decision]) -> type[DecisionEvent[Any]]:
    """The stored event class of a kind (named by its `event`, in this module)."""
    name = decision_class.event
    made = globals().get(name)  # (declared by hand above, for its own upcasters)
    if made is None:
        generic: Any = DecisionEvent
        made = type(name, (generic[decision_class],), {"__module__": __name__})
        made.__qualname__ = name
        globals()[name] = made
    assert issubclass(made, DecisionEvent), name
    return made


EVENT_CLASSES: dict[str, type[DecisionEvent[Any]]] = {
    kind: _event_class(cls) for kind, cls in d.DECISION_CLASSES.items()
}
"""Decision kind -> event class, e.g. "party.registered" -> PartyRegistered."""


def event_for(
    decision: d.Decision,
    *,
    decision_id: UUID,
    position: int,
    recorded_at: datetime,
    recorded_by: str,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
) -> DecisionEvent[Any]:
    """Wrap a decision in the event type of its kind."""
    return EVENT_CLASSES[decision.kind](
        originator_id=LEDGER_STREAM_ID,
        originator_version=position,
        timestamp=recorded_at,
        decision_id=decision_id,
        recorded_by=recorded_by,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        decision=decision,
    )


def recorded(event: DecisionEvent[Any]) -> d.RecordedDecision:
    """Read an event as the decision it records."""
    return d.RecordedDecision(
        id=event.decision_id,
        position=event.originator_version,
        recorded_at=event.timestamp,
        recorded_by=event.recorded_by,
        decision=event.decision,
    )
