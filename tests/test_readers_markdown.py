"""Markdown as a format of its own: real regulations from the Zhejiang library, a table of markup, properties."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.errors import IngestError
from indexer.ingest import outline
from indexer.ingest.corpus import load_document
from indexer.ingest.readers import read_path
from indexer.ingest.readers.markdown import to_plain

LIBRARY = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
needs_library = pytest.mark.skipif(not LIBRARY.is_dir(), reason="../shared/library not present")
TAIZHOU = LIBRARY / "台州市物业管理条例(2021-04-06).md"
NINGBO_SECTIONS = LIBRARY / "宁波市市容和环境卫生管理条例(2019-08-20).md"  # 6 × ### 第X节


@pytest.mark.parametrize("markdown,plain", [
    ("# 台州市物业管理条例", "台州市物业管理条例"),
    ("## 第一章　总则", "第一章　总则"),
    ("### 第二节 业主委员会 ###", "第二节 业主委员会"),
    ("##第三章 法律责任", "第三章 法律责任"),  # no space after the hashes: common in Chinese Markdown
    ("#1 不是标题", "#1 不是标题"),
    ("**第一条** 为了规范管理，制定本条例。", "第一条 为了规范管理，制定本条例。"),
    ("依法*行政*，__公开__透明", "依法行政，公开透明"),
    ("详见[《实施细则》](https://www.zj.gov.cn/a.html \"细则\")。", "详见《实施细则》。"),
    ("参照[国务院条例][1]执行", "参照国务院条例执行"),
    ("![示意图](img/1.png)如图所示", "如图所示"),
    ("- 加强组织领导", "加强组织领导"),
    ("  * [x] 完善工作机制", "完善工作机制"),
    ("1. 依法行政", "1. 依法行政"),  # numbering is content: the outline reads it
    ("> 引用：第五条", "引用：第五条"),
    ("| 序号 | 项目 | 金额（万元） |", "序号 | 项目 | 金额（万元）"),
    ("|---|:---:|--:|", ""),
    ("---", ""),
    ("* * *", ""),
    ("=====", ""),
    ("[1]: https://www.zj.gov.cn/", ""),
    ("姓名：______ 电话：______", "姓名：______ 电话：______"),  # form blanks are no emphasis
    ("file_name_here 与 snake_case", "file_name_here 与 snake_case"),
    (r"5\*3 不是\*强调\*", "5*3 不是*强调*"),
    ("`代码` 与 <https://www.zj.gov.cn/>", "代码 与 https://www.zj.gov.cn/"),
    ("第一条<br/>第二款 <span class=\"x\">文字</span>", "第一条 第二款 文字"),
    ("A&amp;B &lt;规定&gt;", "A&B <规定>"),
    ("~~废止~~条款", "废止条款"),
    ("末尾硬换行\\", "末尾硬换行"),
    ("2020年12月23日 台州市第五届人民代表大会常务委员会第三十五次会议通过",
     "2020年12月23日 台州市第五届人民代表大会常务委员会第三十五次会议通过"),
])
def test_markup_becomes_plain_lines(markdown, plain):
    assert to_plain(markdown).text == plain


def test_front_matter_comments_and_fences_are_not_text():
    md = ("---\ntitle: \"测试市物业管理条例\"\ndate: 2021-01-01\n---\n# 测试市物业管理条例\n\n<!-- INFO END -->\n"
          "<!-- 多行\n注释 -->\n## 第一章 总则\n```\n**原样** 保留\n```\n第一条 为了规范管理，制定本条例。")
    p = to_plain(md)
    lines = [ln for ln in p.text.split("\n") if ln]
    assert lines == ["测试市物业管理条例", "第一章 总则", "**原样** 保留", "第一条 为了规范管理，制定本条例。"]
    assert p.fields == (("标题", "测试市物业管理条例"),)
    # an unclosed opening rule is no front matter: the lines after it are text
    assert to_plain("---\n第一条 内容").text == "\n第一条 内容"


def test_markdown_file_reads_as_md_with_its_title_and_chapters(tmp_path):
    f = tmp_path / "规定.md"
    f.write_bytes(("---\ntitle: 测试市养犬管理规定\n---\n# 测试市养犬管理规定\n\n<!-- INFO END -->\n\n"
                   "## 第一章 总则\n\n第一条 为了规范养犬行为，制定本规定。\n\n## 第二章 附则\n\n"
                   "第二条 本规定自2021年1月1日起施行。\n").encode("gbk"))
    doc = load_document(f)
    assert doc.format == "md" and doc.text.split("\n")[0] == "测试市养犬管理规定"
    assert doc.meta.title == "测试市养犬管理规定"
    assert [(c.clause_id.split(":")[1], c.heading) for c in doc.clauses if c.kind == "chapter"] == [
        ("ch1", "总则"), ("ch2", "附则")]
    assert "ch2.a2" in {c.clause_id.split(":")[1] for c in doc.clauses}


def test_markdown_with_only_front_matter_and_comments_is_refused(tmp_path):
    f = tmp_path / "空.md"
    f.write_text("---\ntitle: 空\n---\n<!-- INFO END -->\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        read_path(f)
    msg = str(info.value)
    assert "\n" not in msg and "空.md" in msg and "Markdown 中没有正文" in msg and "no text in Markdown" in msg


@needs_library
def test_library_regulation_reads_as_title_dates_chapters_and_articles():
    raw = read_path(TAIZHOU)
    lines = raw.text.split("\n")
    assert raw.format == "md"
    assert lines[0] == "台州市物业管理条例"
    assert "2021年3月26日 浙江省第十三届人民代表大会常务委员会第二十八次会议批准" in lines
    assert "<!--" not in raw.text and not re.search(r"^#", raw.text, re.M)
    doc = load_document(TAIZHOU)
    assert doc.meta.title == "台州市物业管理条例"
    chapters = [c for c in doc.clauses if c.kind == "chapter"]
    assert chapters[0].heading == "总则" and chapters[0].clause_id.endswith(":ch1")
    first = next(c for c in doc.clauses if c.marker == "第一条")
    assert first.parent_id == chapters[0].clause_id and first.section[0] == "第一章总则"


@needs_library
def test_library_sections_nest_under_their_chapter():
    doc = load_document(NINGBO_SECTIONS)
    sections = [c for c in doc.clauses if c.kind == "section"]
    assert len(sections) >= 6
    by_id = {c.clause_id: c for c in doc.clauses}
    assert all(by_id[s.parent_id].kind == "chapter" for s in sections)


@needs_library
def test_every_library_chapter_heading_becomes_a_chapter():
    """All files whose `## 第X章` headings run 一, 二, 三 … (385 of 410; the others skip a number in the source,
    which the outline rightly does not trust): the outline finds exactly those chapters, in order."""
    checked = 0
    for f in sorted(LIBRARY.glob("*.md")):
        src = f.read_text(encoding="utf-8")
        heads = re.findall(r"^## 第(.{1,4})章[ \t\u3000]*(.*)$", src, re.M)
        if [outline.cn_to_int(n) for n, _ in heads] != list(range(1, len(heads) + 1)):
            continue
        raw = read_path(f)
        assert "INFO END" not in raw.text and not re.search(r"^#", raw.text, re.M), f.name
        got = [re.sub(r"\s", "", c.heading) for c in outline.segment(raw.text, "x") if c.kind == "chapter"]
        assert got == [re.sub(r"\s", "", h) for _, h in heads], f.name
        checked += 1
    assert checked >= 380


_PLAIN_CHARS = st.text(alphabet=st.sampled_from(list("第一二三条章节总则为了规范管理，。；：、（）《》0123456789 \u3000")),
                       max_size=60)


@given(st.lists(_PLAIN_CHARS, max_size=8))
def test_text_without_markup_is_unchanged(lines):
    text = "\n".join(lines)
    assert to_plain(text).text == text


@given(st.text(max_size=300))
def test_every_line_stays_where_it_stands(text):
    """Dropped lines become blank and nothing splits or merges lines, so a line's number never moves."""
    text = text.replace("\r", "")
    assert to_plain(text).text.count("\n") == text.count("\n")
