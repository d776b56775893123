"""What one recorded decision writes into the tables, inside the transaction that records it.

1. The log: the decision as recorded, the parties and subjects it names, the groups it is about.
2. The members of the groups: the decisions whose application it may change — itself; for a
   correction or retraction, the decision put right; for a consent, the decision consented to
   (and, as a consent may itself need consent, on) — are resolved again (`ledger.known`), and
   each one's place in its groups (the date it is in force from, its content now) replaced.
3. The groups' rows: every group a changed decision was or is in is folded again from the first
   day the change touches (`ledger.timeline.Refold`) and its rows rewritten from that day on.
4. The outputs: the scopes of gap rules that read what changed are swept again
   (`ledger.outputs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from domain import decisions as d
from domain.cells import Source
from domain.governance import InForce
from domain.vocabulary import EARLIEST_DATE
from ledger import outputs
from ledger.known import in_force
from ledger.tables import Row, Tables, Value
from ledger.timeline import Key, Refold, entities_named, rewrite

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros_of(moment: datetime) -> int:
    """A moment as microseconds since the epoch (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("moments must be timezone-aware")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def moment_of(micros: int) -> datetime:
    """The moment of `micros_of`."""
    return EPOCH + timedelta(microseconds=int(micros))


def group_name(key: d.EntityKey) -> str:
    return f"{key[0]}:{key[1]}"


def names_of(decision: d.Decision) -> set[str]:
    """The parties ('party:<id>') and subjects ('subject:<id>') a decision names: those who
    decided it, those its fields name, what it is about; a correction's replacement's too."""
    found = {f"party:{p}" for p in decision.decided_by}
    if isinstance(decision, d.DecisionCorrection):
        return found | names_of(decision.replacement)
    found |= {f"party:{p}" for _, p in decision.parties()}
    found |= {f"subject:{s}" for _, s in decision.subjects()}
    for group, key in decision.entity_keys():
        if group in ("party", "subject"):
            found.add(f"{group}:{key}")
        elif group == "responsibilities":
            found.add(f"subject:{key}")
    return found


EARLIEST_DAY = EARLIEST_DATE.toordinal()


@dataclass
class _Footprint:
    """Where a decision applies: per group, the day it is in force from."""

    item: InForce | None = None
    groups: dict[str, int] = field(default_factory=dict)
    named: dict[str, list[Key]] = field(default_factory=dict)
    """Per group, the entries its content names (whose rows a re-fold must look at)."""


def _footprint(item: InForce | None, content: d.Decision | None) -> _Footprint:
    if item is None or content is None:
        return _Footprint()
    keys = content.entity_keys()
    return _Footprint(
        item,
        {group_name(key): item.in_force_on.toordinal() for key in keys},
        {group_name(key): entities_named(key[0], key[1], content) for key in keys},
    )


def _stored_footprint(tables: Tables, root: str) -> _Footprint:
    footprint = _Footprint()
    for grp, day, _, content in tables.members_of_root(root):
        decision = d.DECISION_ADAPTER.validate_json(content)
        kind, key = grp.split(":", 1)
        footprint.groups[grp] = day
        footprint.named[grp] = entities_named(kind, key, decision)
    return footprint


def touched_roots(tables: Tables, decision: d.Decision) -> set[str]:
    """The decisions whose application may change once `decision` is recorded (ask before
    recording it); see `domain.knowledge.Knowledge.touched_roots`, which this follows."""
    target = d.target_of(decision)
    if target is None:
        return set()
    pending = [str(target)]
    if not isinstance(decision, d.Consent):
        info = tables.decision_info(pending[0])
        if info is not None and info[2]:
            pending = [info[2]]
    roots: set[str] = set()
    while pending:
        root = pending.pop()
        info = tables.decision_info(root)
        if root in roots or info is None:
            continue
        roots.add(root)
        if info[0] == "consent.given" and info[1]:
            pending.append(info[1])
    return roots


class Projector:
    """Writes what recorded decisions change into the tables of one write transaction."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def apply(self, item: d.RecordedDecision) -> None:
        """Take in the next recorded decision."""
        tables, decision = self.tables, item.decision
        roots = touched_roots(tables, decision)
        before = {root: _stored_footprint(tables, root) for root in roots}
        target = d.target_of(decision)
        root = None
        if isinstance(decision, d.DecisionCorrection):
            info = tables.decision_info(str(decision.corrects))
            root = info[2] if info is not None and info[2] else str(decision.corrects)
        tables.insert_decision(
            item.position,
            str(item.id),
            decision.kind,
            decision.effective_on.toordinal(),
            micros_of(item.recorded_at),
            None if target is None else str(target),
            root,
            item.model_dump_json(),
            names_of(decision),
            [group_name(key) for key in decision.entity_keys()],
        )
        after: dict[str, _Footprint] = {}
        changed_decisions = set(roots)
        content: d.Decision | None = decision
        if isinstance(decision, d.DecisionCorrection | d.DecisionRetraction):
            content = None
        elif decision.requires_consent_of:
            changed_decisions.add(str(item.id))
            content = None  # waiting for consent (none can have been given yet)
        if content is not None:
            applies = InForce(item.id, item.position, decision, decision.effective_on)
            after[str(item.id)] = _footprint(applies, decision)
            before[str(item.id)] = _Footprint()
        for changed in roots:
            after[changed] = _footprint(*in_force(tables, UUID(changed)))
        since: dict[str, int] = {}
        extra: dict[str, set[Key]] = {}
        for changed, now in after.items():
            then = before[changed]
            if now.item is not None:
                position, content_json = now.item.position, now.item.decision.model_dump_json()
                members = [(grp, day, position, content_json) for grp, day in now.groups.items()]
            else:
                members = []
            if changed in roots or now.groups:
                tables.replace_members(changed, members)
            for footprint in (then, now):
                for grp, day in footprint.groups.items():
                    since[grp] = min(since.get(grp, day), day)
            for grp, named in then.named.items():
                extra.setdefault(grp, set()).update([*named, ("anomaly", changed)])
        keys = {f"decision/{root}": EARLIEST_DAY for root in changed_decisions}
        for grp, day in sorted(since.items()):
            for key, found in self._refold(grp, day, extra.get(grp, set()), item.position).items():
                keys[key] = min(keys.get(key, found), found)
        outputs.update(tables, keys, item.position)

    def _refold(self, grp: str, since: int, extra: Iterable[Key], position: int) -> dict[str, int]:
        """Fold one group again from day `since`; write its rows; return what changed (see
        `changed_keys`)."""
        tables = self.tables
        group, key = grp.split(":", 1)
        members = tables.members_from(grp, since)
        items = [
            InForce(
                UUID(root), pos, d.DECISION_ADAPTER.validate_json(content), date.fromordinal(day)
            )
            for root, day, pos, content in members
        ]
        if group == "responsibilities":
            named = {e for item in items for e in entities_named(group, key, item.decision)}
            named |= set(extra)
            named |= {("anomaly", str(item.id)) for item in items}
            rows = tables.open_rows(
                grp=grp, entities=sorted({entity for _, entity in named}), ending_after=since
            )
        else:
            rows = tables.open_rows(grp=grp, ending_after=since)
        sources = _Sources(tables, grp, items)
        points = Refold(group, key, since, rows, items, sources.of).run()
        close, insert = rewrite(grp, since, rows, points)
        tables.close_rows(close, position)
        tables.insert_rows(insert, position)
        return changed_keys(close, insert, since)


def changed_keys(
    close: Sequence[Row], insert: Sequence[tuple[str, str, str, Value, int, int]], since: int
) -> dict[str, int]:
    """What changed, as the gap rules' reads name it (`ledger.outputs`), each from `since`:
    the rows' entries, and the look-ups they are found by (a subject's risks, a party's roles,
    a subject's accountable roles, the criteria covering a subject), and the days on which
    anyone is accountable for a subject when they changed."""
    found: dict[str, int] = {}
    changed: list[tuple[str, str, Value]] = [(r.kind, r.entity, r.value) for r in close]
    changed += [(kind, entity, value) for _, kind, entity, value, _, _ in insert]
    anchored: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for row in close:
        if row.kind == "anchoring" and row.value.tag == "anchored":
            anchored.setdefault(row.entity, ([], []))[0].append((row.valid_from, row.valid_to))
    for _, kind, entity, value, valid_from, valid_to in insert:
        if kind == "anchoring" and value.tag == "anchored":
            anchored.setdefault(entity, ([], []))[1].append((valid_from, valid_to))
    for entity, (before, after) in anchored.items():
        if _merged(before) != _merged(after):
            found[f"anchored/{entity}"] = since
    for kind, entity, value in changed:
        subject, party, tag = value.subject, value.party, value.tag
        found[f"row/{kind}/{entity}"] = since
        if kind == "holding":
            found[f"holdings_of/{party}"] = since
            if tag == "accountable":
                found[f"accountable/{subject}"] = since
        elif kind == "identified":
            found[f"risks_on/{subject}"] = since
        elif kind == "coverage":
            found[f"coverage/{subject}"] = since
    return found


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The days the intervals cover, as disjoint intervals in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class _Sources:
    """The sources of a group's decisions, as they read now (for the matrix cells)."""

    def __init__(self, tables: Tables, grp: str, items: list[InForce]) -> None:
        self.tables, self.grp = tables, grp
        self.known: dict[UUID, Source | None] = {
            item.id: Source.of(item.id, item.decision) for item in items
        }

    def of(self, decision_id: UUID) -> Source | None:
        if decision_id not in self.known:
            content = self.tables.member_content(self.grp, str(decision_id))
            self.known[decision_id] = (
                None
                if content is None
                else Source.of(decision_id, d.DECISION_ADAPTER.validate_json(content))
            )
        return self.known[decision_id]
