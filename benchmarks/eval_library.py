"""Search quality in a real library: everyday and formal queries, the product against naive baselines.

Two pools: (a) the seed corpus alone and (b) the library: the seed corpus plus the Zhejiang local regulations
(../shared/library/zhejiang/) and the readable files of ../shared/external/ (.txt/.pdf/.docx, OCR off). The
queries (benchmarks/library_queries.json) carry a style (formal / colloquial) and a split (tune / heldout: every
third query, fixed before anything was measured). The product's modes (hybrid, semantic, keyword, hybrid+fuzzy)
rank clauses; the baselines (benchmarks/baselines.py) rank sentence units of the same documents; a hit counts by
the same needle rule for both.

Embedding is the slow part (a few to ~15 texts a second on 2 shared cores; the whole library is ~43k clauses and
~49k sentences), so every vector is cached under artifacts/library/vectors/ by content hash, in chunks as it
goes: a killed run loses little and a rerun embeds nothing. `--docs N` keeps N library documents: every one
that holds a needle, then others in a fixed order (sha256 of the doc id).

    .venv/bin/python benchmarks/eval_library.py --docs 60 [--per-query] [--pool seed|library|both]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from baselines import BM25, CharOverlap, Dense, Fused, Unit, sentence_units  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

from indexer import paths  # noqa: E402
from indexer.evaluate import is_relevant, load_queries, metrics, run_mode  # noqa: E402
from indexer.ingest.build import build_index, load_documents  # noqa: E402
from indexer.models import Document  # noqa: E402
from indexer.search import Engine  # noqa: E402

SHARED = ROOT.parent / "shared"
LIBRARY = SHARED / "library" / "zhejiang"
EXTERNAL = SHARED / "external"
EXTERNAL_SUFFIXES = (".txt", ".pdf", ".docx")
WORK = ROOT / "artifacts" / "library"
QUERIES = ROOT / "benchmarks" / "library_queries.json"
PRODUCT_MODES = ("hybrid", "semantic", "keyword", "hybrid+fuzzy")
BASELINES = ("chars@sent", "bm25@sent", "e5@sent", "rrf@sent")
GROUPS = ("all", "formal", "colloquial", "tune", "heldout")  # a fresh query file (split "fresh") shows under all


@dataclass(frozen=True)
class LibraryQuery:
    q: str
    needles: tuple[str, ...]
    style: str  # formal | colloquial
    split: str  # tune | heldout
    lang: str = "zh"


def load_library_queries(path: str | Path = QUERIES) -> list[LibraryQuery]:
    """The query file: the needle format of indexer.evaluate plus style, split and (optional) lang."""
    base = load_queries(path)
    extra = json.loads(Path(path).read_text(encoding="utf-8"))
    return [LibraryQuery(b.q, b.needles, d["style"], d["split"], d.get("lang", "zh"))
            for b, d in zip(base, extra, strict=True)]


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def needle_documents(docs: Sequence[Document], queries: Sequence[LibraryQuery]) -> set[str]:
    """Ids of the documents whose text holds at least one needle of the queries."""
    needles = {nfkc(n) for q in queries for n in q.needles}
    texts = {d.doc_id: nfkc(d.text) for d in docs}
    return {i for i, text in texts.items() if any(n in text for n in needles)}


def answerable(queries: Sequence[LibraryQuery], docs: Sequence[Document]) -> list[LibraryQuery]:
    """Queries with at least one needle somewhere in these documents (the others cannot be scored here)."""
    text = "\n".join(nfkc(d.text) for d in docs)
    return [q for q in queries if any(nfkc(n) in text for n in q.needles)]


def _order_key(doc: Document) -> str:
    return hashlib.sha256(doc.doc_id.encode()).hexdigest()


def choose_documents(library: Sequence[Document], queries: Sequence[LibraryQuery], n: int | None) -> list[Document]:
    """N library documents: every one holding a needle, then the rest in sha256(doc_id) order (None: all)."""
    if n is None or n >= len(library):
        return list(library)
    needed = needle_documents(library, queries)
    others = sorted((d for d in library if d.doc_id not in needed), key=_order_key)
    chosen = needed | {d.doc_id for d in others[:max(0, n - len(needed))]}
    return [d for d in library if d.doc_id in chosen]  # reading order, so a rerun builds the same index


def read_library(ocr: bool = False) -> tuple[list[Document], list[Document], list[str]]:
    """(seed documents, library documents beyond the seed, read errors)."""
    external = WORK / "external"
    external.mkdir(parents=True, exist_ok=True)
    for f in sorted(EXTERNAL.iterdir()):
        if f.is_file() and f.suffix.lower() in EXTERNAL_SUFFIXES:
            shutil.copy(f, external / f.name)
    seed, errs1 = load_documents([paths.CORPUS_DIR], ocr=ocr)
    rest, errs2 = load_documents([paths.CORPUS_DIR, external, LIBRARY], ocr=ocr)
    seed_ids = {d.doc_id for d in seed}
    return seed, [d for d in rest if d.doc_id not in seed_ids], errs1 + errs2


def _progress(label: str):
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == "embed" and (now - last[0] > 30 or done == total):
            last[0] = now
            print(f"  {label}: embedded {done}/{total}", flush=True)
    return report


def product_ranks(docs: Sequence[Document], index_dir: Path, embedder: CachedEmbedder,
                  queries: Sequence[LibraryQuery], label: str) -> tuple[dict[str, list], dict]:
    report = build_index(None, index_dir, embedder, documents=docs, wait=True, progress=_progress(label))
    print(f"  {label}: product index {report.documents} documents, {report.clauses} clauses "
          f"({report.embedded} embedded now, {report.embed_seconds:.0f} s)", flush=True)
    engine = Engine.open(index_dir, embedder=embedder)
    ranks = {m: run_mode(engine, queries, m)["ranks"] for m in PRODUCT_MODES}
    engine.use_reranker = False  # what hybrid was before its learned fusion (rank fusion, adaptive keyword weight)
    ranks["hybrid-rrf"] = run_mode(engine, queries, "hybrid")["ranks"]
    return ranks, {"documents": report.documents, "clauses": report.clauses}


def unit_vectors(units: Sequence[Unit], embedder: CachedEmbedder, label: str) -> np.ndarray:
    texts = [u.text for u in units]
    todo = embedder.missing(texts)
    if todo:
        print(f"  {label}: embedding {todo} of {len(texts)} sentence units", flush=True)
    out, step, last = [], 256, time.monotonic()
    for i in range(0, len(texts), step):
        out.append(embedder.embed_passages(texts[i:i + step]))
        if todo and time.monotonic() - last > 30:
            last = time.monotonic()
            print(f"  {label}: sentence units {min(i + step, len(texts))}/{len(texts)}", flush=True)
    return np.concatenate(out) if out else np.zeros((0, embedder.dim), dtype=np.float32)


def baseline_ranks(units: Sequence[Unit], vectors: np.ndarray, embedder: CachedEmbedder,
                   queries: Sequence[LibraryQuery]) -> dict[str, list]:
    """Each baseline's first relevant rank (top 10) per query, by the needle rule on the unit's text."""
    texts = [u.text for u in units]
    bm25, dense = BM25(texts), Dense(vectors, embedder.embed_query)
    rankers = {"chars@sent": CharOverlap(texts), "bm25@sent": bm25, "e5@sent": dense,
               "rrf@sent": Fused(bm25, dense)}
    return {name: _unit_ranks(ranker, texts, queries) for name, ranker in rankers.items()}


def _unit_ranks(ranker, texts: Sequence[str], queries: Sequence[LibraryQuery]) -> list[int | None]:
    return [_first_rank([texts[i] for i, _ in ranker.rank(q.q, 10)], q.needles) for q in queries]


def _first_rank(texts: Sequence[str], needles: Sequence[str]) -> int | None:
    return next((r for r, t in enumerate(texts, 1) if is_relevant(t, needles)), None)


def group(queries: Sequence[LibraryQuery], name: str) -> list[int]:
    """Indices of the queries in a group: all, a style or a split."""
    return [i for i, q in enumerate(queries) if name == "all" or name in (q.style, q.split)]


def format_table(ranks: dict[str, list], queries: Sequence[LibraryQuery]) -> str:
    """One row per system; for each group R@1, R@5 and MRR@10, with the group's query count in the header."""
    groups = {g: group(queries, g) for g in GROUPS}
    head1 = "system".ljust(14) + "".join(f"{g[:6]}({len(ix)})".center(19) for g, ix in groups.items())
    head2 = " " * 14 + "   R@1   R@5  MRR  " * len(groups)
    lines = [head1, head2]
    for name, rs in ranks.items():
        cells = ""
        for ix in groups.values():
            m = metrics([rs[i] for i in ix])
            cells += f" {m['R@1']:5.2f} {m['R@5']:5.2f} {m['MRR@10']:5.2f} "
        lines.append(name.ljust(14) + cells)
    return "\n".join(lines)


def format_per_query(ranks: dict[str, list], queries: Sequence[LibraryQuery]) -> str:
    names = list(ranks)
    lines = ["first relevant rank (- = not in top 10); s = style f/c, split t/h",
             " " * 34 + "".join(n[:11].rjust(12) for n in names)]
    for i, q in enumerate(queries):
        tag = q.style[0] + q.split[0]
        cells = "".join(str(ranks[n][i] or "-").rjust(12) for n in names)
        lines.append(f"{tag} {q.q[:28]:<28}"[:33].ljust(34) + cells)
    return "\n".join(lines)


def unreachable(docs: Sequence[Document], units: Sequence[Unit], queries: Sequence[LibraryQuery]) -> list[str]:
    """Queries no clause or no unit can answer (a needle crossing a clause or sentence boundary)."""
    clauses = [c.text for d in docs for c in d.clauses]
    out = []
    for q in queries:
        if not any(is_relevant(t, q.needles) for t in clauses):
            out.append(f"no clause holds a needle: {q.q}")
        if not any(is_relevant(u.text, q.needles) for u in units):
            out.append(f"no sentence unit holds a needle: {q.q}")
    return out


def evaluate_pool(label: str, docs: Sequence[Document], queries: Sequence[LibraryQuery], index_dir: Path,
                  embedder: CachedEmbedder, per_query: bool) -> dict:
    """Product modes and baselines on one pool; tables are printed as soon as their inputs are embedded."""
    queries = answerable(queries, docs)
    units = [u for d in docs for u in sentence_units(d.doc_id, d.text)]
    print(f"\n== {label}: {len(docs)} documents, {len(units)} sentence units, {len(queries)} answerable queries",
          flush=True)
    for line in unreachable(docs, units, queries):
        print(f"  warning: {line}")
    ranks, info = product_ranks(docs, index_dir, embedder, queries, label)
    embedder.flush()
    texts = [u.text for u in units]
    bm25 = BM25(texts)
    ranks["chars@sent"] = _unit_ranks(CharOverlap(texts), texts, queries)
    ranks["bm25@sent"] = _unit_ranks(bm25, texts, queries)
    head = f"{label}: {len(docs)} documents, {info['clauses']} clauses, {len(units)} sentence units"
    if embedder.missing(texts):  # the dense baselines may take long: show what is known already
        print(f"\n{head} (before the dense baselines)\n{format_table(ranks, queries)}", flush=True)
    dense = Dense(unit_vectors(units, embedder, label), embedder.embed_query)
    ranks["e5@sent"] = _unit_ranks(dense, texts, queries)
    ranks["rrf@sent"] = _unit_ranks(Fused(bm25, dense), texts, queries)
    print(f"\n{head}\n{format_table(ranks, queries)}", flush=True)
    if per_query:
        print()
        print(format_per_query(ranks, queries))
    return {"pool": label, "documents": len(docs), "clauses": info["clauses"], "units": len(units),
            "queries": [q.q for q in queries], "ranks": ranks}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=None, help="library documents to keep (default: all)")
    ap.add_argument("--pool", choices=("seed", "library", "both"), default="both")
    ap.add_argument("--per-query", action="store_true")
    ap.add_argument("--queries", type=Path, default=QUERIES)
    args = ap.parse_args(argv)
    queries = load_library_queries(args.queries)
    seed, library, errors = read_library()
    for e in errors:
        print(f"read: {e}")
    embedder = CachedEmbedder(WORK / "vectors")
    print(f"{len(queries)} queries; vector cache holds {len(embedder)} vectors")
    results = []
    if args.pool in ("seed", "both"):
        results.append(evaluate_pool("seed corpus", seed, queries, WORK / "index-seed", embedder, args.per_query))
    if args.pool in ("library", "both"):
        chosen = choose_documents(library, queries, args.docs)
        size = "all" if len(chosen) == len(library) else str(len(chosen))
        label = f"library (seed + {len(chosen)} of {len(library)} documents)"
        results.append(evaluate_pool(label, list(seed) + chosen, queries, WORK / f"index-lib-{size}", embedder,
                                     args.per_query))
    embedder.flush()
    out = WORK / f"results-{args.docs if args.docs is not None else 'all'}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nranks saved to {out}")


if __name__ == "__main__":
    main()
