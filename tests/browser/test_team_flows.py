"""Team screens in Chromium: a pasted URL, the directory's tabs, the real SAT test CSD turning
the checklist green (and a FIEL or a wrong password refused before anything is sent), series,
members, the onboarding link, users and login links. Every page runs under the strict CSP;
the page fixture fails a test on any violation or console error."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.shell import KEMPER, sign_in
from tests.conftest import FROZEN_NOW

CERTS = Path(__file__).resolve().parents[3] / "shared" / "sat-test-certs"
PASSWORD = (CERTS / "password.txt").read_text().strip()


@pytest.fixture
def kemper(teams) -> str:
    return teams["eku"]


@pytest.fixture
def reseed(restore_sandbox):
    return restore_sandbox


def test_open_a_team_by_pasting_its_url(page, staff, kemper, shot):
    page.goto(f"/teams/{kemper}/series/")
    sign_in(page, *staff)  # sign-in remembers the page asked for
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/series/$"))
    expect(page.get_by_test_id("current-team")).to_have_text(KEMPER[0])
    expect(page.locator("#series-table")).to_contain_text("A-")
    shot("10-pasted-team-url.png")
    page.goto("/teams/team_doesnotexist00/")
    expect(page.locator("h1")).to_contain_text("404")


def test_directory_missing_csd_tab(page, staff, kemper, shot):
    sign_in(page, *staff)
    page.goto("/teams/")
    page.get_by_role("link", name=re.compile("^Sin CSD")).click()
    expect(page).to_have_url(re.compile(r"/teams/\?tab=missing-csd$"))
    rows = page.locator("#teams-table tbody tr")
    expect(rows.filter(has_text=KEMPER[1])).to_have_count(1)
    expect(rows.filter(has_text="OCD180312QX5")).to_have_count(0)
    shot("11-directory-missing-csd.png")
    rows.filter(has_text=KEMPER[1]).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/$"))


def _upload(page, cer: str, key: str, password: str) -> None:
    page.set_input_files("#certificate", str(CERTS / cer))
    page.set_input_files("#private_key", str(CERTS / key))
    page.fill("#password", password)
    page.get_by_role("button", name="Revisar y subir").click()


def test_fiel_and_wrong_password_are_refused_before_upload(
    page, staff, kemper, shot, sandbox_requests, live_server
):
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/csd")
    sandbox_requests.clear()
    _upload(
        page, "fiel_moral_EKU9003173C9_valid.cer", "fiel_moral_EKU9003173C9_valid.key", PASSWORD
    )
    expect(page.locator("#certificate-errors")).to_contain_text("Esta es una e.firma (FIEL)")
    shot("12-csd-fiel-refused.png")
    _upload(
        page,
        "csd_moral_EKU9003173C9_valid.cer",
        "csd_moral_EKU9003173C9_valid.key",
        "not-the-password",
    )
    expect(page.locator("#password-errors")).to_contain_text("La contraseña no abre")
    expect(page.locator("#password")).to_have_value("")
    shot("13-csd-wrong-password.png")
    assert not [r for r in sandbox_requests if "sat-connection" in r.path]


def test_upload_the_valid_test_csd_and_the_checklist_turns_green(
    page, staff, kemper, shot, live_server, frozen_clock, reseed
):
    live_server.clock.offset = FROZEN_NOW - time.time()  # 2026-05-28, as the sandbox's
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/")
    expect(page.locator('[data-check="csd"]')).to_have_attribute("data-done", "no")
    shot("14-checklist-before-csd.png")
    page.locator('[data-check="csd"]').get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/csd$"))
    _upload(page, "csd_moral_EKU9003173C9_valid.cer", "csd_moral_EKU9003173C9_valid.key", PASSWORD)
    expect(page.locator("#csd-page")).to_contain_text("gigstack aceptó el CSD")
    expect(page.get_by_test_id("csd-state")).to_have_attribute("data-status", "ok")
    shot("15-csd-uploaded.png")
    page.goto(f"/teams/{kemper}/")
    expect(page.locator('[data-check="csd"]')).to_have_attribute("data-done", "yes")
    expect(page.get_by_test_id("checklist")).to_contain_text("Listo para facturar")
    shot("16-checklist-green.png")


def test_create_a_series_and_see_its_next_folio(page, staff, kemper, shot, reseed):
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/series/")
    page.get_by_role("link", name="Crear una serie").click()
    page.fill("#series", "web")
    page.fill("#test", "99")
    button = page.get_by_role("button", name="Crear serie")
    button.dblclick()  # a double click still makes one series
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/series/$"))
    row = page.locator('tr[data-series="WEB"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("WEB-100")
    shot("17-series-created.png")
    row.get_by_role("link", name="Editar").click()
    page.fill("#test", "150")
    expect(page.get_by_test_id("next-test")).to_have_text("WEB-151")
    shot("18-series-preview.png")


def test_add_and_remove_a_member(page, staff, kemper, shot, reseed):
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/members/")
    page.fill("#user", "diego.salas@nubenorte.mx")
    page.select_option("#role", "editor")
    page.get_by_role("button", name="Agregar miembro").click()
    row = page.locator("#members-table tr", has_text="diego.salas@nubenorte.mx")
    expect(row).to_have_count(1)
    shot("19-member-added.png")
    row.get_by_role("link", name="Quitar").click()
    page.fill("#reason", "ya no colabora con el equipo")
    page.get_by_role("button", name="Quitar miembro").click()
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/members/$"))
    expect(page.locator("#members-table tr", has_text="diego.salas@nubenorte.mx")).to_have_count(0)
    shot("20-member-removed.png")


def test_generate_an_onboarding_link(page, staff, kemper, shot):
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/")
    page.get_by_role("button", name="Generar liga de alta").click()
    link = page.locator("#onboarding-link-value")
    expect(link).to_have_value(re.compile(r"^https?://"))
    expect(page.get_by_test_id("onboarding-link")).to_contain_text("Vale 7 días")
    shot("21-onboarding-link.png")


def test_create_a_user_and_a_login_link(page, staff, kemper, shot, reseed):
    sign_in(page, *staff)
    page.goto(f"/teams/{kemper}/users/new")
    page.fill("#email", "rocio.luna@ekemper.edu.mx")
    page.fill("#first_name", "Rocío")
    page.fill("#last_name", "Luna")
    page.select_option("#role", "editor")
    page.get_by_role("button", name="Crear usuario").click()
    expect(page).to_have_url(re.compile(rf"/teams/{kemper}/users/user_\w+$"))
    expect(page.get_by_test_id("user-facts")).to_contain_text("rocio.luna@ekemper.edu.mx")
    shot("22-user-created.png")
    page.get_by_role("button", name="Liga de acceso").click()
    expect(page.locator("#login-link-value")).to_have_value(re.compile(r"^https?://"))
    expect(page.get_by_test_id("login-link")).to_contain_text("Vence el")
    shot("23-login-link.png")


def test_regime_choices_follow_the_rfc_typed(page, staff):
    sign_in(page, *staff)
    page.goto("/teams/new")
    regime = page.locator("#tax_system")
    page.locator("#tax_id").press_sequentially("FUNK671228PH6", delay=10)
    expect(regime.locator('option[value="612"]')).to_have_count(1)
    expect(regime.locator('option[value="601"]')).to_have_count(0)
    page.fill("#tax_id", "")
    page.locator("#tax_id").press_sequentially("PLU200101AB5", delay=10)
    expect(regime.locator('option[value="601"]')).to_have_count(1)
    expect(regime.locator('option[value="612"]')).to_have_count(0)
    regime.select_option("601")
    expect(page.locator("#tax_system")).to_have_count(1)  # the select itself stays
