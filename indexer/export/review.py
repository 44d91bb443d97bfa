"""An upper-law review as a report (xlsx, docx, csv, md) a reviewer can attach to a filing-review opinion."""
from __future__ import annotations

from pathlib import Path

from indexer.compare.review import Review
from indexer.compare.review_diff import KIND_LABELS, KINDS, NUMBERS, TYPE_LABELS
from indexer.export.report import Report, Table, write_report
from indexer.models import LEVEL_LABELS

FINDING_HEADERS = ("序号", "类别", "问题类型", "问题", "本地条文", "本地条文内容", "上位法", "上位法条文", "上位法条文内容",
                   "置信度", "差异标注（本地）", "差异标注（上位法）", "说明")
BASIS_HEADERS = ("本地条文", "本地条文内容", "上位法依据", "条文", "得分", "理由")


def marked(text: str, spans) -> str:
    """The text with its differing spans in 【】."""
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        out += [text[last:a], "【", text[a:b], "】"]
        last = b
    return "".join(out) + text[last:]


def _doc_line(rv: Review) -> str:
    when = rv.doc_number or rv.date or "日期未知"
    return f"审查对象 / document: 《{rv.title}》（{when}，{LEVEL_LABELS.get(rv.level, rv.level)}）"


def review_report(rv: Review) -> Report:
    """Findings first (as the review orders them: a range beyond the upper law's on top), then each article's basis."""
    counts = rv.counts()
    uppers = rv.upper_words() or "无"
    summary = (_doc_line(rv), f"对照的上位法 / upper law: {uppers}",
               "发现问题 / findings: " + "，".join(f"{KIND_LABELS[k]} {counts[k]} 项" for k in KINDS),
               *rv.notes, "本报告由系统比对生成，每项问题须对照原文人工核实 / machine findings: check each against the texts")
    rows = []
    for n, f in enumerate(rv.findings, 1):
        up = f.upper
        rows.append((n, KIND_LABELS[f.kind], TYPE_LABELS[f.type], f.message, f.local.marker if f.local else "",
                     f.local.text if f.local else "", f"《{f.upper_title}》" if f.upper_title else "",
                     up.marker if up else "", up.text if up else "", round(f.confidence, 2),
                     marked(f.local.text, f.local_spans) if f.local else "",
                     marked(up.text, f.upper_spans) if up else "", f.caveat))
    basis = []
    for ar in rv.articles:
        for b in ar.basis[:3]:
            basis.append((ar.article.marker, ar.article.text, f"《{b.title}》", b.article.marker, round(b.score, 3),
                          "、".join(b.to_dict()["labels"])))
        if not ar.basis:
            basis.append((ar.article.marker, ar.article.text, "（文库中未找到）", "", None, ""))
    reds = tuple((f"{f.local.marker} ↔ 《{f.upper_title}》{f.upper.marker}（{TYPE_LABELS[f.type]}）", f.upper.text,
                  f.local.text) for f in rv.findings if f.kind == NUMBERS and f.local and f.upper)
    return Report(f"上位法审查：《{rv.title}》", summary,
                  (Table("审查发现", FINDING_HEADERS, tuple(rows)), Table("条文依据", BASIS_HEADERS, tuple(basis))), reds)


def export_review(rv: Review, path: str | Path) -> Path:
    """Write the review to `path`; the suffix picks the format (.xlsx, .docx, .csv, .md)."""
    return write_report(review_report(rv), path)
