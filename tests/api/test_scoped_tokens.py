# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""A token may be scoped to parties: it records only decisions those parties take (so consents
only on their behalf); anything else is a 403 that names the party, and nothing is recorded.
Scope changes are recorded like issuing and revoking, and hold in every process at once."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from api.pages import COOKIE
from ledger.access import AccessStore, Role
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api, basics, body, party  # noqa: F401


def _head(api: Api) -> int:
    head: int = api.client.get("/v1/health").json()["head"]
    return head


def test_a_scoped_token_records_only_its_partys_decisions(api: Api) -> None:
    assert api.batch(basics()).status_code == 201
    token = api.access.issue("smb-secretariaat", Role.SECRETARIAT, by="test", parties=["smb"])
    auth = {"Authorization": f"Bearer {token}"}
    own = body("subject.registered", subject="monitor", name="Monitor", subject_kind="process")
    assert api.client.post("/v1/decisions", json=own, headers=auth).status_code == 201
    head = _head(api)

    other = body(
        "subject.registered",
        subject="kaders",
        name="Kaders",
        subject_kind="process",
        decided_by=["smb", "minister-jenv"],
    )
    refused = api.client.post("/v1/decisions", json=other, headers=auth)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["party"] == "minister-jenv" and problem["field"] == "decided_by[1]"
    assert "minister-jenv" in problem["detail"] and "smb" in problem["detail"]

    batch = [own | {"subject": "a"}, own | {"subject": "b"}, other]
    refused = api.client.post("/v1/decisions/batch", json={"decisions": batch}, headers=auth)
    assert refused.status_code == 403 and refused.json()["decision_index"] == 2
    # a consent on behalf of another party is a decision by that party: refused too
    assigned = api.post(
        body(
            "responsibility.assigned",
            party="korpschef",
            subject="c2000",
            role="responsible",
            requires_consent_of=["minister-jenv"],
        )
    )
    assert assigned.status_code == 201, assigned.text
    consent = body("consent.given", decision=assigned.json()["id"], decided_by=["minister-jenv"])
    assert api.client.post("/v1/decisions", json=consent, headers=auth).status_code == 403
    assert _head(api) == head + 1  # only the unscoped secretariat's assignment went in


def test_a_scope_change_holds_at_the_next_request_and_is_listed(
    api: Api, settings: Settings
) -> None:
    api.batch([*basics(), party("lms", kind="agency")])
    token = api.access.issue("lms-team", Role.SECRETARIAT, by="test", parties=["lms"])
    auth = {"Authorization": f"Bearer {token}"}
    by_smb = body("subject.registered", subject="x", name="X", subject_kind="process")
    assert api.client.post("/v1/decisions", json=by_smb, headers=auth).status_code == 403
    elsewhere = AccessStore(settings)  # (as from another process: the CLI)
    try:
        elsewhere.scope("lms-team", ["lms", "smb"], by="admin")
    finally:
        elsewhere.close()
    assert api.client.post("/v1/decisions", json=by_smb, headers=auth).status_code == 201
    listed = {t["name"]: t for t in api.get("/v1/tokens", role="admin").json()}
    assert listed["lms-team"]["parties"] == ["lms", "smb"]
    assert listed["secretariat-1"]["parties"] == []  # unscoped: any party
    api.access.scope("lms-team", [], by="admin")
    anyone = body("subject.registered", subject="y", name="Y", subject_kind="process")
    anyone["decided_by"] = ["minister-jenv"]
    assert api.client.post("/v1/decisions", json=anyone, headers=auth).status_code == 201


def test_the_command_line_issues_scopes_and_lists_scopes(settings: Settings) -> None:
    runner = CliRunner()
    env = {
        "LEDGER_DATABASE_URL": settings.database_url or "",
        "LEDGER_DATA_DIR": str(settings.data_dir),
    }
    issued = runner.invoke(
        app,
        ["tokens", "issue", "--role", "secretariat", "--name", "rav", "--party", "rav-nl"],
        env=env,
    )
    assert issued.exit_code == 0, issued.output
    access = AccessStore(settings)
    try:
        principal = access.authenticate(issued.stdout.strip())
        assert principal is not None and principal.parties == ("rav-nl",)
        scoped = runner.invoke(
            app, ["tokens", "scope", "rav", "--party", "rav-nl", "--party", "smb"], env=env
        )
        assert scoped.exit_code == 0, scoped.output
        again = access.authenticate(issued.stdout.strip())
        assert again is not None and again.parties == ("rav-nl", "smb")
    finally:
        access.close()
    listed = runner.invoke(app, ["tokens", "list"], env=env, terminal_width=200)
    assert "rav-nl, smb" in listed.stdout
    bad = runner.invoke(app, ["tokens", "scope", "rav", "--party", "Not A Party"], env=env)
    assert bad.exit_code == 2 and "not a party id" in bad.output
    unknown = runner.invoke(app, ["tokens", "scope", "nobody", "--party", "smb"], env=env)
    assert unknown.exit_code == 1


def test_the_tokens_page_shows_each_tokens_scope_to_an_admin_only(api: Api) -> None:
    api.batch([*basics(), party("lms", kind="agency")])
    api.access.issue("lms-team", Role.SECRETARIAT, by="test", parties=["lms"])
    api.access.issue("oud", Role.EVALUATOR, by="test")
    api.access.revoke("oud", by="test")
    api.client.cookies.set(COOKIE, api.tokens["admin"])
    page = api.client.get("/tokens", params={"lang": "en"})
    assert page.status_code == 200, page.text[:300]
    rows = page.text.split('data-testid="tokens"', 1)[1].split("</table>", 1)[0]
    lms = rows.split('<th scope="row">lms-team</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>secretariat</td>" in lms and "<td>LMS</td>" in lms  # the party by its name
    anyone = rows.split('<th scope="row">secretariat-1</th>', 1)[1].split("</tr>", 1)[0]
    assert "any party" in anyone
    gone = rows.split('<th scope="row">oud</th>', 1)[1].split("</tr>", 1)[0]
    assert "reads only" in gone and "· test" in gone.split("</td>")[-2]  # revoked, and by whom
    assert 'href="/tokens?lang=en"' in page.text  # in the admin's menu
    # an evaluator neither sees it in the menu nor may open it
    api.client.cookies.set(COOKIE, api.tokens["evaluator"])
    refused = api.client.get("/tokens", params={"lang": "en"})
    assert refused.status_code == 403 and "Only an admin token sees the tokens" in refused.text
    assert 'href="/tokens' not in api.client.get("/", params={"lang": "en"}).text
