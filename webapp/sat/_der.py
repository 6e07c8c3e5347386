"""A tiny DER reader: just enough ASN.1 to read names and sniff key structures.

``cryptography`` refuses to give us a certificate's subject when SAT encoded it as a T61String
holding Latin-1 bytes (every taxpayer with Ñ/Ó/í in the name, see VALIDATION-NOTES 1.3), and it
cannot tell "wrong password" from "not a key". Both need only a few TLV reads, so we keep this
instead of adding ``asn1crypto`` (whose ``.native`` also chokes on SAT's 2.5.4.45 encoding).
"""

from __future__ import annotations

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
OID = 0x06
BIT_STRING = 0x03
CONTEXT_0 = 0xA0


class DerError(ValueError):
    """The bytes are not the DER structure we expected."""


def read_tlv(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    """Read one TLV at ``pos``; return (tag, content start, content end)."""
    if pos + 2 > len(buf):
        raise DerError("truncated")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not supported")
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(buf):
            raise DerError("bad length")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(buf):
        raise DerError("truncated")
    return tag, pos, end


def children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """All TLVs directly inside ``buf[start:end]``."""
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = read_tlv(buf, pos)
        if cend > end:
            raise DerError("child overruns parent")
        out.append((tag, cstart, cend))
        pos = cend
    return out


def decode_oid(raw: bytes) -> str:
    """Dotted string of an OBJECT IDENTIFIER's content bytes."""
    if not raw:
        raise DerError("empty OID")
    parts: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    if value:
        raise DerError("unterminated OID")
    first = parts[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(p) for p in head + parts[1:])


def decode_string(tag: int, raw: bytes) -> str:
    """Text of an ASN.1 string, the way SAT certificates actually encode them."""
    if tag == 0x0C:  # UTF8String (fall back for mislabelled Latin-1)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", errors="replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", errors="replace")
    if tag == BIT_STRING:  # X.520 x500UniqueIdentifier as the standard says
        raw = raw[1:]
    # PrintableString 0x13, T61String 0x14, IA5String 0x16 and anything else: SAT uses Latin-1.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_name(buf: bytes, start: int, end: int) -> list[tuple[str, str]]:
    """(dotted OID, text) pairs of an X.501 Name, in encoding order."""
    attrs: list[tuple[str, str]] = []
    for set_tag, set_start, set_end in children(buf, start, end):
        if set_tag != SET:
            raise DerError("RDN is not a SET")
        for seq_tag, seq_start, seq_end in children(buf, set_start, set_end):
            if seq_tag != SEQUENCE:
                raise DerError("attribute is not a SEQUENCE")
            parts = children(buf, seq_start, seq_end)
            if len(parts) != 2 or parts[0][0] != OID:
                raise DerError("attribute is not {OID, value}")
            oid = decode_oid(buf[parts[0][1] : parts[0][2]])
            vtag, vstart, vend = parts[1]
            attrs.append((oid, decode_string(vtag, buf[vstart:vend])))
    return attrs


def tbs_names(tbs: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(issuer, subject) attributes of a DER TBSCertificate."""
    tag, start, end = read_tlv(tbs)
    if tag != SEQUENCE:
        raise DerError("TBSCertificate is not a SEQUENCE")
    items = children(tbs, start, end)
    if items and items[0][0] == CONTEXT_0:
        items = items[1:]  # explicit [0] version
    # serialNumber, signature, issuer, validity, subject, ...
    if len(items) < 5 or items[2][0] != SEQUENCE or items[4][0] != SEQUENCE:
        raise DerError("unexpected TBSCertificate layout")
    issuer = parse_name(tbs, items[2][1], items[2][2])
    subject = parse_name(tbs, items[4][1], items[4][2])
    return issuer, subject


def whole_sequence(data: bytes) -> list[tuple[int, int, int]] | None:
    """Children of ``data`` when it is exactly one DER SEQUENCE, else None."""
    try:
        tag, start, end = read_tlv(data)
        if tag != SEQUENCE or end != len(data):
            return None
        return children(data, start, end)
    except DerError:
        return None


def encrypted_pkcs8_algorithm(data: bytes) -> str | None:
    """The encryption OID when ``data`` is a DER EncryptedPrivateKeyInfo, else None."""
    items = whole_sequence(data)
    if not items or len(items) != 2 or items[0][0] != SEQUENCE or items[1][0] != OCTET_STRING:
        return None
    try:
        alg = children(data, items[0][1], items[0][2])
        if not alg or alg[0][0] != OID:
            return None
        return decode_oid(data[alg[0][1] : alg[0][2]])
    except DerError:
        return None


def is_plain_pkcs8(data: bytes) -> bool:
    """Whether ``data`` looks like an unencrypted PrivateKeyInfo / RSAPrivateKey."""
    items = whole_sequence(data)
    return bool(items) and items[0][0] == INTEGER and len(items) >= 3
