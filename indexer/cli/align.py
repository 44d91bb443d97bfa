"""CLI commands `align`, `coverage` and `reuse`: JSON with --json, readable text otherwise, reports with --export."""
from __future__ import annotations

import sys

from indexer.errors import PolicyError
from indexer.limits import MAX_ITEMS, check_items


def register(sub) -> None:
    """Add this module's sub-commands to the parser."""
    p = sub.add_parser("align", help="条款比对 / align the clauses of two documents")
    p.add_argument("doc_a", help="doc_id, path or file name of document A")
    p.add_argument("doc_b", help="doc_id, path or file name of document B")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--export", metavar="FILE", help="also write a report: .xlsx, .docx, .csv or .md")
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("coverage", help="清单覆盖 / coverage of a target list against a reference list")
    p.add_argument("--reference", required=True, metavar="DOC", help="document holding the reference list")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--target", metavar="DOC", help="document holding the target list")
    g.add_argument("--items", metavar="NAMES", help=f"target names typed or pasted: 名称1,名称2,… (、；or new lines too; at most {MAX_ITEMS})")
    p.add_argument("--reference-section", metavar="S", help="which list of the reference (section path or clause id)")
    p.add_argument("--target-section", metavar="S", help="which list of the target document")
    p.add_argument("--region", help="the target's region, e.g. 佛山市 (default: from the target document)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--export", metavar="FILE", help="also write a report: .xlsx, .docx, .csv or .md")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("reuse", help="文本复用 / passages reused across the corpus")
    p.add_argument("--min-chars", type=int, default=None, metavar="N",
                   help="shortest passage, in characters without punctuation (default 20)")
    p.add_argument("--docs", metavar="IDS", help="only these documents (comma-separated doc_ids)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=cmd_reuse)


def _library():
    """The Library every door opens (index and uploads from the environment, as the app and the API)."""
    from indexer.library import Library

    return Library()


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _print_json(data) -> None:
    from indexer.cli.output import print_json

    print_json(data)


def _short(text: str, n: int = 40) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def cmd_align(args) -> int:
    from indexer.compare.align import RELATION_LABELS

    lib = _library()
    docs = lib.documents()
    a, b = lib.find(args.doc_a), lib.find(args.doc_b)
    if a.doc_id == b.doc_id:
        raise PolicyError(f"两次指定了同一文件 {a.doc_id}，请给出两个不同的文件 / {args.doc_a} and {args.doc_b} "
                          "are the same document: give two different ones")
    _note(f"比对 / aligning {a.doc_id} ↔ {b.doc_id} …")
    al = lib.align(a.doc_id, b.doc_id)
    if args.export:
        _export(al, args.export, docs)
    if args.json:
        _print_json(al.to_dict())
        return 0
    c = al.to_dict()["counts"]
    print(f"{a.doc_id} ↔ {b.doc_id}: {c['pairs']} 对 / pairs, 仅A {c['only_a']}, 仅B {c['only_b']}")
    for p in al.pairs:
        print(f"  [{RELATION_LABELS[p.relation]:4}] {p.score:.2f}  {p.a.clause_id.split(':', 1)[-1]:>8} {_short(p.a.text, 30)}"
              f"  ↔  {p.b.clause_id.split(':', 1)[-1]} {_short(p.b.text, 30)}")
    for x in al.only_a:
        print(f"  [{RELATION_LABELS['only_a']:4}]       {x.clause_id.split(':', 1)[-1]:>8} {_short(x.text, 40)}")
    for x in al.only_b:
        print(f"  [{RELATION_LABELS['only_b']:4}]       {x.clause_id.split(':', 1)[-1]:>8} {_short(x.text, 40)}")
    return 0


def cmd_coverage(args) -> int:
    from indexer.compare.coverage import parse_names
    from indexer.export.report import STATUS

    lib = _library()
    items = () if args.target else tuple(parse_names(args.items))
    if not args.target and not items:
        raise PolicyError("--items 为空 / no names given")
    check_items(items)
    _note("计算向量 / embedding list items …")
    answer = lib.coverage(args.reference, args.target, items, reference_section=args.reference_section,
                          target_section=args.target_section, region=args.region)
    cov = answer.result
    if args.export:
        from indexer.compare.pairs import coverage_settings

        _export(cov, args.export, lib.documents(), coverage_settings(answer))
    if args.json:
        _print_json(cov.to_dict())
        return 0
    s = cov.to_dict()["summary"]
    print(f"{cov.target} 对照 {cov.reference}（地区 / region: {cov.region or '—'}）")
    print(f"参照条目 {s['reference_items']}：已覆盖 {s['covered']}，未覆盖 {s['missing']}")
    if cov.region:
        print(f"点名本地区但未覆盖 / named but not taken up: {'、'.join(s['named_gaps']) or '无 / none'}")
    for r in cov.reference_items:
        flag = "★" if r.named_gap else ("·" if r.names_target_region else " ")
        got = "、".join(f"{m.name}({m.score:.2f})" for m in r.matches) or "—"
        print(f"  {flag} [{STATUS[r.status]}] {r.name:12} ← {got}")
    print(f"目标条目 {s['target_items']}：有对应 {s['aligned']}，本地新增 {len(s['local_additions'])}")
    for t in cov.target_items:
        best = t.best or (f"（最接近 nearest: {t.nearest}）" if t.nearest else "（无相近条目 / nothing alike）")
        also = "、".join(f"{m.name}（{m.why}）" if m.why else m.name for m in t.also)
        score = f" {t.score:.2f}" if t.best or t.nearest else ""
        print(f"    [{STATUS[t.status]}] {t.name:12} → {best}{score}" + (f" ＋ {also}" if also else ""))
    return 0


def cmd_reuse(args) -> int:
    want = [x.strip() for x in (args.docs or "").split(",") if x.strip()]
    try:
        min_chars, pairs = _library().reuse(want, args.min_chars)
    except PolicyError as exc:  # the same checks as the API's, said with the CLI's option names
        raise PolicyError(f"--docs / --min-chars: {exc}") from exc
    if args.json:
        _print_json({"min_chars": min_chars, "pairs": [p.to_dict() for p in pairs]})
        return 0
    print(f"{len(pairs)} 处复用 / reused passages (≥ {min_chars} 字)")
    for p in pairs:
        print(f"  {p.similarity:.2f} {p.chars:4}字  {p.a.clause_id or p.a.doc_id} [{p.a.start}:{p.a.end}]"
              f"  ↔  {p.b.clause_id or p.b.doc_id} [{p.b.start}:{p.b.end}]  {_short(p.a.text, 30)}")
    return 0


def _export(result, path: str, docs=None, settings=()) -> None:
    from indexer.export import export

    out = export(result, path, documents=docs, settings=settings)
    _note(f"已导出 / exported: {out}")
