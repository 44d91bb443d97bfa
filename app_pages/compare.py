"""对照 Compare: two documents' clauses side by side with relation labels and a character redline."""
from __future__ import annotations

import streamlit as st

from app_pages import backend, common, exports, results
from app_pages.render import STYLE, block, esc, redline_html

st.markdown(STYLE, unsafe_allow_html=True)
st.title("对照 Compare")
st.caption("选择两份文件，逐条找出对应条款：相同、基本相同、改写、部分对应，以及各自独有的条款。"
           " / Aligned clauses with their relation and a character-level redline.")

docs = backend.documents()
if len(docs) < 2:
    st.info("文库中至少需要两份文件 / the library needs at least two documents")
    st.stop()
ids = [d.doc_id for d in docs]
label = {d.doc_id: common.doc_label(d) for d in docs}

left, right = st.columns(2)
first_a, first_b = common.default_pair(docs)  # a province's document and a city's on its subject
doc_a = left.selectbox("文件 A（基准，如省级文件）Document A", ids, key="compare_a", index=first_a, format_func=label.get)
doc_b = right.selectbox("文件 B（对照，如市级文件）Document B", ids, key="compare_b", index=first_b, format_func=label.get)
if doc_a == doc_b:
    st.warning("请选择两份不同的文件 / pick two different documents")
    st.stop()

result = None
with common.guard("对照"):
    result = results.align(doc_a, doc_b, backend.state_stamp())
if result is None:
    st.stop()

# ------------------------------------------------------------------ summary and filters
counts = {r: sum(1 for p in result.pairs if p.relation == r) for r in common.RELATIONS}
cols = st.columns(len(counts) + 2)
for col, (rel, n) in zip(cols, counts.items(), strict=False):
    col.metric(common.RELATIONS[rel].split()[0], n)
cols[-2].metric(common.ONLY["only_a"].split()[0], len(result.only_a))
cols[-1].metric(common.ONLY["only_b"].split()[0], len(result.only_b))

options = list(common.RELATIONS) + ["only_a", "only_b"]
names = {**common.RELATIONS, **common.ONLY}
shown = st.multiselect("显示 Show", options, default=options, format_func=names.get, key="compare_filter",
                       placeholder="选择要显示的对应类型 / choose what to show")

# ------------------------------------------------------------------ export
exports.export_buttons(result, f"对照_{doc_a}_{doc_b}", (".docx", ".xlsx", ".md"), key="compare_export")

# ------------------------------------------------------------------ aligned pairs
pairs = [p for p in result.pairs if p.relation in shown]
order = {c.clause_id: i for i, c in enumerate(common.find_doc(docs, doc_a).clauses)}
pairs.sort(key=lambda p: (order.get(p.a.clause_id, 0), -p.score))
st.subheader(f"对应条款 Aligned clauses（{len(pairs)}）")
if not pairs:
    st.caption("没有符合筛选条件的对应条款 / no aligned clauses match the filter")
view = (doc_a, doc_b, tuple(shown))
if st.session_state.get("compare_view") != view:  # other documents or filter: start again from the top
    st.session_state["compare_view"] = view
    st.session_state["compare_limit"] = common.PAGE_SIZE
limit = st.session_state["compare_limit"]
for p in pairs[:limit]:
    with st.container(border=True):
        badge = f'<span class="badge">{esc(common.RELATIONS.get(p.relation, p.relation))}</span>'
        st.markdown(f'{badge}<span class="card-meta">匹配置信度 confidence {p.score:.2f}</span>', unsafe_allow_html=True)
        ca, cb = st.columns(2)
        ca.markdown(block(f'<span class="card-path">A · {esc(p.a.section or "正文开头")}</span><br>'
                          f'{esc(p.a.text)}'), unsafe_allow_html=True)
        cb.markdown(block(f'<span class="card-path">B · {esc(p.b.section or "正文开头")}</span><br>'
                          f'{esc(p.b.text)}'), unsafe_allow_html=True)
        if p.relation != "identical":
            with st.expander("逐字差异 Redline（A → B）"):
                st.markdown(block(redline_html(common.redline(p.a.text, p.b.text))), unsafe_allow_html=True)

if len(pairs) > limit:
    more = min(common.PAGE_SIZE, len(pairs) - limit)
    st.caption(f"已显示前 {limit} 条，共 {len(pairs)} 条；全部结果可导出查看。/ first {limit} of {len(pairs)} shown")
    if st.button(f"再显示 {more} 条 Show more", key="compare_more", icon=":material/expand_more:"):
        st.session_state["compare_limit"] = limit + common.PAGE_SIZE
        st.rerun()

# ------------------------------------------------------------------ unmatched clauses
ua, ub = st.columns(2)
for col, key, refs, title in ((ua, "only_a", result.only_a, common.ONLY["only_a"]),
                              (ub, "only_b", result.only_b, common.ONLY["only_b"])):
    if key not in shown:
        continue
    col.subheader(f"{title}（{len(refs)}）")
    for r in refs[:limit]:
        col.markdown(block(f'<span class="card-path">{esc(r.section or "正文开头")}</span><br>{esc(r.text)}'),
                     unsafe_allow_html=True)
    if len(refs) > limit:
        col.caption(f"另有 {len(refs) - limit} 条未显示，可导出查看 / {len(refs) - limit} more in the export")
