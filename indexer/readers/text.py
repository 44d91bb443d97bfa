"""Plain text files: encodings (UTF-8/16/32 with or without BOM, GB18030, guessed, mixed) and binary sniffing."""
from __future__ import annotations

import codecs
from pathlib import Path
from typing import Callable

from indexer import noise
from indexer.errors import IngestError
from indexer.readers.raw import CHUNK, RawText, ReadOptions, file_sha, finish, newlines

_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1a\x1b")


def _blocks(path: Path):
    """The file's bytes in blocks that end at a line end (so CRLF pairs and lines stay whole)."""
    rest = b""
    with path.open("rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut]
    if rest:
        yield rest


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
    if sample and sum(sample.count(bytes([c])) for c in _CONTROL) > len(sample) * 0.05:
        return "binary"
    return None


def _bom(head: bytes) -> str | None:
    for sig, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(sig):
            return enc
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a NUL in every other byte; Chinese UTF-16 is caught by charset-normalizer
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8 and odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if len(head) >= 8 and even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


Transform = Callable[[str], str]


def _decode_strict(path: Path, encoding: str, transform: Transform) -> str | None:
    """The whole file decoded (and transformed) block by block, or None at the first invalid byte."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    parts = []
    carry = ""  # a CR that ends one piece may pair with an LF that starts the next (UTF-16 blocks)
    try:
        for block in _blocks(path):
            piece = carry + dec.decode(block)
            carry = "\r" if piece.endswith("\r") else ""
            parts.append(transform(newlines(piece[:-1] if carry else piece)))
        parts.append(transform(newlines(carry + dec.decode(b"", final=True))))
    except UnicodeDecodeError:
        return None
    return "".join(parts)


def _guess_encoding(path: Path) -> str | None:
    from charset_normalizer import from_bytes

    with path.open("rb") as f:
        sample = f.read(1024 * 1024)
    best = from_bytes(sample).best()
    return best.encoding if best else None


def _decode_by_line(path: Path, guess: str | None, transform: Transform) -> tuple[str, int]:
    """Each line in the first encoding that accepts it (mixed files); returns text and lines replaced."""
    encodings = ["utf-8", "gb18030"] + ([guess] if guess and guess not in ("utf_8", "gb18030") else [])
    parts, bad = [], 0
    for block in _blocks(path):
        lines = []
        for raw in block.splitlines(keepends=True):
            for enc in encodings:
                try:
                    lines.append(raw.decode(enc))
                    break
                except (UnicodeDecodeError, LookupError):
                    continue
            else:
                lines.append(raw.decode("gb18030", errors="replace"))
                bad += 1
        parts.append(transform(newlines("".join(lines))))
    return "".join(parts), bad


def _utf8_lines_mixed(path: Path) -> bool:
    """Whether some non-ASCII lines are valid UTF-8 and others are not: a file with mixed encodings."""
    good = bad = 0
    for k, block in enumerate(_blocks(path)):
        if k == 2:
            break  # the first 8 MB tell; a pure GBK file of 200 MB is not scanned line by line
        for raw in block.splitlines():
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                good += 1
            except UnicodeDecodeError:
                bad += 1
            if good and bad:
                return True
    return False


def decode_text_file(path: Path, transform: Transform = lambda s: s) -> tuple[str, str, list[str]]:
    """A text file's content with "\\n" line ends: (text, encoding, warnings).

    Tries UTF-8 strictly, then GB18030 (a superset of GBK and GB2312), then charset-normalizer's guess;
    a file mixing UTF-8 and GBK lines is decoded line by line, with a warning. The file is read in blocks
    that end at line ends and `transform` is applied to each decoded block, so a large file is held in
    memory about twice (decoded blocks, then the joined text), never as bytes and text at once.
    """
    with path.open("rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    enc = _bom(head) or _utf16_without_bom(head)
    if enc:
        text = _decode_strict(path, enc, transform)
        if text is None:
            text = transform(newlines(path.read_bytes().decode(enc, errors="replace")))
            return text, enc, [f"{enc} 解码有错误字符，已替换 / invalid {enc} bytes replaced"]
        return text, enc, []
    kind = sniff_binary(head)
    if kind:
        raise IngestError(path, f"二进制文件，不是文本（{kind}）/ binary file, not text")
    for enc in ("utf-8", "gb18030"):
        if enc == "gb18030" and _utf8_lines_mixed(path):
            break
        text = _decode_strict(path, enc, transform)
        if text is not None:
            return text, enc, []
    guess = _guess_encoding(path)
    if guess and not _utf8_lines_mixed(path):
        text = _decode_strict(path, guess, transform)
        if text is not None:
            return text, guess, [f"编码按猜测 {guess} 解码 / encoding guessed as {guess}"]
    text, bad = _decode_by_line(path, guess, transform)
    warn = "文件混用多种编码，已逐行解码 / mixed encodings, decoded line by line"
    if bad:
        warn += f"；{bad} 行含无法识别的字节 / {bad} lines had undecodable bytes"
    return text, "mixed", [warn]


def check_text(path: Path, text: str) -> None:
    """Refuse decoded text that is binary after all (NULs, many control characters) or blank."""
    if "\x00" in text or sum(text[:65536].count(c) for c in map(chr, _CONTROL)) > min(len(text), 65536) * 0.05:
        raise IngestError(path, "二进制文件，不是文本 / binary file, not text")
    if not text.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")


def read_text(path: Path, options: ReadOptions | None = None, fmt: str = "txt") -> RawText:
    """A plain text file in any encoding users bring, cleaned of page noise."""
    fields: list[tuple[str, str]] = []

    def clean_block(block: str) -> str:
        text, found = noise.clean_local(block)
        fields.extend(found)
        return text

    text, _enc, warnings = decode_text_file(path, clean_block)
    check_text(path, text)
    raw = finish(text, fmt, file_sha(path), warnings)
    return RawText(**{**raw.__dict__, "fields": tuple(dict.fromkeys(raw.fields + tuple(fields)))})
