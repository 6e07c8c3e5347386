"""The accountant's month in Chromium, at a laptop's width and a phone's: the form, the job's
page whose widget polls until the worker is done, and its ZIP to download; strict CSP (the
page watch), no sideways scroll, no English on the Spanish pages; screenshots."""

from __future__ import annotations

import threading
import time
import zipfile

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.shell import WIDTHS, sideways_scroll, sign_in

ENGLISH = ("Make the ZIP", "Download", "finished", "queued", "running", "income", "egress")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_month_is_asked_for_run_and_downloaded(
    page, staff, teams, live_server, shot, faults, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/exports/month")
    expect(page.locator("h1")).to_have_text("El mes del contador")
    assert sideways_scroll(page) <= 0, "the form scrolls sideways"
    page.select_option("#month", "2026-05")  # a month of the seeded documents
    shot(f"81-month-form-{width}.png")
    page.get_by_role("button", name="Hacer el ZIP").click()
    page.wait_for_url("**/jobs/*")
    widget = page.get_by_test_id("job-widget")
    expect(widget).to_be_visible()
    # one item at a time, gigstack slow: the widget (asking every second) sees the bar move
    live_server.app.config["JOBS_TEAM_CONCURRENCY"] = 1
    faults({"latency_ms": 200})
    worker = threading.Thread(target=live_server.app.extensions["jobs"].drain)
    worker.start()  # the worker's turn, while the page watches
    try:
        seen = _watch_the_bar(page, widget, lambda: shot(f"83-month-moving-{width}.png"))
    finally:
        worker.join(timeout=120)
    assert any(0 < done < total for done, total in seen), f"the bar never moved: {seen}"
    expect(widget).to_have_attribute("data-status", "finished", timeout=15_000)
    expect(page.get_by_test_id("job-files").get_by_role("link")).to_have_count(1)
    expect(page.get_by_test_id("job-counts")).not_to_contain_text("0 de 0")
    expect(page.get_by_test_id("job-facts")).not_to_contain_text("—")  # ended, and when
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if word in text], text
    assert sideways_scroll(page) <= 0, "the job's page scrolls sideways"
    shot(f"82-month-job-{width}.png")
    with page.expect_download() as download:
        page.get_by_test_id("job-files").get_by_role("link").click()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.value.path()) as archive:  # opened: what the accountant gets
        names = archive.namelist()
        resumen = archive.read("resumen.csv").decode("utf-8-sig").splitlines()
        note = archive.read("LEEME.txt").decode()
    xmls = [n for n in names if n.startswith("XML/") and n.endswith(".xml")]
    assert xmls and len(resumen) == 1 + len(xmls), (names, resumen[:2])
    assert all(n.startswith(("XML/", "PDF/")) or n in ("resumen.csv", "LEEME.txt") for n in names)
    assert "2026" in note and any("Ingreso" in row for row in resumen[1:]), resumen[:3]


def _watch_the_bar(page, widget, moving_shot) -> set[tuple[int, int]]:
    """The progress bar's (value, max) as the widget replaces itself, until the job ends; a
    screenshot the first time it is part-way."""
    seen: set[tuple[int, int]] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        bar = page.locator(".job-progress progress")
        if bar.count():
            try:
                done, total = int(bar.get_attribute("value")), int(bar.get_attribute("max"))
            except (TypeError, ValueError, PlaywrightError):  # swapped out meanwhile
                continue
            if 0 < done < total and not any(0 < d < t for d, t in seen):
                moving_shot()
            seen.add((done, total))
        if widget.get_attribute("data-status") in ("finished", "failed"):
            return seen
        page.wait_for_timeout(150)
    return seen
