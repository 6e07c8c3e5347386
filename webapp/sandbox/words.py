"""A CFDI's total in words, as Mexican invoices print it: "MIL CIENTO SESENTA PESOS 00/100 M.N.".

``num2words`` spells the integer part; two rules of Spanish it leaves out are added here: before
a masculine noun (and before *mil*, *millones*) *uno* is *un* and *veintiuno* is *veintiún*
("VEINTIÚN MIL PESOS", "MIL UN PESOS"), and exact millions take *de* ("UN MILLÓN DE PESOS").
Cents are written as ``nn/100`` followed by ``M.N.`` for pesos or the currency code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

__all__ = ["amount_in_words"]

# currency → (singular, plural) of its name; others are named by their code
_NAMES = {
    "MXN": ("PESO", "PESOS"),
    "USD": ("DÓLAR", "DÓLARES"),
    "EUR": ("EURO", "EUROS"),
    "CAD": ("DÓLAR CANADIENSE", "DÓLARES CANADIENSES"),
}
_APOCOPE = {"uno": "un", "veintiuno": "veintiún"}


def amount_in_words(amount: Decimal, currency: str = "MXN") -> str:
    """``SON: … PESOS 00/100 M.N.`` (``… DÓLARES 00/100 USD``) for a non-negative amount."""
    cents_total = int(abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    whole, cents = divmod(cents_total, 100)
    code = (currency or "MXN").upper()
    singular, plural = _NAMES.get(code, ("", ""))
    noun = singular if whole == 1 else plural
    words = num2words(whole, lang="es").split()
    if noun:
        words = [_APOCOPE.get(word, word) for word in words]
        if words[-1] in ("millón", "millones", "billón", "billones"):
            words.append("de")
    suffix = "M.N." if code == "MXN" else code
    parts = [" ".join(words).upper(), noun, f"{cents:02d}/100", suffix]
    return "SON: " + " ".join(part for part in parts if part)
