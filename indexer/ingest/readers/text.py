"""Plain text files: encodings (UTF-8/16/32 with or without BOM, GB18030, guessed, mixed) and binary sniffing."""
from __future__ import annotations

import codecs
from pathlib import Path
from typing import Callable

from indexer.errors import IngestError
from indexer.ingest import noise
from indexer.ingest.readers.charsets import (
    CONTROL_BYTES,
    TRADITIONAL,
    bom,
    garbled,
    sniff_binary,
    traditional,
    utf16_without_bom,
)
from indexer.ingest.readers.raw import (
    CHUNK,
    RawText,
    ReadOptions,
    file_sha,
    finish,
    newlines,
    strip_controls,
)

_CONTROL_CHARS = tuple(map(chr, CONTROL_BYTES))


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


def _decode_line(raw: bytes, encodings: list[str]) -> tuple[str, str]:
    """One line in the first encoding that reads it as clean text: (text, encoding; "" when none could)."""
    fallback = None
    for enc in encodings:
        try:
            s = raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc != "gb18030" or not garbled(s, min_chars=2):
            return s, enc
        fallback = fallback or (s, enc)
        for big5 in TRADITIONAL:  # GB18030 reads Big5 bytes too, as mojibake: one line is too short for
            try:  # traditional()'s judgement of a whole file, so each Big5 reading is tried as it stands
                t = raw.decode(big5)
            except UnicodeDecodeError:
                continue
            if not garbled(t, min_chars=1):
                return t, big5
    if fallback:
        return fallback[0], ""
    return raw.decode("gb18030", errors="replace"), ""


def _decode_by_line(path: Path, guess: str | None, transform: Transform) -> tuple[str, dict[str, list[int]]]:
    """Each line in the first encoding that reads it (mixed files): the text, and the numbers of the lines of
    non-ASCII text read in each encoding ("" for those no encoding could read: replaced or left garbled)."""
    encodings = ["utf-8", "gb18030"] + ([guess] if guess and guess not in ("utf_8", "gb18030") else [])
    parts: list[str] = []
    used: dict[str, list[int]] = {}
    n = 0
    for block in _blocks(path):
        lines = []
        for raw in block.splitlines(keepends=True):
            n += 1
            s, enc = _decode_line(raw, encodings)
            lines.append(s)
            if not raw.isascii():
                used.setdefault(enc, []).append(n)
        parts.append(transform(newlines("".join(lines))))
    return "".join(parts), used


def _line_list_en(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(k) for k in numbers[:limit])
    return ("line " if len(numbers) == 1 else "lines ") + shown + (f" ({len(numbers)} in all)" if len(numbers) > limit else "")


def _line_list(numbers: list[int], limit: int = 10) -> str:
    shown = "、".join(str(k) for k in numbers[:limit])
    return shown + (f" 等 {len(numbers)} 行" if len(numbers) > limit else " 行")


def _read_as(enc: str) -> tuple[str, str]:
    """(Chinese, English) words for lines read in an encoding, in a warning."""
    if enc == "gb18030":
        return "按 GB18030（GBK）解码", "GB18030 (GBK)"
    if enc in TRADITIONAL:
        return "按繁体 Big5 解码", "Big5"
    return f"按 {enc} 解码", enc


def mixed_warning(used: dict[str, list[int]]) -> str:
    """The warning of a file decoded line by line: every encoding it fell back to, with its lines. The encoding
    of most lines is the file's own and goes unnamed (UTF-8 when as many lines read as UTF-8)."""
    warn = "文件混用多种编码，已逐行解码 / mixed encodings, decoded line by line"
    readable = {e: ns for e, ns in used.items() if e}
    main = max(readable, key=lambda e: (len(readable[e]), e == "utf-8"), default="")
    for enc, numbers in readable.items():
        if enc != main:
            cn, en = _read_as(enc)
            warn += f"；第 {_line_list(numbers)}{cn} / {_line_list_en(numbers)} read as {en}"
    if used.get(""):
        warn += f"；第 {_line_list(used[''])}无法识别，可能是乱码 / {_line_list_en(used[''])} could not be decoded"
    return warn


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


def _head(path: Path) -> tuple[bytes, bytes]:
    """The first bytes (for a BOM) and 64 KB from the first byte that is not blank (a file may open with many
    blank lines), cut at an even offset so that UTF-16 keeps its byte order; (b"", b"") for a blank file."""
    with path.open("rb") as f:
        first = f.read(4)
        f.seek(0)
        while True:
            block = f.read(65536)
            if not block:
                return b"", b""
            k = len(block) - len(block.lstrip())
            if k < len(block):
                k -= k % 2
                return first, block[k:] + f.read(k)


def decode_text_file(path: Path, transform: Transform = lambda s: s) -> tuple[str, str, list[str]]:
    """A text file's content with "\\n" line ends: (text, encoding, warnings).

    Tries UTF-8 strictly, then GB18030 (a superset of GBK and GB2312) unless its reading looks like mojibake
    and a Big5 encoding reads the file cleanly, then charset-normalizer's guess; a file mixing encodings is
    decoded line by line, with a warning naming the lines read in each encoding it fell back to (GB18030, Big5,
    the guess) and those that could not be read. The
    file is read in blocks that end at line ends and `transform` is applied to each decoded block, so a large
    file is held in memory about twice (decoded blocks, then the joined text), never as bytes and text at once.
    """
    first, head = _head(path)
    if not head:
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    enc = bom(first) or utf16_without_bom(head)
    if enc:
        text = _decode_strict(path, enc, transform)
        if text is None:
            text = transform(newlines(path.read_bytes().decode(enc, errors="replace")))
            return text, enc, [f"{enc} 解码有错误字符，已替换 / invalid {enc} bytes replaced"]
        return text, enc, []
    kind = sniff_binary(head)
    if kind:
        raise IngestError(path, f"二进制文件，不是文本（{kind}）/ binary file, not text")
    sample = _sample(path)
    big5 = None if _valid(sample, "utf-8") else traditional(sample)
    for enc in ("utf-8", big5, "gb18030"):
        if enc is None or enc == "gb18030" and _utf8_lines_mixed(path):
            continue
        text = _decode_strict(path, enc, transform)
        if text is not None:
            if enc == big5:
                return text, enc, [f"按繁体中文 {enc} 编码解码 / decoded as traditional Chinese ({enc})"]
            if enc == "gb18030" and garbled(text[:1_000_000]):
                return text, enc, ["按 GB18030 解码后疑似乱码，编码可能有误 / text looks garbled after decoding as "
                                   "GB18030: wrong encoding?"]
            return text, enc, []
    guess = _guess_encoding(path)
    if guess and not _utf8_lines_mixed(path):
        text = _decode_strict(path, guess, transform)
        if text is not None:
            return text, guess, [f"编码按猜测 {guess} 解码 / encoding guessed as {guess}"]
    text, used = _decode_by_line(path, guess, transform)
    return text, "mixed", [mixed_warning(used)]


def _sample(path: Path) -> bytes:
    """The first MB, cut at a line end, for choosing an encoding."""
    with path.open("rb") as f:
        data = f.read(1024 * 1024)
    cut = data.rfind(b"\n") + 1
    return data[:cut] if cut and len(data) == 1024 * 1024 else data


def _valid(data: bytes, enc: str) -> bool:
    try:
        data.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def check_text(path: Path, text: str) -> None:
    """Refuse decoded text that is binary after all (NULs, many control characters) or blank."""
    if "\x00" in text or sum(text[:65536].count(c) for c in _CONTROL_CHARS) > min(len(text), 65536) * 0.05:
        raise IngestError(path, "二进制文件，不是文本 / binary file, not text")
    if not text.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")


def read_text(path: Path, options: ReadOptions | None = None, fmt: str = "txt") -> RawText:
    """A plain text file in any encoding users bring, cleaned of page noise."""
    fields: list[tuple[str, str]] = []
    controls = 0

    def clean_block(block: str) -> str:
        nonlocal controls
        if "\x00" in block:
            raise IngestError(path, "二进制文件，不是文本 / binary file, not text")
        controls += sum(block.count(c) for c in _CONTROL_CHARS)  # as binary sniffing counts them
        text, found = noise.clean_local(strip_controls(block))
        fields.extend(found)
        return text

    text, _enc, warnings = decode_text_file(path, clean_block)
    if controls > 0.05 * (len(text) + controls):
        raise IngestError(path, "二进制文件，不是文本 / binary file, not text")
    check_text(path, text)
    raw = finish(text, fmt, file_sha(path), warnings)
    return RawText(**{**raw.__dict__, "fields": tuple(dict.fromkeys(raw.fields + tuple(fields)))})
