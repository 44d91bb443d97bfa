"""Noise removal: portal banners, headers, menus, TOCs and artefacts go; headings, signatures and dates stay."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.ingest import noise, page_layout
from indexer.ingest.page_layout import Line

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
EXTERNAL = SHARED / "external"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


# ---- single lines ----

@pytest.mark.parametrize("line", [
    "今天是 2024年09月17日    星期二",
    "官方微信  |  官方微博  |  分享  |  登录  注册",
    "您的位置:中国城市节能网要闻快讯政策法规正文",
    "当前位置：首页 > 政务公开 > 政策文件",
    "首页 > 政务公开 > 规范性文件",
    "2024-08-26 22:07:56来源:安徽省人民政府网点击:1215 次",
    "发布时间:2021-04-14来源:",
    "来源： 广东省工业和信息化厅网站2020年06月17日",
    "【打印本页】【关闭窗口】",
    "— 3 —",
    "- 12 -",
    "第 3 页 共 11 页",
])
def test_portal_and_page_noise_lines_are_dropped(line):
    assert noise.clean_line(line) is None
    assert noise.clean(f"一、总体要求\n{line}\n坚持市场主导，政府引导。") == "一、总体要求\n坚持市场主导，政府引导。"


@pytest.mark.parametrize("line", [
    "一、总体要求", "第一章 总则", "（一）市场主导，政府引导。", "东莞市人民政府", "2021年1月18日",
    "安徽省人民政府办公厅", "第十五条　本办法自印发之日起施行。", "（此件主动公开）", "四、保障措施",
    "来源于企业的研发投入逐年增加，点击率不作为考核依据。", "附件：1. 申报表", "2024—2026 年海南省",
    "首页设计方案由市政府确定。", "分享经济", "3.单机补贴限额。",
])
def test_content_lines_are_kept(line):
    assert noise.clean_line(line) == line.strip()
    doc = f"关于培育发展产业集群的意见\n{line}\n现结合实际，提出以下意见。"
    assert noise.clean(doc) == doc


def test_word_bookmark_is_removed_inline_keeping_the_rest_of_the_line():
    assert noise.clean("关于培育发展战略性产业集群的实施意见\n[bookmark: _GoBack]（征求意见稿）") == (
        "关于培育发展战略性产业集群的实施意见\n（征求意见稿）")


def test_scanner_watermark_goes_inline_and_as_a_line():
    assert noise.clean_line("扫描全能王 创建") is None
    assert noise.clean("一、总体要求\n扫描全能王创建\n二、主要任务 扫描全能王 创建") == "一、总体要求\n二、主要任务"


def test_whitespace_line_ends_and_blank_lines_are_normalised():
    text = "标题  \r\n\r\n\r\n\u3000\u3000第一条　内容。\u3000\r二、要求\t\n\n\n"
    assert noise.clean(text) == "标题\n\n第一条　内容。\n二、要求"


# ---- blocks ----

def test_portal_metadata_header_is_removed_and_kept_as_fields():
    text = ("索引号： 006939748/2025-00180\n分类： 科技、教育\n文　　号： 粤府办〔2025〕16号\n"
            "发布日期： 2025-07-09\n链接：https://www.gd.gov.cn/post_4741916.html\n正文\n"
            "广东省人民政府办公厅关于印发奖励办法的通知\n第一条　为鼓励创新，制定本办法。")
    cleaned = noise.clean_text(text)
    assert cleaned.text == "广东省人民政府办公厅关于印发奖励办法的通知\n第一条　为鼓励创新，制定本办法。"
    assert ("文号", "粤府办〔2025〕16号") in cleaned.fields
    assert ("发布日期", "2025-07-09") in cleaned.fields


def test_a_single_label_line_is_not_a_header():
    text = "标题：关于加强管理的通知\n一、总体要求\n加强管理。"
    assert noise.clean(text) == text


def test_banner_fields_keep_the_publication_date_and_source():
    cleaned = noise.clean_text("标题\n2024-08-26 22:07:56来源:安徽省人民政府网点击:1215 次\n正文内容很长的一段话。")
    assert ("来源", "安徽省人民政府网") in cleaned.fields
    assert ("发布日期", "2024-08-26") in cleaned.fields


def test_trailing_related_links_block_is_removed():
    text = "六、附则\n本措施自印发之日起施行，有效期三年。\n关联细则\n关联指南"
    assert noise.clean(text) == "六、附则\n本措施自印发之日起施行，有效期三年。"


def test_trailing_site_menu_is_removed_but_a_signature_block_is_not():
    body = "十、精密仪器设备产业集群。培育形成一批国内领先的自主品牌产品。"
    menu = ["微信公众号", "关于我们", "集团简介", "领导致辞", "组织架构", "企业文化", "新闻中心", "集团动态",
            "联系信息"]
    assert noise.clean("\n".join([body, "", *menu])) == body
    signed = "\n".join([body, "省发展改革委", "省科技厅", "省工业和信息化厅", "省财政厅", "省人力资源社会保障厅",
                        "省商务厅", "省自然资源厅", "省生态环境厅", "省林业局"])
    assert noise.clean(signed) == signed  # short lines, but no menu words: co-signing agencies


def test_table_of_contents_is_removed_and_the_chapters_stay():
    text = ("广西工业和信息化发展规划\n目  录\n前 言\t1\n第一章  发展基础与发展环境\t2\n一、“十一五”发展回顾\t2\n"
            "第二章  总体思路和发展目标\t14\n前  言\n“十二五”时期是关键时期。\n第一章  发展基础与发展环境\n"
            "一、“十一五”发展回顾\n合计\t\t1568\t24605")
    assert noise.clean(text) == ("广西工业和信息化发展规划\n前  言\n“十二五”时期是关键时期。\n"
                                 "第一章  发展基础与发展环境\n一、“十一五”发展回顾\n合计\t\t1568\t24605")


# ---- the real files ----

NOISE_IN_FILES = {
    "seeds/003_394c36cc695d6fcd.txt": ["今天是", "官方微信", "您的位置", "点击:1215"],
    "seeds/004_2e88ffc2dba13bc0.txt": ["发布时间:2021-04-14", "微信公众号", "关于我们", "招贤纳士", "联系信息",
                                       "智库类"],
    "seeds/000_757ceb7ae7365734.txt": ["[bookmark"],
    "seeds/002_e84233351a4d2394.txt": ["来源： 广东省工业和信息化厅网站"],
    "external/guangzhou-huangpu_2025_culture-tourism-copyright-measures.txt": ["关联细则", "关联指南", "网址：",
                                                                               "牵头单位："],
    "external/guangdong_2025_philosophy-social-science-award-measures_yuefuban-2025-16.txt": [
        "索引号", "分类：", "链接：", "\n正文\n"],
    "external/guangzhou_2025_cosmetics-industry-support-measures.GBK-raw.txt": ["统一编号", "文件状态", "网址："],
    "external/guangxi_2011_industry-it-12th-fyp.txt": ["目  录", "发展基础与发展环境\t2", "食品工业……"],
}

KEPT_IN_FILES = {
    "seeds/003_394c36cc695d6fcd.txt": ["皖政办秘〔2024〕56号", "一、总体要求", "安徽省人民政府办公厅\n2024年8月16日"],
    "seeds/004_2e88ffc2dba13bc0.txt": ["10.精密仪器设备产业集群。", "“链长制”要来了"],
    "seeds/000_757ceb7ae7365734.txt": ["（征求意见稿）", "一、总体要求", "二、基本原则"],
    "external/guangzhou-huangpu_2025_culture-tourism-copyright-measures.txt": ["穗埔府规〔2025〕12 号", "六、附则",
                                                                               "同时废止。"],
    "external/guangdong_2025_philosophy-social-science-award-measures_yuefuban-2025-16.txt": [
        "粤府办〔2025〕16号", "广东省人民政府办公厅\n\n2025年6月30日", "第十五条"],
    "external/guangxi_2011_industry-it-12th-fyp.txt": ["前  言", "第一章  发展基础与发展环境\n"],
}


@needs_shared
@pytest.mark.parametrize("name", sorted(NOISE_IN_FILES))
def test_real_files_lose_their_noise_and_keep_their_content(name):
    text = noise.clean(_read(SHARED / name))
    for bad in NOISE_IN_FILES[name]:
        assert bad not in text, bad
    for good in KEPT_IN_FILES.get(name, []):
        assert good in text, good
    assert noise.clean(text) == text


@needs_shared
def test_guangxi_toc_removal_leaves_one_first_chapter():
    text = noise.clean(_read(EXTERNAL / "guangxi_2011_industry-it-12th-fyp.txt"))
    assert sum(1 for line in text.split("\n") if line.startswith("第一章")) == 1
    assert len(text) > 200_000


# ---- idempotence ----

NOISE_LINES = ["今天是 2024年09月17日 星期二", "官方微信 | 分享 | 登录 注册", "您的位置：首页", "[bookmark: _GoBack]",
               "扫描全能王 创建", "扫描全能王", "创建", "索引号：1", "文号：粤府〔2020〕1号", "正文", "关联细则", "关联指南",
               "关于我们", "联系信息", "微信公众号", "集团简介", "目录", "目  录", "第一章  总则\t3", "前言\t1", "— 3 —",
               "来源：某某网", "点击：12 次", "一、总体要求", "第一章 总则", "东莞市人民政府", "2021年1月18日", "",
               "  ", "\u3000", "\r", "正文内容，不是标题。", "条? 内容", "相关文件"]
lines_st = st.lists(st.one_of(st.sampled_from(NOISE_LINES), st.text(max_size=12)), max_size=40)


@settings(max_examples=400, deadline=None)
@given(lines_st, st.sampled_from(["\n", "\r\n", "\r", ""]))
@example(["微信公众号", "今天是 2024年09月17日 星期二", "微信公众号"], "\n")  # once, two kept lines made one bar
def test_clean_is_idempotent(lines, sep):
    once = noise.clean(sep.join(lines) if sep else "".join(lines))
    assert noise.clean(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_is_idempotent_on_any_text(text):
    once = noise.clean(text)
    assert noise.clean(once) == once
    assert "\n\n\n" not in once and once == once.strip()


@settings(max_examples=200, deadline=None)
@given(lines_st)
def test_clean_output_has_no_edge_spaces_and_never_adds_text(lines):
    out = noise.clean("\n".join(lines))
    for line in out.split("\n"):
        assert line == line.strip()
    assert len(out) <= len("\n".join(lines))


# ---- page layout ----

def _page(texts, top=80.0, left=90.0, full=505.0, step=15.0):
    out = []
    for k, t in enumerate(texts):
        x0 = left + (30 if t.startswith("  ") else 0)
        x1 = x0 + len(t.strip()) * 15 if len(t.strip()) * 15 < full - x0 else full
        out.append(Line(t.strip(), x0, x1, top + k * step, top + k * step + 12))
    return out


def test_page_numbers_and_running_headers_are_stripped():
    pages = [_page(["海南省农业农村厅文件", f"第{i}页正文内容，足够长的一行文字用于估计版心宽度。", "正文第二行，同样足够长的一行。",
                    "正文第三行，同样足够长的一行文字。", f"— {i} —"]) for i in range(1, 6)]
    out = page_layout.strip_page_furniture(pages)
    texts = [ln.text for page in out for ln in page]
    assert not any(t.startswith("—") for t in texts)
    assert "海南省农业农村厅文件" not in texts
    assert texts.count("正文第二行，同样足够长的一行。") == 5



def test_many_distinct_short_pages_are_body_text_not_running_headers():
    """2,000 pages of one distinct line each (told apart by a number): nothing repeats, so nothing is furniture.
    The digits of every line were once masked alike, which made all 2,000 lines one "running header"."""
    from indexer.ingest.readers.pdf import assemble_pages

    texts = [f"这是第{i}份材料的正文，内容各不相同。" for i in range(1, 2001)]
    pages = [[Line(t, 90, 90 + 15 * len(t), 100, 112)] for t in texts]
    assert [ln.text for page in page_layout.strip_page_furniture(pages) for ln in page] == texts
    text, starts, _ = assemble_pages(pages)
    assert text.split("\n") == texts and len(starts) == 2000


def test_running_headers_with_a_page_number_inside_are_still_furniture():
    pages = [_page([f"测试市人民政府公报 2024年第3期 {i + 4}", f"第{i * 3}段正文，各页不同的一行文字。", "正文第二行，同样足够长的一行。",
                    f"材料{i * 7}号：另一行正文。", "（此页无正文结束）"]) for i in range(1, 8)]
    out = [[ln.text for ln in page] for page in page_layout.strip_page_furniture(pages)]
    assert not any("公报" in t for page in out for t in page)  # its number follows the page: furniture
    assert all(page[0].startswith("第") and page[2].startswith("材料") for page in out)  # numbers that do not
    assert not any("此页无正文结束" in t for page in out for t in page)  # the same line on every page


DISTINCT_LINES = st.lists(st.text(st.characters(codec="utf-8", categories=("Lo", "Nd")), min_size=1, max_size=20),
                          min_size=1, max_size=60, unique_by=lambda s: re.sub(r"\d+", "#", "".join(s.split())))


@settings(max_examples=200, deadline=None)
@given(DISTINCT_LINES, st.integers(1, 4))
def test_property_lines_that_repeat_on_no_page_are_kept(texts, per_page):
    """Furniture is what repeats across pages: a line found on one page only, even with its numbers masked (a page
    number aside), stays."""
    pages = [[Line(t, 90, 300, 100 + 15 * k, 112 + 15 * k) for k, t in enumerate(texts[i:i + per_page])]
             for i in range(0, len(texts), per_page)]
    kept = [ln.text for page in page_layout.strip_page_furniture(pages) for ln in page]
    assert kept == [t for t in texts if not page_layout.is_page_number(t)]


def test_is_page_number_accepts_common_and_ocr_forms():
    for s in ["— 3 —", "- 3 -", "第3页", "第 3 页 共 11 页", "3/11", "12", "—2一"]:
        assert page_layout.is_page_number(s), s
    for s in ["一、总体要求", "2024年", "3.单机补贴限额。"]:
        assert not page_layout.is_page_number(s), s


def test_wrapped_lines_join_but_headings_and_short_lines_do_not():
    lines = [Line("（一）稳定发展粮油生产。粮食产量稳定在1.4万亿斤左右。坚持产", 90, 505, 0, 12),
             Line("量产能、生产生态、增产增收一起抓。", 90, 350, 15, 27),
             Line("二、实施常态化精准帮扶", 90, 260, 30, 42),
             Line("（七）健全常态化帮扶政策体系。落实常态化帮扶责任，稳步提升", 90, 505, 45, 57),
             Line("（八）提高监测帮扶精准性时效性。合理确定防止返贫致贫对象认", 90, 505, 60, 72)]
    m = page_layout.Margins(left=90, right=505, char_w=15)
    assert page_layout.continues(lines[0], lines[1], m)
    assert not page_layout.continues(lines[1], lines[2], m)  # short line ending in 。
    assert not page_layout.continues(lines[2], lines[3], m)  # heading: not full width
    assert not page_layout.continues(lines[3], lines[4], m)  # next line starts with an outline marker
    indented = Line("新段落首行缩进两个字。", 120, 505, 75, 87)
    assert not page_layout.continues(lines[4], indented, m)
