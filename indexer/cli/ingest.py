"""CLI commands over single files and the corpus: outline, docs, lists."""
from __future__ import annotations

import sys
from pathlib import Path

from indexer import paths
from indexer.cli.output import print_json
from indexer.errors import NotFoundError, notice_or_error
from indexer.ingest import corpus, lists
from indexer.models import LEVEL_LABELS, STATUS_LABELS


def _folders(args) -> list[Path]:
    """--corpus folders as given, else the shipped corpus and the uploads (what `build` indexes)."""
    if not args.corpus:
        return paths.corpus_dirs()
    missing = [f for f in args.corpus if not Path(f).is_dir()]
    if missing:
        raise NotFoundError(f"文件夹不存在 / no such folder: {', '.join(missing)}")
    return [Path(f) for f in args.corpus]


def _doc(key: str, folders: list[Path]):
    if Path(key).is_file():
        docs = corpus.load_folders([f for f in folders if f.is_dir()], errors=[])
        for d in docs:
            if Path(d.path).resolve() == Path(key).resolve():
                return d
        return corpus.load_document(key)
    return corpus.find_document(corpus.load_folders(folders, errors=[]), key)


def _library_doc(key: str):
    """A document of the index ($POLICY_INDEX) by doc_id, file name or title, else of the default folders."""
    from indexer.library import Library, find

    lib = Library()
    return find(lib.documents(), key)


def cmd_outline(args) -> int:
    doc = corpus.load_document(args.file, ocr=not args.no_ocr)
    if args.json:
        print_json([c.to_dict() for c in doc.clauses])
        return 0
    for c in doc.clauses:
        indent = "  " * (c.level - 1)
        page = f" [第{c.page}页]" if c.page else ""
        if c.kind in ("para", "preamble"):
            print(f"{indent}· {c.text[:60]}{'…' if len(c.text) > 60 else ''}{page}")
        else:
            print(f"{indent}{c.marker}{c.heading or c.text[len(c.marker):][:40]}  ({c.clause_id}){page}")
    return 0


def _indexed(errors: list) -> list | None:
    """The index's documents (metadata and counts), then the files of its folders it does not hold yet, read now
    (an upload not built yet); None when there is no index ($POLICY_INDEX)."""
    from indexer.freshness import waiting_files
    from indexer.ingest.build import load_documents
    from indexer.library import Library

    lib = Library()
    if not lib.has_index():
        return None
    records = lib.records()
    failed = lib.engine().manifest.get("failed_paths") or []
    waiting, errs = load_documents([], waiting_files(records, failed, lib.folders()))
    errors.extend(errs)
    return [*records, *waiting]


def cmd_docs(args) -> int:
    """Without --corpus, the documents of the index (what every other command answers on) and the files waiting to
    be indexed; with --corpus, or without an index, those read from the folders."""
    errors: list = []
    docs = None if args.corpus else _indexed(errors)
    if docs is None:
        docs = corpus.load_folders(_folders(args), errors=errors)
    if args.json:
        print_json([d.summary() for d in docs])
    else:
        for d in docs:
            m = d.meta
            n = d.n_clauses if hasattr(d, "n_clauses") else len(d.clauses)
            print(f"{d.doc_id}\n  标题: {m.title}\n  发文机关: {m.issuer}  文号: {m.doc_number or '—'}"
                  f"  日期: {m.date or '—'}\n  地区: {m.region or '—'}（{m.province or '—'}）  层级: {LEVEL_LABELS.get(m.level, m.level)}"
                  f"  状态: {STATUS_LABELS.get(m.status, m.status)}  条款数: {n}")
    for e in errors:
        print(f"{notice_or_error(e.kind)}: {e}", file=sys.stderr)
    return 0


def cmd_lists(args) -> int:
    doc = _doc(args.doc, _folders(args)) if args.corpus or Path(args.doc).is_file() else _library_doc(args.doc)
    found = lists.find_lists(doc)
    if args.json:
        print_json([nl.to_dict() for nl in found])
        return 0
    if not found:
        print(f"{doc.doc_id} 中没有找到列举清单 / no named lists found in {doc.doc_id}")
    for nl in found:
        print(f"{nl.section}（{len(nl.items)} 项）")
        for i, it in enumerate(nl.items, 1):
            print(f"  {i}. {it.name}    ← {it.heading}  ({it.clause_id})")
    return 0


def register(sub) -> None:
    p = sub.add_parser("outline", help="一个文件的条款树 / clause tree of one file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-ocr", action="store_true", help="扫描件不做 OCR / skip OCR of scanned PDFs")
    p.set_defaults(func=cmd_outline)

    corpus_help = "文件夹（可多次）/ folder (repeatable; default corpus/ and data/uploads/)"
    p = sub.add_parser("docs", help="文库中的文件 / documents of the index ($POLICY_INDEX), or of --corpus folders")
    p.add_argument("--corpus", action="append", metavar="DIR", help=corpus_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("lists", help="文件中的列举清单 / named lists of a document")
    p.add_argument("doc", help="doc_id 或文件路径 / doc_id or path")
    p.add_argument("--corpus", action="append", metavar="DIR", help=corpus_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lists)
