"""``flask staff …``: accounts made and changed from a shell, each change audited as ``cli:``,
passwords never printed and never taken as arguments."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.app.conftest import PASSWORD, add_staff, make_app, sign_in
from tests.app.helpers import said
from webapp import create_app, database
from webapp.audit.models import AuditEntry
from webapp.auth.demo import ensure_demo_admin
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.sandbox.keys import make_key

pytestmark = pytest.mark.databases  # and on PostgreSQL

NEW_PASSWORD = "a long enough new password"
OPERATOR = "ops-tester"  # the shell user the audit log names
ACTOR = f"cli:{OPERATOR}"


@pytest.fixture(autouse=True)
def shell_user(monkeypatch):
    """``getpass.getuser()`` reads LOGNAME first: a known shell user for the audit actor."""
    monkeypatch.setenv("LOGNAME", OPERATOR)


def run(app: Flask, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["staff", *args], input=input)


def staff(app: Flask, email: str) -> Staff | None:
    with app.app_context():
        found = Staff.by_email(email)
        if found is not None:
            db.session.expunge(found)
        return found


def entries(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def only_entry(app: Flask, action: str) -> AuditEntry:
    [entry] = [e for e in entries(app) if e.action == action]
    assert entry.actor == ACTOR and entry.staff_id is None and entry.outcome == "ok"
    return entry


def assert_no_secret(result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.output


# -- create -----------------------------------------------------------------------------------


def test_create_prompts_twice_and_the_account_signs_in(app):
    result = run(
        app,
        "create",
        "--email",
        " Ana@Staff.Test ",
        "--name",
        " Ana Ruiz ",
        "--role",
        "operator",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") >= 1 and "Repeat" in result.output
    assert "created ana@staff.test (operator, teams: all)" in result.output
    assert_no_secret(result, PASSWORD)
    created = staff(app, "ana@staff.test")
    assert (created.name, created.role, created.team_ids, created.active, created.is_demo) == (
        "Ana Ruiz",
        "operator",
        None,
        True,
        False,
    )
    assert PASSWORD not in created.password_hash
    assert sign_in(app.test_client(), "ana@staff.test").status_code == 302
    entry = only_entry(app, "staff.create")
    assert (entry.object_type, entry.object_id) == ("staff", "ana@staff.test")
    assert PASSWORD not in (entry.reason or "")


def test_create_with_password_from_stdin_and_teams(app, teams):
    result = run(
        app,
        "create",
        "--email",
        "bea@staff.test",
        "--name",
        "Bea",
        "--team",
        teams["subs"][0],
        "--team",
        teams["subs"][1],
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output  # no prompt
    assert_no_secret(result, PASSWORD)
    created = staff(app, "bea@staff.test")
    assert created.role == "viewer"  # the default role
    assert created.team_ids == teams["subs"][:2]
    assert sign_in(app.test_client(), "bea@staff.test").status_code == 302
    only_entry(app, "staff.create")


def test_create_refuses_mismatched_confirmation(app):
    result = run(
        app,
        "create",
        "--email",
        "ana@staff.test",
        "--name",
        "Ana",
        input=f"{PASSWORD}\n{PASSWORD}!\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert_no_secret(result, PASSWORD)
    assert staff(app, "ana@staff.test") is None
    assert entries(app) == []


def test_create_refuses_a_duplicate_email(app):
    add_staff(app, "ana@staff.test", "viewer")
    result = run(
        app,
        "create",
        "--email",
        "ANA@staff.test",
        "--name",
        "Other Ana",
        "--role",
        "admin",
        "--password-stdin",
        input=f"{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 1
    assert "ana@staff.test already exists" in result.output
    assert staff(app, "ana@staff.test").role == "viewer"
    assert sign_in(app.test_client(), "ana@staff.test", NEW_PASSWORD).status_code == 401
    assert [e.action for e in entries(app)] == ["auth.sign_in"]  # that failed attempt only


def test_create_refuses_a_short_password(app):
    result = run(
        app,
        "create",
        "--email",
        "ana@staff.test",
        "--name",
        "Ana",
        "--password-stdin",
        input="short pw\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert_no_secret(result, "short pw")
    assert staff(app, "ana@staff.test") is None
    assert entries(app) == []


def test_password_may_not_be_the_email(app):
    email = "long.name.for.staff@staff.test"
    result = run(
        app,
        "create",
        "--email",
        email,
        "--name",
        "Long",
        "--password-stdin",
        input=f"{email.upper()}\n",
    )
    assert result.exit_code == 1 and "cannot be the email" in result.output
    assert staff(app, email) is None
    add_staff(app, email)
    result = run(app, "reset-password", email, "--password-stdin", input=f"{email}\n")
    assert result.exit_code == 1 and "cannot be the email" in result.output
    assert sign_in(app.test_client(), email).status_code == 302  # password unchanged


def test_create_refuses_an_email_that_is_not_one(app):
    result = run(
        app,
        "create",
        "--email",
        "ana.staff.test",
        "--name",
        "Ana",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 1
    assert "must look like name@example.com" in result.output
    assert entries(app) == []


@pytest.mark.parametrize("role", ["admin", "operator", "viewer"])
def test_create_accepts_each_role(app, role):
    result = run(
        app,
        "create",
        "--email",
        f"{role}@staff.test",
        "--name",
        role,
        "--role",
        role,
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert staff(app, f"{role}@staff.test").role == role


def test_create_refuses_an_unknown_role(app):
    result = run(
        app,
        "create",
        "--email",
        "ana@staff.test",
        "--name",
        "Ana",
        "--role",
        "superuser",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 2
    assert "superuser" in result.output and "admin" in result.output
    assert staff(app, "ana@staff.test") is None


def test_password_is_not_an_option(app):
    result = run(
        app, "create", "--email", "ana@staff.test", "--name", "Ana", "--password", PASSWORD
    )
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert staff(app, "ana@staff.test") is None


# -- list -------------------------------------------------------------------------------------


def test_list_shows_accounts_without_secrets(app, teams):
    assert "no staff members yet" in run(app, "list").output
    add_staff(app, "ana@staff.test", "admin", name="Ana Ruiz")
    add_staff(app, "bea@staff.test", "viewer", team_ids=[teams["subs"][0]], active=False)
    sign_in(app.test_client(), "ana@staff.test")
    result = run(app, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "ACTIVE", "LAST", "SIGN-IN", "TEAMS"]
    ana = next(line for line in lines if line.startswith("ana@staff.test"))
    bea = next(line for line in lines if line.startswith("bea@staff.test"))
    assert "Ana Ruiz" in ana and " admin " in ana and " yes " in ana and ana.endswith("all")
    assert "never" not in ana
    assert " viewer " in bea and " no " in bea and "never" in bea
    assert bea.endswith(teams["subs"][0])
    with app.app_context():
        hashes = [s.password_hash for s in db.session.scalars(sa.select(Staff))]
    assert_no_secret(result, PASSWORD, *hashes)
    assert entries(app)[-1].action == "auth.sign_in"  # listing changes nothing


# -- set-role / set-teams ---------------------------------------------------------------------


def test_set_role(app):
    add_staff(app, "ana@staff.test", "viewer")
    result = run(app, "set-role", "ana@staff.test", "operator")
    assert result.exit_code == 0
    assert "ana@staff.test is now operator" in result.output
    assert staff(app, "ana@staff.test").role == "operator"
    assert said(app, only_entry(app, "staff.set_role")) == "role: Operator"
    assert run(app, "set-role", "ana@staff.test", "root").exit_code == 2
    missing = run(app, "set-role", "nobody@staff.test", "admin")
    assert missing.exit_code == 1 and "no staff member with email" in missing.output


def test_set_teams_limits_and_lifts(app, teams):
    add_staff(app, "ana@staff.test", "operator")
    first, second = teams["subs"][:2]
    result = run(app, "set-teams", "ana@staff.test", first, second, first)
    assert result.exit_code == 0
    assert staff(app, "ana@staff.test").team_ids == [first, second]  # deduplicated, in order
    assert f"teams: {first},{second}" in result.output
    result = run(app, "set-teams", "ana@staff.test", "--all")
    assert result.exit_code == 0 and "teams: all" in result.output
    assert staff(app, "ana@staff.test").team_ids is None
    reasons = [said(app, e) for e in entries(app) if e.action == "staff.set_teams"]
    assert reasons == [f"teams: {first}, {second}", "teams: all teams"]
    assert all(e.actor == ACTOR for e in entries(app))


@pytest.mark.parametrize("args", [[], ["--all", "team_x"]])
def test_set_teams_wants_team_ids_or_all_not_both(app, args):
    add_staff(app, "ana@staff.test", "operator", team_ids=["team_kept"])
    result = run(app, "set-teams", "ana@staff.test", *args)
    assert result.exit_code == 1
    assert "give team ids or --all" in result.output
    assert staff(app, "ana@staff.test").team_ids == ["team_kept"]
    assert entries(app) == []


# -- deactivate / activate / reset-password ---------------------------------------------------


def test_deactivate_ends_sessions_and_activate_allows_sign_in_again(app):
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    assert sign_in(browser, "ana@staff.test").status_code == 302
    assert browser.get("/audit/").status_code == 200
    result = run(app, "deactivate", "ana@staff.test")
    assert result.exit_code == 0 and "ana@staff.test deactivated" in result.output
    assert staff(app, "ana@staff.test").active is False
    assert browser.get("/audit/").status_code == 302
    assert sign_in(app.test_client(), "ana@staff.test").status_code == 403
    only_entry(app, "staff.deactivate")
    result = run(app, "activate", "ana@staff.test")
    assert result.exit_code == 0 and "ana@staff.test activated" in result.output
    assert browser.get("/audit/").status_code == 302  # the old session stays ended
    assert sign_in(browser, "ana@staff.test").status_code == 302
    only_entry(app, "staff.activate")


def test_reset_password_prompted_ends_sessions(app):
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    assert sign_in(browser, "ana@staff.test").status_code == 302
    result = run(app, "reset-password", "ana@staff.test", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "their sessions were ended" in result.output
    assert_no_secret(result, NEW_PASSWORD, PASSWORD)
    assert browser.get("/audit/").status_code == 302
    assert sign_in(app.test_client(), "ana@staff.test").status_code == 401
    assert sign_in(app.test_client(), "ana@staff.test", NEW_PASSWORD).status_code == 302
    entry = only_entry(app, "staff.reset_password")
    assert entry.object_id == "ana@staff.test" and NEW_PASSWORD not in (entry.reason or "")


def test_reset_password_from_stdin_refuses_a_short_one(app):
    add_staff(app, "ana@staff.test")
    result = run(app, "reset-password", "ana@staff.test", "--password-stdin", input="tiny\n")
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    assert_no_secret(result, "tiny")
    assert sign_in(app.test_client(), "ana@staff.test").status_code == 302  # unchanged
    assert [e.action for e in entries(app)] == ["auth.sign_in"]
    result = run(
        app, "reset-password", "ana@staff.test", "--password-stdin", input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0
    assert sign_in(app.test_client(), "ana@staff.test", NEW_PASSWORD).status_code == 302


# -- purge-demo -------------------------------------------------------------------------------


def test_purge_demo_keeps_the_demo_admin_on_the_sandbox(app):
    demo = ensure_demo_admin(app)
    result = run(app, "purge-demo")
    assert result.exit_code == 0 and "sandbox mode" in result.output
    assert staff(app, demo) is not None


def test_purge_demo_with_a_real_key_deletes_demo_accounts(sandbox, keys, tmp_path):
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'backoffice.sqlite3'}",
        "SECRET_KEY": "release secret",
    }
    sandboxed = make_app(sandbox.api_url, keys["partner_test"]["key"], **shared)
    demo = ensure_demo_admin(sandboxed)
    add_staff(sandboxed, "ana@staff.test", "admin")
    sandboxed.extensions["gigstack"].close()
    real = create_app(
        {
            "APP_ENV": "testing",
            **shared,
            "GIGSTACK_API_KEY": make_key("team_real", True, "key_live_x"),
            "GIGSTACK_API_URL": sandbox.api_url,
        }
    )
    database.upgrade(real)
    result = run(real, "purge-demo")
    assert result.exit_code == 0 and "no demo account remains" in result.output
    assert staff(real, demo) is None
    assert staff(real, "ana@staff.test") is not None
    entry = only_entry(real, "staff.purge_demo")
    assert (entry.object_type, entry.object_id) == ("staff", demo)
    assert run(real, "purge-demo").exit_code == 0  # nothing left: still fine
    real.extensions["gigstack"].close()
