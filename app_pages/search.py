"""检索 Search: one query box, a mode switch, filters, result cards, similar clauses and export."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages import backend, common, exports, results
from app_pages.render import STYLE, block, esc, highlight, md
from app_pages.routing import link_date, link_values
from indexer.labels import date_words, level_words, region_words

st.markdown(STYLE, unsafe_allow_html=True)
st.title("检索 Search")

# Widget values survive a visit to another page (「查看原文」 and back).
KEPT = ("query", "mode", "f_regions", "f_scope", "f_levels", "f_docs", "f_status", "f_dates", "f_undated",
        "f_section", "k")
common.restore_widgets(KEPT)
st.session_state.setdefault("k", 10)
# A shared link (?q=…&mode=…&region=…&level=…&from=…&to=…&k=…) restores its search once, on the first run of
# the session: the receiver sees the same results.
if not st.session_state.get("_url_restored"):
    st.session_state["_url_restored"] = True
    qp = st.query_params
    if qp.get("q"):
        st.session_state["query"] = qp["q"]
    if qp.get("mode") in common.MODES:
        st.session_state["mode"] = qp["mode"]
    # region, level, doc, status: read in the sidebar below, once the library's values are known
    st.session_state["_link_values"] = {key: [v for part in qp.get_all(param) for v in part.split(",") if v]
                                        for param, key in (("region", "f_regions"), ("level", "f_levels"),
                                                           ("doc", "f_docs"), ("status", "f_status"))
                                        if qp.get_all(param)}
    if qp.get("section"):
        st.session_state["f_section"] = qp["section"]
    if qp.get("scope") == "self":
        st.session_state["f_scope"] = "self"
    if qp.get("from") or qp.get("to"):  # either end may be open, as in the CLI (2021, 2021-06 or 2021-06-30)
        st.session_state["_link_dates"] = (qp.get("from", ""), qp.get("to", ""))
    if qp.get("undated") == "1":
        st.session_state["f_undated"] = True
    if (qp.get("k") or "").isdigit() and int(qp["k"]) in range(5, 51, 5):
        st.session_state["k"] = int(qp["k"])



def link_filters(fields: dict) -> list[str]:
    """Once: a shared link's region/level/doc/status values as the sidebar's options (市级 → city, 杭州 → 杭州市);
    the values not understood, in words."""
    out = []
    for key, values in st.session_state.pop("_link_values", {}).items():
        options, labels = fields[key]
        st.session_state[key], unknown = link_values(values, options, labels)
        out += [f"{FIELD_WORDS[key]} {'、'.join(unknown)}"] if unknown else []
    return out


def link_dates(low: dt.date, high: dt.date) -> list[str]:
    """Once: a shared link's from/to as the date range (an open end reaches the range's end); in words what was
    left out (not a date, or from after to: the CLI and the API refuse those too)."""
    if "_link_dates" not in st.session_state:
        return []
    start_text, end_text = st.session_state.pop("_link_dates")
    start, end = link_date(start_text) if start_text else low, link_date(end_text, upper=True) if end_text else high
    if start is None or end is None:
        return [f"日期 {start_text or ''}～{end_text or ''}（不是日期 / not a date）"]
    if start > end:
        return [f"日期 {start_text}～{end_text}（起始日期晚于截止日期 / from is after to）"]
    st.session_state["f_dates"] = (min(max(start, low), high), max(min(end, high), low))
    return []


FIELD_WORDS = {"f_regions": "地区", "f_levels": "层级", "f_docs": "文件", "f_status": "状态"}


def _link_range(date_from: str, date_to: str, years: list[int]) -> dict[str, str]:
    """from/to for the address: an end at the edge of the picker's range is left open (a link from=2019 keeps no
    made-up to=2031), one end at least kept."""
    if not date_from or not years:
        return {"from": date_from, "to": date_to}
    low, high = f"{min(years) - 5}-01-01", f"{max(years) + 5}-12-31"
    if date_to == high:
        return {"from": date_from}
    return {"to": date_to} if date_from == low else {"from": date_from, "to": date_to}

# ------------------------------------------------------------------ query
with st.form("search_form", border=False):
    q_col, b_col = st.columns([6, 1], vertical_alignment="bottom")
    query = q_col.text_input("查询 Query（中文或英文）", key="query",
                             placeholder="例如：工业机器人集成应用 / industrial robots in electronics manufacturing")
    b_col.form_submit_button("检索 Search", type="primary", width="stretch")
mode = st.radio("模式 Mode", list(common.MODES), format_func=common.MODES.get, horizontal=True, key="mode",
                help="智能：语义与关键词融合；关键词：分词匹配；短语：原文连续出现；模糊：容许错字、漏字")

eng = None
with common.guard("打开索引"):
    eng = backend.engine()
if eng is None:
    st.stop()
docs = backend.library().records()  # metadata only: the texts are not needed to draw the page
if waiting := backend.waiting_files(docs):  # e.g. an import the user left before it finished
    st.info(f"有 {len(waiting)} 个文件尚未编入索引，检索不到其中内容：" + md("、".join(p.name for p in waiting[:3]))
            + "。请到「文库」页点击「更新索引」。/ Some files are not indexed yet.", icon=":material/sync:")
    st.page_link("app_pages/library.py", label="去文库更新索引", icon=":material/library_books:")

# ------------------------------------------------------------------ filters (sidebar)
with st.sidebar:
    st.header("筛选 Filters")
    regions = sorted({d.meta.region for d in docs if d.meta.region})
    levels = [lv for lv in common.LEVELS if any(d.meta.level == lv for d in docs)]
    statuses = [s for s in common.STATUSES if any(d.meta.status == s for d in docs)]
    doc_ids = [d.doc_id for d in docs]
    ignored = link_filters({"f_regions": (regions, None), "f_levels": (levels, common.LEVELS),
                            "f_docs": (doc_ids, {}), "f_status": (statuses, common.STATUSES)})
    for key, options in (("f_regions", regions), ("f_levels", levels), ("f_docs", doc_ids), ("f_status", statuses)):
        common.keep_known(key, options)
    f_regions = st.multiselect("地区 Region", regions, key="f_regions", placeholder="全部 All")
    f_scope = st.radio("地区范围 Scope", ["", "self"], key="f_scope", horizontal=True, disabled=not f_regions,
                       format_func={"": "含下辖 incl. subordinate", "self": "仅本级 this level only"}.get,
                       help="含下辖：选广东省也包括东莞市等省内城市的文件；仅本级：只要该地区本级的文件")
    f_levels = st.multiselect("层级 Level", levels, format_func=common.LEVELS.get, key="f_levels", placeholder="全部 All")
    f_docs = st.multiselect("文件 Document", [d.doc_id for d in docs], key="f_docs", placeholder="全部 All",
                            format_func=lambda i: common.doc_label(common.find_doc(docs, i)))
    f_status = st.multiselect("状态 Status", statuses, format_func=common.STATUSES.get, key="f_status", placeholder="全部 All")
    years = sorted({int(d.meta.date[:4]) for d in docs if d.meta.date[:4].isdigit()})
    f_dates = None
    if not years and st.session_state.pop("_link_dates", None):
        ignored.append("日期（文库中没有注明日期的文件 / no dated document）")
    if years:
        low, high = dt.date(min(years) - 5, 1, 1), dt.date(max(years) + 5, 12, 31)
        ignored += link_dates(low, high)
        f_dates = st.date_input("日期范围 Date range", key="f_dates", min_value=low, max_value=high,
                                **({} if "f_dates" in st.session_state else {"value": ()}))
    f_undated = st.checkbox("包含未注明日期的文件 Include undated", key="f_undated", disabled=not f_dates,
                            help="按日期筛选时，没有日期的文件默认不计入 / a date range leaves undated files out")
    f_section = st.text_input("章节包含 Section contains", key="f_section", placeholder="如：保障措施",
                              help="章节标题包含此词即可；常见同义章节一并匹配（保障措施 ≈ 保障机制、组织实施 …）。"
                                   "多个词用逗号分隔 / any of several, comma-separated")
    k = st.slider("结果数 Results", 5, 50, step=5, key="k")
common.remember_widgets(KEPT)
if ignored:
    st.warning("链接中的筛选条件无法识别，已忽略：" + md("；".join(ignored)) + " / filters of the link not understood, "
               "left out", icon=":material/link_off:")

date_from = date_to = ""
if f_dates and len(f_dates) == 2:
    date_from, date_to = f_dates[0].isoformat(), f_dates[1].isoformat()
filters = results.filter_key(regions=f_regions, levels=f_levels, doc_ids=f_docs, statuses=f_status,
                            date_from=date_from, date_to=date_to, section=f_section.strip(),
                            region_scope=f_scope if f_regions else "", include_undated=bool(f_undated))
# The address bar holds the search, so it can be bookmarked or sent (?q=…&mode=…&region=…).
url = {"q": query.strip(), "mode": mode if mode != "hybrid" else "", "region": ",".join(f_regions),
       "scope": f_scope if f_regions else "", "level": ",".join(f_levels), "doc": ",".join(f_docs),
       "status": ",".join(f_status), "section": f_section.strip(), **_link_range(date_from, date_to, years),
       "undated": "1" if date_from and f_undated else "", "k": str(k) if k != 10 else ""}
url = {key: value for key, value in url.items() if value}
if dict(st.query_params.to_dict()) != url:
    st.query_params.from_dict(url)


def show_hits(hits, key_prefix: str, query: str = "") -> None:
    """Result cards: title, region/level/date, section path, highlighted clause, page, context link.

    Without a query (similar clauses) nothing is highlighted and no card claims a query word is missing.
    """
    for n, h in enumerate(hits, 1):
        with st.container(border=True):
            page = f" · 第 {h.page} 页" if h.page else ""
            signals = common.signal_label(h, for_query=bool(query))
            st.markdown(block(
                f"<b>{n}. {esc(h.title or h.doc_id)}</b><br>"
                f'<span class="card-meta">{esc(region_words(h.region))} · {esc(level_words(h.level))} · '
                f'{esc(date_words(h.date))}{esc(page)}'
                f'{esc(" · " + h.doc_number) if h.doc_number else ""}</span><br>'
                f'<span class="card-path">{esc(h.section or "（正文）")}</span>'), unsafe_allow_html=True)
            spans = common.hit_spans(h, query) if query else ()
            st.markdown(block(highlight(h.text, spans)), unsafe_allow_html=True)
            c1, c2, c3 = st.columns([1.2, 1.2, 4], vertical_alignment="center")
            c1.page_link("app_pages/library.py", label="查看原文", icon=":material/article:",
                         help="在文库中打开此文件并定位到该条款 / open the clause in its document",
                         query_params={"doc": h.doc_id, "clause": h.clause_id})
            if c2.button("相似条款", key=f"{key_prefix}_sim_{n}_{h.clause_id}", icon=":material/join_inner:",
                         help="查找与此条款意思相近的条款 / find similar clauses"):
                st.session_state["similar_to"] = h.clause_id
                st.session_state["similar_for"] = st.session_state.get("query", "").strip()
                st.rerun()
            c3.caption(f"{signals} · {h.clause_id}")
        if key_prefix == "hit" and st.session_state.get("similar_to") == h.clause_id:
            similar_panel(h.clause_id)


# ------------------------------------------------------------------ similar clauses (opened under the clicked card)
if st.session_state.get("similar_for", "") != query.strip():  # a new query closes the panel of the old one
    st.session_state.pop("similar_to", None)


def similar_panel(clause_id: str) -> None:
    with st.container(border=True, key="similar_panel"):
        head, close = st.columns([6, 1], vertical_alignment="center")
        head.subheader("相似条款 Similar clauses")
        if close.button("关闭 Close", key="close_similar"):
            st.session_state.pop("similar_to", None)
            st.rerun()
        with common.guard("查找相似条款"):
            st.caption(md(f"与上面这条相似的条款（意思相近，用词相同者优先）/ clauses similar to the one above: {clause_id}"))
            others = st.toggle("仅看其他文件 Other documents only", value=True, key="similar_others",
                               help="起草时多参考其他地方的写法；关闭后也列出同一文件中的相近条款")
            show_hits(results.similar(clause_id, k, others, backend.state_stamp()), "similar")


# ------------------------------------------------------------------ results
if not query.strip():
    st.caption(f"文库共 {len(docs)} 份文件、{sum(d.n_clauses for d in docs)} 个条款。输入查询后按回车。"
               " / Type a query and press Enter.")
    st.stop()

hits = None
with common.guard("检索"):
    hits = results.search(query.strip(), mode, k, filters, backend.state_stamp())
if hits is None:
    st.stop()

if not hits:
    active = [name for name, value in (("地区", f_regions), ("层级", f_levels), ("文件", f_docs), ("状态", f_status),
                                       ("日期", date_from), ("章节", f_section.strip())) if value]
    advice = ["换个说法"] + ([] if mode == "hybrid" else ["改用「智能」模式"])
    advice += [f"放宽筛选条件（当前：{'、'.join(active)}）"] if active else []
    st.warning("没有找到匹配的条款。可以" + "、".join(advice) + "。"
               " / No matching clause: rephrase" + ("" if mode == "hybrid" else ", use Smart mode")
               + (", or loosen the filters." if active else "."))
    st.stop()

if (other := results.elsewhere(query.strip(), mode, k, filters, backend.state_stamp())) is not None:
    st.info(md(f"筛选范围内没有很相关的条款；不限筛选时最相关的是《{other.title or other.doc_id}》"
               f"（{region_words(other.region or other.province)}）{other.section}：{other.text[:60]}…") +
            " / Nothing inside the filters answers well; the best outside them is shown here.",
            icon=":material/travel_explore:")
if left_out := results.undated_left_out(filters, docs):
    st.caption(f"日期筛选未计入 {left_out} 份未注明日期的文件；可在左侧勾选「包含未注明日期的文件」。"
               f" / {left_out} undated documents are left out by the date range.")
if words := results.translation(query.strip(), mode, filters, backend.state_stamp()):
    st.caption(md(f"英文查询，同时按词典译出的中文词检索：{'、'.join(words)} / English query, also searched with "
                  "these Chinese words (CC-CEDICT)"))
if f_regions and not f_scope:
    st.caption("地区筛选含下辖地区（如省内城市）；只要本级文件请选「仅本级」。/ Region includes places under it.")
top, exp1, exp2 = st.columns([4, 1, 1], vertical_alignment="bottom")
if hits[0].low:
    top.warning(f"「{query.strip()}」没有足够相关的条款，以下是最接近的 {len(hits)} 条，相关度较低。"
                " / No strong match: the closest few, of low relevance.", icon=":material/help:")
else:
    top.markdown(f"<b>「{esc(query.strip())}」找到 {len(hits)} 条结果</b>"
                 f'<span class="card-meta">（{esc(common.MODES[mode])}，按相关度排序）</span>',
                 unsafe_allow_html=True)
exports.hits_buttons((exp1, exp2), hits, query.strip(), results.search_filters(filters))
show_hits(hits, "hit", query.strip())
