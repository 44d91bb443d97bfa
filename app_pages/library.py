"""文库 Library: every document with its metadata, its outline, uploads and removal."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import backend, common
from app_pages.render import STYLE, block, esc, highlight, md
from indexer import paths
from indexer.labels import date_words, level_words, region_words

SCROLL_TO_FOCUS = """<script>
(function () {
  let tries = 0;
  const go = () => {
    const mark = document.querySelector("mark.focus");
    if (mark) { mark.scrollIntoView({block: "center"}); } else if (tries++ < 40) { setTimeout(go, 100); }
  };
  setTimeout(go, 100);
})();
</script>"""

st.markdown(STYLE, unsafe_allow_html=True)
st.title("文库 Library")

docs = backend.documents()
read_errors = backend.read_errors()

# ------------------------------------------------------------------ table of documents
rows = [{
    "标题 Title": d.meta.title or d.doc_id,
    "发文机关 Issuer": d.meta.issuer,
    "文号 No.": d.meta.doc_number,
    "日期 Date": d.meta.date,
    "地区 Region": d.meta.region,
    "层级 Level": common.LEVELS.get(d.meta.level, d.meta.level),
    "状态 Status": common.STATUSES.get(d.meta.status, d.meta.status),
    "条款数 Clauses": len(d.clauses),
    "来源 Source": "上传 upload" if common.is_upload(d) else "内置 shipped",
    "doc_id": d.doc_id,
} for d in docs]
st.caption(f"共 {len(docs)} 份文件，{sum(len(d.clauses) for d in docs)} 个条款 · "
           f"{len(docs)} documents, {sum(len(d.clauses) for d in docs)} clauses")
table = pd.DataFrame(rows)
picked = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row",
                      key="library_table", width="stretch",
                      column_config={"标题 Title": st.column_config.TextColumn(width=300),
                                     "发文机关 Issuer": st.column_config.TextColumn(width=150),
                                     # a reviewer cites the 文号: show it whole (粤府函〔2020〕82号)
                                     "文号 No.": st.column_config.TextColumn(width=150),
                                     "日期 Date": st.column_config.TextColumn(width=95),
                                     "地区 Region": st.column_config.TextColumn(width=110),
                                     "条款数 Clauses": st.column_config.NumberColumn(width="small"),
                                     "doc_id": st.column_config.TextColumn(width="small")})
for line in read_errors:
    st.warning(f"未能读取 / could not read: {md(line)}", icon=":material/warning:")
for line in backend.read_notes():
    st.info(md(line), icon=":material/content_copy:")
if waiting := backend.waiting_files(docs):
    st.info(f"有 {len(waiting)} 个文件尚未编入索引 / not indexed yet: " + md("、".join(p.name for p in waiting[:5])),
            icon=":material/sync:")
    if st.button("更新索引 Update the index", key="reindex"):
        with common.guard("更新索引"):
            backend.build_index(message=backend.STAY)
            st.rerun()

# ------------------------------------------------------------------ one document as an outline
ids = [d.doc_id for d in docs]
wanted = st.query_params.get("doc")
focus = st.query_params.get("clause")
rows_picked = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
if common.selection_changed("library_table", rows_picked) and rows_picked:
    st.session_state["library_doc"] = ids[rows_picked[0]]
elif wanted in ids and "library_doc" not in st.session_state:
    st.session_state["library_doc"] = wanted

if docs:
    st.subheader("打开文件 Open a document")
    doc_id = st.selectbox("文件 Document", ids, key="library_doc",
                          format_func=lambda i: common.doc_label(common.find_doc(docs, i)))
    doc = common.find_doc(docs, doc_id)
    m = doc.meta
    st.markdown(block(
        f"<b>{esc(m.title or doc.doc_id)}</b><br>"
        f'<span class="card-meta">{esc(m.issuer or "发文机关未标注")} · {esc(m.doc_number or "无文号")} · '
        f'{esc(date_words(m.date))} · {esc(region_words(m.region))} · '
        f'{esc(level_words(m.level))} · {esc(common.STATUSES.get(m.status, m.status))} · '
        f'{esc(doc.format)} · {len(doc.clauses)} 条款</span>'), unsafe_allow_html=True)
    for w in doc.warnings:
        st.caption(f"⚠ {md(w)}")
    if focus and focus.startswith(doc.doc_id):
        st.info("已定位到检索结果所在条款（高亮显示）/ the clause from your search is highlighted",
                icon=":material/my_location:")

    # Top-level clauses become expanders; their descendants are indented inside.
    groups: list[list] = []
    for c in doc.clauses:
        loose = c.level <= 1 and not c.marker  # an unnumbered paragraph joins the one before it (总结, 附件 don't)
        if not groups or c.kind == "plain" or (c.level <= 1 and not (loose and not groups[-1][0].marker)):
            groups.append([c])
        else:
            groups[-1].append(c)
    for group in groups:
        head = group[0]
        label = ((head.section[-1] if head.section else head.marker) if head.marker  # 1、当今世界正处于…
                 else head.text[:30] + ("…" if len(head.text) > 30 else "")) or head.clause_id
        has_focus = any(c.clause_id == focus for c in group)
        with st.expander(md(label) + (f"（共 {len(group)} 段）" if len(group) > 1 else ""),
                         expanded=has_focus):
            for c in group:
                indent = 1.2 * max(0, c.level - 1)
                page = f' <span class="card-meta">第{c.page}页</span>' if c.page else ""
                body = highlight(c.text, [(0, len(c.text))], css="focus") if c.clause_id == focus else esc(c.text)
                st.markdown(f'<div class="doc-text" style="margin-left:{indent}em" title="{esc(c.clause_id)}">'
                            f'{body}{page}</div>', unsafe_allow_html=True)
    if focus and any(c.clause_id == focus for c in doc.clauses) and st.session_state.get("_scrolled_to") != focus:
        # Bring the highlighted clause into view once (it may sit far below the table); later reruns leave
        # the scroll position to the user. The script is constant: no document text goes into it.
        st.session_state["_scrolled_to"] = focus
        st.html(SCROLL_TO_FOCUS, unsafe_allow_javascript=True)

# ------------------------------------------------------------------ uploads
st.divider()
st.subheader("上传文件 Upload")
limit = common.max_upload_mb()
extra = "".join(f"、{t}" for t in common.upload_types() if t not in common.BUILTIN_TYPES)
st.caption(f"支持 txt、md、pdf（含扫描件 OCR）、docx、doc、html{extra}，可一次选择多个文件；每个文件不超过 {limit} MB。"
           f" / Several files at once; at most {limit} MB each.")
with st.form("upload_form", clear_on_submit=True):
    # no `type=` filter: the browser would refuse other files with an English tooltip and 导入 would do nothing;
    # each refused file gets a Chinese line naming the accepted types instead
    files = st.file_uploader("选择文件 Choose files", accept_multiple_files=True, key="uploads")
    submitted = st.form_submit_button("导入并更新索引 Import and index", type="primary")

if submitted and files:
    added, failed, known = [], [], []
    bar = st.progress(0.0, text="正在读取文件… / reading files")
    for n, f in enumerate(files, 1):
        suffix = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
        if suffix not in (types := common.upload_types()):
            failed.append(f"{f.name}：不支持的文件类型{('.' + suffix) if suffix else '（无扩展名）'}，"
                          f"支持 {'、'.join(types)} / unsupported file type")
            continue
        size_mb = f.size / 2**20
        if f.size > limit * 2**20:
            failed.append(f"{f.name}：文件 {size_mb:.1f} MB，超过上限 {limit} MB / file too large")
            continue
        with common.guard(f"读取 {f.name}"):  # the same service the HTTP API's uploads use
            outcome = backend.library().upload(f.name, f.getvalue(),
                                               progress=common.progress_fn(bar, f"读取 {f.name}（{n}/{len(files)}）"))
            if outcome.status == "added":
                added.append(outcome.saved_as)
            else:
                (failed if outcome.status == "failed" else known).append(outcome.message)
        bar.progress(n / len(files), text=f"已读取 {n}/{len(files)} 个文件")
    bar.empty()
    if added:
        try:
            report = backend.build_index(message=backend.STAY, queue=True)
        except Exception as exc:  # noqa: BLE001 — shown after the rerun, as one line
            failed.append(f"更新索引失败 / indexing failed: {common.one_line(exc)}")
        else:
            from indexer.freshness import build_problems

            mine = [p for p in report.problems if p["file"] in added]
            for p in mine:  # e.g. the same text as a document already in the library: a note, and no copy kept
                added.remove(p["file"])
                (paths.UPLOAD_DIR / p["file"]).unlink(missing_ok=True)
            for problem in build_problems({"problems": [{**p, "path": ""} for p in mine]}, docs):
                (known if problem.is_notice else failed).append(problem.message)
    backend.forget_corpus()
    messages = [("success", f"已导入 {len(added)} 个文件：{'、'.join(added)}")] if added else []
    st.session_state["library_messages"] = (messages + [("info", line) for line in known]
                                            + [("error", line) for line in failed])
    st.rerun()

for kind, line in st.session_state.pop("library_messages", []):
    {"success": st.success, "info": st.info}.get(kind, st.error)(md(line))

# ------------------------------------------------------------------ metadata corrections
uploaded = [d for d in docs if common.is_upload(d)]
if uploaded:
    st.subheader("更正元数据 Correct metadata")
    st.caption("识别有误时可在此更正上传文件的标题、发文机关、文号、日期、地区、层级、状态；更正保存在上传文件夹的"
               " manifest.json，重建索引后仍然有效。留空则恢复自动识别。/ Corrections persist across rebuilds.")
    fix_id = st.selectbox("要更正的文件 Document", [d.doc_id for d in uploaded], key="fix_doc",
                          format_func=lambda i: common.doc_label(common.find_doc(docs, i)))
    fix = common.find_doc(docs, fix_id)
    with st.form("fix_form"):
        c1, c2 = st.columns(2)
        values = {
            "title": c1.text_input("标题 Title", fix.meta.title, key=f"fix_title_{fix_id}"),
            "issuer": c2.text_input("发文机关 Issuer", fix.meta.issuer, key=f"fix_issuer_{fix_id}"),
            "doc_number": c1.text_input("文号 No.", fix.meta.doc_number, key=f"fix_number_{fix_id}"),
            "date": c2.text_input("日期 Date（YYYY-MM-DD）", fix.meta.date, key=f"fix_date_{fix_id}"),
            "region": c1.text_input("地区 Region", fix.meta.region, key=f"fix_region_{fix_id}"),
            "province": c2.text_input("省份 Province", fix.meta.province, key=f"fix_province_{fix_id}"),
        }
        levels = list(common.LEVELS)
        values["level"] = c1.selectbox("层级 Level", levels, index=levels.index(fix.meta.level)
                                       if fix.meta.level in levels else levels.index(""),
                                       format_func=common.LEVELS.get, key=f"fix_level_{fix_id}")
        statuses = list(common.STATUSES)
        values["status"] = c2.selectbox("状态 Status", statuses, index=statuses.index(fix.meta.status)
                                        if fix.meta.status in statuses else 0,
                                        format_func=common.STATUSES.get, key=f"fix_status_{fix_id}")
        save = st.form_submit_button("保存更正并更新索引 Save and re-index")
    if save:
        with common.guard("更正元数据"):
            changed = {k: v for k, v in values.items() if (v or "") != (getattr(fix.meta, k) or "")}
            if changed:
                backend.library().correct(fix_id, changed)
                backend.build_index(message=backend.STAY, queue=True)
                backend.forget_corpus()
                st.session_state["library_messages"] = [("success", f"已更正 {fix_id}：{'、'.join(changed)}")]
            else:
                st.session_state["library_messages"] = [("info", "没有改动 / nothing changed")]
            st.rerun()

# ------------------------------------------------------------------ removal
st.subheader("删除文件 Remove")
# uploads indexed, then those no build has indexed yet (an import left before it finished): both can go
upload_dir = Path(backend.library().upload_dir).resolve()
waiting = [p.name for p in backend.waiting_files(docs) if p.resolve().parent == upload_dir]
removable = [d.doc_id for d in uploaded] + waiting
if not removable:
    st.caption("还没有上传的文件。内置文库文件不可删除。/ No uploaded documents yet; shipped ones stay.")
else:
    with st.form("remove_form"):
        gone = st.selectbox("要删除的上传文件 Uploaded document", removable,
                            format_func=lambda i: f"{i}（尚未编入索引 / not indexed yet）" if i in waiting
                            else common.doc_label(common.find_doc(docs, i)))
        sure = st.checkbox("确认删除（同时删除上传的原文件）/ also delete the uploaded file")
        remove = st.form_submit_button("删除 Remove")
    if remove:
        if not sure:
            st.warning("请先勾选确认 / tick the confirmation first")
        else:
            with common.guard("删除文件"):
                title = gone if gone in waiting else (common.find_doc(docs, gone).meta.title or gone)
                backend.library().remove(gone)
                if gone not in waiting:  # a file never indexed leaves nothing in the index to rebuild
                    backend.build_index(message=backend.STAY)
                backend.forget_corpus()
                st.session_state["library_messages"] = [("success", f"已删除 {title}")]
                st.session_state.pop("library_doc", None)
                st.rerun()
