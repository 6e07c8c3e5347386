"""Every team screen on the one layout (`_partials/screen.html`), in a real browser at a
laptop's width and a phone's: the page loads, has its heading, breaks no CSP rule (the
suite's page watch fails the test on any violation) and never scrolls sideways. On a phone
(390 × 844) every page a walk of a team finds — not a list written here — fits the width
(wide tables scroll in their own box, the navigation folds into a menu) and shows its
heading on the first screen, with a screenshot of each kind of page under
tests/artifacts/390/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.app.conftest import sign_in as app_sign_in
from tests.app.helpers import one_finished_job, open_ppd_invoices, walk_partner_team

from .shell import WIDTHS, sideways_scroll, sign_in


def _screens(team: str, stored) -> list[str]:
    """A page of each kind (list, show, new, edit, delete, verb) of each area of ``team``."""
    client = stored("clients", team)[0]["id"]
    service = stored("services", team)[0]["id"]
    invoice = stored("invoices", team, status="valid")[0]["uuid"]
    payment = stored("payments", team)[0]["id"]
    receipt = stored("receipts", team)[0]["id"]
    ppd = open_ppd_invoices(stored, team)[0]
    base = f"/teams/{team}"
    return [
        f"{base}/",
        f"{base}/edit",
        f"{base}/csd",
        f"{base}/settings",
        f"{base}/series/",
        f"{base}/members/",
        f"{base}/users/",
        f"{base}/users/new",
        f"{base}/clients/",
        f"{base}/clients/{client}",
        f"{base}/clients/{client}/edit",
        f"{base}/clients/{client}/delete",
        f"{base}/clients/csf",
        f"{base}/services/",
        f"{base}/services/new",
        f"{base}/services/{service}/edit",
        f"{base}/services/{service}/delete",
        f"{base}/invoices/",
        f"{base}/invoices/{invoice}",
        f"{base}/invoices/{invoice}/cancel",
        f"{base}/invoices/{invoice}/relations?type=income",
        f"{base}/invoices/new",
        f"{base}/payments/",
        f"{base}/payments/{payment}",
        f"{base}/payments/new",
        f"{base}/payments/request",
        f"{base}/payments/new?ppd_invoice_id={ppd['uuid']}&client_id={ppd['client']['id']}",
        f"{base}/receipts/",
        f"{base}/receipts/{receipt}",
        f"{base}/receipts/new",
        f"{base}/webhooks/",
        f"{base}/webhooks/new",
        f"{base}/rep/",
        f"{base}/jobs/",
        f"{base}/exports/month",
        "/jobs/",
        "/exports/month",
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_team_screen_fits_and_has_its_heading(page, staff, teams, stored, shot, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, *staff)
    page.wait_for_url("**/teams/*/")
    wrong = []
    for path in _screens(teams["partner"], stored):
        response = page.goto(path)
        if response is None or response.status != 200:
            wrong.append(f"{path}: {response and response.status}")
            continue
        if not page.locator("h1").first.inner_text().strip():
            wrong.append(f"{path}: no heading")
        overflow = sideways_scroll(page)
        if overflow > 0:
            wrong.append(f"{path}: {overflow}px of sideways scroll at {width}px")
    assert not wrong, "\n".join(wrong)
    page.goto(f"/teams/{teams['partner']}/payments/")
    invoices = page.locator(".mainnav").get_by_role("link", name="Facturas")
    if width == WIDTHS["phone"]:  # the sections fold into a menu, opened by a tap
        expect(invoices).to_be_hidden()
        page.locator(".nav-toggle").click()
        shot("53-menu-open-390.png")
    else:  # on a laptop they are all in view, without the menu's toggle
        expect(page.locator(".nav-toggle")).to_be_hidden()
    expect(invoices).to_be_visible()
    shot(f"51-payments-{width}.png")
    page.goto(
        f"/teams/{teams['partner']}/clients/{stored('clients', teams['partner'])[0]['id']}/delete"
    )
    shot(f"52-client-delete-{width}.png")


PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
# at a laptop's width a table fits its box: no column (the audit's "Reason") out of view
CLIPPED = """() => Array.from(document.querySelectorAll(".table-scroll"))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => box.querySelector("table").id || "a table")
  .concat(document.documentElement.scrollWidth > innerWidth ? ["the page"] : [])"""
PARTS, PER_ENDPOINT = 4, 3  # the walk's pages in four tests, each under the time limit
# the elements that start the overflow: past the viewport's right edge, their parent not
WIDEST = """() => Array.from(document.querySelectorAll("body *")).filter((e) => {
  const parent = e.parentElement;
  return e.getBoundingClientRect().right > innerWidth + 0.5
    && parent.getBoundingClientRect().right <= innerWidth + 0.5;
}).slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
  + (typeof e.className === "string" && e.className ? "." + e.className : ""))"""


@pytest.fixture(scope="module")
def walked(sandbox, keys) -> dict[str, list[str]]:
    """The pages a walk of the partner team opens, by endpoint (found once for the module):
    a page added later is checked too, without being listed here."""
    walk = walk_partner_team(sandbox, keys, "walker@staff.test")
    for endpoint in ("teams.index", "invoices.index", "invoices.show", "payments.new", "jobs.show"):
        assert endpoint in walk.opened_pages, f"the walk never reached {endpoint}"
    return walk.opened_pages


def _long_audit_entry(app, team: str) -> None:
    """An audit row as wide as real ones get: a team, a UUID, a refusal, a reason."""
    from webapp.audit.record import record

    with app.app_context():
        record(
            "invoices.credit_note",
            team=team,
            object_type="invoice",
            object_id="6C1DFCD6-98BD-4063-A69A-A987EE8F8387",
            outcome="refused_locally:resource_already_exists",
            reason="El cliente pidió la nota de crédito por el descuento acordado en octubre",
            actor="ana.operadora.de.soporte@staff.test",
        )


def _is_page(answer) -> bool:
    """A whole HTML page (not a file, nor a fragment such as a select's options)."""
    return (
        answer.mimetype == "text/html" and "<!doctype html>" in answer.get_data(as_text=True)[:200]
    )


@pytest.mark.parametrize("part", range(PARTS))
def test_no_page_of_the_walk_scrolls_sideways_on_a_phone(
    page, staff, live_server, keys, walked, shot, part
):
    team = keys["partner_test"]["team"]
    client = live_server.app.test_client()
    assert app_sign_in(client, staff[0]).status_code == 302
    one_finished_job(live_server.app, client, team)  # the walk's job pages, in this app
    _long_audit_entry(live_server.app, team)
    endpoints = sorted(walked)[part::PARTS]
    # an endpoint that answers a file or a fragment (a select's options) always is no page
    pages = {e: walked[e][:PER_ENDPOINT] for e in endpoints if _is_page(client.get(walked[e][0]))}
    page.set_viewport_size(PHONE)
    sign_in(page, *staff)
    page.wait_for_url("**/teams/*/")
    wrong = []
    for endpoint, urls in pages.items():
        for number, url in enumerate(urls):
            page.goto(url)  # then its lazy panels: htmx marks them .htmx-request while loading
            page.wait_for_selector(".htmx-request", state="detached")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wrong.append(f"{url} ({endpoint}): {width}px wide, {page.evaluate(WIDEST)}")
            heading = page.locator("h1").first
            if heading.count() and heading.bounding_box()["y"] > PHONE["height"] / 2:
                wrong.append(f"{url} ({endpoint}): the header fills the first screen")
            if number == 0:
                shot(f"390/{endpoint}.png")
            page.set_viewport_size(LAPTOP)
            if clipped := page.evaluate(CLIPPED):
                wrong.append(f"{url} ({endpoint}): wider than the laptop's screen: {clipped}")
            page.set_viewport_size(PHONE)
    assert not wrong, "\n".join(wrong)


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box, f"{locator} is not shown"
    return box


def test_checkboxes_destructive_actions_and_forms_hold_on_a_laptop(page, staff, teams, stored):
    """Issue 20 point 15 at 1366 px: a checkbox sits just before its label, on its line; a
    red action comes last, apart from the everyday ones (a detail's row, a list's row, a
    confirm form, whose way out says "Regresar" beside "Cancelar factura"); the cancel
    form's motives read code beside meaning; a form's fieldsets stay inside its card."""
    team = teams["partner"]
    base = f"/teams/{team}"
    page.set_viewport_size(LAPTOP)
    sign_in(page, *staff)
    page.wait_for_url("**/teams/*/")
    for path in ("/teams/new", f"{base}/services/new", f"{base}/payments/new"):
        page.goto(path)
        for box in page.locator(".field > input[type=checkbox]").all():
            label = page.locator(f"label[for='{box.get_attribute('id')}']")
            tick, text = _box(box), _box(label)
            assert tick["x"] + tick["width"] <= text["x"] <= tick["x"] + tick["width"] + 24, path
            assert abs((tick["y"] + tick["height"] / 2) - (text["y"] + text["height"] / 2)) < 8
        card = _box(page.locator("form.card").first)
        for fieldset in page.locator("form.card fieldset").all():
            assert _box(fieldset)["x"] + _box(fieldset)["width"] <= card["x"] + card["width"]

    invoice = stored("invoices", team, status="valid", invoice_type="I")[0]["uuid"]
    page.goto(f"{base}/invoices/{invoice}")
    actions = page.locator("#invoice-detail > .row-actions > *")
    danger = page.locator("#invoice-detail > .row-actions > .button-danger")
    everyday = [_box(a) for a in actions.all() if "button-danger" not in a.get_attribute("class")]
    assert _box(danger)["x"] >= max(b["x"] + b["width"] for b in everyday) + 24

    page.goto(f"{base}/invoices/{invoice}/cancel")
    expect(page.locator("#cancel-form .form-actions a.button")).to_have_text("Regresar")
    cancel = _box(page.locator("#cancel-form .form-actions .button-danger"))
    assert cancel["x"] >= _box(page.locator("#cancel-form .form-actions a.button"))["x"] + 100
    code, meaning = page.locator(".motives dt").first, page.locator(".motives dd").first
    assert abs(_box(code)["y"] - _box(meaning)["y"]) < 4 and _box(code)["x"] < _box(meaning)["x"]

    page.goto(f"{base}/webhooks/")
    row = page.locator("#webhooks-table tbody tr").first
    assert row.locator("td").last.evaluate("(cell) => getComputedStyle(cell).display") == (
        "table-cell"
    )
    edit, delete = (
        _box(row.get_by_role("link", name="Editar")),
        _box(row.get_by_role("link", name="Eliminar")),
    )
    assert (
        delete["y"] >= edit["y"] + edit["height"] or delete["x"] >= edit["x"] + edit["width"] + 24
    )
