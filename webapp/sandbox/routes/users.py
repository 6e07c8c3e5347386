"""Users: people with one role per team (REFERENCE §8).

Visible users are the members of the target team (the key's team or ``?team=``); every other
user answers 404, so one team cannot probe another's staff.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, request

from ..builders import add_member, address_out, build_user
from ..clients_logic import check_address
from ..context import Caller, authorize_team, caller
from ..errors import ApiError, not_found
from ..http import checked_body, created, paged, single
from ..paging import parse_list_params
from ..validation import Checker

bp = Blueprint("users", __name__, url_prefix="/v2")

LOGIN_LINK_SECONDS = 3600  # inferred: a one-off sign-in link lives one hour
DEFAULT_ROLE = "viewer"
# (output name, accepted input spellings) — REFERENCE §13 #37
NAME_FIELDS = (("firstName", ("firstName", "first_name")), ("lastName", ("lastName", "last_name")))


def _role_in(team: dict[str, Any], user_id: str) -> str | None:
    return next((m["role"] for m in team["members"] if m["id"] == user_id), None)


def _visible(who: Caller) -> list[dict[str, Any]]:
    """Users who are members of the target team, with their role there."""
    out = []
    for member in who.team["members"]:
        user = who.store.users.get(member["id"])
        if user is not None:
            out.append(user)
    return out


def _get(user_id: str) -> dict[str, Any]:
    who = caller()
    user = who.store.users.get(user_id)
    if user is None or _role_in(who.team, user_id) is None:
        raise not_found("User")
    return user


def _team_name(team: dict[str, Any]) -> str:
    """Display name: ``brand.alias`` ?? ``legal_name`` ?? ``id`` (REFERENCE §12.6)."""
    return (team.get("brand") or {}).get("alias") or team.get("legal_name") or team["id"]


def _reachable(who: Caller, team_id: str) -> bool:
    """Whether this key may act on the team (its name may be shown)."""
    try:
        authorize_team(who.store, who.key, team_id)
    except ApiError:
        return False
    return True


def _user_out(user: dict[str, Any]) -> dict[str, Any]:
    """The User shape: ``role`` in the target team; ``teams[]`` limited to the teams this key
    may reach (memberships elsewhere stay private)."""
    who = caller()
    teams = [
        {"team_id": team["id"], "team_name": _team_name(team), "role": role}
        for team in who.store.teams.values()
        if not team.get("_deleted")
        and (role := _role_in(team, user["id"])) is not None
        and _reachable(who, team["id"])
    ]
    address = {k: v for k, v in (user.get("address") or {}).items() if k != "municipality"}
    return {
        "id": user["id"],
        "email": user["email"],
        "name": user.get("name") or None,
        "firstName": user.get("firstName") or None,
        "lastName": user.get("lastName") or None,
        "phone": user.get("phone"),
        "company_role": user.get("company_role"),
        "role": _role_in(who.team, user["id"]),
        "address": address,
        "created_at": user["created_at"],
        "last_login": user.get("last_login"),
        "teams": teams,
    }


def _list_item(user: dict[str, Any], team: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "email": user["email"],
        "name": user.get("name") or None,
        "role": _role_in(team, user["id"]),
        "created_at": user["created_at"],
    }


def _names(check: Checker, body: dict[str, Any]) -> dict[str, str | None]:
    """``firstName``/``first_name`` and ``lastName``/``last_name``: both spellings accepted;
    sending both with different values is an error. Only the names sent are returned."""
    out: dict[str, str | None] = {}
    for field, spellings in NAME_FIELDS:
        sent = [s for s in spellings if s in body]
        if not sent:
            continue
        values = [None if body[s] is None else check.string(body, s, max_length=200) for s in sent]
        if len(values) == 2 and values[0] != values[1] and None not in values:
            check.add(sent[1], f"differs from {sent[0]}: send one spelling")
            continue
        out[field] = next((v for v in values if v), None)
    return out


def _full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _required_email(check: Checker, body: dict[str, Any]) -> str | None:
    raw = body.get("email")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        check.missing("email")
        return None
    return check.email(body, "email")


def _find_by_email(users: list[dict[str, Any]], email: str) -> dict[str, Any] | None:
    wanted = email.strip().casefold()
    return next((u for u in users if u["email"].casefold() == wanted), None)


@bp.get("/users")
def list_users():
    who = caller()
    params = parse_list_params()
    message = "Users retrieved successfully"
    return paged(_visible(who), params, message, show=lambda user: _list_item(user, who.team))


@bp.get("/users/<user_id>")
def get_user(user_id: str):
    return single(_user_out(_get(user_id)), "User retrieved successfully")


@bp.post("/users")
def create_user():
    """Invite a user; ``auto_join`` adds them to the target team (REFERENCE §8.2)."""
    who = caller()
    body, check = checked_body()
    email = _required_email(check, body)
    names = _names(check, body)
    phone = check.string(body, "phone", max_length=50)
    company_role = check.string(body, "company_role", max_length=200)
    address = check_address(check, body) or {}
    auto_join = check.boolean(body, "auto_join") or False
    role = check.catalogue(body, "role", "team_roles", what="role (admin, editor or viewer)")
    check.raise_if_any()
    assert email is not None
    if _find_by_email(list(who.store.users.values()), email) is not None:
        raise ApiError("resource_already_exists", f"A user with the e-mail {email} already exists")
    user = build_user(
        who.store,
        email=email,
        first_name=names.get("firstName") or "",
        last_name=names.get("lastName") or "",
        phone=phone or None,
        company_role=company_role or None,
    )
    user["firstName"] = names.get("firstName")
    user["lastName"] = names.get("lastName")
    user["name"] = _full_name(user["firstName"], user["lastName"])
    user["address"] = address_out(address)
    joined_role = None
    if auto_join:
        joined_role = role or DEFAULT_ROLE
        add_member(who.team, user, joined_role)
    return created(
        {
            "id": user["id"],
            "email": user["email"],
            "name": user["name"],
            "role": joined_role,
            "created_at": user["created_at"],
            "invitation_sent": True,
        },
        "User created successfully",
    )


@bp.put("/users/<user_id>")
def update_user(user_id: str):
    """Partial update of profile fields; e-mail and memberships change elsewhere (§8.4)."""
    who = caller()
    user = _get(user_id)
    body, check = checked_body()
    if (
        isinstance(body.get("email"), str)
        and body["email"].strip().casefold() != user["email"].casefold()
    ):
        check.add("email", "cannot be changed here")
    if isinstance(body.get("role"), str) and body["role"] != _role_in(who.team, user["id"]):
        check.add("role", "cannot be changed here: use POST /teams/{id}/add-member")
    names = _names(check, body)
    changes: dict[str, Any] = dict(names)
    for name in ("phone", "company_role"):
        if name in body:
            changes[name] = check.string(body, name, max_length=200) or None
    address = check_address(check, body) if body.get("address") is not None else None
    check.raise_if_any()
    user.update(changes)
    if "address" in body:
        merged = {} if body["address"] is None else {**user.get("address", {}), **address}
        user["address"] = address_out(merged)
    user["name"] = _full_name(user.get("firstName"), user.get("lastName"))
    return single(_user_out(user), "User updated successfully")


@bp.post("/users/reset-password")
def reset_password():
    """Sends (pretends to send) the reset e-mail; returns nothing secret (REFERENCE §8.5)."""
    who = caller()
    body, check = checked_body()
    email = _required_email(check, body)
    check.raise_if_any()
    user = _find_by_email(_visible(who), email or "")
    if user is None:
        raise not_found("User")
    return single({"email": user["email"]}, "Password reset email sent")


@bp.post("/users/login-link")
def login_link():
    """A one-off sign-in link: a bearer credential, returned once, never logged (§8.6)."""
    who = caller()
    body, check = checked_body()
    user_id = check.string(body, "user_id", required=True)
    check.raise_if_any()
    user = _get(user_id or "")
    token = secrets.token_urlsafe(32)
    return single(
        {
            "url": f"{request.host_url}login/{token}?user={user['id']}",
            "expires_at": who.store.clock.now() + LOGIN_LINK_SECONDS,
        },
        "Login link created successfully",
    )
