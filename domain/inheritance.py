"""Roles down the subject tree.

The rule: a role held for a subject holds for every subject below it, unless that subject
(or a subject between the two) has a holder of its own for the role. On a date, as known at a
moment, a subject's holders of a role are

- the parties that hold the role for the subject itself, if any do ("direct"); otherwise
- its parent's holders of the role (direct or inherited in turn); a subject without a parent
  holds nothing it does not hold itself.

Each role is inherited on its own: a subject with its own responsible party still inherits its
parent's accountable one. The tree is the subjects registered on the date, each under the
parent its registration (as corrected) names; a parent not registered on the date ends the
climb, and so does a parent met twice (a cycle a correction made).

What inherits, and where it counts:
- the matrix and `responsibilities` show an inherited role in the subject's column, marked as
  inherited and traced to the ancestor's decisions; the state (`/v1/state`) lists only the roles
  decided for each subject, which is what the decisions say;
- the gap rules count inherited accountability: a subject has `no_accountable` only when neither
  it nor any subject above it has an accountable party; `no_responsible` counts an inherited
  responsible party; `several_accountable` and `no_responsible` are raised where the accountable
  roles are held, not again below it; an acceptance of a residual risk is by an accountable
  party when it is accountable for the risk's system or inherits it there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from domain.vocabulary import Role


def climb(subject: str, parent_of: Callable[[str], str | None]) -> Iterator[str]:
    """The subject and the subjects above it, nearest first, each looked up only when the one
    below has been used (`parent_of`: a subject's parent, if it is registered; else None)."""
    seen = {subject}
    yield subject
    parent = parent_of(subject)
    while parent is not None and parent not in seen:
        seen.add(parent)
        yield parent
        parent = parent_of(parent)


def chain(subject: str, parent_of: Callable[[str], str | None]) -> list[str]:
    """The subject and the subjects above it, nearest first (see `climb`)."""
    return list(climb(subject, parent_of))


def registered_parent(parents: Mapping[str, str | None]) -> Callable[[str], str | None]:
    """`parent_of` for `chain` from each registered subject's parent."""
    return lambda subject: parent if (parent := parents.get(subject)) in parents else None


def sources_of_roles(
    parents: Mapping[str, str | None], held: Mapping[str, set[Role]]
) -> dict[str, dict[Role, str]]:
    """For each subject, each role it holds only by inheritance -> the subject it comes from
    (the nearest above it with a holder of its own); `held`: the roles each subject has a
    holder of its own for."""
    found: dict[str, dict[Role, str]] = {}
    parent_of = registered_parent(parents)
    for subject in parents:
        above = chain(subject, parent_of)[1:]
        if not above:
            continue
        own = held.get(subject, set())
        inherited: dict[Role, str] = {}
        for ancestor in above:
            for role in held.get(ancestor, ()):
                if role not in own and role not in inherited:
                    inherited[role] = ancestor
        if inherited:
            found[subject] = inherited
    return found
