"""``api.users`` and ``api.webhooks`` against the real sandbox over HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import FROZEN_NOW
from tests.integration.test_client_support import (
    assert_recent,
    assert_utc,
    at,
    scratch_team,
    unique,
)
from webapp.gigstack import Conflict, NotFound, ValidationError

ANA = "ana.torres@cumbredigital.mx"


def _email() -> str:
    return f"{unique('usuario.')}@example.com"


# --------------------------------------------------------------------------- users


def test_users_create_with_auto_join_then_get(api, teams, frozen_clock):
    email = _email()
    made = api.users.create(
        {
            "email": email,
            "first_name": "Marta",
            "last_name": "Quiroga",
            "phone": "5512345678",
            "auto_join": True,
            "role": "editor",
        }
    )
    assert made["id"].startswith("user_")
    assert (made["email"], made["name"], made["role"]) == (email, "Marta Quiroga", "editor")
    assert made["invitation_sent"] is True
    assert assert_utc(made["created_at"]) == at(FROZEN_NOW)
    user = api.users.get(made["id"])
    assert (user["firstName"], user["lastName"], user["phone"]) == (
        "Marta",
        "Quiroga",
        "5512345678",
    )
    assert user["role"] == "editor" and user["last_login"] is None
    assert {"team_id": teams["partner"], "team_name": "Cumbre Digital", "role": "editor"} in user[
        "teams"
    ]


def test_users_create_without_auto_join_is_invisible(api):
    made = api.users.create({"email": _email()})
    assert made["role"] is None
    with pytest.raises(NotFound):
        api.users.get(made["id"])


def test_users_create_duplicate_email_is_a_conflict(api):
    with pytest.raises(Conflict) as caught:
        api.users.create({"email": ANA.upper()})
    assert caught.value.code == "resource_already_exists"


def test_users_update_is_partial(api):
    made = api.users.create(
        {
            "email": _email(),
            "first_name": "Paco",
            "last_name": "Díaz",
            "company_role": "Ventas",
            "auto_join": True,
        }
    )
    updated = api.users.update(
        made["id"],
        {
            "first_name": "Francisco",
            "company_role": None,
            "address": {"city": "Puebla", "zip": "72000"},
        },
    )
    assert (updated["firstName"], updated["lastName"], updated["name"]) == (
        "Francisco",
        "Díaz",
        "Francisco Díaz",
    )
    assert updated["company_role"] is None
    assert updated["address"] == {"city": "Puebla", "zip": "72000"}
    assert api.users.get(made["id"]) == updated
    with pytest.raises(ValidationError) as caught:
        api.users.update(made["id"], {"role": "admin"})
    assert list(caught.value.field_errors) == ["role"]


def test_users_list_and_iter_on_a_sub_team(api):
    with scratch_team(api) as (team, scoped):
        for name in ("Carla", "beto", "Adriana"):
            scoped.users.create({"email": _email(), "first_name": name, "auto_join": True})
        page = scoped.users.list(limit=100)
        assert page.total_results == len(page) == 4  # the owner and the three new ones
        assert all(set(u) >= {"id", "email", "name", "role", "created_at"} for u in page)
        assert all(assert_utc(u["created_at"]) for u in page)
        seen = [u["name"] for u in scoped.users.iter(limit=2, order_by="name", sort="asc")]
        assert len(seen) == 4
        assert seen == sorted(seen, key=str.casefold)
        assert [u["id"] for u in api.users.list(team=team["id"], limit=100)] == [
            u["id"] for u in page
        ]


def test_users_list_shows_the_key_team_with_roles(api):
    by_email = {u["email"]: u for u in api.users.iter(limit=50)}
    assert by_email[ANA]["role"] == "admin"
    assert by_email["luis.herrera@cumbredigital.mx"]["role"] == "editor"


def test_users_reset_password(api):
    assert api.users.reset_password(ANA.upper()) == {"email": ANA}
    with pytest.raises(NotFound):
        api.users.reset_password(f"{unique()}@nobody.example.com")


def test_users_login_link(api, sandbox, frozen_clock):
    ana = next(u for u in api.users.iter(limit=100) if u["email"] == ANA)
    link = api.users.login_link(ana["id"])
    assert link["url"].startswith(sandbox.origin + "/login/")
    assert assert_utc(link["expires_at"]) == at(FROZEN_NOW + 3600)
    assert api.users.login_link(ana["id"])["url"] != link["url"]
    with pytest.raises(NotFound):
        api.users.login_link("user_doesnotexist")


# --------------------------------------------------------------------------- webhooks


def test_webhooks_create_get_update_delete(api, frozen_clock):
    with scratch_team(api) as (_, scoped):
        hook = scoped.webhooks.create(
            {
                "url": "https://hooks.example.com/gigstack",
                "events": ["invoice.created", "payment.succeeded"],
                "description": "ERP",
            }
        )
        assert hook["id"].startswith("wh_")
        assert (hook["url"], hook["status"], hook["description"]) == (
            "https://hooks.example.com/gigstack",
            "active",
            "ERP",
        )
        assert sorted(hook["events"]) == ["invoice.created", "payment.succeeded"]
        assert "secret" not in hook
        # created_at is milliseconds upstream: it must still land on the same instant
        assert assert_utc(hook["created_at"]) == at(FROZEN_NOW)
        assert scoped.webhooks.get(hook["id"]) == hook
        updated = scoped.webhooks.update(hook["id"], {"status": "inactive", "description": None})
        assert (updated["status"], updated["description"]) == ("inactive", None)
        assert updated["url"] == hook["url"] and updated["events"] == hook["events"]
        assert scoped.webhooks.get(hook["id"]) == updated
        assert scoped.webhooks.delete(hook["id"]) == {"id": hook["id"], "deleted": True}
        with pytest.raises(NotFound):
            scoped.webhooks.get(hook["id"])


def test_webhooks_bad_event_is_a_validation_error(api):
    with scratch_team(api) as (_, scoped):
        hook = scoped.webhooks.create(
            {"url": "https://hooks.example.com/x", "events": ["invoice.created"]}
        )
        with pytest.raises(ValidationError) as caught:
            scoped.webhooks.update(hook["id"], {"events": []})
        assert list(caught.value.field_errors) == ["events"]
        assert scoped.webhooks.get(hook["id"]) == hook


def test_webhooks_list_by_status_and_iter(api):
    with scratch_team(api) as (_, scoped):
        active = [
            scoped.webhooks.create(
                {"url": f"https://h{n}.example.com/x", "events": ["invoice.created"]}
            )
            for n in range(3)
        ]
        paused = scoped.webhooks.create(
            {
                "url": "https://paused.example.com/x",
                "events": ["invoice.created"],
                "status": "inactive",
            }
        )
        page = scoped.webhooks.list(limit=100)
        assert page.total_results == len(page) == 4
        assert [h["id"] for h in page] == [paused["id"], *[h["id"] for h in reversed(active)]]
        assert all(isinstance(h["created_at"], datetime) for h in page)
        assert [h["id"] for h in scoped.webhooks.list("inactive")] == [paused["id"]]
        assert {h["id"] for h in scoped.webhooks.list(status="active")} == {h["id"] for h in active}
        seen = [h["id"] for h in scoped.webhooks.iter(limit=3)]
        assert seen == [h["id"] for h in page]
        assert [h["id"] for h in scoped.webhooks.iter("inactive", limit=1)] == [paused["id"]]


def test_webhooks_of_the_key_team_include_the_seeded_ones(api):
    urls = {h["url"] for h in api.webhooks.iter(limit=100)}
    assert {
        "https://hooks.cumbredigital.mx/gigstack",
        "https://crm.cumbredigital.mx/webhooks/clientes",
    } <= urls
    for hook in api.webhooks.list(limit=5):
        assert_recent(hook["created_at"])
