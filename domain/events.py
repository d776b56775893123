"""The stored event types: one named, versioned class per decision kind.

An event wraps a decision (its content) with what the ledger adds: the decision's id, who
recorded it, and the idempotency key of the request that recorded it. `timestamp` is the
ledger's clock (`recorded_at`) and `originator_version` the decision's position in the ledger.

Never rename or move these classes without registering the old topic
(`eventsourcing.utils.register_topic`); to change a payload, raise the class's
`class_version` and add an `upcast_vN_vN+1(state)` static method. The mapper in
`ledger.storage` runs the upcasters when it loads an old payload.
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


class PartyRegistered(DecisionEvent[d.PartyRegistration]): ...


class PartyDissolved(DecisionEvent[d.PartyDissolution]): ...


class SubjectRegistered(DecisionEvent[d.SubjectRegistration]): ...


class ResponsibilityAssigned(DecisionEvent[d.ResponsibilityAssignment]): ...


class ResponsibilityRelieved(DecisionEvent[d.ResponsibilityRelief]): ...


class ResponsibilityTransferred(DecisionEvent[d.ResponsibilityTransfer]): ...


class FrameworkAdopted(DecisionEvent[d.FrameworkAdoption]): ...


class RiskIdentified(DecisionEvent[d.RiskIdentification]): ...


class RiskAssessed(DecisionEvent[d.RiskAssessment]): ...


class RiskTreatmentDecided(DecisionEvent[d.RiskTreatment]): ...


class RiskAcceptanceCriteriaEstablished(DecisionEvent[d.AcceptanceCriteriaEstablishment]): ...


class ResidualRiskAccepted(DecisionEvent[d.ResidualRiskAcceptance]): ...


class RiskAcceptanceWithdrawn(DecisionEvent[d.AcceptanceWithdrawal]): ...


class FindingRecorded(DecisionEvent[d.FindingRecord]): ...


class RecommendationIssued(DecisionEvent[d.RecommendationIssue]): ...


class RecommendationResponded(DecisionEvent[d.RecommendationResponse]): ...


class RecommendationOwnerAssigned(DecisionEvent[d.RecommendationOwnerAssignment]): ...


class RecommendationProgressReported(DecisionEvent[d.RecommendationProgress]): ...


class RecommendationClosed(DecisionEvent[d.RecommendationClosure]): ...


class EvaluationCommissioned(DecisionEvent[d.EvaluationCommission]): ...


class EvaluationReported(DecisionEvent[d.EvaluationReport]): ...


class CommitmentMade(DecisionEvent[d.Commitment]): ...


class CommitmentKept(DecisionEvent[d.CommitmentFulfilment]): ...


class ConsentGiven(DecisionEvent[d.Consent]): ...


class DecisionCorrected(DecisionEvent[d.DecisionCorrection]): ...


class DecisionRetracted(DecisionEvent[d.DecisionRetraction]): ...


ALL_EVENT_CLASSES: tuple[type[DecisionEvent[Any]], ...] = (
    PartyRegistered,
    PartyDissolved,
    SubjectRegistered,
    ResponsibilityAssigned,
    ResponsibilityRelieved,
    ResponsibilityTransferred,
    FrameworkAdopted,
    RiskIdentified,
    RiskAssessed,
    RiskTreatmentDecided,
    RiskAcceptanceCriteriaEstablished,
    ResidualRiskAccepted,
    RiskAcceptanceWithdrawn,
    FindingRecorded,
    RecommendationIssued,
    RecommendationResponded,
    RecommendationOwnerAssigned,
    RecommendationProgressReported,
    RecommendationClosed,
    EvaluationCommissioned,
    EvaluationReported,
    CommitmentMade,
    CommitmentKept,
    ConsentGiven,
    DecisionCorrected,
    DecisionRetracted,
)

EVENT_CLASSES: dict[str, type[DecisionEvent[Any]]] = {
    cls.model_fields["decision"].annotation.model_fields["kind"].default: cls  # type: ignore[union-attr]
    for cls in ALL_EVENT_CLASSES
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
