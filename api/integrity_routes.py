"""HTTP routes for tamper evidence: verification, the latest signed checkpoint, inclusion proofs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api.deps import LedgerDep, ReaderDep
from api.problems import HttpProblem, OrjsonResponse
from api.schemas import Problem
from ledger.integrity import latest_checkpoint, proof_for, verify_report

router = APIRouter(tags=["integrity"])

_P = {"model": Problem}
READ: dict[int | str, dict[str, Any]] = {
    401: {**_P, "description": "No token, or an unknown or revoked one."},
    403: {**_P, "description": "The token's role may not do this."},
}


@router.get("/v1/ledger/verify", responses=READ, summary="Recompute the hash chain")
def get_verify(_: ReaderDep, ledger: LedgerDep) -> Response:
    """OK with the count and head hash, or the first bad position and what is wrong there."""
    report = verify_report(ledger)
    return OrjsonResponse(report)


@router.get(
    "/v1/ledger/checkpoints/latest",
    responses={**READ, 404: {**_P, "description": "No checkpoint has been signed yet."}},
    summary="The latest signed checkpoint, as a digest to publish",
)
def get_latest_checkpoint(_: ReaderDep, ledger: LedgerDep) -> Response:
    """Position, head hash, Merkle root, time, public key and signature."""
    digest = latest_checkpoint(ledger.store)
    if digest is None:
        raise HttpProblem(
            404,
            "not-found",
            "No checkpoint",
            "no checkpoint has been signed yet; run `ledger checkpoint`",
        )
    return OrjsonResponse(digest)


@router.get(
    "/v1/decisions/{decision_id}/proof",
    responses={
        **READ,
        404: {**_P, "description": "No such decision, or no checkpoint covers it yet."},
    },
    summary="An inclusion proof of a decision under the latest checkpoint",
)
def get_proof(_: ReaderDep, ledger: LedgerDep, decision_id: UUID) -> Response:
    """An RFC 6962 audit path; check it with `tools/verify_proof.py`."""
    return OrjsonResponse(proof_for(ledger, decision_id))
