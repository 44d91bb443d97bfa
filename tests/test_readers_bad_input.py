"""Bad input at read time: traditional-Chinese encodings, garbled and mixed files, blank heads, UTF-16 without a
BOM, control characters, a page that is one huge block, a PDF of blank images. Each gets one clear line."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import IngestError
from indexer.ingest import ocr
from indexer.ingest.corpus import load_document
from indexer.ingest.readers import read_path
from indexer.ingest.readers.charsets import garbled
from indexer.ingest.readers.raw import strip_controls

# 深圳、香港 texts as published: traditional characters
TRAD = ("第一條　為了規範數據處理活動，保護個人、組織的合法權益，促進數據作為生產要素開放流動和開發利用，制定本條例。\n"
        "第二條　本條例適用於香港特別行政區內的數據處理活動，以及有關的監督管理。\n")
SIMPLE = ("一、总体要求\n（一）坚持市场主导，政府引导。充分发挥市场在资源配置中的决定性作用，强化企业主体地位。\n"
          "二、保障措施\n（二）加强组织领导。建立海上风电产业集群联席会议制度，统筹推进重大项目建设。\n")


def fails(path: Path, *words: str) -> str:
    with pytest.raises(IngestError) as info:
        read_path(path)
    msg = str(info.value)
    assert "\n" not in msg and path.name in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    return msg


@pytest.mark.parametrize("encoding, name", [("big5", "cp950"), ("cp950", "cp950"), ("big5hkscs", "big5hkscs")])
def test_traditional_chinese_encodings_are_read_as_such(tmp_path, encoding, name):
    text = TRAD * 5 + ("啲嘢係香港字。\n" if encoding == "big5hkscs" else "")
    f = tmp_path / "hk.txt"
    f.write_bytes(text.encode(encoding))
    raw = read_path(f)
    assert raw.text == text.strip("\n")
    assert raw.warnings == (f"按繁体中文 {name} 编码解码 / decoded as traditional Chinese ({name})",)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_simplified_chinese_is_not_taken_for_big5(tmp_path, encoding):
    f = tmp_path / "cn.txt"
    f.write_bytes((SIMPLE * 3).encode(encoding))
    raw = read_path(f)
    assert raw.text == (SIMPLE * 3).strip("\n") and not raw.warnings


def test_text_that_no_encoding_reads_cleanly_is_flagged_as_garbled(tmp_path):
    # private-use characters plus a four-byte GB18030 sequence that no Big5 reads: an encoding we do not know
    f = tmp_path / "odd.txt"
    f.write_bytes(("一、总体要求\n" + "".join(chr(0xE000 + i) for i in range(60)) + "㐀\n").encode("gb18030"))
    raw = read_path(f)
    assert any("疑似乱码" in w and "looks garbled" in w for w in raw.warnings)


def test_mixed_file_names_the_lines_read_as_big5_and_those_that_could_not_be_read(tmp_path):
    f = tmp_path / "mixed.txt"
    f.write_bytes("一、总体要求\n".encode() + TRAD.encode("big5") + "二、保障措施\n".encode()
                  + b"\xff\xfe\xfd\xfc broken\n" + "（二）加强组织领导。\n".encode("gbk"))
    raw = read_path(f)
    lines = raw.text.split("\n")
    assert lines[:3] == ["一、总体要求", TRAD.split("\n")[0], TRAD.split("\n")[1]]
    (warn,) = raw.warnings
    assert "第 2、3 行按繁体 Big5 解码" in warn and "lines 2, 3 read as Big5" in warn
    assert "第 5 行无法识别" in warn and "line 5 could not be decoded" in warn



def test_mixed_file_names_every_encoding_it_fell_back_to(tmp_path):
    """UTF-8 lines, GBK lines and one short Big5 line: the warning names the GBK lines as well as the Big5 one
    (it once named only Big5 lines, and a Big5 line this short came out as mojibake, "could not be decoded")."""
    lines = [("一、总体要求", "utf-8"), ("（一）坚持市场主导，政府引导。", "gbk"), ("二、保障措施", "utf-8"),
             ("（二）加強組織領導。", "big5"), ("（三）强化要素保障。", "gbk"), ("三、附则", "utf-8")]
    f = tmp_path / "mixed.txt"
    f.write_bytes(b"".join((t + "\n").encode(enc) for t, enc in lines))
    raw = read_path(f)
    assert raw.text.split("\n") == [t for t, _ in lines]
    (warn,) = raw.warnings
    assert "mixed encodings" in warn
    assert "第 2、5 行按 GB18030（GBK）解码" in warn and "lines 2, 5 read as GB18030 (GBK)" in warn
    assert "第 4 行按繁体 Big5 解码" in warn and "line 4 read as Big5" in warn
    assert "无法识别" not in warn


@pytest.mark.parametrize("text, odd", [
    (SIMPLE, False),
    (TRAD, False),
    (TRAD.encode("big5").decode("gb18030"), True),  # what the reader used to produce, silently
    ("β-内酰胺类抗生素的使用管理规定，第一条 为了规范抗菌药物临床应用，制定本规定。", False),
    ("┌──┬──┐ 序号 项目 金额 │ 1 │ 算力补贴 │ 500 │", False),
])
def test_garbled(text, odd):
    assert garbled(text) is odd


def test_first_64_kilobytes_of_blank_lines_are_not_an_empty_file(tmp_path):
    f = tmp_path / "late.txt"
    f.write_bytes(b"\r\n" * 40000 + SIMPLE.encode("gbk"))
    assert read_path(f).text == SIMPLE.strip("\n")
    g = tmp_path / "blank.txt"
    g.write_bytes(b" \n" * 70000)
    fails(g, "文件为空", "empty file")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_chinese_utf16_without_bom_is_text(tmp_path, encoding):
    f = tmp_path / "u16.txt"
    f.write_bytes((SIMPLE * 4).encode(encoding))
    raw = read_path(f)
    assert raw.text == (SIMPLE * 4).strip("\n") and not raw.warnings
    g = tmp_path / "u16-late.txt"  # 80 KB of blank lines first: the byte order must survive skipping them
    g.write_bytes(("\n" * 40000 + SIMPLE).encode(encoding))
    assert read_path(g).text == SIMPLE.strip("\n")


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_control_characters_never_reach_the_text(tmp_path, suffix):
    body = ("一、总体要求\x1b[31m\n（一）坚持\x07市场主导，政府引导。充分发挥市场在资源配置中的决定性作用\x1b]0;pwned\x07。\n"
            "\x0c二、保障措施\x1a\n（二）加强组织领导。建立海上风电产业集群联席会议制度，统筹推进重大项目建设。\x08\n")
    f = tmp_path / f"doc{suffix}"
    data = body if suffix != ".html" else "<html><body>" + "".join(f"<p>{ln}</p>" for ln in body.split("\n")) + \
        "</body></html>"
    f.write_text(data, encoding="utf-8")
    doc = load_document(f)
    assert not any(c in doc.text for c in "\x1b\x07\x08\x0c\x1a\x7f"), repr(doc.text)
    assert "pwned" not in doc.text and "[31m" not in doc.text
    assert "（一）坚持市场主导，政府引导。" in doc.text
    assert [c.marker for c in doc.clauses if c.marker] == ["一、", "（一）", "二、", "（二）"]
    for c in doc.clauses:  # offsets: every clause is the text it points at
        assert doc.text[c.start:c.end] == c.text


def test_control_characters_in_pdf_lines_keep_page_offsets(tmp_path):
    from tests.test_readers import make_pdf

    f = tmp_path / "ctl.pdf"
    f.write_bytes(make_pdf([[(90, 110, "一、总体要求\x07"), (90, 140, "（一）坚持\x1b市场主导。")],
                            [(90, 110, "二、保障措施"), (90, 140, "加强组织领导。")]]))
    raw = read_path(f)
    assert "\x07" not in raw.text and "\x1b" not in raw.text
    assert raw.text[raw.page_starts[1]:].startswith("二、保障措施")


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("第一条总则。，\n\t ") + list(map(chr, range(0, 32))) + ["\x7f", "\x9b"]),
               max_size=80))
def test_strip_controls_leaves_no_control_character(text):
    out = strip_controls(text)
    assert all(c in "\n\t\r" or ord(c) >= 32 and not 0x7f <= ord(c) <= 0x9f for c in out)
    assert strip_controls(out) == out


def test_html_page_whose_text_is_one_huge_block(tmp_path):
    sentence = "为加快推动人工智能产业高质量发展，结合本市实际，制定本措施。"
    f = tmp_path / "block.html"
    f.write_bytes(f'<html><head><meta charset="gbk"></head><body><p>{sentence * 400_000}</p></body></html>'
                  .encode("gbk"))  # 12 M characters in one text node: libxml2 drops it unless told otherwise
    raw = read_path(f)
    assert raw.text.split("\n")[:2] == [sentence, sentence] and raw.text.count("\n") == 399_999
    (warn,) = raw.warnings
    assert "一整段" in warn and "without paragraphs" in warn
    assert "导航" not in warn and "noise" not in warn


def test_html_page_without_any_text_is_not_called_navigation(tmp_path):
    f = tmp_path / "empty.html"
    f.write_text("<html><body><div><img src='a.png'></div></body></html>", encoding="utf-8")
    msg = fails(f, "网页中没有正文文字", "no text in the page")
    assert "导航" not in msg


def _blank_scan(path: Path, pages: int) -> Path:
    from PIL import Image

    images = [Image.new("L", (620, 877), 255) for _ in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=75)
    return path


def test_pdf_of_blank_images_is_described_as_such(tmp_path, monkeypatch):
    f = _blank_scan(tmp_path / "blank-scan.pdf", 3)
    monkeypatch.setattr(ocr, "available", lambda: True)
    monkeypatch.setattr(ocr, "_engine", lambda image, use_cls=True: (None, None))  # what RapidOCR says to white
    msg = fails(f, "OCR 未识别出任何文字", "OCR found no text on 3 scanned pages")
    assert "噪声" not in msg and "noise" not in msg
    monkeypatch.setattr(ocr, "available", lambda: False)
    fails(f, "扫描件无文字层", "OCR unavailable")


def test_a_pdf_whose_object_refers_back_to_itself_is_refused_not_followed_forever(tmp_path):
    """A 2 KB damaged PDF found by tests/test_fuzz.py: pdfminer followed its reference cycle for good, hanging
    the build; now one line names the file and the damage, and a good PDF still reads."""
    src = Path(__file__).parent / "data" / "pdf_reference_cycle.pdf"
    with pytest.raises(IngestError, match="对象循环引用 / corrupt PDF: an object refers back to itself") as err:
        read_path(src, ocr=False)
    assert "\n" not in str(err.value) and err.value.__cause__ is None
    good = Path(__file__).resolve().parents[2] / "shared" / "external" / "national_2026_central-no1-document.pdf"
    if good.exists():  # the guard is installed now: a sound PDF reads as before
        assert "乡村" in read_path(good, ocr=False).text


# ---------------------------------------------------------------- .docx that inflate (zip bombs below the old guard)

def _inflating_docx(path: Path, parts: dict[str, int]) -> Path:
    """A minimal .docx whose named XML parts inflate to the given sizes (padding compresses ~1000:1)."""
    import zipfile

    body = "<w:p><w:r><w:t>第一条 为了规范管理，制定本办法。</w:t></w:r></w:p>"
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        for name, size in parts.items():
            head = f'<?xml version="1.0"?><w:document {ns}><w:body>{body}'
            tail = "</w:body></w:document>"
            pad = max(0, size - len(head.encode()) - len(tail))
            chunk = "<!--" + " " * (2**20 - 7) + "-->"  # comments of 1 MB (lxml refuses one text over 10 MB)
            z.writestr(name, head + chunk * (pad // len(chunk)) + " " * (pad % len(chunk)) + tail)
    return path


def test_a_docx_part_that_inflates_past_the_cap_is_refused_at_once(tmp_path):
    import time

    from indexer import limits

    bomb = _inflating_docx(tmp_path / "bomb.docx", {"word/document.xml": limits.MAX_DOCX_PART + 2**20})
    assert bomb.stat().st_size < 2**20  # well under a megabyte on disk
    t0 = time.perf_counter()
    msg = fails(bomb, "解压", "MB", "inflates")
    assert "word/document.xml" in msg and time.perf_counter() - t0 < 10


def test_docx_parts_that_inflate_past_the_total_cap_together_are_refused(tmp_path):
    from indexer import limits

    each = limits.MAX_DOCX_PART - 2**20
    parts = {"word/document.xml": each, **{f"word/header{i}.xml": each
                                           for i in range(1, limits.MAX_DOCX_XML // each + 1)}}
    msg = fails(_inflating_docx(tmp_path / "many.docx", parts), "解压", "MB", "inflate")
    assert "in all" in msg


def test_reading_one_docx_stops_at_the_time_limit(tmp_path, monkeypatch):
    from indexer import limits

    slow = _inflating_docx(tmp_path / "slow.docx", {"word/document.xml": 2000})
    assert "规范管理" in read_path(slow).text
    monkeypatch.setattr(limits, "MAX_READ_SECONDS", 0)
    fails(slow, "超时", "longer than 0 s")
