"""Fuzzing with Hypothesis: readers, noise removal and the outline segmenter on arbitrary input.

Invariants: reading any bytes raises nothing but IngestError (one line); normalising is idempotent; segmenting
never raises, tiles the text (offsets map back, nothing lost or duplicated), and gives the same tree twice.
Budget: FUZZ_EXAMPLES (default 2000) per cheap property, a quarter of it for PDF/DOCX mutations. Run with
`-s --hypothesis-show-statistics` to see the counts; the module prints its totals at the end.
"""
from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import IngestError
from indexer.ingest import noise, outline
from indexer.ingest.readers import read_path
from tests.test_outline import OUTLINE_LINES, assert_tiles
from tests.test_readers import make_pdf

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
HEAVY = max(FUZZ_EXAMPLES // 4, 20)  # PDF and DOCX parsing costs more per example
COUNTS: Counter = Counter()
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CHINESE = "一二三四五六七八九十、。，；：（）〔〕《》“”第条章节篇产业集群发展政策措施市省县区规字号年月日"
text_st = st.text(alphabet=st.one_of(st.sampled_from(CHINESE), st.characters()), max_size=400)
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@st.composite
def file_bytes(draw):
    """Bytes a user might call text: encoded text (maybe mixed, maybe damaged) or plain garbage."""
    kind = draw(st.sampled_from(["text", "mixed", "damaged", "binary"]))
    if kind == "binary":
        return draw(st.binary(max_size=3000))
    parts = []
    for _ in range(draw(st.integers(1, 4 if kind == "mixed" else 1))):
        enc = draw(st.sampled_from(ENCODINGS))
        s = "\n".join(draw(st.lists(st.one_of(OUTLINE_LINES, text_st), max_size=12)))
        parts.append(s.encode(enc, errors="replace"))
    data = b"\r\n".join(parts)
    if kind == "damaged" and data:
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + draw(st.binary(min_size=1, max_size=4)) + data[i + 1:]
    return data


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)
    print(f"\nfuzz examples run: {dict(sorted(COUNTS.items()))}, total {sum(COUNTS.values())}")


def _read_only_ingest_errors(path: Path) -> str | None:
    """read_path's text, or None after an IngestError that is one line and hides its traceback."""
    try:
        raw = read_path(path, ocr=False)
    except IngestError as exc:
        msg = str(exc)
        assert "\n" not in exc.problem and exc.problem.strip(), msg
        assert exc.__cause__ is None, "a library's exception leaks as the cause"
        return None
    assert isinstance(raw.text, str) and raw.text.strip()
    assert "\r" not in raw.text and "\x00" not in raw.text
    assert list(raw.page_starts) == sorted(raw.page_starts)
    assert all(0 <= p <= len(raw.text) for p in raw.page_starts)
    return raw.text


@settings(max_examples=FUZZ_EXAMPLES, **SETTINGS)
@given(data=file_bytes(), suffix=st.sampled_from([".txt", ".md"]))
def test_reading_any_bytes_as_text_raises_only_ingest_errors(folder, data, suffix):
    COUNTS["read text"] += 1
    path = folder / f"f{suffix}"
    path.write_bytes(data)
    text = _read_only_ingest_errors(path)
    if text is not None:  # what the reader returns is already normalised, and segments cleanly
        assert noise.clean_text(text).text == text
        assert_tiles(text, outline.segment(text, "f"))


@settings(max_examples=HEAVY * 3, **SETTINGS)
@given(data=st.one_of(file_bytes(), st.builds(
    lambda body, cs: f'<html><head><meta charset="{cs}"></head><body>{body}</body></html>'.encode(cs, "replace"),
    st.lists(st.one_of(OUTLINE_LINES, text_st).map(lambda s: f"<p>{s}</p>"), max_size=10).map("".join),
    st.sampled_from(["utf-8", "gbk"]))))
def test_reading_any_bytes_as_html_raises_only_ingest_errors(folder, data):
    COUNTS["read html"] += 1
    path = folder / "f.html"
    path.write_bytes(data)
    _read_only_ingest_errors(path)


def _mutate(data: bytes, draw) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "splice", "zero"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 20))):
        i = draw(st.integers(0, len(out) - 1))
        if how == "flip":
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif how == "zero":
            out[i] = 0
        else:
            chunk = draw(st.binary(min_size=1, max_size=16))
            out[i:i + len(chunk)] = chunk
    return bytes(out)


PDF = make_pdf([[(90, 80, "一、总体要求"), (90, 120, "（一）坚持市场主导，政府引导。")],
                [(90, 80, "二、保障措施"), (90, 120, "加强组织领导，完善工作机制。")]])


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体要求")
    d.add_paragraph("（一）坚持市场主导，政府引导。")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "项目", "金额"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


DOCX = _docx_bytes()


@settings(max_examples=HEAVY, **SETTINGS)
@given(st.data())
def test_mutated_pdf_raises_only_ingest_errors(folder, data):
    COUNTS["mutated pdf"] += 1
    path = folder / "f.pdf"
    path.write_bytes(_mutate(PDF, data.draw))
    _read_only_ingest_errors(path)


@settings(max_examples=HEAVY, **SETTINGS)
@given(st.data())
def test_mutated_docx_raises_only_ingest_errors(folder, data):
    COUNTS["mutated docx"] += 1
    path = folder / "f.docx"
    path.write_bytes(_mutate(DOCX, data.draw))
    _read_only_ingest_errors(path)


@settings(max_examples=FUZZ_EXAMPLES, **SETTINGS)
@given(st.lists(st.one_of(OUTLINE_LINES, text_st), max_size=30), st.sampled_from(["\n", "\r\n", "\r", "\u2028"]))
def test_normalising_is_idempotent_and_never_raises(folder, lines, sep):
    COUNTS["normalise"] += 1
    once = noise.clean_text(sep.join(lines))
    assert noise.clean_text(once.text).text == once.text
    assert "\r" not in once.text


@settings(max_examples=FUZZ_EXAMPLES, **SETTINGS)
@given(st.one_of(text_st, st.lists(st.one_of(OUTLINE_LINES, text_st), max_size=40).map("\n".join)),
       st.lists(st.integers(0, 2000), max_size=6))
def test_segmenting_any_text_tiles_it_and_is_deterministic(folder, text, starts):
    COUNTS["segment"] += 1
    page_starts = tuple(sorted({0, *(min(s, len(text)) for s in starts)}))
    clauses = outline.segment(text, "z", page_starts=page_starts)
    assert_tiles(text, clauses)  # offsets map back to the source; nothing lost, nothing twice
    assert [c.to_dict() for c in outline.segment(text, "z", page_starts=page_starts)] == [c.to_dict() for c in clauses]
    ids = {c.clause_id for c in clauses}
    for c in clauses:
        assert c.parent_id is None or c.parent_id in ids
        assert c.page is not None and 1 <= c.page <= len(page_starts)
