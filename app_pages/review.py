"""审查 Review: a local document or a pasted draft against the upper law in the library (上位法审查)."""
from __future__ import annotations

import streamlit as st

from app_pages import backend, common
from app_pages.exports import FORMAT_LABELS, MIME
from app_pages.render import STYLE, block, esc, highlight, redline_html
from app_pages.widgets import doc_label
from indexer.compare.review_basis import doc_level, is_law

st.markdown(STYLE, unsafe_allow_html=True)
st.title("审查 Review")
st.caption("逐条找出本地文件所依据的上位法条文，标出数额、期限、“应当/可以”、新设处罚许可等差异，以及上位法要求地方政府"
           "履行而本文件未落实的职责。/ Each article against the upper law it implements; differences marked in both texts.")


@st.cache_resource(show_spinner="正在读取上位法文库… / loading the upper law", max_entries=2)
def _library(stamp: tuple):
    from indexer.compare.review import with_upper_law

    return with_upper_law(backend.documents())


docs: list = []
with common.guard("读取文库"):
    docs = _library(backend.state_stamp())
if not docs:
    st.stop()
locals_ = [d for d in docs if d.meta.level in ("province", "city", "county")]
if not any(doc_level(d) == "national" for d in docs):
    st.info("文库中没有国家法律和行政法规，只能对照省级、市级上位法。要对照国家法律，请将环境变量 POLICY_REVIEW_LIBRARY 设为法律文件夹"
            "（如 ../shared/library/national）后重启，或在文库页上传法律文本。/ No national law in the library: set "
            "POLICY_REVIEW_LIBRARY to a folder of laws and restart, or upload them.", icon=":material/info:")
uppers = [d for d in docs if doc_level(d) in ("national", "province", "city") and is_law(d)]

with st.form("review_form"):
    source = st.radio("审查对象 Document", ["文库文件 Library document", "粘贴草案 Pasted draft"], horizontal=True,
                      key="review_source")
    pick = st.selectbox("文库文件 Library document", [d.doc_id for d in locals_], key="review_doc",
                        format_func=lambda i: doc_label(common.find_doc(docs, i)), index=None,
                        placeholder="选择省级或市级法规 / pick a provincial or city regulation")
    draft_title = st.text_input("草案标题 Draft title", key="review_title", placeholder="例如：某市物业管理条例（草案）")
    draft = st.text_area("草案文本 Draft text（第一条 …）", key="review_text", height=160)
    level = st.selectbox("草案层级 Level", ["city", "province", "county"], key="review_level",
                         format_func={"city": "市级", "province": "省级", "county": "县级"}.get)
    chosen = st.multiselect("只对照这些上位法 Upper law（可选，默认在文库中查找）", [d.doc_id for d in uppers],
                            key="review_upper", format_func=lambda i: doc_label(common.find_doc(docs, i)),
                            placeholder="留空：按援引、主题和措辞自动查找 / empty: found in the library")
    go = st.form_submit_button("开始审查 Review", icon=":material/gavel:", type="primary")

if go:
    from indexer.compare.review import draft_document, review_document

    st.session_state.pop("review_result", None)  # a failed review leaves no earlier result on screen
    with common.guard("审查"), st.spinner("正在审查… / reviewing"):
        use_draft = source.startswith("粘贴") or (not pick and draft.strip())  # a pasted draft is what was meant
        if not use_draft:
            if not pick:
                st.warning("请选择一份文库文件，或粘贴草案文本 / pick a document or paste a draft")
                st.stop()
            if draft.strip():
                st.info("已按所选文库文件审查，粘贴的草案未使用；审查草案请选「粘贴草案」。/ The library document was "
                        "reviewed, not the pasted draft.", icon=":material/info:")
            local = common.find_doc(docs, pick)
            st.session_state["review_result"] = review_document(docs, local, upper=chosen)
        else:
            local = draft_document(draft, draft_title, level)
            st.session_state["review_result"] = review_document(docs, local, upper=chosen, level=level)

rv = st.session_state.get("review_result")
if rv is None:
    st.stop()

from indexer.compare.review_diff import KIND_LABELS, KINDS, TYPE_LABELS  # noqa: E402
from indexer.models import LEVEL_LABELS  # noqa: E402

st.subheader(f"《{rv.title}》")
st.caption(" · ".join(x for x in (LEVEL_LABELS.get(rv.level, rv.level), rv.doc_number, rv.date) if x))
cols = st.columns(len(KINDS) + 1)
counts = rv.counts()
for col, k in zip(cols, KINDS, strict=False):
    col.metric(KIND_LABELS[k], counts[k])
cols[-1].metric("用时 seconds", f"{rv.seconds:.1f}")
st.caption("对照的上位法 / upper law: " + (rv.upper_words() or "无"))
for note in rv.notes:
    st.info(note, icon=":material/info:")


def _export(suffix: str) -> bytes:
    from indexer.export import report_bytes
    from indexer.export.review import review_report

    return report_bytes(review_report(rv), suffix)


row = st.container(horizontal=True)
for suffix in (".docx", ".xlsx"):
    row.download_button(f"导出 {FORMAT_LABELS[suffix]}", data=lambda s=suffix: _export(s), on_click="ignore",
                        file_name=f"上位法审查_{rv.doc_id}{suffix}", mime=MIME[suffix], key=f"review_export{suffix}",
                        icon=":material/download:")

for kind, tab in zip(KINDS, st.tabs([f"{KIND_LABELS[k]}（{counts[k]}）" for k in KINDS]), strict=True):
    with tab:
        found = [f for f in rv.findings if f.kind == kind]
        if not found:
            st.caption("未发现此类问题 / none found")
        for f in found[:common.PAGE_SIZE]:
            with st.container(border=True):
                st.markdown(f'<span class="badge">{esc(TYPE_LABELS[f.type])}</span>'
                            f'<span class="card-meta">置信度 confidence {f.confidence:.2f}</span><br>{esc(f.message)}',
                            unsafe_allow_html=True)
                left, right = st.columns(2)
                if f.local:
                    left.markdown(block(f'<span class="card-path">本地 · {esc(f.local.marker)}</span><br>'
                                        + highlight(f.local.text, f.local_spans, "focus")), unsafe_allow_html=True)
                if f.upper:
                    right.markdown(block(f'<span class="card-path">上位法 · 《{esc(f.upper_title)}》'
                                         f'{esc(f.upper.marker)}</span><br>'
                                         + highlight(f.upper.text, f.upper_spans, "focus")), unsafe_allow_html=True)
                if f.local and f.upper:
                    with st.expander("逐字差异 Redline（上位法 → 本地）"):
                        st.markdown(block(redline_html(common.redline(f.upper.text, f.local.text))),
                                    unsafe_allow_html=True)
                st.caption(f.caveat)
        if len(found) > common.PAGE_SIZE:
            st.caption(f"另有 {len(found) - common.PAGE_SIZE} 项，可导出查看 / more in the export")

with st.expander("逐条依据 Basis of each article"):
    for ar in rv.articles:
        best = ar.basis[0] if ar.basis else None
        where = f"《{best.title}》{best.article.marker}（{best.score:.2f}）" if best else "文库中未找到 / none found"
        st.markdown(f"**{esc(ar.article.marker)}** → {esc(where)}", unsafe_allow_html=True)
