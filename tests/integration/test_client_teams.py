"""``api.teams`` against the real sandbox: CRUD, integrations, members, series, settings, CSD."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import FROZEN_NOW
from tests.integration.test_client_support import (
    assert_recent,
    assert_utc,
    at,
    scratch_team,
    unique,
)
from tests.support.paths import SAT_CERTS, cert_bytes, cert_password
from webapp.gigstack import Conflict, Forbidden, NotFound, ValidationError

VALID_CER = "csd_moral_EKU9003173C9_valid.cer"
VALID_KEY = "csd_moral_EKU9003173C9_valid.key"
VALID_NOT_AFTER = datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC)


def _new_user(api, **body):
    """A user who is not yet a member of any team (invisible until added)."""
    return api.users.create({"email": f"{unique('persona.')}@example.com", **body})


# --------------------------------------------------------------------------- CRUD


def test_create_get_update_delete(api, frozen_clock):
    alias = unique("Marca ")
    team = api.teams.create(
        {
            "brand": {"alias": alias, "primary_color": "#112233"},
            "legal_name": "MARCA NUEVA SA DE CV",
            "tax_id": "MNU200101AB1",
            "tax_system": "601",
            "address": {"country": "Mexico", "zip": "06600"},
        }
    )
    try:
        assert team["id"].startswith("team_")
        assert team["brand"]["alias"] == alias and team["tax_id"] == "MNU200101AB1"
        assert team["address"] == {"country": "MEX", "zip": "06600"}
        assert team["sat"] == {"completed": False, "connected_at": None, "csd_expires_at": None}
        assert assert_utc(team["created_at"]) == at(FROZEN_NOW)
        assert api.teams.get(team["id"]) == team
        updated = api.teams.update(
            team["id"],
            {
                "brand": {"alias": alias, "secondary_color": "#445566"},
                "support_email": "soporte@marca.example.com",
            },
        )
        assert updated["brand"] == {**team["brand"], "secondary_color": "#445566"}
        assert updated["support_email"] == "soporte@marca.example.com"
        assert updated["legal_name"] == "MARCA NUEVA SA DE CV"
        assert api.teams.get(team["id"]) == updated
    finally:
        assert api.teams.delete(team["id"]) == {"id": team["id"], "deleted": True}
    with pytest.raises(NotFound):
        api.teams.get(team["id"])
    assert team["id"] not in {t["id"] for t in api.teams.iter()}


def test_get_seeded_team_and_outsider(api, teams):
    eku = api.teams.get(teams["eku"])
    assert eku["tax_id"] == "EKU9003173C9" and eku["sat"]["completed"] is False
    partner = api.teams.get(teams["partner"])
    assert partner["sat"]["completed"] is True
    assert_recent(partner["sat"]["connected_at"])
    assert_recent(partner["sat"]["csd_expires_at"])
    assert_recent(partner["credit_period_start"])  # milliseconds upstream
    with pytest.raises(Forbidden):
        api.teams.get(teams["outsider"])


def test_delete_own_team_is_forbidden(api, teams):
    with pytest.raises(Forbidden) as caught:
        api.teams.delete(teams["partner"])
    assert caught.value.code == "operation_not_allowed"


def test_update_rejection_names_the_field_and_changes_nothing(api):
    with scratch_team(api, legal_name="MORAL SA", tax_id="MOR200101AB1", tax_system="601") as (
        team,
        _,
    ):
        with pytest.raises(ValidationError) as caught:
            api.teams.update(team["id"], {"tax_system": "612"})
        assert list(caught.value.field_errors) == ["tax_system"]
        assert api.teams.get(team["id"]) == team


def test_list_and_iter_cover_every_team_once(api, teams):
    with scratch_team(api) as (team, _):
        first = api.teams.list(limit=2)
        assert len(first) == 2 and first.has_more is True and first.next
        assert all(assert_utc(t["created_at"]) for t in first)
        seen = [t["id"] for t in api.teams.iter(limit=7)]
        assert len(seen) == len(set(seen)) == first.total_results
        assert {teams["partner"], team["id"], *teams["subs"]} <= set(seen)
        assert teams["outsider"] not in seen
        by_name = [t["id"] for t in api.teams.iter(limit=7, order_by="name", sort="asc")]
        assert sorted(by_name) == sorted(seen)


# --------------------------------------------------------------------------- integrations


def test_integrations_of_the_key_team_and_of_a_connect_team(api, teams):
    own = api.teams.integrations()
    assert {"sat", "stripe", "openpay"} <= set(own)
    assert own["sat"]["completed"] is True
    assert_recent(own["sat"]["connected_at"])
    with scratch_team(api) as (team, scoped):
        fresh = {"completed": False, "connected_at": None, "csd_expires_at": None}
        assert api.teams.integrations(team=team["id"])["sat"] == fresh
        assert scoped.teams.integrations()["sat"] == fresh
    with pytest.raises(Forbidden):
        api.teams.integrations(team=teams["outsider"])


# --------------------------------------------------------------------------- members


def test_members_add_re_role_and_remove(api):
    with scratch_team(api) as (team, _):
        members = api.teams.members(team["id"])
        assert [m["id"] for m in members] == [team["owner"]]
        assert members.total_results == 1 and members.has_more is False
        user = _new_user(api, first_name="Nueva", last_name="Persona")
        assert api.teams.add_member(team["id"], user["id"]) == {}
        roles = {m["id"]: m["role"] for m in api.teams.members(team["id"])}
        assert roles == {team["owner"]: "admin", user["id"]: "viewer"}
        api.teams.add_member(team["id"], user["id"], role="editor")
        member = next(m for m in api.teams.members(team["id"]) if m["id"] == user["id"])
        assert member == {"id": user["id"], "email": user["email"], "role": "editor"}
        assert api.teams.remove_member(team["id"], user["id"]) == {}
        assert [m["id"] for m in api.teams.members(team["id"])] == [team["owner"]]
        with pytest.raises(NotFound):
            api.teams.remove_member(team["id"], user["id"])
        with pytest.raises(Forbidden) as caught:
            api.teams.remove_member(team["id"], team["owner"])
        assert caught.value.code == "operation_not_allowed"
        with pytest.raises(NotFound) as caught:
            api.teams.add_member(team["id"], "user_doesnotexist")
        assert caught.value.message == "User not found"


# --------------------------------------------------------------------------- series


def test_series_create_update_and_list(api, teams):
    partner_series = {s["series"] for s in api.teams.series(teams["partner"])}
    assert {"A", "B", "NC"} <= partner_series
    with scratch_team(api) as (team, scoped):
        assert api.teams.series(team["id"]) == []
        series = api.teams.create_series(team["id"], "F", live=10)
        assert series["id"].startswith("ser_")
        assert (series["series"], series["live"], series["test"]) == ("F", 10, 0)
        assert_recent(series["created_at"])
        assert api.teams.series(team["id"]) == [series]
        moved = api.teams.update_series(team["id"], series["id"], test=41)
        assert moved == {**series, "test": 41}
        both = api.teams.update_series(team["id"], series["id"], live=11, test=42)
        assert (both["live"], both["test"]) == (11, 42)
        assert api.teams.series(team["id"]) == [both]
        invoice = scoped.invoices.create_income(
            {
                "client": {
                    "name": "Serie F",
                    "legal_name": "SERIE F SA",
                    "tax_id": "SFS200101AB1",
                    "tax_system": "601",
                    "address": {"zip": "06600"},
                },
                "items": [
                    {
                        "description": "Consultoría",
                        "unit_price": 10,
                        "product_key": "81111500",
                        "unit_key": "E48",
                    }
                ],
                "payment_form": "03",
                "series": "F",
            }
        )
        assert (invoice["series"], invoice["folio_number"]) == ("F", 43)
        with pytest.raises(Conflict) as caught:
            api.teams.create_series(team["id"], "f")
        assert caught.value.code == "resource_already_exists"
        with pytest.raises(ValueError):
            api.teams.update_series(team["id"], series["id"])
        with pytest.raises(NotFound):
            api.teams.update_series(team["id"], "ser_doesnotexist", live=1)


# --------------------------------------------------------------------------- settings


def test_settings_get_and_partial_update(api, teams):
    assert api.teams.settings(teams["partner"])["default_series"]["income"] == {"serie": "A"}
    with scratch_team(api) as (team, _):
        settings = api.teams.settings(team["id"])
        assert settings == team["settings"]
        assert settings["periodicity"] == {"label": "Mes", "value": "month"}
        updated = api.teams.update_settings(
            team["id"],
            {
                "periodicity": "week",
                "default_description": "Servicios profesionales",
                "emails": {"avoid_invoice_emails": True},
            },
        )
        assert updated["periodicity"] == {"label": "Semana", "value": "week"}
        assert updated["default_description"] == "Servicios profesionales"
        assert updated["emails"] == {**settings["emails"], "avoid_invoice_emails": True}
        assert updated["use"] == settings["use"]
        assert api.teams.settings(team["id"]) == updated
        assert api.teams.get(team["id"])["settings"] == updated


# --------------------------------------------------------------------------- CSD


def test_upload_csd_connects_a_new_eku_team(api, teams, frozen_clock):
    eku_before = api.teams.get(teams["eku"])
    with scratch_team(api, legal_name="EKU PRUEBA", tax_id="EKU9003173C9", tax_system="601") as (
        team,
        scoped,
    ):
        with pytest.raises(ValidationError) as caught:
            api.teams.upload_csd(
                team["id"], cert_bytes(VALID_CER), cert_bytes(VALID_KEY), "12345678A"
            )
        assert caught.value.code == "invalid_field_value"
        assert list(caught.value.field_errors) == ["keyPass"]
        assert (
            "The password does not open this private key" in caught.value.field_errors["keyPass"][0]
        )
        assert "12345678A" not in str(caught.value)
        assert api.teams.get(team["id"])["sat"]["completed"] is False

        with open(SAT_CERTS / VALID_KEY, "rb") as key_file:  # a file object works too
            sat = api.teams.upload_csd(team["id"], cert_bytes(VALID_CER), key_file, cert_password())
        assert sat == {
            "completed": True,
            "connected_at": at(FROZEN_NOW),
            "csd_expires_at": VALID_NOT_AFTER,
        }
        assert api.teams.get(team["id"])["sat"] == sat
        assert scoped.teams.integrations()["sat"] == sat
    assert api.teams.get(teams["eku"]) == eku_before  # the seeded team stays without CSD


# --------------------------------------------------------------------------- onboarding


def test_onboarding_url_is_a_fresh_string(api, teams):
    with scratch_team(api) as (team, _):
        first = api.teams.onboarding_url(team["id"])
        assert isinstance(first, str)
        assert first.startswith(f"https://onboarding.gigstack.pro/{team['id']}?token=")
        second = api.teams.onboarding_url(team["id"])
        assert isinstance(second, str) and second != first
    with pytest.raises(Forbidden):
        api.teams.onboarding_url(teams["outsider"])
