"""Team rules shared by the team routes: input checks, display name, onboarding links, CSD state.

Kept apart from the routes so the create/update checks (REFERENCE §7.2, §7.4, §12.6) and the
onboarding-link bookkeeping (§7.16) are one place to change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from webapp import catalogs

from .clients_logic import check_address
from .store import Store
from .validation import Checker, is_generic_rfc, rfc_person

COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

ONBOARDING_BASE = "https://onboarding.gigstack.pro"
ONBOARDING_TTL = 7 * 86400  # REFERENCE §7.16 "Sandbox: links live 7 days"
TEAM_TEXT_FIELDS = ("legal_name", "support_phone")


def display_name(team: dict[str, Any]) -> str:
    """``brand.alias`` ?? ``legal_name`` ?? ``id`` (REFERENCE §12.6) — also the name sort key."""
    return (team.get("brand") or {}).get("alias") or team.get("legal_name") or team["id"]


# ------------------------------------------------------------------------------ input checks
def _check_brand(check: Checker, body: dict[str, Any]) -> dict[str, Any] | None:
    """Brand input: ``alias`` required whenever ``brand`` is sent; colours ``#RRGGBB``."""
    value = check.object(body, "brand")
    if value is None:
        return None
    sub = check.nested("brand")
    alias = None
    if _blank(value.get("alias")):
        sub.add("alias", "is required whenever brand is sent", "missing_required_field")
    else:
        alias = sub.string(value, "alias", max_length=255)
    out: dict[str, Any] = {"alias": alias}
    for key in ("primary_color", "secondary_color"):
        if key in value:
            color = sub.string(value, key)
            if color and not COLOR_RE.match(color):
                sub.add(key, f"'{color}' is not a colour in #RRGGBB form (for example #1B2A4A)")
            out[key] = color or None
    if "logo" in value:
        logo = sub.string(value, "logo", max_length=2048)
        if logo and not URL_RE.match(logo):
            sub.add("logo", f"'{logo}' is not an http(s) URL")
        out["logo"] = logo or None
    return out


def _check_add_members(
    check: Checker, store: Store, body: dict[str, Any]
) -> list[tuple[dict[str, Any], str]]:
    """``add_members[{id, role}]``: existing users only (unknown id → 400 naming the path)."""
    items = check.array(body, "add_members")
    out: list[tuple[dict[str, Any], str]] = []
    for _, item, sub in check.each_object(
        items or [],
        "add_members",
        list_message="must be a list",
        item_message="must be an object with id and role",
    ):
        user_id = sub.string(item, "id", required=True)
        role = check_role(sub, item)
        user = store.users.get(user_id) if user_id else None
        if user_id and user is None:
            sub.add("id", f"'{user_id}' is not an existing user")
        if user is not None and role is not None:
            out.append((user, role))
    return out


def check_role(check: Checker, body: dict[str, Any]) -> str | None:
    """``role``: admin | editor | viewer (``team_roles.json``), default viewer."""
    if body.get("role") is None:
        return "viewer"
    return check.catalogue(body, "role", "team_roles", what="role (admin, editor or viewer)")


def check_team_fields(
    store: Store, body: dict[str, Any], *, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Validated TeamCreateInput (``current`` None) or TeamUpdateInput fields, only those sent.

    ``None`` values mean "clear" on updates. Cross-field rules (name present, regime fits the
    RFC) are checked on the team as it would be after the change. Raises on any problem.
    """
    check = Checker()
    creating = current is None
    out: dict[str, Any] = {}
    if "brand" in body:
        if body["brand"] is None and not creating:
            check.add("brand", "cannot be removed; send an object with alias")
        else:
            out["brand"] = _check_brand(check, body)
    for name in TEAM_TEXT_FIELDS:
        if name in body:
            out[name] = check.string(body, name, max_length=255) or None
    if "support_email" in body:
        out["support_email"] = check.email(body, "support_email")
    if "tax_id" in body:
        rfc = check.rfc(body, "tax_id")
        if rfc and is_generic_rfc(rfc):
            check.add("tax_id", f"{rfc} is a generic RFC; a team needs its own RFC")
            rfc = None
        out["tax_id"] = rfc
    if "tax_system" in body:
        out["tax_system"] = (
            None
            if _blank(body["tax_system"])
            else check.catalogue(
                body, "tax_system", "tax_regimes", what="tax regime (c_RegimenFiscal)"
            )
        )
    if "address" in body:
        raw = body["address"]
        if raw is None:
            out["address"] = None
        elif isinstance(raw, dict) and _blank(raw.get("country")):
            check.add(
                "address.country", "is required whenever address is sent", "missing_required_field"
            )
            check_address(check, {"address": {k: v for k, v in raw.items() if k != "country"}})
        else:
            out["address"] = check_address(check, body, "address")
    if "generate_onboarding_url" in body:
        out["generate_onboarding_url"] = bool(check.boolean(body, "generate_onboarding_url"))
    if creating:
        out["add_members"] = _check_add_members(check, store, body)
        out["add_master_team_members"] = bool(check.boolean(body, "add_master_team_members"))
    if not check:
        _cross_check(check, body, out, current or {})
    check.raise_if_any()
    return out


def _cross_check(
    check: Checker, body: dict[str, Any], out: dict[str, Any], current: dict[str, Any]
) -> None:
    alias = (
        (out["brand"] or {}).get("alias")
        if "brand" in out
        else (current.get("brand") or {}).get("alias")
    )
    legal_name = out["legal_name"] if "legal_name" in out else current.get("legal_name")
    if not alias and not legal_name:
        check.add(
            "legal_name", "is required when brand.alias is not sent", "missing_required_field"
        )
    rfc = out["tax_id"] if "tax_id" in out else current.get("tax_id")
    regime = out["tax_system"] if "tax_system" in out else current.get("tax_system")
    person = rfc_person(rfc) if rfc else None
    if person and regime and not catalogs.regime_fits_person(regime, person):
        kind = "a company (persona moral)" if person == "moral" else "a person (persona física)"
        field = "tax_system" if "tax_system" in body else "tax_id"
        check.add(
            field,
            f"tax regime {regime} does not apply to {kind}; RFC {rfc} is {len(rfc)} characters",
        )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def apply_team_update(team: dict[str, Any], fields: dict[str, Any]) -> None:
    """Write validated update ``fields`` into ``team``: brand/address merge key by key."""
    from .builders import address_out

    for name in ("legal_name", "support_email", "support_phone", "tax_id", "tax_system"):
        if name in fields:
            team[name] = fields[name]
    if fields.get("brand"):
        team["brand"].update(fields["brand"])
    if "address" in fields:
        if fields["address"] is None:
            team["address"] = {}
        else:
            team["address"] = address_out({**team.get("address", {}), **fields["address"]})


def tidy_brand(team: dict[str, Any]) -> None:
    """Brand ``alias`` is a string in the contract: drop it rather than emit null."""
    if team["brand"].get("alias") is None:
        team["brand"].pop("alias", None)


# ------------------------------------------------------------------------- onboarding links
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_onboarding_url(store: Store, team: dict[str, Any]) -> str:
    """A fresh onboarding link for ``team``; the previous one stops working (REFERENCE §7.16).

    Only a digest of the token is kept, with the expiry (7 days).
    """
    token = secrets.token_urlsafe(24)
    team["_onboarding"] = {
        "digest": _digest(token),
        "expires_at": store.clock.now() + ONBOARDING_TTL,
    }
    return f"{ONBOARDING_BASE}/{team['id']}?token={token}"


def onboarding_url_is_valid(store: Store, team: dict[str, Any], url: str) -> bool:
    """Whether ``url`` is the team's current, unexpired onboarding link."""
    state = team.get("_onboarding")
    prefix = f"{ONBOARDING_BASE}/{team['id']}?token="
    if not state or not url.startswith(prefix):
        return False
    if store.clock.now() > state["expires_at"]:
        return False
    return hmac.compare_digest(state["digest"], _digest(url[len(prefix) :]))


# -------------------------------------------------------------------------------- CSD state
def mark_sat_connected(store: Store, team: dict[str, Any], *, expires_at: int) -> dict[str, Any]:
    """Set ``sat`` (and ``integrations.sat``, the same state) after an accepted CSD."""
    sat = team["sat"]
    sat.update(completed=True, connected_at=store.clock.now(), csd_expires_at=expires_at)
    integrations = team.setdefault("integrations", {})
    if integrations.get("sat") is not sat:
        integrations["sat"] = sat
    return sat
