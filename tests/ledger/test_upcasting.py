"""Stored events outlive their classes: old payloads load through the class's upcasters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain import decisions as d
from domain.events import LEDGER_STREAM_ID, DecisionEvent, PartyRegistered
from ledger.storage import OrjsonTranscoder, PydanticMapper


class AcceptanceV3(DecisionEvent[d.ResidualRiskAcceptance]):
    """A test event whose payload changed twice (the way a production event would evolve).

    v1 stored `decided_by` as one party id and had no `criteria`; v2 made `decided_by` a list;
    v3 added `criteria` (None for old acceptances: accepted without criteria).
    """

    class_version: ClassVar[int] = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["decision"]["decided_by"] = [state["decision"]["decided_by"]]

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["decision"].setdefault("criteria", None)


MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())


def stored(topic: str, state: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=LEDGER_STREAM_ID, originator_version=7, topic=topic, state=orjson.dumps(state)
    )


def test_a_hand_written_version_1_payload_loads_through_every_upcaster() -> None:
    decision_id = uuid4()
    old = {  # as a version-1 writer would have stored it: no class_version, one decider
        "timestamp": "2022-02-03T10:00:00Z",
        "decision_id": str(decision_id),
        "recorded_by": "secretariaat",
        "decision": {
            "kind": "risk.residual_accepted",
            "decided_by": "smb",
            "effective_on": "2022-02-03",
            "source": "besluit SMB",
            "risk": "c2000-afluisteren",
            "accepted_level": "medium",
            "review_by": "2023-02-03",
        },
    }
    event = MAPPER.to_domain_event(stored(get_topic(AcceptanceV3), old))
    assert isinstance(event, AcceptanceV3)
    assert event.decision.decided_by == ["smb"]
    assert event.decision.criteria is None
    assert event.decision_id == decision_id
    assert event.originator_version == 7
    assert event.timestamp == datetime(2022, 2, 3, 10, tzinfo=UTC)


def test_the_current_version_is_stored_with_its_class_version_and_round_trips() -> None:
    event = AcceptanceV3(
        originator_id=LEDGER_STREAM_ID,
        originator_version=1,
        timestamp=datetime(2022, 2, 3, tzinfo=UTC),
        decision_id=uuid4(),
        recorded_by="secretariaat",
        decision=d.ResidualRiskAcceptance(
            decided_by=["smb"],
            effective_on=date(2022, 2, 3),
            source="besluit SMB",
            risk="r",
            accepted_level=d.RiskLevel.LOW,
            review_by=date(2023, 1, 1),
        ),
    )
    record = MAPPER.to_stored_event(event)
    assert orjson.loads(record.state)["class_version"] == 3
    assert MAPPER.to_domain_event(record) == event


def test_a_hand_written_payload_of_a_production_event_loads() -> None:
    payload = {
        "timestamp": "2020-07-01T09:00:00+00:00",
        "decision_id": "5f0c3c2e-3a55-4cbb-9d59-5b1f3f7f2a01",
        "recorded_by": "secretariaat",
        "idempotency_key": None,
        "request_fingerprint": None,
        "decision": {
            "kind": "party.registered",
            "decided_by": ["smb"],
            "effective_on": "2020-07-01",
            "source": "Wijzigingswet meldkamers",
            "party": "smb",
            "name": "Strategisch Meldkamer Beraad",
            "party_kind": "board",
        },
    }
    event = MAPPER.to_domain_event(stored("domain.events:PartyRegistered", payload))
    assert isinstance(event, PartyRegistered)
    assert event.decision.party == "smb"
    assert event.decision_id == UUID("5f0c3c2e-3a55-4cbb-9d59-5b1f3f7f2a01")
