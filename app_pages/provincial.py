"""省级视图 Provincial view: the implementation matrix, the diffusion timeline and the policy-instrument facets."""
from __future__ import annotations

import streamlit as st

from app_pages import backend, common
from app_pages.render import STYLE, esc, md
from indexer.compare.answering import REASON_LABELS, REPRINT
from indexer.labels import NO_DATE, where_when

st.markdown(STYLE, unsafe_allow_html=True)
st.title("省级视图 Provincial view")
st.caption("一份参照文件（如省里的 20 个产业集群、一部省级条例）在全库的落实情况：哪些文件采纳了哪些条目、何时采纳、"
           "照搬还是改写，以及各文件使用的政策工具。/ Which documents take up which reference items, when, and how.")

STATUS_LABEL = {"covered": "已覆盖 covered", "missing": "未覆盖 missing", "named_gap": "点名未覆盖 named gap"}
STATUS_COLOUR = {"covered": "#1a7f37", "missing": "#d0d7de", "named_gap": "#cf222e"}


@st.cache_data(show_spinner="正在比对各文件… / comparing the answering documents", max_entries=16)
def matrix_of(reference: str, targets: tuple[str, ...] | None, stamp: tuple):
    return backend.library().matrix(reference, list(targets) if targets is not None else None)


@st.cache_data(show_spinner="正在统计政策工具… / tagging instruments", max_entries=8)
def facets_of(by: str, stamp: tuple) -> pd.DataFrame:
    from indexer.compare.instruments import default_codebook, facet_counts

    docs = backend.documents()
    return charts.facet_frame(facet_counts(docs, by), default_codebook(), by, {d.doc_id: d for d in docs})


@st.cache_data(show_spinner="正在比对措辞… / comparing wording", max_entries=32)
def timeline(reference: str, targets: tuple[str, ...] | None, item: int, stamp: tuple):
    """One item's diffusion timeline of a (cached) matrix: worked out once per item, not on every rerun."""
    from indexer.compare.diffusion import timeline_of

    return timeline_of(matrix_of(reference, targets, stamp), item, backend.documents())


@st.cache_data(max_entries=16)
def spread(reference: str, targets: tuple[str, ...] | None, stamp: tuple):
    from indexer.compare.diffusion import spread_additions

    return spread_additions(matrix_of(reference, targets, stamp))


@st.cache_data(max_entries=16)
def matrix_file(reference: str, targets: tuple[str, ...] | None, suffix: str, stamp: tuple) -> bytes:
    from indexer.export.matrix import matrix_bytes

    return matrix_bytes(matrix_of(reference, targets, stamp), suffix, backend.documents())


docs = backend.documents()
if not docs:
    st.info("文库为空 / the library is empty")
    st.stop()
label = {d.doc_id: common.doc_label(d) for d in docs}
ids = [d.doc_id for d in docs]
stamp = backend.state_stamp()

tab_matrix, tab_time, tab_tools = st.tabs(["实施矩阵 Matrix", "扩散时间线 Diffusion", "政策工具 Instruments"])

# ------------------------------------------------------------------ reference and documents
with tab_matrix:
    ref_id = st.selectbox("参照文件 Reference", ids, key="prov_ref", format_func=label.get,
                          index=common.default_pair(docs)[0])  # the province's document most cities answer
    m, targets = None, None
    with common.guard("实施矩阵"):
        found = matrix_of(ref_id, None, stamp)
        chosen = st.multiselect("答复文件 Answering documents（自动找到，可增删 / found automatically; add or drop）",
                                [i for i in ids if i != ref_id], default=[r.doc_id for r in found.rows],
                                key=f"prov_docs_{ref_id}", format_func=label.get)
        targets = None if chosen == [r.doc_id for r in found.rows] else tuple(chosen)
        m = matrix_of(ref_id, targets, stamp)
    if m is None:
        st.stop()
    # The chart libraries load once there is a matrix to draw: the title and pickers are on screen ~0.8 s sooner.
    import altair as alt
    import pandas as pd

    from app_pages import charts
    if not m.rows:
        st.info("没有答复文件；请在上面添加 / no answering document: add some above")
    n = len(m.rows)
    c = st.columns(4)
    c[0].metric("参照条目 Items", len(m.items))
    c[1].metric("答复文件 Documents", n)
    c[2].metric("无人采纳 Taken up by none", len(m.untouched()))
    c[3].metric("点名未覆盖 Named gaps", sum(cell.named_gap for r in m.rows for cell in r.cells))
    why = [{"文件 document": label[r.doc_id], "计入 counted": "计入", "理由 why": "、".join(
        REASON_LABELS.get(x, x) for x in r.reasons)} for r in m.rows]
    why += [{"文件 document": label.get(rel.doc_id, rel.doc_id),
             "计入 counted": "转载，不计入" if rel.excluded == REPRINT else "未计入", "理由 why": rel.label}
            for rel in m.related]
    with st.expander(f"为何计入这些文件 / why these documents（另有 {len(m.related)} 份相关但未计入）",
                     expanded=bool(m.related)):
        st.caption("下级且在参照文件辖区内、并与之相关（引用文号、以其为依据、沿用条目、同一主题）的文件计入；"
                   "同级或上级、外省、新闻和转载不计入，可在上面手动加入。/ Counted: lower level inside the "
                   "reference's jurisdiction and tied to it; others are listed, not counted.")
        st.dataframe(pd.DataFrame(why), hide_index=True, width="stretch", key="prov_why")
    unit = "清单条目" if m.unit == "list" else "条（省级条例的每一条）"
    st.caption(f"参照条目为{unit}。格中颜色为状态，深浅为置信度。/ Colour: status; opacity: confidence.")

    short: dict[str, str] = {}  # column labels a phone can hold: 东莞市 2021, 新闻报道 2021
    for r in m.rows:
        name = where_when(r.region, r.level, r.date, year=True)
        short[r.doc_id] = name if name not in short.values() else f"{name} ({len(short) + 1})"
    cells = pd.DataFrame([{
        "条目 item": f"{j + 1}. {it.name}", "文件 document": short[r.doc_id], "标题 title": label[r.doc_id],
        "状态 status": STATUS_LABEL["named_gap" if cell.named_gap else cell.status],
        "置信度 confidence": round(cell.confidence, 2), "对应 matches": "、".join(cell.matches)}
        for r in m.rows for j, (it, cell) in enumerate(zip(m.items, r.cells, strict=True))])
    if len(cells):
        item_order = [f"{j + 1}. {it.name}" for j, it in enumerate(m.items)]
        # items down, documents across: a list has many items and few answering documents, so the chart stays
        # narrow enough for a phone; 60 articles get 16 px each
        row_px = 24 if len(m.items) <= 30 else 16
        chart = alt.Chart(cells).mark_rect(stroke="white").encode(
            x=alt.X("文件 document:N", sort=[short[r.doc_id] for r in m.rows],
                    axis=alt.Axis(orient="top", labelAngle=-40, labelLimit=110, labelOverlap=False, title=None)),
            y=alt.Y("条目 item:N", sort=item_order,
                    axis=alt.Axis(labelLimit=130, labelOverlap=False, labelFontSize=11, title=None)),
            color=alt.Color("状态 status:N", scale=alt.Scale(domain=list(STATUS_LABEL.values()),
                                                           range=list(STATUS_COLOUR.values())),
                            legend=alt.Legend(orient="bottom", direction="vertical", title=None)),
            opacity=alt.Opacity("置信度 confidence:Q", scale=alt.Scale(domain=[0, 1], range=[0.45, 1]), legend=None),
            tooltip=["条目 item", "标题 title", "状态 status", "置信度 confidence", "对应 matches"],
        ).properties(height=row_px * len(m.items) + 110)
        st.altair_chart(chart, width="stretch")

    st.subheader("各条目采纳情况 Per item")
    counts = pd.DataFrame([{"条目 item": it.name, "采纳 taken up": f"{m.taken_up(j)} / {n}",
                            "采纳文件 documents": "、".join(short[r.doc_id] for r in m.rows
                                                          if r.cells[j].status == "covered"),
                            "所属 group": it.group}
                           for j, it in enumerate(m.items)])
    st.dataframe(counts, hide_index=True, width="stretch", key="prov_counts",
                 height=min(35 * (len(m.items) + 1) + 3, 720))
    if m.unanswered:
        st.info(md("文库中有本省下级文件、但尚无答复的地区 / places with no answer：" + "、".join(m.unanswered)),
                icon=":material/location_off:")
    if m.untouched():
        st.warning(md("无一文件采纳 / taken up by none：" + "、".join(m.untouched()[:40])), icon=":material/info:")

    st.subheader("本地新增 Local additions")
    for r in m.rows:
        if r.additions:
            st.markdown(f"**{esc(label[r.doc_id])}**：" + esc("、".join(a.name for a in r.additions)),
                        unsafe_allow_html=True)
    shared = spread(ref_id, targets, stamp)
    if shared:
        st.markdown("**多地共有的新增 Spread across documents：** " + esc("；".join(
            f"{s.name}（{'→'.join(label[d][:8] for d, _, _ in s.documents)}）" for s in shared[:10])),
            unsafe_allow_html=True)

    e1, e2 = st.columns(2)
    for col, suffix, mime in ((e1, ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                              (e2, ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")):
        col.download_button(f"导出 {suffix}", data=lambda s=suffix: matrix_file(ref_id, targets, s, stamp),
                            file_name=f"实施矩阵_{m.reference}{suffix}", mime=mime, key=f"prov_export_{suffix}",
                            on_click="ignore")  # written when clicked, not on every visit

# ------------------------------------------------------------------ diffusion
with tab_time:
    names = [f"{j + 1}. {it.name}" for j, it in enumerate(m.items)]
    pick = st.selectbox("参照条目 Reference item", range(len(names)), format_func=names.__getitem__, key="prov_item")
    t = timeline(ref_id, targets, pick, stamp)
    ref_when = f"参照日期 {t.date}" if t.date else f"参照文件{NO_DATE}"
    st.caption(md(ref_when + (f"（首次通过 {t.first_date}）" if t.first_date else "")
                  + f"；{len(t.carriers)} 份文件采纳，{len(t.silent)} 份未采纳。"))
    titles = {c.doc_id: short.get(c.doc_id, label[c.doc_id][:18]) for c in t.carriers}
    dated = charts.timeline_rows(t, titles)
    if len(dated):
        st.altair_chart(charts.timeline_chart(dated, t.date), width="stretch")
    table = charts.timeline_table(t, {c.doc_id: label[c.doc_id] for c in t.carriers})
    st.dataframe(table, hide_index=True, width="stretch", key="prov_timeline")
    undated = [c for c in t.carriers if c.undated]
    if undated:
        st.caption(md("日期未注明的文件列在最后 / undated: " + "、".join(label[c.doc_id] for c in undated)))

# ------------------------------------------------------------------ instruments
with tab_tools:
    from indexer.compare.instruments import default_codebook

    cb = default_codebook()
    st.caption("按供给型、需求型、环境型政策工具（Rothwell & Zegveld 1981；赵筱媛、苏竣 2007）给每条条款打标签，"
               "图中为各文件（或地区、年份、层级）含各类工具的条款数。/ Clauses per policy instrument for each "
               "document, region, year or level.")
    by = st.radio("分组 Facet", ["document", "region", "year", "level"], horizontal=True, key="prov_facet",
                  format_func={"document": "文件", "region": "地区", "year": "年份", "level": "层级"}.get)
    df = facets_of(by, stamp)
    if len(df):
        st.altair_chart(charts.instrument_chart(df, cb.tags), width="stretch")
    tags = st.multiselect("筛选条款 Clauses with", list(cb.tags), key="prov_tags")
    if tags:
        from indexer.compare.instruments import clauses_with

        found_clauses = clauses_with(docs, tags)
        st.caption(f"{len(found_clauses)} 条款 / clauses")
        by_id = {c.clause_id: c for d in docs for c in d.clauses}
        st.dataframe(pd.DataFrame([{"文件 document": label[d], "条款 clause": by_id[c].section_str,
                                    "工具 tags": "、".join(tg), "原文 text": " ".join(by_id[c].text.split())[:80]}
                                   for d, c, tg in found_clauses[:500]]),
                     hide_index=True, width="stretch", key="prov_tag_table")
    with st.expander("编码表 Codebook"):
        st.dataframe(pd.DataFrame([{"工具 tag": i.tag, "类型": cb.categories[i.category], "定义": i.definition,
                                    "来源 source": i.source} for i in cb.instruments]), hide_index=True,
                     width="stretch", key="prov_codebook")
