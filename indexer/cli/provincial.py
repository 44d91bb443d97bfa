"""CLI commands `matrix`, `diffusion` and `instruments`: the library-wide views of a reference document."""
from __future__ import annotations

import re
import sys

from indexer.errors import PolicyError
from indexer.limits import MAX_K, check_k, check_query


def _ids(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _docs_options(p) -> None:
    p.add_argument("--docs", metavar="IDS", help="exactly these documents (comma-separated doc_ids), not those found")
    p.add_argument("--add", metavar="IDS", help="documents to add to those found (comma-separated)")
    p.add_argument("--drop", metavar="IDS", help="documents to leave out (comma-separated)")


def register(sub) -> None:
    p = sub.add_parser("matrix", help="实施矩阵 / which documents take up which items of a reference document")
    p.add_argument("--reference", required=True, metavar="DOC", help="the reference document (doc_id, path or name)")
    _docs_options(p)
    p.add_argument("--section", metavar="S", help="which list of the reference (section path or clause id)")
    p.add_argument("--unit", choices=["list", "article"], help="items: the named list, or the articles (第X条); "
                                                               "default: articles for a regulation")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--export", metavar="FILE", help="also write a report: .xlsx, .docx, .csv or .md")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser("diffusion", help="扩散时间线 / which documents carry a provision, when, copied or rewritten")
    p.add_argument("clause_id", nargs="?", help="a clause id of a reference list item or article")
    p.add_argument("--item", metavar="NAME", help="a reference list item's name (e.g. 新能源) or article (第五条)")
    p.add_argument("--reference", metavar="DOC", help="the reference document of --item (default: the province's)")
    _docs_options(p)
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--export", metavar="FILE", help="also write a report: .xlsx, .docx, .csv or .md")
    p.set_defaults(func=cmd_diffusion)

    p = sub.add_parser("instruments", help="政策工具 / instrument tags: codebook, facets, filtered clauses or search")
    p.add_argument("--tag", metavar="TAGS", help="only clauses with these tags (comma-separated, e.g. 资金,土地)")
    p.add_argument("--query", metavar="Q", help="search, then keep the hits carrying --tag")
    p.add_argument("--k", type=int, default=10, help=f"hits to keep with --query (default 10, 1–{MAX_K})")
    p.add_argument("--facet", choices=["document", "region", "year", "level"],
                   help="clauses per tag for each document, region, year or level")
    p.add_argument("--doc", metavar="IDS", help="only these documents (comma-separated)")
    p.add_argument("--codebook", action="store_true", help="print the codebook (tags, definitions, sources)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=cmd_instruments)


def _library():
    """The Library every door opens (index and uploads from the environment, as the app and the API)."""
    from indexer.library import Library

    return Library()


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _print_json(data) -> None:
    from indexer.cli.output import print_json

    print_json(data)


def _export(result, path: str, docs) -> None:
    from indexer.export.matrix import export_matrix

    _note(f"已导出 / exported: {export_matrix(result, path, docs)}")


def cmd_matrix(args) -> int:
    from indexer.compare.matrix import REASON_LABELS
    from indexer.labels import where_when

    lib = _library()
    docs = lib.documents()
    _note("比对各文件 / comparing the answering documents …")
    m = lib.matrix(args.reference, _ids(args.docs) if args.docs else None, add=_ids(args.add), drop=_ids(args.drop),
                   section=args.section, unit=args.unit)
    if args.export:
        _export(m, args.export, docs)
    if args.json:
        _print_json(m.to_dict())
        return 0
    print(f"{m.title} [{m.reference}] {m.date or ''}：{len(m.items)} 项参照条目，{len(m.rows)} 份答复文件")
    for n, r in enumerate(m.rows, 1):
        why = "、".join(REASON_LABELS.get(x, x) for x in r.reasons)
        print(f"  [{n}] {r.doc_id}  {where_when(r.region, r.level, r.date)}  覆盖 {r.covered}/{len(m.items)}，"
              f"本地新增 {len(r.additions)}（{why}）")
    if not m.rows:
        print("没有答复文件：参照文件的下级文件中没有找到落实它的文件（可用 --add 加入）/ no answering documents")
        _related(m)
        return 0
    print("图例 / legend: ■ 已覆盖 covered · 未覆盖 not covered ★ 点名本地区但未覆盖 named here, not covered；"
          "列为上面编号的文件 / columns are the documents numbered above")
    print(f"  {'':14} {''.join(str(n % 10) for n in range(1, len(m.rows) + 1))}")
    for j, it in enumerate(m.items):
        marks = "".join("★" if r.cells[j].named_gap else "■" if r.cells[j].status == "covered" else "·"
                        for r in m.rows)
        print(f"  {it.name:14} {marks}  {m.count_label(j)}  {_gist(it)}")
    untouched = [it for it in m.items if it.name in set(m.untouched())]
    print(f"无一文件采纳 / taken up by none: {'、'.join(f'{it.name}（{_gist(it, 16)}）' for it in untouched) or '无'}")
    if m.unanswered:
        print(f"文库中有文件、但无答复的地区 / places with no answer: {'、'.join(m.unanswered)}")
    _related(m)
    return 0


def _related(m) -> None:
    if m.related:
        print("相关但未计入 / related, not counted（可用 --add 加入）:")
        for rel in m.related:
            print(f"  {rel.doc_id}：{rel.label}")


def _gist(item, n: int = 24) -> str:
    """An article's first words (a list item's name says what it is; 第十七条 does not)."""
    if not item.name.startswith("第"):
        return ""
    text = re.sub(r"^第[零〇一二两三四五六七八九十百千0-9]+条\s*", "", item.text.strip()).replace("\n", " ")
    return text[:n] + ("…" if len(text) > n else "")


def cmd_diffusion(args) -> int:
    from indexer.compare.diffusion import WORDING_LABELS
    from indexer.labels import date_words, lag_words

    if not args.clause_id and not args.item:
        raise PolicyError("请给出条款编号或 --item 条目名称 / give a clause id or --item NAME")
    lib = _library()
    docs = lib.documents()
    t = lib.diffusion(args.clause_id, args.item, reference=args.reference,
                      targets=_ids(args.docs) if args.docs else None, add=_ids(args.add), drop=_ids(args.drop))
    if args.export:
        _export(t, args.export, docs)
    if args.json:
        _print_json(t.to_dict())
        return 0
    earlier = sum(c.earlier for c in t.carriers)
    print(f"{t.item.name}（{t.title}，{date_words(t.date)}）：{sum(c.adopted for c in t.carriers)} 份文件采纳"
          + (f"；另有 {earlier} 份早于参照文件制定（先行规定）" if earlier else ""))
    for c in t.carriers:
        print(f"  {date_words(c.date):10} {lag_words(c.lag_days, c.earlier):>9}  {WORDING_LABELS[c.wording]:4} {c.reuse_share:4.0%}  "
              f"{c.doc_id}{'（转载，不计入）' if c.reprint else ''} ← {'、'.join(c.matches)}")
    if t.silent:
        print(f"未采纳 / silent: {'、'.join(t.silent)}")
    return 0


def cmd_instruments(args) -> int:
    from indexer.compare import instruments as ins

    cb = ins.default_codebook()
    if args.codebook:
        rows = [{"tag": i.tag, "english": i.english, "category": i.category, "definition": i.definition,
                 "source": i.source} for i in cb.instruments]
        if args.json:
            _print_json(rows)
        else:
            print(cb.note)
            for r in rows:
                print(f"{r['tag']:6} [{cb.categories[r['category']]}] {r['definition']}  — {r['source']}")
        return 0
    check_k(args.k)
    tags = cb.check(re.split(r"[,，、;；\s]+", args.tag or ""))
    if args.tag is not None and not tags:  # "--tag ," used to print the facet as if no tag were asked for
        raise PolicyError(f"--tag 未给出标签 / --tag names no tag: give one or more, e.g. 资金,土地（{'、'.join(cb.tags)}）")
    if args.query:
        if not tags:
            raise PolicyError("--query 需要 --tag / --query needs --tag")
        check_query(args.query)
        from indexer.search import search

        hits = ins.filter_hits(search(args.query, k=max(args.k * 10, 50)), tags)[: args.k]
        if args.json:
            _print_json([{**h.to_dict(), "instruments": list(ins.tag_text(h.text))} for h in hits])
        else:
            for h in hits:
                print(f"  {h.rank:3} {h.score:.3f} {h.clause_id}  [{'、'.join(ins.tag_text(h.text))}]  "
                      f"{' '.join(h.text.split())[:50]}")
        return 0
    lib = _library()
    if args.facet or not tags:
        facets = lib.instruments(args.facet or "document", _ids(args.doc) if args.doc else ())
        if args.json:
            _print_json(facets)
        else:
            from indexer.labels import level_words

            for k, c in facets["counts"].items():
                print(f"  {level_words(k) if args.facet == 'level' else k}: " + "，".join(f"{t} {n}" for t, n in c.items()))
        return 0
    docs = lib.documents()
    if args.doc:
        docs = [lib.find(k) for k in _ids(args.doc)]
    found = ins.clauses_with(docs, tags)
    if args.json:
        _print_json([{"doc_id": d, "clause_id": c, "instruments": list(t)} for d, c, t in found])
    else:
        print(f"{len(found)} 条款 / clauses with {'、'.join(tags)}")
        for _d, c, t in found:
            print(f"  {c}  [{'、'.join(t)}]")
    return 0
