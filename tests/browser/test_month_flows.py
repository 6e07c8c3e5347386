"""The accountant's month in Chromium, at a laptop's width and a phone's: the form, the job's
page whose widget polls until the worker is done, and its ZIP to download; strict CSP (the
page watch), no sideways scroll, no English on the Spanish pages; screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.shell import sign_in

WIDTHS = {"laptop": 1366, "phone": 390}
ENGLISH = ("Make the ZIP", "Download", "finished", "queued", "running", "income", "egress")


def _fits(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_month_is_asked_for_run_and_downloaded(page, staff, teams, live_server, shot, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/exports/month")
    expect(page.locator("h1")).to_have_text("El mes del contador")
    assert _fits(page) <= 0, "the form scrolls sideways"
    page.select_option("#month", "2026-05")  # a month of the seeded documents
    page.get_by_label("Ingreso (I)").uncheck()  # its egress and complements: a small ZIP
    shot(f"81-month-form-{width}.png")
    page.get_by_role("button", name="Hacer el ZIP").click()
    page.wait_for_url("**/jobs/*")
    widget = page.get_by_test_id("job-widget")
    expect(widget).to_be_visible()
    live_server.app.extensions["jobs"].drain()  # the worker's turn
    expect(widget).to_have_attribute("data-status", "finished", timeout=15_000)
    expect(page.get_by_test_id("job-files").get_by_role("link")).to_have_count(1)
    expect(page.get_by_test_id("job-counts")).not_to_contain_text("0 de 0")
    expect(page.get_by_test_id("job-facts")).not_to_contain_text("—")  # ended, and when
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if word in text], text
    assert _fits(page) <= 0, "the job's page scrolls sideways"
    shot(f"82-month-job-{width}.png")
    with page.expect_download() as download:
        page.get_by_test_id("job-files").get_by_role("link").click()
    assert download.value.suggested_filename.endswith(".zip")
