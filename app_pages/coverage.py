"""覆盖 Coverage: which reference-list items a target document (or pasted list) takes up, misses or adds."""
from __future__ import annotations

import hashlib

import streamlit as st

from app_pages import backend, common, exports, results
from app_pages.render import STYLE, block, esc, md
from indexer.compare.pairs import CoverageAnswer, coverage_settings
from indexer.compare.reference import UNIT_ARTICLE, articles, reference_unit

ARTICLES = ""  # the "list" of a regulation: all its articles, compared article by article


def is_regulation(doc) -> bool:
    return reference_unit(doc) == UNIT_ARTICLE

st.markdown(STYLE, unsafe_allow_html=True)
st.title("覆盖 Coverage")
st.caption("以参照文件的清单或条文（如省级文件的产业集群清单、省级条例的各条）为基准，看目标文件或粘贴的清单覆盖了哪些条目、"
           "遗漏了哪些、又新增了哪些。/ Reference items covered, missing, and the target's local additions.")

docs = [d for d in backend.documents() if common.lists_of(d) or is_regulation(d)]
if not docs:
    st.info("文库中没有包含清单的文件 / no document in the library has a named list")
    common.stop("cov_")
ids = [d.doc_id for d in docs]
label = {d.doc_id: common.doc_label(d) for d in docs}


def list_picker(col, title: str, role: str, doc_id: str) -> str:
    """A selectbox of what to compare in the document: a regulation's articles first, then its named lists
    (primary first); returns the chosen section ("" for the articles)."""
    doc = common.find_doc(docs, doc_id)
    found = {nl.section: len(nl.items) for nl in common.lists_of(doc)}
    if is_regulation(doc):
        found = {ARTICLES: len(articles(doc)), **found}
    return col.selectbox(title, list(found), key=f"cov_list_{role}_{doc_id}", format_func=lambda s: (
        f"逐条比对 Articles（{found[s]} 条）" if s == ARTICLES else f"{s}（{found[s]} 项）"))


def matrix_height(n_targets: int, ref_names: list[str]) -> int:
    """Chart height that leaves each target row 30 px: the chart's height also holds the slanted reference
    labels, so long names (促进农产品贸易和生产相协调) squashed the rows into each other."""
    label_px = min(180, 12 * max((len(n) for n in ref_names), default=0)) * 0.71 + 24  # labels at -45°, ≤ 180 px
    return int(max(160, 30 * n_targets + label_px))


# ------------------------------------------------------------------ reference and target
r1, r2 = st.columns([3, 2])
first_ref, first_target = common.default_pair(docs)  # a province's document and a city's on its subject
ref_id = r1.selectbox("参照文件 Reference", ids, key="cov_ref", format_func=label.get, index=first_ref)
ref_section = list_picker(r2, "参照清单 Reference list", "ref", ref_id)

source = st.radio("目标 Target", ["doc", "pasted"], horizontal=True, key="cov_source",
                  format_func={"doc": "文件 Document", "pasted": "粘贴清单 Pasted list"}.get)
target_id = target_section = None
pasted: tuple[str, ...] = ()
region = ""
if source == "doc":
    t1, t2 = st.columns([3, 2])
    others = [i for i in ids if i != ref_id] or ids
    if "cov_target" not in st.session_state and st.session_state.get("_kept_cov_target") in others:
        st.session_state["cov_target"] = st.session_state["_kept_cov_target"]  # chosen before a pasted list
    target_id = t1.selectbox("目标文件 Target document", others, key="cov_target", format_func=label.get,
                             index=others.index(ids[first_target]) if ids[first_target] in others else
                             common.default_doc([common.find_doc(docs, i) for i in others], level="city"))
    target_section = list_picker(t2, "目标清单 Target list", "target", target_id)
    common.remember_widgets(["cov_target"])
else:
    p1, p2 = st.columns([3, 2])
    text = p1.text_area("条目名称，每行一个或用顿号分隔 Item names", key="cov_pasted", height=140,
                        placeholder="新一代电子信息\n高端装备制造\n现代物流")
    region = p2.text_input("本地区（可选）Target region", key="cov_region", placeholder="如：佛山市").strip()
    pasted = common.parse_names(text) if text.strip() else ()
    if not pasted:
        st.caption("粘贴清单后即可查看覆盖情况 / paste a list to see its coverage")
        common.stop("cov_", drawn=("cov_ref", f"cov_list_ref_{ref_id}", "cov_source", "cov_pasted", "cov_region"))

result = None
with common.guard("覆盖分析"):
    result, matrix, ref_nl, target_nl = results.coverage(ref_id, ref_section, target_id, target_section,
                                                         pasted, region, backend.state_stamp())
if result is None:
    common.stop("cov_", drawn=("cov_ref", f"cov_list_ref_{ref_id}", "cov_source", "cov_pasted", "cov_region",
                               "cov_target", f"cov_list_target_{target_id}"))
# The chart libraries load once there is a result to draw: the title and pickers are on screen ~0.8 s sooner.
import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402

# The reference table's row selection and the item selector belong to this reference and target: keyed by
# them, another target starts with its own widgets instead of inheriting a row or item picked for the last one.
context = (ref_id, ref_section, target_id, target_section, pasted)
ctx = hashlib.sha1(repr(context).encode("utf-8")).hexdigest()[:12]
table_key, item_key = f"cov_ref_table_{ctx}", f"cov_item_{ctx}"

refs, tgts = result.reference_items, result.target_items
covered = [r for r in refs if r.status == "covered"]
named_gaps = [r for r in refs if r.names_target_region and r.status != "covered"]
additions = [t for t in tgts if t.status == "local_addition"]

# ------------------------------------------------------------------ summary
m = st.columns(5)
m[0].metric("参照条目 Reference items", len(refs))
m[1].metric("已覆盖 Covered", len(covered))
m[2].metric("未覆盖 Missing", len(refs) - len(covered))
m[3].metric(f"点名{md(result.region or '本地')}但未覆盖", len(named_gaps), help="参照条目原文点名目标地区，目标清单却没有对应条目")
m[4].metric("本地新增 Local additions", len(additions))
if named_gaps:
    st.warning(md(f"参照文件点名{result.region}、但目标清单未覆盖的条目：" + "、".join(r.name for r in named_gaps)),
               icon=":material/priority_high:")

# ------------------------------------------------------------------ matrix
view = "list"
if matrix is not None:  # two regulations compared article by article have no matrix of probabilities
    st.subheader("匹配矩阵 Match matrix")
    common.restore_widgets(["cov_view"])
    view = st.radio("显示 View", ["matrix", "list"], horizontal=True, key="cov_view",
                    format_func={"matrix": "矩阵 Matrix", "list": "列表 List（窄屏适用 / for narrow screens）"}.get)
    common.remember_widgets(["cov_view"])
if matrix is None and not pasted:
    st.caption("逐条比对：条款对齐且两条措辞相近即视为覆盖；分数为条款对齐得分。/ Articles: covered when aligned "
               "and worded alike; scores are alignment scores.")
else:
    st.caption("每格为目标条目实现参照条目的概率（0–1）；≥ 0.5 视为覆盖；一个目标条目只覆盖其最佳对应条目，"
               "名称另有所指时才同时覆盖第二个（括号内为理由）。/ P(target item implements reference item); an "
               "item covers its best counterpart, a second one only when its name says so.")
if matrix is not None and len(refs) and len(tgts) and view == "matrix":
    ref_names = [f"{j + 1}. {r.name}" for j, r in enumerate(refs)]
    tgt_names = [f"{i + 1}. {t.name}" for i, t in enumerate(tgts)]
    cells = pd.DataFrame([{"参照 reference": ref_names[j], "目标 target": tgt_names[i],
                           "概率 P": round(float(matrix[i][j]), 3)}
                          for i in range(len(tgts)) for j in range(len(refs))])
    # the shorter list runs across, the longer one down: 9 city items fit a phone's width, 20 provincial ones
    # did not (their numbers ran into each other as "0.0.00" at 390 px)
    across, down = (("目标 target", tgt_names), ("参照 reference", ref_names)) if len(tgts) <= len(refs) else (
        ("参照 reference", ref_names), ("目标 target", tgt_names))
    base = alt.Chart(cells).encode(
        x=alt.X(f"{across[0]}:N", sort=across[1],
                axis=alt.Axis(labelAngle=-45, labelLimit=140, labelOverlap=False, title=None, orient="top")),
        y=alt.Y(f"{down[0]}:N", sort=down[1], axis=alt.Axis(labelLimit=160, labelOverlap=False, title=None)))
    heat = base.mark_rect(stroke="white").encode(
        color=alt.Color("概率 P:Q", scale=alt.Scale(domain=[0, 1], scheme="orangered"), legend=None),
        tooltip=["目标 target", "参照 reference", "概率 P"])
    marks = base.mark_text(fontSize=10).encode(
        text=alt.Text("概率 P:Q", format=".1f"),
        color=alt.condition("datum['概率 P'] >= 0.5", alt.value("white"), alt.value("#555")))
    chart = (heat + marks.transform_filter("datum['概率 P'] >= 0.05")).properties(
        height=matrix_height(len(down[1]), across[1]), padding={"left": 4, "top": 4, "right": 4, "bottom": 4})
    st.altair_chart(chart, width="stretch")
elif matrix is not None and len(refs) and len(tgts):
    rows_ = []
    for j, r in enumerate(refs):
        best = max(range(len(tgts)), key=lambda i, j=j: matrix[i][j])
        rows_.append({"参照条目": f"{j + 1}. {r.name}", "最接近的目标条目": tgts[best].name,
                      "概率": round(float(matrix[best][j]), 2), "状态": "已覆盖" if r.status == "covered" else "未覆盖"})
    st.dataframe(pd.DataFrame(rows_), hide_index=True, width="stretch", key="cov_list_view",
                 column_config={"概率": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})

# ------------------------------------------------------------------ reference items
st.subheader("参照条目 Reference items")
region_word = result.region or "本地区"
ref_table = pd.DataFrame([{
    "序号": j + 1,
    "参照条目": r.name,
    "状态": "已覆盖" if r.status == "covered" else "未覆盖",
    "对应目标条目": "、".join(f"{mm.name}（{mm.why}）" if mm.why else mm.name for mm in r.matches),
    "最高概率": round(float(max(row[j] for row in matrix)) if matrix is not None and len(tgts)
                      else max((mm.score for mm in r.matches), default=0.0), 3),
    f"点名{region_word}": ("⚠ " + "、".join(r.region_mentions)) if r.names_target_region else "",
} for j, r in enumerate(refs)])
picked = st.dataframe(ref_table, hide_index=True, on_select="rerun", selection_mode="single-row",
                      key=table_key, width="stretch",
                      height=min(35 * (len(refs) + 1) + 3, 900))  # all 20 clusters without scrolling inside

# ------------------------------------------------------------------ one item, both texts
# Right under the reference table, so a click on a row shows its texts where the user is looking.
st.subheader("条目原文对照 Both texts")
rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
names = [r.name for r in refs]
chosen = st.session_state.get("_cov_item_choice")
if item_key not in st.session_state and chosen in names:  # the item picked for the last target, if it is here
    st.session_state[item_key] = chosen
if common.selection_changed(table_key, rows) and rows and rows[0] < len(refs):  # a click picks that item
    st.session_state[item_key] = refs[rows[0]].name
item = st.selectbox("参照条目 Reference item（也可点击上表中的行）", names, key=item_key)
st.session_state["_cov_item_choice"] = item
ref_item = next(r for r in refs if r.name == item)
ref_text = next((li.text for li in ref_nl.items if li.name == item), "")
left, right = st.columns(2)
left.markdown(block(f'<span class="card-path">参照 · {esc(item)}</span><br>{esc(ref_text or "（无正文）")}'),
              unsafe_allow_html=True)
with right:
    if not ref_item.matches:
        st.markdown(block(f'<span class="badge badge-missing">未覆盖</span> 目标清单中没有对应 {esc(item)} 的条目。'
                          + (f"参照原文点名{esc('、'.join(ref_item.region_mentions))}。"
                             if ref_item.names_target_region else "")), unsafe_allow_html=True)
    for mm in ref_item.matches:
        t_text = next((li.text for li in target_nl.items if li.name == mm.name), "") if target_nl else ""
        st.markdown(block(f'<span class="card-path">目标 · {esc(mm.name)} · P={mm.score:.2f}</span><br>'
                          f'{esc(t_text or "（粘贴的条目，无正文）")}'), unsafe_allow_html=True)

# ------------------------------------------------------------------ target items
st.subheader("目标条目 Target items")
tgt_table = pd.DataFrame([{
    "序号": i + 1,
    "目标条目": t.name,
    "状态": "已对应" if t.status == "aligned" else "本地新增",
    "对应参照条目": "、".join([t.best or ""] + [f"{a.name}（{a.why}）" for a in t.also]).strip("、")
    or (f"（最接近：{t.nearest}）" if t.nearest else "—"),
    "概率": round(t.score, 3),
} for i, t in enumerate(tgts)])
st.dataframe(tgt_table, hide_index=True, width="stretch", key="cov_tgt_table")
if additions:
    st.markdown("**本地新增 Local additions：** " + esc("、".join(t.name for t in additions)),
                unsafe_allow_html=True)

# ------------------------------------------------------------------ export
st.divider()
settings = tuple(coverage_settings(CoverageAnswer(result, ref_nl, target_nl, result.region, pasted)))
exports.export_buttons(result, f"覆盖_{result.target}", (".xlsx", ".docx", ".csv", ".md"), key="cov_export",
                      settings=settings)
