"""The governance of the Dutch emergency control rooms, as decisions and the rules they obey.

- `vocabulary` — slugs, roles, kinds of parties and subjects, text limits.
- `decisions` — every decision kind the secretariat can record (the content of an event).
- `events` — the stored, versioned event types that carry a decision into the ledger.
- `governance` — the fold: what a sequence of decisions means (parties, roles, risks, ...).
- `knowledge` — everything recorded so far, with corrections applied; answers the invariants.
- `invariants` — the rules a new decision must obey before it is recorded.
- `errors` — the named domain errors.
"""
