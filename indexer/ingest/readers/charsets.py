"""What a file's bytes look like: binary magic, BOMs, UTF-16 without a BOM, garbled Chinese, Big5."""
from __future__ import annotations

import codecs
import re

CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1a\x1b")
TRADITIONAL = ("cp950", "big5hkscs")  # Big5 as Windows writes it, then with the Hong Kong characters
# What GB18030 makes of Big5 bytes: private-use, kana, bopomofo, Greek and Cyrillic from the GB2312 symbol rows.
# Chinese documents in their own encoding hold almost none of these.
_ODD = re.compile("[\ue000-\uf8ff\u3040-\u30ff\u3100-\u312f\u0370-\u03ff\u0400-\u04ff\ufffd]")
_TEXTLIKE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\x20-\x7e\n\r\t\u2014-\u201d\u00b7]")
GARBLED_SHARE = 0.03  # of the non-ASCII characters


def sniff_binary(head: bytes) -> str | None:
    """What a file that is not text looks like, or None when its first bytes could be text."""
    magic = {b"%PDF": "PDF", b"PK\x03\x04": "ZIP/DOCX", b"\xd0\xcf\x11\xe0": "Word .doc/OLE",
             b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"\x7fELF": "ELF"}
    for sig, name in magic.items():
        if head.startswith(sig):
            return name
    if b"\x00" in head:
        return "binary"
    sample = head[:65536]
    if sample and sum(sample.count(bytes([c])) for c in CONTROL_BYTES) > len(sample) * 0.05:
        return "binary"
    return None


def bom(head: bytes) -> str | None:
    for sig, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(sig):
            return enc
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII-heavy text has a NUL in every other byte, Chinese text reads as CJK."""
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8 and odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if len(head) >= 8 and even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    if b"\x00" in head:
        return _utf16_by_content(head)
    return None


def _utf16_by_content(head: bytes) -> str | None:
    """Chinese UTF-16 has NULs only where ASCII sits: the byte order whose decoding reads as text wins."""
    head = head[:len(head) // 2 * 2]
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            s = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if s and len(_TEXTLIKE.findall(s)) >= 0.95 * len(s):
            return enc
    return None


def garbled(text: str, min_chars: int = 20) -> bool:
    """Whether decoded Chinese text looks like the wrong encoding's reading of it (mojibake)."""
    wide = sum(1 for c in text if ord(c) > 0x7f) if len(text) < 4096 else len(re.findall(r"[^\x00-\x7f]", text))
    return wide >= min_chars and len(_ODD.findall(text)) > GARBLED_SHARE * wide


def traditional(sample: bytes) -> str | None:
    """The Big5 encoding that reads these bytes as clean text while GB18030 reads them as mojibake, or None."""
    try:
        if not garbled(sample.decode("gb18030")):
            return None
    except UnicodeDecodeError:
        return None  # not Chinese in a GB or Big5 encoding (Latin-1 bytes read as Big5 too): left to the guess
    for enc in TRADITIONAL:
        try:
            if not garbled(sample.decode(enc), min_chars=1):
                return enc
        except UnicodeDecodeError:
            continue
    return None
