"""The app shell in a real browser: sign-in, team switcher, language, audit, sign-out,
session expiry on an htmx click and htmx errors in the #flash banner.

Each test runs against a fresh app (see conftest) and fails on any CSP violation or uncaught
JS error; screenshots of the important states go to tests/artifacts/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.app.conftest import PASSWORD

from .shell import (
    FISCAL_DATA_EN,
    FISCAL_DATA_ES,
    GIGSTACK_UNREACHABLE,
    KEMPER,
    OWN_TEAM,
    SANDBOX_BANNER,
    SESSION_EXPIRED,
    SIGNED_OUT,
    WRONG_CREDENTIALS,
    expect_home,
    flash_alert,
    open_team_switcher,
    open_user_menu,
    sign_in,
)

SEARCH_HINT = "Escribe un nombre, RFC o ID para encontrar cualquier otro equipo."


def test_sign_in_lands_on_home_of_the_selected_team(page, staff, shot):
    email, password = staff
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)$"))
    expect(page.locator("html")).to_have_attribute("lang", "es-MX")
    expect(page.locator(".mode-sandbox")).to_have_text(SANDBOX_BANNER)
    expect(page.locator("h1")).to_have_text("Iniciar sesión")
    shot("01-sign-in.png")

    sign_in(page, email, password)

    expect_home(page, *OWN_TEAM)
    expect(page.locator("html")).to_have_attribute("lang", "es-MX")
    expect(page.locator(".mode-sandbox")).to_have_text(SANDBOX_BANNER)
    expect(page.get_by_role("heading", name=FISCAL_DATA_ES)).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_have_text("Ana Operadora")
    shot("03-home.png")


def test_wrong_password_reads_like_an_unknown_email_and_keeps_it(page, staff, shot):
    email, _password = staff
    alert = page.locator(".sign-in [role=alert]")

    sign_in(page, email, "not the password")
    expect(alert).to_have_text(WRONG_CREDENTIALS)
    expect(page.locator("#email")).to_have_value(email)
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#password")).to_be_focused()
    shot("02-wrong-password.png")

    sign_in(page, "nobody@staff.test", PASSWORD)
    expect(alert).to_have_text(WRONG_CREDENTIALS)
    expect(page.locator("#email")).to_have_value("nobody@staff.test")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_test_id("user-name")).to_have_count(0)


def test_switch_team_through_the_searchable_switcher(page, staff, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)

    open_team_switcher(page).focus()
    page.keyboard.press("Escape")  # closes the menu, focus back on its summary
    expect(page.locator("#team-switcher[open]")).to_have_count(0)
    expect(page.locator("#team-switcher > summary")).to_be_focused()

    search = open_team_switcher(page)
    options = page.locator("#team-options .team-option")
    # not every team: the one in use (the only one used so far) and a search
    expect(options).to_have_count(1)
    expect(page.locator("#team-options .team-option.is-current")).to_contain_text(OWN_TEAM[0])
    expect(page.locator("#team-options")).to_contain_text(SEARCH_HINT)
    search.fill("KÉMPER")  # htmx: hx-get /team/options?q=… after 250 ms, accents aside
    expect(options).to_have_count(1)
    expect(options).to_contain_text(KEMPER[0])
    options.first.click()

    expect_home(page, *KEMPER)
    expect(page.get_by_test_id("csd-facts")).to_contain_text("Sin CSD")
    shot("04-team-switched.png")

    page.reload()  # the choice lives in the session
    expect_home(page, *KEMPER)
    open_team_switcher(page)
    expect(options).to_have_count(2)  # the teams used, newest first
    expect(options.first).to_contain_text(KEMPER[0])
    expect(options.nth(1)).to_contain_text(OWN_TEAM[0])


def test_pin_a_team_in_the_switcher_without_closing_it(page, staff, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)
    search = open_team_switcher(page)
    search.fill("nube")
    expect(page.locator("#team-options .team-option")).to_contain_text(["Nube Norte"])
    pin = page.locator("#team-options .team-pin")
    expect(pin).to_have_count(1)
    expect(pin).to_have_attribute("aria-pressed", "false")
    pin.click()  # htmx: POST /team/pin, the options come back with it pinned

    expect(page.locator("#team-switcher[open]")).to_have_count(1)
    expect(pin).to_have_attribute("aria-pressed", "true")
    search.fill("")
    pinned = page.get_by_role("list", name="Fijados")
    expect(pinned.locator(".team-option")).to_have_count(1)
    expect(pinned).to_contain_text("Nube Norte")
    shot("04b-team-pinned.png")

    page.reload()  # kept with the staff member, not the page
    open_team_switcher(page)
    expect(pinned.locator(".team-option")).to_contain_text("Nube Norte")
    pinned.locator(".team-pin").click()  # unpin
    expect(page.get_by_role("list", name="Fijados")).to_have_count(0)


def test_switch_language_to_english_and_back(page, staff, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)

    open_user_menu(page)
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=FISCAL_DATA_EN)).to_be_visible()
    expect(page.locator(".mode-sandbox")).to_contain_text("SANDBOX — demo data")
    expect(page.get_by_test_id("sign-out")).to_have_text("Sign out")
    expect_home(page, *OWN_TEAM)
    shot("05-english.png")

    open_user_menu(page)
    expect(page.locator("button[name=locale][value=en]")).to_have_attribute("aria-pressed", "true")
    page.locator("button[name=locale][value=es_MX]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es-MX")
    expect(page.get_by_role("heading", name=FISCAL_DATA_ES)).to_be_visible()
    expect(page.get_by_test_id("sign-out")).to_have_text("Cerrar sesión")


def test_audit_page_shows_the_team_switch(page, staff, teams, shot):
    sign_in(page, *staff)
    open_team_switcher(page).fill("kemper")
    page.locator("#team-options .team-option", has_text=KEMPER[0]).click()
    expect_home(page, *KEMPER)

    page.get_by_role("link", name="Auditoría").click()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(page.locator("h1")).to_have_text("Registro de auditoría")
    switch_row = page.locator("#audit-table tbody tr", has_text="team.switch")
    expect(switch_row).to_have_count(1)
    expect(switch_row).to_contain_text(teams["eku"])
    expect(switch_row).to_contain_text(f"de {teams['partner']} a ")  # in the reader's language
    expect(page.locator("#audit-table tbody tr", has_text="auth.sign_in")).to_have_count(1)

    # the filter form is an hx-get into #audit-list that pushes the filters into the URL
    page.select_option("#action", "team.switch")
    page.get_by_role("button", name="Filtrar").click()
    expect(page).to_have_url(re.compile(r"/audit/\?.*action=team\.switch"))
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    expect(page.locator("#audit-table tbody tr", has_text="auth.sign_in")).to_have_count(0)
    expect(page.locator("h1")).to_have_count(1)  # the fragment, not a page inside the page
    shot("06-audit.png")


def test_sign_out_returns_to_sign_in_and_closes_the_session(page, staff, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)

    open_user_menu(page)
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?reason=signed_out$"))
    expect(page.locator(".sign-in [role=status]")).to_have_text(SIGNED_OUT)
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    shot("07-signed-out.png")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)$"))
    expect(page.locator("#sign-in-form")).to_be_visible()


def test_session_expiry_on_an_htmx_request_goes_to_sign_in(page, staff, live_server, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)
    search = open_team_switcher(page)

    live_server.clock.advance(31 * 60)  # past SESSION_IDLE_SECONDS (30 min)
    search.fill("kemper")  # hx-get /team/options → 401 + HX-Redirect

    expect(page).to_have_url(re.compile(r"/sign-in\?.*reason=expired"))
    expect(page.locator(".sign-in [role=status]")).to_have_text(SESSION_EXPIRED)
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    shot("08-session-expired.png")

    sign_in(page, *staff)  # back to the page the click came from
    expect_home(page, *OWN_TEAM)


def test_htmx_error_answer_shows_in_the_flash_banner(page, staff, live_server, faults, shot):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)
    search = open_team_switcher(page)
    options = page.locator("#team-options .team-option")
    expect(options).to_have_count(1)
    expect(page.locator("#flash")).to_be_empty()

    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503, "retry_after": 0}]})
    live_server.forget_teams()  # the switcher search must ask gigstack again
    search.fill("kemper")

    alert = flash_alert(page)
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(GIGSTACK_UNREACHABLE)
    expect(alert).to_have_attribute("data-error-status", "502")
    # "try again" reloads the page the user is on (the team's overview)
    expect(alert.get_by_role("link", name="Reintentar")).to_have_attribute(
        "href", re.compile(r"^/teams/team_[A-Za-z0-9]+/$")
    )
    expect(options).to_have_count(1)  # the target kept its content
    page.locator("h1").click()  # a click elsewhere closes the menu that covered the banner
    expect(page.locator("#team-switcher[open]")).to_have_count(0)
    shot("09-htmx-error-banner.png")

    faults({"rules": []})  # gigstack is back: the next htmx request clears the banner
    open_team_switcher(page)
    search.fill("cumbre")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(OWN_TEAM[0])
    expect(page.locator("#flash")).to_be_empty()


def test_flash_banner_can_be_dismissed(page, staff, live_server, faults):
    sign_in(page, *staff)
    expect_home(page, *OWN_TEAM)
    search = open_team_switcher(page)
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503, "retry_after": 0}]})
    live_server.forget_teams()
    search.fill("nube")

    expect(flash_alert(page)).to_contain_text(GIGSTACK_UNREACHABLE)
    page.locator("#flash").get_by_role("button", name="Cerrar").click()
    expect(page.locator("#flash")).to_be_empty()


def test_csp_watch_catches_an_inline_script(page, watch):
    """The harness itself: a blocked inline script must be seen, else zero proves nothing."""
    page.goto("/sign-in")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true;";
            document.body.append(script);
        }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    watch.collect(page)
    assert [v["directive"] for v in watch.violations.values()] == ["script-src-elem"]
    assert len(watch.csp_console) == 1
    assert page.evaluate("window.__inlineRan === undefined")
    # seen: forget it, so that the after-test check passes
    page.evaluate("window.__cspViolations.length = 0")
    watch.violations.clear()
    watch.csp_console.clear()


def test_switcher_loads_its_teams_when_opened_after_gigstack_was_down(
    page, staff, live_server, faults, shot
):
    """A page that needs nothing from gigstack answers at once while it is down; the switcher
    asks for its teams only when opened."""
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    sign_in(page, *staff)
    page.goto("/audit/")
    expect(page.locator("h1")).to_have_text("Registro de auditoría")
    expect(page.get_by_test_id("current-team")).to_have_text("—")
    faults({"rules": []})  # gigstack is back before the menu is opened…
    live_server.app.extensions["gigstack"].client.breaker.reset()  # …and its 30 s are over

    search = open_team_switcher(page)
    expect(page.locator("#team-options")).to_contain_text(SEARCH_HINT)  # loaded on open
    shot("10-switcher-loaded-on-open.png")
    search.fill("kemper")
    options = page.locator("#team-options .team-option")
    expect(options).to_have_count(1)
    options.filter(has_text=KEMPER[0]).click()
    expect(page.get_by_test_id("current-team")).to_have_text(KEMPER[0])
