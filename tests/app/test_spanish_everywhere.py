"""No English and no raw API value on a Spanish page, covered by construction: every page of the
seeded partner team and every htmx panel those pages load (found by :func:`walk_team`, the
walk the faults and double-submit tests use) is read as a Spanish-speaking agent reads it — its
visible text, not its attributes nor its ``<code>`` ids — and must show no value of an enum the
contract returns (``succeeded``, ``pue_invoice``, ``payment.created``…) and no English message
of the catalogue left untranslated."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.crawl import TeamWalk
from tests.app.helpers import htmx_headers, walk_partner_team
from tests.support.paths import OPENAPI_PATH

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "webapp" / "translations" / "es_MX" / "LC_MESSAGES" / "messages.po"

# what gigstack answers with (request-only enums — sort orders, search keys, parameters — are
# never shown): the schemas whose values are the API's own words
ANSWERED = (
    "InvoiceStatus",
    "Invoice",
    "PaymentStatus",
    "AllowedPaymentMethod",
    "ReceiptStatus",
    "Periodicity",
    "Reinvoice",
    "WebhookStatus",
    "Role",
    "AutomationType",
    "WebhookEventName",
    "ApiErrorCode",
    "StampPendingReceiptResult",
    "TeamSettingsInput",
)
# values that are words of the page's own language or SAT codes shown beside their name
# (``I01 — Construcciones``, ``PPD — Pago en parcialidades``): they are not raw when seen
NOT_RAW = {
    "en",  # pdf_language: also the Spanish preposition
    "es",  # pdf_language: also the Spanish verb
    "editor",  # Role: the same word in Spanish
    "PUE",  # SAT's payment method codes, always beside their name
    "PPD",
}
# a bare single letter is an invoice type (I, E, P) shown as gigstack sends it: alone in its
# element, never a word
BARE_LETTERS = {"I", "E", "P"}
# a value printed as Python writes it: True/False/None, or a whole number as a float (2.0)
# the one "N.0" that is a name, not a float: the CFDI standard's version
STANDARD = "CFDI 4.0"
PYTHON_VALUE = re.compile(r"(?<![\w.,$])(True|False|None|\d+\.0)(?![\w.]|\d)")
LANGUAGE_NAMES = {"English", "Spanish"}
TOKEN = re.compile(r"[\w.@:/-]+")
# text that is not prose: ids, UUIDs and code values an agent copies
NOT_PROSE = {"code", "script", "style", "kbd", "samp", "pre"}


def _enum_values(node: object, out: set[str]) -> None:
    if isinstance(node, dict):
        for value in node.get("enum") or ():
            if isinstance(value, str):
                out.add(value)
        for child in node.values():
            _enum_values(child, out)
    elif isinstance(node, list):
        for child in node:
            _enum_values(child, out)


def raw_values() -> frozenset[str]:
    """Every enum value of the schemas gigstack answers with, but the words in :data:`NOT_RAW`
    and the SAT codes (digits, ``G03``-like keys) shown with their names."""
    schemas = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))["components"]["schemas"]
    values: set[str] = set()
    for name in ANSWERED:
        _enum_values(schemas[name], values)
    sat_code = re.compile(r"^[A-Z]{0,2}\d+$")
    return frozenset(
        v for v in values if v not in NOT_RAW and v not in BARE_LETTERS and not sat_code.match(v)
    )


def english_messages() -> frozenset[str]:
    """The catalogue's English messages with a different Spanish translation, without
    variables (a whole text node equal to one was not translated)."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or "%" in message.id:
            continue
        # a language is named in its own words ("English" on a Spanish page, the switch)
        if message.id in LANGUAGE_NAMES:
            continue
        if message.string and message.string != message.id and len(message.id) > 3:
            found.add(message.id)
    return frozenset(found)


class VisibleText(HTMLParser):
    """The text nodes a reader sees (``<code>``, scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in NOT_PROSE:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in NOT_PROSE and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def problems(html: str, raw: frozenset[str], english: frozenset[str]) -> list[str]:
    """What a Spanish reader would stumble on in ``html``: raw values and English messages."""
    found = []
    for text in visible_texts(html):
        if text in english:
            found.append(f"English: {text!r}")
            continue
        if text in BARE_LETTERS or PYTHON_VALUE.search(text.replace(STANDARD, "")):
            found.append(f"raw {text!r}")
            continue
        for token in TOKEN.findall(text):
            if "@" in token or "://" in token:
                continue
            word = token.strip(".:/-")
            if word in raw:
                found.append(f"raw {word!r} in {text!r}")
    return found


def _problems_of(answer, raw: frozenset[str], english: frozenset[str]) -> list[str]:
    if answer.mimetype != "text/html" or answer.status_code != 200:
        return []
    return problems(answer.get_data(as_text=True), raw, english)


@pytest.fixture(scope="module")
def walked(sandbox, keys) -> TeamWalk:
    found = walk_partner_team(sandbox, keys, "lector@staff.test")
    assert not found.unreached, f"no page links to {sorted(found.unreached)}"
    return found


def test_the_vocabulary_is_read_from_the_contract():
    raw = raw_values()
    assert {"succeeded", "pue_invoice", "payment.created", "resource_already_exists"} <= raw
    assert {"month", "accepted", "completed", "active"} <= raw
    assert not raw & NOT_RAW
    assert "No invoices yet." in english_messages() or english_messages()


def test_a_raw_value_in_visible_text_is_found_and_one_in_code_is_not():
    raw = raw_values()
    html = "<p>Cancelada · accepted</p><code>succeeded</code><a title='month'>Mensual</a>"
    assert problems(html, raw, frozenset({"Monthly"})) == [
        "raw 'accepted' in 'Cancelada · accepted'"
    ]
    assert problems("<td>Monthly</td>", raw, frozenset({"Monthly"})) == ["English: 'Monthly'"]
    for shown in ("keep_full_legal_name False", "Cantidad 2.0", "E"):
        assert problems(f"<dd>{shown}</dd>", raw, frozenset()) == [f"raw {shown!r}"]
    assert not problems("<td>$1,234.00 MXN</td><td>2.5</td><td>16.00%</td>", raw, frozenset())


def test_every_page_of_a_team_reads_in_spanish(sandbox, keys, walked):
    raw, english = raw_values(), english_messages()
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])
    try:
        add_staff(app, "lectora@staff.test", "admin")
        browser = app.test_client()
        assert sign_in(browser, "lectora@staff.test").status_code == 302
        found: dict[str, list[str]] = {}
        pages = [url for urls in walked.opened_pages.values() for url in urls]
        for url in pages:
            answer = browser.get(url)
            if seen := _problems_of(answer, raw, english):
                found[url] = seen
        for panel in walked.panels.values():
            answer = browser.get(panel.url, headers=htmx_headers(panel.target, panel.page))
            if seen := _problems_of(answer, raw, english):
                found[panel.url] = seen
    finally:
        app.extensions["gigstack"].close()
    assert len(pages) > 40
    assert not found, "\n".join(f"{url}: {sorted(set(seen))}" for url, seen in found.items())
