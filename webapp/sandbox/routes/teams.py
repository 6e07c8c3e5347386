"""Teams: issuers, members, series, settings, CSD and onboarding links (REFERENCE §7).

On ``/teams`` and ``/teams/{id}/…`` the path names the target and a ``team`` query is ignored
(the app resolves the caller that way); ``GET /teams/integrations`` follows ``?team=``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from flask import Blueprint, request

from webapp.sat.csd import MAX_FILE_BYTES, CsdError, check_csd, load_private_key

from .. import events
from ..builders import add_member, build_series, build_team
from ..context import Caller, caller
from ..errors import ApiError, not_found
from ..http import checked_body, created, deleted, json_body, listed, paged, single
from ..paging import parse_list_params
from ..seals import csd_signer
from ..store import Store
from ..teams_logic import (
    apply_team_update,
    check_role,
    check_team_fields,
    display_name,
    issue_onboarding_url,
    mark_sat_connected,
    tidy_brand,
)
from ..teams_settings import updated_settings
from ..validation import Checker

bp = Blueprint("teams", __name__, url_prefix="/v2")

DONE = "Operation completed successfully"
SERIES_MAX = 25


def _target(team_id: str) -> dict[str, Any]:
    """The path's team if the key may act on it (404 unknown/deleted, 403 outside Connect)."""
    return caller().authorize_team(team_id)


def _visible_teams(who: Caller) -> list[dict[str, Any]]:
    """The key's team, plus its billing account's teams when Connect is on (REFERENCE §7.1)."""
    own = who.store.teams[who.key.team]
    return [
        team
        for team in who.store.teams.values()
        if not team.get("_deleted")
        and (
            team["id"] == own["id"]
            or (own.get("_connect") and team.get("_billing") == own.get("_billing"))
        )
    ]


# ---------------------------------------------------------------------------------- teams
@bp.get("/teams")
def list_teams():
    who = caller()
    params = parse_list_params()
    return paged(_visible_teams(who), params, "Teams retrieved successfully", name_of=display_name)


@bp.post("/teams")
def create_team():
    who = caller()
    store = who.store
    fields = check_team_fields(store, json_body(), current=None)
    own = store.teams[who.key.team]
    brand = fields.get("brand") or {}
    team = build_team(
        store,
        legal_name=fields.get("legal_name"),
        alias=brand.get("alias"),
        tax_id=fields.get("tax_id"),
        tax_system=fields.get("tax_system"),
        owner=own["owner"],
        billing=own["_billing"],
        address=fields.get("address") or {},
        support_email=fields.get("support_email"),
        support_phone=fields.get("support_phone"),
        brand=brand,
    )
    tidy_brand(team)
    owner = store.users.get(own["owner"])
    if owner is not None:
        add_member(team, owner, "admin")
    if fields["add_master_team_members"]:
        for member in own["members"]:
            user = store.users.get(member["id"])
            if user is not None:
                add_member(team, user, member["role"])
    for user, role in fields["add_members"]:
        add_member(team, user, role)
    data: dict[str, Any] = team
    if fields.get("generate_onboarding_url"):
        data = {**team, "onboarding_url": issue_onboarding_url(store, team)}
    events.emit(store, who.key.team, who.livemode, "teams.created", team)
    return created(data, "Team created successfully")


@bp.get("/teams/integrations")
def team_integrations():
    return single(caller().team["integrations"], "Integrations retrieved successfully")


@bp.get("/teams/<team_id>")
def get_team(team_id: str):
    return single(_target(team_id), "Team retrieved successfully")


@bp.put("/teams/<team_id>")
def update_team(team_id: str):
    who = caller()
    team = _target(team_id)
    fields = check_team_fields(who.store, json_body(), current=team)
    apply_team_update(team, fields)
    data: dict[str, Any] = team
    if fields.get("generate_onboarding_url"):
        data = {**team, "onboarding_url": issue_onboarding_url(who.store, team)}
    return single(data, "Team updated successfully")


@bp.delete("/teams/<team_id>")
def delete_team(team_id: str):
    who = caller()
    team = _target(team_id)
    if team["id"] == who.key.team:
        raise ApiError(
            "operation_not_allowed",
            "A team cannot delete itself: use a key of another team of the account",
        )
    team["_deleted"] = True
    team["_deleted_at"] = who.store.clock.now()
    return deleted(team, "Team deleted successfully")


# -------------------------------------------------------------------------------- members
@bp.get("/teams/<team_id>/members")
def list_members(team_id: str):
    return listed(_target(team_id)["members"], "Members retrieved successfully")


def _member(body: dict[str, Any], *, with_role: bool = False) -> tuple[str, str | None]:
    """The user ``id`` a body names, and its ``role`` when ``with_role`` (400 when invalid)."""
    check = Checker()
    user_id = check.string(body, "id", required=True)
    role = check_role(check, body) if with_role else None
    check.raise_if_any()
    return user_id, role  # type: ignore[return-value]


@bp.post("/teams/<team_id>/add-member")
def add_team_member(team_id: str):
    who = caller()
    team = _target(team_id)
    user_id, role = _member(json_body(), with_role=True)
    user = who.store.users.get(user_id or "")
    if user is None:
        raise not_found("User")
    add_member(team, user, role or "viewer")
    return single({}, DONE)


@bp.post("/teams/<team_id>/remove-member")
def remove_team_member(team_id: str):
    team = _target(team_id)
    user_id, _ = _member(json_body())
    if user_id == team.get("owner"):
        raise ApiError("operation_not_allowed", "The team owner cannot be removed from the team")
    remaining = [m for m in team["members"] if m["id"] != user_id]
    if len(remaining) == len(team["members"]):
        raise ApiError("resource_not_found", "That user is not a member of this team")
    team["members"][:] = remaining
    return single({}, DONE)


# --------------------------------------------------------------------------------- series
def _series_of(store: Store, team_id: str) -> list[dict[str, Any]]:
    return store.series.get(team_id, [])


@bp.get("/teams/<team_id>/series")
def list_series(team_id: str):
    who = caller()
    team = _target(team_id)
    return listed(_series_of(who.store, team["id"]), "Series retrieved successfully")


def _check_name(check: Checker, body: dict[str, Any]) -> str | None:
    value = body.get("series")
    if value is None or (isinstance(value, str) and not value.strip()):
        check.missing("series")
        return None
    if not isinstance(value, str):
        check.add("series", "must be text")
        return None
    name = value.strip()
    if len(name) > SERIES_MAX:
        check.add("series", f"must be 1 to {SERIES_MAX} characters (got {len(name)})")
        return None
    if "|" in name:
        check.add("series", "must not contain '|'")
        return None
    return name


@bp.post("/teams/<team_id>/series")
def create_series(team_id: str):
    who = caller()
    team = _target(team_id)
    body, check = checked_body()
    name = _check_name(check, body)
    live = check.integer(body, "live", minimum=0)
    test = check.integer(body, "test", minimum=0)
    check.raise_if_any()
    assert name is not None
    for existing in _series_of(who.store, team["id"]):
        if existing["series"].casefold() == name.casefold():
            raise ApiError(
                "resource_already_exists",
                f"Series '{existing['series']}' already exists in this team",
            )
    series = build_series(who.store, team["id"], name, live=live or 0, test=test or 0)
    return created(series, "Series created successfully")


def _highest_folio(store: Store, team_id: str, name: str, livemode: bool) -> int:
    """The highest folio already issued in series ``name`` and one mode (0 when none)."""
    folded = name.casefold()
    return max(
        (
            int(inv.get("folio_number") or 0)
            for inv in store.all("invoices", team_id, livemode)
            if str(inv.get("series") or "").casefold() == folded
        ),
        default=0,
    )


@bp.put("/teams/<team_id>/series/<series_id>")
def update_series(team_id: str, series_id: str):
    who = caller()
    team = _target(team_id)
    series = next((s for s in _series_of(who.store, team["id"]) if s["id"] == series_id), None)
    if series is None:
        raise not_found("Series")
    body, check = checked_body()
    if body.get("live") is None and body.get("test") is None:
        check.add(
            "live",
            "send live and/or test (the last folio issued in each mode)",
            "missing_required_field",
        )
        check.raise_if_any()
    values = {mode: check.integer(body, mode, minimum=0) for mode in ("live", "test")}
    check.raise_if_any()
    for mode, value in values.items():
        if value is None:
            continue
        highest = _highest_folio(who.store, team["id"], series["series"], mode == "live")
        if value < highest:
            check.add(
                mode,
                f"folio {highest} was already issued in series {series['series']} "
                f"({mode} mode); the counter cannot go below {highest}",
                "business_rule_violation",
            )
    check.raise_if_any()
    for mode, value in values.items():
        if value is not None:
            series[mode] = value
    return single(series, "Series updated successfully")


# ------------------------------------------------------------------------------- settings
@bp.get("/teams/<team_id>/settings")
def get_settings(team_id: str):
    return single(_target(team_id)["settings"], "Settings retrieved successfully")


@bp.put("/teams/<team_id>/settings")
def update_settings(team_id: str):
    who = caller()
    team = _target(team_id)
    names = [s["series"] for s in _series_of(who.store, team["id"])]
    team["settings"] = updated_settings(team["settings"], json_body(), names)
    return single(team["settings"], "Settings updated successfully")


# ------------------------------------------------------------------------------------ CSD
def _part(name: str) -> bytes:
    """A multipart part's bytes, sent as a file or as a plain field (b"" when absent)."""
    upload = request.files.get(name)
    if upload is not None:
        return upload.read()
    value = request.form.get(name)
    return value.encode("utf-8", "surrogateescape") if value is not None else b""


def _text_part(name: str) -> str | None:
    if name in request.form:
        return request.form[name]
    upload = request.files.get(name)
    if upload is not None:
        return upload.read().decode("utf-8", "replace")
    return None


def _private_key(data: bytes, password: str) -> RSAPrivateKey:
    """The accepted upload's key (check_csd opened it already, so this cannot fail)."""
    key = load_private_key(data, password)
    assert isinstance(key, RSAPrivateKey)
    return key


@bp.post("/teams/<team_id>/sat-connection")
def upload_csd(team_id: str):
    """Check the CSD with :func:`webapp.sat.csd.check_csd`; store only the resulting state.

    The password and the ``.key`` bytes live in local variables only: never logged or kept.
    """
    who = caller()
    team = _target(team_id)
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            "invalid_request_body",
            "The CSD upload must be multipart/form-data with the parts cert, key and keyPass",
            details=[],
        )
    password = _text_part("keyPass")
    if password is None:
        password = _text_part("password")
    try:
        info = check_csd(
            _part("cert"),
            key_bytes := _part("key"),
            password or "",
            now=datetime.fromtimestamp(who.store.clock.time(), UTC),
            expected_rfc=team.get("tax_id") or None,
            max_file_bytes=MAX_FILE_BYTES,
        )
    except CsdError as error:
        raise ApiError(
            error.code, error.message, details=[{"field": error.field, "message": error.message}]
        ) from None
    sat = mark_sat_connected(who.store, team, expires_at=int(info.not_after.timestamp()))
    # what seals the team's next documents; the key stays in memory, never in an answer
    team["_csd"] = csd_signer(
        info.der, info.certificate_number or "", _private_key(key_bytes, password or "")
    )
    if not team.get("tax_id"):
        team["tax_id"] = info.rfc
    if not team.get("legal_name"):
        team["legal_name"] = info.legal_name or None
    for target in dict.fromkeys((team["id"], who.key.team)):
        events.emit(who.store, target, who.livemode, "teams.sat.completed", team)
    return single(sat, "CSD uploaded successfully")


# ----------------------------------------------------------------------------- onboarding
@bp.get("/teams/<team_id>/onboarding-url")
def onboarding_url(team_id: str):
    who = caller()
    team = _target(team_id)
    return single(issue_onboarding_url(who.store, team), "Onboarding URL generated successfully")
