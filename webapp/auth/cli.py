"""``flask staff …``: manage staff accounts from a shell (the first admin is made here).

Passwords are prompted (hidden, typed twice) or read from standard input with
``--password-stdin``, never taken as an argument, so they stay out of shell history and ``ps``.
"""

from __future__ import annotations

import getpass
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from webapp.audit import Detail, enum, record
from webapp.audit.details import CREATED_WITH_ROLE, STAFF_TEAMS_SET, team_limit
from webapp.extensions import db

from .models import Staff, normalize_email, teams_text
from .passwords import PasswordRejected, check_new_password
from .roles import ROLES

staff_cli = AppGroup("staff", help="Manage back-office staff accounts.")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _audit(action: str, staff: Staff, detail: Detail | None = None) -> None:
    record(
        action,
        staff=None,
        actor=_actor(),
        object_type="staff",
        object_id=staff.email,
        detail=detail,
    )


def _get(email: str) -> Staff:
    staff = Staff.by_email(email)
    if staff is None:
        raise click.ClickException(f"no staff member with email {normalize_email(email)}")
    return staff


def _read_password(from_stdin: bool, email: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_new_password(password, email)
    except PasswordRejected as problem:
        raise click.ClickException(str(problem)) from None
    return password


@staff_cli.command("create")
@click.option("--email", required=True, help="Sign-in email (unique).")
@click.option("--name", required=True, help="Full name shown in the audit log.")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--team", "teams", multiple=True, help="Limit to this team id (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(email: str, name: str, role: str, teams: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff member."""
    email = normalize_email(email)
    if "@" not in email:
        raise click.ClickException("the email must look like name@example.com")
    if Staff.by_email(email) is not None:
        raise click.ClickException(f"{email} already exists (use set-role / reset-password)")
    staff = Staff(
        email=email, name=name.strip(), role=role, team_ids=list(teams) if teams else None
    )
    staff.set_password(_read_password(password_stdin, email))
    db.session.add(staff)
    db.session.commit()
    _audit("staff.create", staff)
    click.echo(f"created {email} ({role}, teams: {teams_text(staff.team_ids)})")


@staff_cli.command("list")
def list_staff() -> None:
    """List staff members."""
    rows = db.session.scalars(sa.select(Staff).order_by(Staff.email)).all()
    if not rows:
        click.echo("no staff members yet: flask staff create --email … --name … --role admin")
        return
    click.echo(f"{'EMAIL':32} {'NAME':24} {'ROLE':9} {'ACTIVE':6} {'LAST SIGN-IN':17} TEAMS")
    for staff in rows:
        last = (
            staff.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if staff.last_sign_in_at else "never"
        )
        click.echo(
            f"{staff.email:32} {staff.name[:24]:24} {staff.role:9} "
            f"{'yes' if staff.active else 'no':6} {last:17} {teams_text(staff.team_ids)}"
        )


@staff_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Change a staff member's role."""
    staff = _get(email)
    staff.role = role
    db.session.commit()
    _audit("staff.set_role", staff, Detail(CREATED_WITH_ROLE, role=enum("staff_role", role)))
    click.echo(f"{staff.email} is now {role}")


@staff_cli.command("set-teams")
@click.argument("email")
@click.argument("teams", nargs=-1)
@click.option("--all", "all_teams", is_flag=True, help="Remove the limit: every team.")
def set_teams(email: str, teams: tuple[str, ...], all_teams: bool) -> None:
    """Limit a staff member to TEAMS (team ids), or lift the limit with --all."""
    if bool(teams) == all_teams:
        raise click.ClickException("give team ids or --all (not both)")
    staff = _get(email)
    staff.team_ids = None if all_teams else list(dict.fromkeys(teams))
    db.session.commit()
    _audit("staff.set_teams", staff, Detail(STAFF_TEAMS_SET, teams=team_limit(staff.team_ids)))
    click.echo(f"{staff.email} teams: {teams_text(staff.team_ids)}")


@staff_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Disable an account and end its sessions now."""
    _set_active(email, False)


@staff_cli.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Enable a deactivated account again."""
    _set_active(email, True)


def _set_active(email: str, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions now."""
    staff = _get(email)
    staff.active = active
    if not active:
        staff.end_sessions()
    db.session.commit()
    verb = "activate" if active else "deactivate"
    _audit(f"staff.{verb}", staff)
    click.echo(f"{staff.email} {verb}d")


@staff_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password (ends the account's sessions)."""
    staff = _get(email)
    staff.set_password(_read_password(password_stdin, staff.email))
    db.session.commit()
    _audit("staff.reset_password", staff)
    click.echo(f"password of {staff.email} changed; their sessions were ended")


@staff_cli.command("purge-demo")
def purge_demo() -> None:
    """Delete demo accounts when a real API key is configured (run at release)."""
    from flask import current_app

    from .demo import ensure_demo_admin

    if not current_app.config.get("GIGSTACK_API_KEY"):
        click.echo("sandbox mode: the demo admin is kept")
        return
    demo_emails = db.session.scalars(sa.select(Staff.email).where(Staff.is_demo.is_(True))).all()
    ensure_demo_admin(current_app._get_current_object())
    for demo_email in demo_emails:  # deleted rows: audited by email, like every other change
        record(
            "staff.purge_demo",
            staff=None,
            actor=_actor(),
            object_type="staff",
            object_id=demo_email,
        )
    click.echo("no demo account remains")
