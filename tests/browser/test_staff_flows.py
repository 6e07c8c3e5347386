"""Staff screens in Chromium: team limits chosen with the picker's search (the form never
lists every team the key reaches), under the strict CSP."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.shell import KEMPER, sign_in


def test_limit_a_new_account_to_teams_found_with_the_picker(page, staff, live_server, shot):
    sign_in(page, *staff)
    page.goto("/staff/new")
    page.fill("#email", "limitada@staff.test")
    page.fill("#name", "Cuenta Limitada")
    page.fill("#password", "una frase de paso larga 42")
    page.fill("#confirm", "una frase de paso larga 42")
    page.get_by_label("Solo los equipos seleccionados abajo").check()
    boxes = page.locator("#chosen-teams input[name=teams]")
    expect(boxes).to_have_count(0)

    page.fill("#team_search", "kémper")
    pick = page.locator("#team-picks .pick")
    expect(pick).to_have_count(1)
    expect(pick).to_contain_text(KEMPER[0])
    pick.click()
    expect(boxes).to_have_count(1)
    pick.click()  # picked again: still one box
    page.fill("#team_search", "nube")
    expect(pick).to_contain_text("Nube Norte")
    pick.click()
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_be_checked()
    boxes.nth(1).uncheck()  # changed my mind
    shot("30-staff-team-picker.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the picker fits
    for part in ("#team_search", "#team-picks", "#chosen-teams"):
        box = page.locator(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, part
    shot("30-staff-team-picker-390.png")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("button", name="Dar de alta").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    row = page.locator("tr", has_text="limitada@staff.test")
    expect(row).to_contain_text(KEMPER[0])
    expect(row).not_to_contain_text("Nube Norte")
