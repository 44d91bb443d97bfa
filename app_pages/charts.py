"""The 省级视图 page's diffusion timeline and instrument chart: their rows as people read them, and the charts."""
from __future__ import annotations

import altair as alt
import pandas as pd

from indexer.compare.diffusion import WORDING_LABELS
from indexer.labels import date_words, lag_words, level_words

WORDING_COLOUR = {"verbatim": "#cf222e", "partly_reused": "#bf8700", "rewritten": "#0969da"}
# 16 instrument tags need 16 colours that tell apart: Tableau 20 was too few once 人才 and 策略性措施 shared
# one of category10's ten. Kelly's colours of maximum contrast (white and black left out), in this order.
PALETTE = ("#f3c300", "#875692", "#f38400", "#a1caf1", "#be0032", "#c2b280", "#848482", "#008856", "#e68fac",
           "#0067a5", "#f99379", "#604e97", "#f6a600", "#b3446c", "#dcd300", "#882d17", "#8db600", "#654522",
           "#e25822", "#2b3d26", "#1f77b4", "#17becf")
LABEL_CHARS = 16  # a bar's label: the title's first characters, the whole title in the tooltip
BAR_PX = 26


# ---------------------------------------------------------------- diffusion

def timeline_rows(t, titles: dict[str, str]) -> pd.DataFrame:
    """The dated carriers for the chart (the undated have no place on a time axis); a text made before the reference
    at its first adoption, where it stands in time (its current date is a later amendment)."""
    return pd.DataFrame([{"日期 date": (c.first_date or c.date) if c.earlier else c.date,
                          "文件 document": titles.get(c.doc_id) or c.doc_id,
                          "措辞 wording": WORDING_LABELS[c.wording], "滞后 lag": lag_words(c.lag_days, c.earlier),
                          "复用比例 reused": round(c.reuse_share, 2)} for c in t.carriers if not c.undated])


def timeline_table(t, titles: dict[str, str]) -> pd.DataFrame:
    """Every carrier, dated first; missing dates and lags in words (日期未注明, —)."""
    return pd.DataFrame([{"日期 date": date_words(c.date), "滞后天数 lag": lag_words(c.lag_days, c.earlier),
                          "文件 document": titles.get(c.doc_id) or c.doc_id, "措辞 wording": WORDING_LABELS[c.wording],
                          "复用比例 reused": round(c.reuse_share, 2), "对应 matches": "、".join(c.matches)}
                         for c in t.carriers])


def timeline_chart(rows: pd.DataFrame, reference_date: str) -> alt.Chart | alt.LayerChart:
    """Carriers by date (years on the axis: a timeline spans 2020–21), the reference's date as a dashed rule."""
    x_axis = alt.Axis(format="%Y-%m", labelAngle=-30, labelOverlap=True, title=None)
    points = alt.Chart(rows).mark_circle(size=140).encode(
        x=alt.X("日期 date:T", axis=x_axis),
        y=alt.Y("文件 document:N", sort=list(rows["文件 document"]), title=None, axis=alt.Axis(labelLimit=160)),
        color=alt.Color("措辞 wording:N", scale=alt.Scale(domain=[WORDING_LABELS[k] for k in WORDING_COLOUR],
                                                        range=list(WORDING_COLOUR.values())),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["文件 document", "日期 date", "滞后 lag", "措辞 wording", "复用比例 reused"])
    if not reference_date:
        return points
    rule = alt.Chart(pd.DataFrame([{"日期 date": reference_date}])).mark_rule(strokeDash=[4, 3]).encode(
        x=alt.X("日期 date:T", axis=x_axis))
    return rule + points


# ---------------------------------------------------------------- instruments

def short_labels(titles: dict[str, str], n: int = LABEL_CHARS) -> dict[str, str]:
    """key → the title cut to n characters ("…" marks a cut); titles that cut alike are numbered apart."""
    out: dict[str, str] = {}
    for key, title in titles.items():
        label = title if len(title) <= n else title[:n - 1] + "…"
        k = 2
        while label in out.values():
            label = f"{title[:n - 1]}…({k})"
            k += 1
        out[key] = label
    return out


def facet_frame(counts: dict, codebook, by: str, docs: dict) -> pd.DataFrame:
    """One row per group and tag with clauses; groups read as people name them (a document by its title)."""
    if by == "document":
        full = {k: docs[k].meta.title or k if k in docs else k for k in counts}
        shown = short_labels(full)
    else:
        full = {k: level_words(k) if by == "level" else k for k in counts}
        shown = full
    return pd.DataFrame([{"分组 group": shown[k], "全称 full name": full[k], "工具 tag": t,
                          "类型 category": codebook.categories[codebook.category(t)], "条款数 clauses": n}
                         for k, c in counts.items() for t in codebook.tags if (n := c[t])],
                        columns=["分组 group", "全称 full name", "工具 tag", "类型 category", "条款数 clauses"])


def instrument_chart(df: pd.DataFrame, tags) -> alt.Chart:
    """Stacked bars of clauses per tag, one bar per group, every bar labelled, every tag its own colour."""
    tags = list(tags)
    groups = list(dict.fromkeys(df["分组 group"]))
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("分组 group:N", sort=groups, title=None,
                axis=alt.Axis(labelLimit=240, labelOverlap=False, labelFontSize=12)),
        x=alt.X("条款数 clauses:Q", stack=True, title=None),
        color=alt.Color("工具 tag:N", scale=alt.Scale(domain=tags, range=list(PALETTE[:len(tags)])),
                        legend=alt.Legend(orient="bottom", columns=4, title=None)),
        order=alt.Order("tag_order:Q"),
        tooltip=["全称 full name", "工具 tag", "类型 category", "条款数 clauses"],
    ).transform_calculate(tag_order=f"indexof({tags!r}, datum['工具 tag'])").properties(
        height=BAR_PX * len(groups) + 90)
