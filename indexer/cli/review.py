"""CLI command `review`: a local document (library, file or pasted draft) against its upper law (上位法审查)."""
from __future__ import annotations

import sys
from pathlib import Path

from indexer.errors import PolicyError


def register(sub) -> None:
    """Add this module's sub-command to the parser."""
    p = sub.add_parser("review", help="上位法审查 / review a local document against the upper law in the library")
    p.add_argument("doc", help="doc_id, path or file name of a library document; a file not in the library; "
                               "or - to read a draft's text from standard input")
    p.add_argument("--upper", metavar="DOCS", help="only these upper documents (comma-separated doc_ids)")
    p.add_argument("--library", metavar="FOLDER", action="append", default=[],
                   help="a folder of upper law to read as well (repeatable; default $POLICY_REVIEW_LIBRARY)")
    p.add_argument("--level", choices=("province", "city", "county"), help="the document's level when unknown")
    p.add_argument("--title", help="the draft's title (with - or a file)")
    p.add_argument("--json", action="store_true", help="JSON output (the same as POST /v1/review)")
    p.add_argument("--export", metavar="FILE", help="also write a report: .xlsx, .docx, .csv or .md")
    p.set_defaults(func=cmd_review)


def _local(args, docs):
    """The document under review: a library document, else a file or standard input read as a draft."""
    from indexer.compare.review import draft_document
    from indexer.library import find

    if args.doc == "-":
        return draft_document(sys.stdin.read(), args.title or "", args.level or "")
    try:
        return find(docs, args.doc)
    except PolicyError:
        path = Path(args.doc)
        if not path.is_file():
            raise
    from dataclasses import replace

    from indexer.ingest.corpus import load_document

    doc = load_document(path)
    return replace(doc, meta=replace(doc.meta, title=args.title or doc.meta.title)) if args.title else doc


def cmd_review(args) -> int:
    from indexer.compare.review import review_document, with_upper_law
    from indexer.library import documents, find

    if args.export:  # a report that cannot be written is refused before the library's 20 s load
        from indexer.export.report import check_format

        check_format(args.export)
        folder = Path(args.export).expanduser().resolve().parent
        if not folder.is_dir():
            raise PolicyError(f"无法写入导出文件，文件夹不存在 / cannot write the export: {args.export} (no such folder)")
    print("读取文库 / loading the library …", file=sys.stderr, flush=True)
    docs = with_upper_law(documents(), args.library)
    local = _local(args, docs)
    upper = [find(docs, u.strip()).doc_id for u in (args.upper or "").split(",") if u.strip()]
    rv = review_document(docs, local, upper=upper, level=args.level)
    if args.export:
        from indexer.export.review import export_review

        try:
            written = export_review(rv, args.export)
        except OSError as e:
            raise PolicyError(f"无法写入导出文件 / cannot write the export: {args.export} ({e.strerror or e})") from e
        print(f"已导出 / exported: {written}", file=sys.stderr)
    if args.json:
        from indexer.cli.output import print_json

        print_json(rv.to_dict())
        return 0
    _print(rv)
    return 0


def _print(rv) -> None:
    from indexer.compare.review_diff import KIND_LABELS, KINDS, TYPE_LABELS

    c = rv.counts()
    print(f"《{rv.title}》 上位法审查 / upper-law review（{rv.seconds:.1f} s）")
    from indexer.models import LEVEL_LABELS

    print(f"{LEVEL_LABELS.get(rv.level, rv.level)} · {rv.doc_number or rv.date or '日期未知'}")
    print("上位法 / upper law: " + (rv.upper_words() or "无 / none"))
    for note in rv.notes:
        print(f"  注 / note: {note}")
    print("发现 / findings: " + "，".join(f"{KIND_LABELS[k]} {c[k]}" for k in KINDS))
    for n, f in enumerate(rv.findings, 1):
        where = f.local.marker if f.local else "—"
        upper = f"《{f.upper_title}》{f.upper.marker}" if f.upper else "—"
        print(f"{n:3}. [{TYPE_LABELS[f.type]}] {f.confidence:.2f} {where} ↔ {upper}")
        print(f"     {f.message}")
        print(f"     ※ {f.caveat}")
