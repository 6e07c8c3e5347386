"""What a person does in the shell, as Playwright steps (shared by the browser tests).

Expected texts are the Spanish msgstr of webapp/translations/es_MX (Spanish is the default).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from playwright.sync_api import expect

WRONG_CREDENTIALS = "Correo o contraseña incorrectos."
SIGNED_OUT = "Cerraste sesión."
SESSION_EXPIRED = "Tu sesión expiró. Vuelve a iniciar sesión para continuar."
SANDBOX_BANNER = "SANDBOX — datos de demostración, nada llega a gigstack ni al SAT"
FISCAL_DATA_ES = "Datos fiscales"
FISCAL_DATA_EN = "Fiscal data"
GIGSTACK_UNREACHABLE = "gigstack no está disponible"

OWN_TEAM = ("Cumbre Digital", "OCD180312QX5")
KEMPER = ("Escuela Kemper", "EKU9003173C9")


def sign_in(page: Any, email: str, password: str) -> None:
    """Fill and send the sign-in form (from wherever the page is)."""
    if "/sign-in" not in page.url:
        page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in-form button[type=submit]")


def expect_home(page: Any, name: str, tax_id: str) -> None:
    """The overview of team ``name`` (where ``/`` leads): title, switcher label and its RFC in
    the facts."""
    expect(page).to_have_url(re.compile(r"/teams/team_[A-Za-z0-9]+/$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.get_by_test_id("current-team")).to_have_text(name)
    expect(page.get_by_test_id("team-facts")).to_contain_text(tax_id)


def open_team_switcher(page: Any) -> Any:
    """Open the <details> switcher; returns its search box."""
    page.locator("#team-switcher > summary").click()
    search = page.locator("#team-search")
    expect(search).to_be_visible()
    return search


def open_user_menu(page: Any) -> None:
    page.locator(".user-menu > summary").click()
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def flash_alert(page: Any) -> Any:
    return page.locator("#flash [role=alert]")


# the laptop's width and a phone's: the widths a screen's browser test runs at
WIDTHS = {"laptop": 1366, "phone": 390}


def sideways_scroll(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it fits its width)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def index_every_team(page: Any, live_server: Any) -> None:
    """From the search page: start the index's update of every team, run the queued job in
    a thread (the worker's turn) and see its page say it finished."""
    page.goto("/search/")
    page.get_by_role("button", name="Actualizar el índice de todos los equipos").click()
    page.wait_for_url("**/jobs/*")
    worker = threading.Thread(target=live_server.app.extensions["jobs"].drain)
    worker.start()
    worker.join(timeout=120)
    expect(page.get_by_test_id("job-widget")).to_have_attribute(
        "data-status", "finished", timeout=15_000
    )
