"""Readers: every format and encoding users bring, real files where we have them, and every way a file fails."""
from __future__ import annotations

import hashlib
import re
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from indexer.errors import IngestError
from indexer.ingest import noise, ocr, outline, page_layout, readers
from indexer.ingest.corpus import load_document
from indexer.ingest.readers import read_path

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXTERNAL = SHARED / "external"
SEEDS = SHARED / "seeds"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")

CENTRAL_PDF = EXTERNAL / "national_2026_central-no1-document.pdf"
CENTRAL_DOCX = EXTERNAL / "national_2026_central-no1-document.docx"
HAINAN_PDF = EXTERNAL / "hainan_2024_farm-machinery-subsidy-implementation-plan.pdf"
HAINAN_DOC = EXTERNAL / "hainan_2024_farm-machinery-subsidy-implementation-plan.doc"
SCANNED = EXTERNAL / "national_2025_moa-farm-machinery-subsidy-opinion_SCANNED.pdf"

CLAUSES = "一、总体要求\n（一）坚持市场主导，政府引导。充分发挥市场在资源配置中的决定性作用。\n二、保障措施\n加强组织领导。"


def fails(path, *words):
    """read_path raises exactly one IngestError: one line, naming the file and the problem."""
    with pytest.raises(IngestError) as info:
        read_path(path)
    exc = info.value
    msg = str(exc)
    assert "\n" not in msg and Path(path).name in msg, msg
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__), "traceback leaks"
    for w in words:
        assert w in msg, (w, msg)
    return msg


# ---- encodings ----

@needs_shared
def test_gbk_file_with_crlf_decodes():
    raw = read_path(EXTERNAL / "guangzhou_2025_cosmetics-industry-support-measures.GBK-raw.txt")
    assert "穗市监规字〔2025〕1号" in raw.text
    assert "广州市促进化妆品产业高质量发展专项扶持办法" in raw.text
    assert "\r" not in raw.text and "第一条 为推动" in raw.text
    assert ("发布机关", "广州市市场监督管理局") in raw.fields


@needs_shared
def test_gb18030_file_decodes():
    raw = read_path(EXTERNAL / "nanning_2016_science-technology-13th-fyp.GB18030-raw.txt")
    assert "南府办〔2016〕71号" in raw.text and "第一篇　建设创新型南宁" in raw.text
    assert raw.sha256 == hashlib.sha256(
        (EXTERNAL / "nanning_2016_science-technology-13th-fyp.GB18030-raw.txt").read_bytes()).hexdigest()


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
                                          ("utf-16-be", b"\xfe\xff"), ("gbk", b""), ("gb18030", b"")])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_ends(tmp_path, encoding, bom, newline):
    f = tmp_path / "doc.txt"
    f.write_bytes(bom + CLAUSES.replace("\n", newline).encode(encoding))
    raw = read_path(f)
    assert raw.text == CLAUSES
    assert raw.format == "txt" and not raw.warnings


def test_mixed_utf8_and_gbk_lines_decode_line_by_line_with_a_warning(tmp_path):
    f = tmp_path / "mixed.txt"
    f.write_bytes("一、总体要求\n".encode("utf-8") + "（一）坚持市场主导，政府引导。\n".encode("gbk")
                  + "二、保障措施\n".encode("utf-8"))
    raw = read_path(f)
    assert raw.text == "一、总体要求\n（一）坚持市场主导，政府引导。\n二、保障措施"
    assert any("mixed encodings" in w for w in raw.warnings)


def test_encoding_outside_utf8_and_gb18030_is_guessed(tmp_path):
    f = tmp_path / "latin.txt"
    text = "Règlement relatif à la coopération économique.\nArticle premier: les entités concernées.\n" * 20
    f.write_bytes(text.encode("cp1252"))
    raw = read_path(f)
    assert "Règlement relatif à la coopération économique." in raw.text
    assert raw.warnings


def test_markdown_reads_as_text(tmp_path):
    f = tmp_path / "notes.md"
    f.write_text(CLAUSES, encoding="utf-8")
    raw = read_path(f)
    assert raw.format == "md" and raw.text == CLAUSES


def test_fifty_megabyte_file_reads_in_bounded_memory(tmp_path):
    f = tmp_path / "big.txt"
    block = ("（一）坚持市场主导，政府引导。充分发挥市场在资源配置中的决定性作用，强化企业主体地位。\r\n" * 200
             + "今天是 2024年09月17日 星期二\r\n").encode("gb18030")
    n = 50 * 2**20 // len(block) + 1
    with f.open("wb") as out:
        out.write("一、总体要求\r\n".encode("gb18030"))
        for _ in range(n):
            out.write(block)
    size = f.stat().st_size
    tracemalloc.start()
    try:
        raw = read_path(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raw.text.startswith("一、总体要求\n（一）坚持市场主导")
    assert raw.text.count("\n") == n * 200 and "今天是" not in raw.text
    # the text itself is ~2/3 of the file in characters (2 bytes each): a few copies at most
    assert peak < 3 * size, f"peak {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB file"


def test_files_over_the_size_limit_are_refused(tmp_path, monkeypatch):
    f = tmp_path / "huge.txt"
    f.write_text(CLAUSES * 100, encoding="utf-8")
    monkeypatch.setattr(readers, "MAX_BYTES", 1000)
    fails(f, "文件过大", "file too large")


# ---- bad input ----

def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    fails(tmp_path / "empty.txt", "文件为空", "empty file")


def test_whitespace_only_file(tmp_path):
    (tmp_path / "blank.txt").write_bytes(" \r\n\t\n\u3000\n".encode("utf-8"))
    fails(tmp_path / "blank.txt", "文件为空", "empty file")


def test_binary_renamed_txt(tmp_path):
    f = tmp_path / "photo.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    fails(f, "二进制文件", "binary file, not text")
    g = tmp_path / "data.txt"
    g.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 65, 66]) * 500)
    fails(g, "二进制文件", "binary file, not text")


def test_unsupported_extension(tmp_path):
    f = tmp_path / "sheet.xyz"
    f.write_text("内容", encoding="utf-8")
    msg = fails(f, "不支持的文件类型 .xyz", "unsupported file type")
    assert ".pdf" in msg and ".docx" in msg


def test_missing_file(tmp_path):
    fails(tmp_path / "gone.txt", "文件不存在", "file not found")


@needs_shared
def test_truncated_pdf(tmp_path):
    data = CENTRAL_PDF.read_bytes()
    f = tmp_path / "truncated.pdf"
    f.write_bytes(data[: len(data) // 2])
    fails(f, "PDF 损坏或不完整", "corrupt or truncated PDF")


def test_corrupt_pdf(tmp_path):
    f = tmp_path / "corrupt.pdf"
    f.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    fails(f, "PDF 损坏", "corrupt")
    g = tmp_path / "not-a-pdf.pdf"
    g.write_text("这不是 PDF", encoding="utf-8")
    fails(g, "PDF 损坏", "not a PDF")


def test_password_protected_pdf(tmp_path):
    f = tmp_path / "locked.pdf"
    f.write_bytes(make_pdf([[(90, 80, "一、总体要求")]], user_password="secret"))
    fails(f, "PDF 已加密，需要密码", "password-protected PDF")
    import pdfplumber  # the fixture is a real encrypted PDF: the right password opens it

    with pdfplumber.open(f, password="secret") as pdf:
        assert "一、总体要求" in pdf.pages[0].extract_text()


def test_corrupt_docx(tmp_path):
    f = tmp_path / "broken.docx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    fails(f, "DOCX 损坏", "corrupt DOCX")


def test_doc_without_antiword(tmp_path, monkeypatch):
    f = tmp_path / "old.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    monkeypatch.setattr(readers.shutil, "which", lambda name: None)
    fails(f, "apt-get install -y antiword", "legacy .doc needs antiword")


@pytest.mark.skipif(readers.shutil.which("antiword") is None, reason="antiword not installed")
def test_corrupt_doc(tmp_path):
    f = tmp_path / "old.doc"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    fails(f, ".doc 文件无法读取", "cannot read .doc")



def test_word_files_are_read_by_their_bytes_not_their_name(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体要求")
    d.add_paragraph("加强组织领导。")
    named_doc = tmp_path / "new.doc"
    d.save(named_doc)  # a .docx named .doc
    assert read_path(named_doc).format == "docx"
    ole = tmp_path / "old.docx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # a Word 97 file named .docx
    with pytest.raises(IngestError, match=r"\.doc"):
        read_path(ole)


def test_word_readers_do_not_import_each_other():
    """doc.py and docx.py once imported each other (a circle); the choice between them lives in word.py."""
    import ast

    folder = Path(readers.__file__).parent

    def imports(name):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    assert "indexer.ingest.readers.docx" not in imports("doc")
    assert "indexer.ingest.readers.doc" not in imports("docx")


# ---- PDF ----

def _wrap(text: str, width: int = 27) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)]


PARAS = [
    "一、总体要求",
    "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，坚持稳中求进工作总基调，推动产业集群高质量发展，"
    "为加快建设现代化产业体系提供坚实支撑。",
    "（一）坚持市场主导，政府引导。充分发挥市场在资源配置中的决定性作用，强化企业主体地位，更好发挥政府作用，优化产业布局。",
    "二、重点任务",
    "（二）提升创新能力。支持龙头企业牵头组建创新联合体，开展关键核心技术攻关，加快科技成果转化和产业化应用，"
    "打造一批具有国际竞争力的创新平台和公共服务平台，推动产业链创新链深度融合。",
    "三、保障措施",
    "加强组织领导，完善工作机制，强化资金、土地、人才等要素保障，确保各项任务落到实处。",
]


def layout_pages(paras, lines_per_page=5, header="测试省人民政府文件"):
    """Paragraphs → pages of (x, top, text) with a running header and a "— n —" page number."""
    lines = [ln for p in paras for ln in _wrap(p)]
    pages = []
    for k in range(0, len(lines), lines_per_page):
        n = len(pages) + 1
        body = [(90, 110 + 30 * j, t) for j, t in enumerate(lines[k:k + lines_per_page])]
        pages.append([(200, 60, header)] + body + [(270, 780, f"— {n} —")])
    return pages


def test_pdf_pages_lose_headers_and_numbers_and_wrapped_lines_rejoin(tmp_path):
    f = tmp_path / "layout.pdf"
    f.write_bytes(make_pdf(layout_pages(PARAS)))
    seen = []
    raw = read_path(f, progress=lambda stage, done, total: seen.append((done, total)))
    assert raw.format == "pdf"
    assert raw.text.split("\n") == PARAS  # paragraphs whole, headings on their own lines, no furniture
    assert len(raw.page_starts) == 3 and raw.page_starts[0] == 0
    assert seen[-1] == (3, 3)
    doc = load_document(f)
    pages = {c.marker: c.page for c in doc.clauses if c.marker}
    assert pages["一、"] == 1 and pages["（一）"] == 1 and pages["二、"] == 2 and pages["三、"] == 3
    # some page starts in the middle of a paragraph that wrapped across the page break
    assert any(raw.text[s - 1] != "\n" for s in raw.page_starts[1:])



def test_a_pdf_of_many_distinct_short_pages_keeps_its_text(tmp_path, n_pages=2000):
    """Each page one distinct line: none repeats across pages, so none is a running header (it was all
    "running headers and page numbers, no body text")."""
    texts = [f"这是第{i}份材料的正文，内容各不相同。" for i in range(1, n_pages + 1)]
    f = tmp_path / "many.pdf"
    f.write_bytes(make_pdf([[(90, 100, t)] for t in texts]))
    raw = read_path(f, ocr=False)
    assert raw.text.split("\n") == texts and len(raw.page_starts) == n_pages


def test_pdf_without_text_layer_needs_ocr(tmp_path, monkeypatch):
    f = tmp_path / "scan.pdf"
    f.write_bytes(make_pdf([[(400, 800, "扫描全能王 创建")], [(400, 800, "扫描全能王 创建")]]))
    with pytest.raises(IngestError, match="扫描件无文字层.*OCR disabled"):
        read_path(f, ocr=False)
    monkeypatch.setattr(ocr, "available", lambda: False)
    msg = fails(f, "扫描件无文字层", "scanned PDF with no text layer and OCR unavailable")
    assert "pip install rapidocr-onnxruntime==1.4.4" in msg


@needs_shared
def test_central_document_pdf_and_docx_give_the_same_clause_headings():
    pdf, docx = load_document(CENTRAL_PDF), load_document(CENTRAL_DOCX)

    def headings(doc):
        # (七)…(二十七) continue the numbering across 二、三、…; read every line that opens with such a marker
        marks = [outline.match_marker(c.text) for c in doc.clauses]
        return [(m.marker, outline.split_heading(m.kind, m.rest)) for m in marks if m and m.kind == "cn_paren"]

    assert len(headings(pdf)) == 27
    assert headings(pdf) == headings(docx)
    assert headings(pdf)[-1][0] == "（二十七）"
    assert [c.heading for c in pdf.clauses if c.kind == "cn"] == [c.heading for c in docx.clauses if c.kind == "cn"]


@needs_shared
def test_pdf_clauses_carry_pages_and_no_page_number_lines():
    doc = load_document(CENTRAL_PDF)
    assert len(doc.page_starts) == 14
    assert all(c.page is not None for c in doc.clauses)
    by_marker = {m.marker: c.page for c in doc.clauses if (m := outline.match_marker(c.text))}
    assert by_marker["（一）"] == 2 and by_marker["（四）"] == 3 and by_marker["（二十七）"] >= 13
    assert not any(page_layout.is_page_number(line) for line in doc.text.split("\n"))
    # the PDF wraps every line; the reader rejoins them, so (一) is one line up to the next heading
    first = next(c for c in doc.clauses if c.marker == "（一）")
    assert first.text.endswith("深入推进粮食节约和反食品浪费行动。")
    assert noise.clean(doc.text) == doc.text


@needs_shared
def test_hainan_doc_reads_and_matches_its_pdf():
    from rapidfuzz import fuzz

    doc, pdf = read_path(HAINAN_DOC), read_path(HAINAN_PDF)
    assert doc.format == "doc"
    assert "农机购置与应用补贴实施方案" in doc.text and "21.1.1平地机" in doc.text

    def squash(s):
        return re.sub(r"\s", "", s)

    assert fuzz.ratio(squash(doc.text), squash(pdf.text)) > 97
    heads = [(c.marker, c.heading) for c in load_document(HAINAN_DOC).clauses if c.kind == "cn"]
    assert heads == [(c.marker, c.heading) for c in load_document(HAINAN_PDF).clauses if c.kind == "cn"]
    assert len(heads) >= 6


@needs_shared
@pytest.mark.slow
def test_scanned_pdf_is_read_by_ocr():
    if not ocr.available():
        pytest.skip("rapidocr-onnxruntime not installed")
    seen = []
    ocr._CACHE.clear()  # another test may have recognised this file already in this process
    raw = read_path(SCANNED, progress=lambda stage, done, total: seen.append(stage))
    assert raw.format == "pdf-ocr" and len(raw.page_starts) == 8
    assert "扫描全能王" not in raw.text
    for phrase in ("农业农村部办公厅关于加力推进农机购置", "一、总体要求", "二、主要任务", "三、保障措施",
                   "建立区域协作和分区推进机制"):
        assert phrase in raw.text, phrase
    assert sum(1 for w in seen if w == "ocr") >= 8  # page by page
    # a second read in the same process (the app shows an upload, then indexes it) is not OCR'd again
    seen.clear()
    assert read_path(SCANNED, progress=lambda stage, done, total: seen.append(stage)).text == raw.text
    assert sum(1 for w in seen if w == "ocr") <= 1  # only the closing "done", no page recognised again
    clauses = outline.segment(raw.text, "scan", raw.page_starts)
    tops = [c.heading for c in clauses if c.kind == "cn"]
    assert tops == ["总体要求", "主要任务", "保障措施"]
    assert len([c for c in clauses if c.kind == "cn_paren"]) == 6
    assert next(c.page for c in clauses if c.heading == "主要任务") == 2


# ---- Word ----

def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("一、补贴标准")
    d.add_paragraph("")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("序号", "项目", "金额（万元）"), ("1", "算力补贴", "500"), ("2", "模型研发", "1000")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("二、保障措施")
    d.add_paragraph("[bookmark: _GoBack]加强组织领导。")
    f = tmp_path / "plan.docx"
    d.save(f)
    raw = read_path(f)
    assert raw.format == "docx"
    assert raw.text == "一、补贴标准\n序号 | 项目 | 金额（万元）\n1 | 算力补贴 | 500\n2 | 模型研发 | 1000\n二、保障措施\n加强组织领导。"


def test_docx_with_only_a_table_yields_text(tmp_path):
    import docx

    d = docx.Document()
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "产业集群"
    table.cell(0, 1).text = "牵头单位"
    table.cell(1, 0).text = "新一代电子信息"
    table.cell(1, 1).text = "省工业和信息化厅"
    table.cell(1, 1).merge(table.cell(0, 1))
    f = tmp_path / "table.docx"
    d.save(f)
    assert read_path(f).text.split("\n")[0].startswith("产业集群 | 牵头单位")
    assert "新一代电子信息" in read_path(f).text


# ---- HTML ----

PORTAL = """<html><head><meta charset="{charset}"><title>关于印发措施的通知_广州市人民政府门户网站</title></head><body>
<div class="top">今天是 2024年09月17日 星期二 | <a>登录</a> | <a>注册</a></div>
<div class="nav"><a href="/">首页</a><a>政务公开</a><a>政策文件</a><a>互动交流</a></div>
<div class="crumb">您的位置：<a>首页</a> &gt; <a>政务公开</a> &gt; 政策文件</div>
<div class="article"><h1>广州市促进人工智能产业发展的若干措施</h1>
<p>为加快推动人工智能产业高质量发展，结合本市实际，制定本措施。</p>
<h2>一、总体要求</h2>
<p>（一）坚持创新引领。强化原始创新能力，推动关键核心技术攻关，形成一批标志性成果。</p>
<p>（二）坚持应用牵引。拓展应用场景，推动人工智能与实体经济深度融合，培育新业态新模式。</p>
<table><tr><td>序号</td><td>项目</td><td>金额（万元）</td></tr><tr><td>1</td><td>算力补贴</td><td>500</td></tr></table>
<h2>二、保障措施</h2>
<p>本措施自印发之日起施行，有效期三年。各区要加强组织领导，确保各项措施落到实处。</p></div>
<div class="footer"><a>关于我们</a> | <a>网站地图</a> | <a>联系我们</a><p>版权所有：广州市人民政府办公厅</p></div>
</body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_html_main_text_keeps_headings_at_line_starts(tmp_path, charset):
    f = tmp_path / "policy.html"
    f.write_bytes(PORTAL.format(charset=charset).encode(charset))
    raw = read_path(f)
    lines = raw.text.split("\n")
    assert raw.format == "html"
    for heading in ("一、总体要求", "二、保障措施"):
        assert heading in lines
    assert any(line.startswith("（二）坚持应用牵引。") for line in lines)
    assert "1 | 算力补贴 | 500" in lines
    for bad in ("今天是", "您的位置", "网站地图", "登录"):
        assert bad not in raw.text
    heads = [c.heading for c in load_document(f).clauses if c.kind == "cn"]
    assert heads == ["总体要求", "保障措施"]


def test_html_that_is_all_navigation_has_no_main_text(tmp_path):
    f = tmp_path / "nav.htm"
    f.write_text("<html><body><div><a>首页</a> | <a>新闻</a> | <a>关于我们</a></div>"
                 "<ul><li><a>政务公开</a></li><li><a>办事服务</a></li></ul></body></html>", encoding="utf-8")
    fails(f, "未找到正文", "no main text found")


# ---- seeds through the whole chain ----

@needs_shared
@pytest.mark.parametrize("seed,noise_lines", [
    ("003_394c36cc695d6fcd.txt", ["今天是 2024年09月17日", "官方微信", "您的位置", "点击:1215"]),
    ("004_2e88ffc2dba13bc0.txt", ["微信公众号", "关于我们", "集团简介", "招贤纳士", "联系信息", "发布时间:2021-04-14"]),
    ("000_757ceb7ae7365734.txt", ["[bookmark"]),
])
def test_seed_noise_never_reaches_a_clause(tmp_path, seed, noise_lines):
    f = tmp_path / seed
    f.write_bytes((SEEDS / seed).read_bytes())
    doc = load_document(f)
    assert len(doc.clauses) > 10
    for c in doc.clauses:
        for bad in noise_lines:
            assert bad not in c.text, (bad, c.clause_id)


@needs_shared
def test_external_portal_noise_never_reaches_a_clause():
    names = {"guangzhou-huangpu_2025_culture-tourism-copyright-measures.txt": ["关联细则", "关联指南", "网址："],
             "guangdong_2025_philosophy-social-science-award-measures_yuefuban-2025-16.txt": ["索引号", "链接："],
             "guangzhou-huadu_2024_sme-loan-guarantee-measures.txt": ["统一编号", "文件状态"]}
    for name, bad_words in names.items():
        doc = load_document(EXTERNAL / name)
        assert any(c.kind == "article" for c in doc.clauses)
        for c in doc.clauses:
            assert c.text.strip() not in ("正文",)
            for bad in bad_words:
                assert bad not in c.text, (name, bad)


# ---- a tiny PDF writer for fixtures: CJK text via Identity-H with a ToUnicode map, optional RC4 encryption ----

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def make_pdf(pages, *, user_password: str | None = None, font_size: int = 15) -> bytes:
    """pages: lists of (x, top, text), top measured down from the top of an A4 page."""
    chars = sorted({ch for page in pages for _, _, t in page for ch in t})
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
    for k in range(0, len(chars), 100):
        chunk = chars[k:k + 100]
        cmap += f"{len(chunk)} beginbfchar\n" + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in chunk)
        cmap += "endbfchar\n"
    cmap += "endcmap CMapName currentdict /CMap defineresource pop end end"
    objects: list[bytes] = []  # object i+1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    streams: dict[int, bytes] = {}

    def add_stream(data: bytes, extra: str = "") -> int:
        n = add(b"")
        streams[n] = data
        objects[n - 1] = extra.encode()
        return n

    catalog = add(b"<< /Type /Catalog /Pages 2 0 R >>")
    pages_obj = add(b"")
    descriptor = add(b"<< /Type /FontDescriptor /FontName /TestSong /Flags 4 /FontBBox [0 -200 1000 900] "
                     b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>")
    cid = add(f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestSong /CIDSystemInfo << /Registry (Adobe) "
              f"/Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 1000 >>".encode())
    tounicode = add_stream(cmap.encode())
    font = add(f"<< /Type /Font /Subtype /Type0 /BaseFont /TestSong /Encoding /Identity-H /DescendantFonts "
               f"[{cid} 0 R] /ToUnicode {tounicode} 0 R >>".encode())
    kids = []
    for page in pages:
        ops = "".join(f"BT /F1 {font_size} Tf {x} {842 - top - font_size} Td <"
                      + "".join(f"{ord(c):04X}" for c in t) + "> Tj ET\n" for x, top, t in page)
        content = add_stream(ops.encode())
        kids.append(add(f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 595 842] /Contents {content} 0 R "
                        f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()))
    objects[pages_obj - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    file_id = hashlib.md5(b"policy-search test fixture").digest()
    key = None
    encrypt = None
    if user_password is not None:
        perms = -4
        owner_key = hashlib.md5((b"owner" + _PAD)[:32]).digest()[:5]
        o_value = _rc4(owner_key, (user_password.encode() + _PAD)[:32])
        key = hashlib.md5((user_password.encode() + _PAD)[:32] + o_value + struct.pack("<i", perms)
                          + file_id).digest()[:5]
        u_value = _rc4(key, _PAD)
        encrypt = add(f"<< /Filter /Standard /V 1 /R 2 /Length 40 /P {perms} /O <{o_value.hex()}> "
                      f"/U <{u_value.hex()}> >>".encode())
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        if n in streams:
            data = zlib.compress(streams[n])
            if key is not None:
                data = _rc4(hashlib.md5(key + struct.pack("<i", n)[:3] + b"\x00\x00").digest()[:10], data)
            body = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"<< /Size {len(objects) + 1} /Root {catalog} 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]"
    if encrypt:
        trailer += f" /Encrypt {encrypt} 0 R"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
