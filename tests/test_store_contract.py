"""The ClauseStore contract: every backend passes the same tests, and the folder backend (FAISS + BM25 files)
and the milvus backend (a Milvus Lite file here; a server is the same code with another URI) answer exactly as
the slow, obviously correct in-memory reference on random corpora."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer.embedders import FakeEmbedder
from indexer.filters import SearchFilters
from indexer.ingest.build import build_index
from indexer.models import Clause, DocMeta, Document
from indexer.search import Engine
from indexer.search.rerank import QueryEvidence, candidate_features
from indexer.store import ClauseStore, open_store
from tests.conftest import ROOT
from tests.milvus_server import server_kind

HAS_MILVUS = importlib.util.find_spec("pymilvus") is not None and importlib.util.find_spec("milvus_lite") is not None
MILVUS = pytest.param("milvus", marks=pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus/milvus-lite not installed "
                                                                               "(requirements-scale.txt)"))
HAS_SERVER = HAS_MILVUS and server_kind() == "3"
SERVER = pytest.param("milvus-server", marks=[
    pytest.mark.milvus_server,
    pytest.mark.skipif(not HAS_SERVER, reason="milvus-lite 3 (its `milvus-lite server`) not installed (requirements-scale.txt)")])
BACKENDS = ["folder", "memory", MILVUS, SERVER]
WORDS = ["产业", "集群", "人才", "税收", "优惠", "新能源", "汽车", "机器人", "数字", "经济", "财政", "资金", "土地",
         "支持", "企业", "保障", "物业", "管理", "业主", "停车", "芯片", "补贴", "金融", "科技"]
PLACES = [("东莞市", "广东省", "city"), ("广东省", "广东省", "province"), ("潮州市", "广东省", "city"),
          ("宁波市", "浙江省", "city"), ("", "", "national")]
FILTERS = [SearchFilters(region="东莞"), SearchFilters(province="广东"), SearchFilters(level="city"),
           SearchFilters(level="province,national"), SearchFilters(status="current"), SearchFilters(status="draft"),
           SearchFilters(date_from="2021-01-01"), SearchFilters(date_to="2020"), SearchFilters(section="保障措施"),
           SearchFilters(region="宁波", section="主要任务"), SearchFilters(region="火星")]


def random_corpus(seed: int, n_docs: int = 6) -> list[Document]:
    """Documents of random word salad with an outline: a heading with children (a bare heading), paragraphs."""
    rng = np.random.default_rng(seed)
    docs = []
    for j in range(n_docs):
        region, province, level = PLACES[j % len(PLACES)]
        meta = DocMeta(title=f"测试文件{j}", region=region, province=province, level=level,
                       status="draft" if j % 3 == 2 else "", date="" if j % 4 == 3 else f"{2018 + j}-0{1 + j % 9}-01",
                       doc_number=f"测府〔{2018 + j}〕{j + 1}号")
        doc_id = f"doc-{seed}-{j}"
        text, clauses = "", []
        for s, head in enumerate(("一、主要任务", "二、保障措施")):
            start = len(text)
            text += head + "\n"
            parent = Clause(f"{doc_id}:{s + 1}", doc_id, 1, "cn", head[:2], s + 1, head[2:], head, (head,),
                            start, start + len(head))
            clauses.append(parent)
            for p in range(int(rng.integers(2, 6))):
                body = "".join(rng.choice(WORDS, size=int(rng.integers(3, 14)))) + "。"
                start = len(text)
                text += body + "\n"
                clauses.append(Clause(f"{doc_id}:{s + 1}.p{p + 1}", doc_id, 2, "para", "", 0, "", body, (head,),
                                      start, start + len(body), parent_id=parent.clause_id))
        docs.append(Document(doc_id, f"/nowhere/{doc_id}.txt", text, meta, tuple(clauses), sha256=f"{seed}{j}"))
    return docs


def built(backend: str, tmp_path, seed: int, request=None) -> ClauseStore:
    """A built store; "milvus-server" is the milvus backend on the session's Milvus server (an http:// URI)."""
    if backend == "milvus-server":
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("POLICY_MILVUS_URI", request.getfixturevalue("milvus_server").uri)
            return built("milvus", tmp_path, seed)
    build_index(index_dir=tmp_path / backend, embedder=FakeEmbedder(64), documents=random_corpus(seed),
                backend=backend)
    return open_store(tmp_path / backend, backend)


@pytest.fixture(scope="module", autouse=True)
def _one_milvus_lite_file(tmp_path_factory):
    """All milvus indexes of this module in one Milvus Lite file (one server process; a collection per index)."""
    old = os.environ.get("POLICY_MILVUS_URI")
    os.environ["POLICY_MILVUS_URI"] = str(tmp_path_factory.mktemp("milvus") / "contract.db")
    yield
    if old is None:
        os.environ.pop("POLICY_MILVUS_URI", None)
    else:
        os.environ["POLICY_MILVUS_URI"] = old


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> ClauseStore:
    return built(request.param, tmp_path, seed=7, request=request)


# ---------------------------------------------------------------- what every backend must do

def test_documents_and_clauses_round_trip(store):
    docs = random_corpus(7)
    assert [d.doc_id for d in store.documents()] == [d.doc_id for d in docs]
    assert len(store) == sum(len(d.clauses) for d in docs)
    assert store.documents()[0].meta == docs[0].meta and store.backend in store.info()["backend"]
    for d, again in zip(docs, store.load_documents(), strict=True):
        assert again.clauses == d.clauses and again.text == d.text
        for c in again.clauses:
            assert again.text[c.start:c.end] == c.text
            row = store.row_of(c.clause_id)
            assert store.clause(row) == c and store.text(row) == c.text and store.document_of(row).doc_id == d.doc_id
    assert store.row_of("no-such-clause") is None


def test_dense_topk_is_sorted_bounded_and_filtered(store):
    q = FakeEmbedder(64).embed_query("新能源汽车补贴")
    for f in [None, *FILTERS]:
        got = store.dense_topk(q, 5, f)
        allowed = store.select(f)
        assert len(got) <= 5 and [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        if allowed is not None:
            assert {r for r, _ in got} <= set(allowed.tolist())
            assert len(got) == min(5, len(allowed))
    assert store.dense_topk(q, 0) == []


def test_keyword_topk_scores_positive_and_filtered(store):
    for f in [None, *FILTERS]:
        got = store.keyword_topk(["人才", "税收"], 10, f)
        assert all(s > 0 for _, s in got)
        allowed = store.select(f)
        if allowed is not None:
            assert {r for r, _ in got} <= set(allowed.tolist())
        for r, _ in got:
            assert "人才" in store.text(r) or "税收" in store.text(r)
    assert store.keyword_topk(["不存在的词"], 10) == []


def test_phrase_counts_occurrences(store):
    counts = store.phrase("产业")
    assert counts and all(store.text(r).count("产业") == n for r, n in counts.items())
    assert store.phrase("") == {} and store.phrase("\x00") == {}


def test_vectors_by_row_and_by_key(store):
    keys = store.clause_keys()
    rows = [store.row_of(cid) for cid, _ in keys[:4]]
    by_key = store.vectors_for_keys([k for _, k in keys[:4]])
    np.testing.assert_allclose(np.stack([by_key[k] for _, k in keys[:4]]), store.vectors(rows))
    assert store.vectors_for_keys(["0" * 64]) == {}


def test_bare_headings_answer_nothing(store):
    bare = store.bare_rows()
    assert bare and all(store.clause(r).kind == "cn" for r in bare)


def test_engine_searches_any_backend(store):
    eng = Engine(store, FakeEmbedder(64))
    for mode in ("hybrid", "semantic", "keyword", "phrase", "fuzzy"):
        hits = eng.search("人才税收", k=5, mode=mode, filters=SearchFilters(level="city"))
        assert all(h.level == "city" for h in hits)
    assert eng.search("测府〔2019〕2号", k=3)[0].doc_number == "测府〔2019〕2号"


# ---------------------------------------------------------------- the folder and milvus backends equal the reference

@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("backend", ["folder", MILVUS, SERVER])
def test_backend_equals_the_reference(tmp_path, seed, backend, request):
    # milvus: BM25 runs in Milvus over the project's own tokens (analyzer "tokens"), so even keyword scores
    # equal bm25s' (after Milvus's (k1 + 1) factor); its jieba analyzer is compared by overlap in test_milvus_store
    got, ref = built(backend, tmp_path, seed, request), built("memory", tmp_path, seed)
    assert got.documents() == ref.documents() and got.clause_keys() == ref.clause_keys()
    assert got.bare_rows() == ref.bare_rows()
    emb = FakeEmbedder(64)
    for f in [None, *FILTERS]:
        a, b = got.select(f), ref.select(f)
        assert (a is None and b is None) or a.tolist() == b.tolist()
        for query in ("人才税收优惠", "新能源汽车", "物业管理业主"):
            q = emb.embed_query(query)
            fa, rb = got.dense_topk(q, 8, f), ref.dense_topk(q, 8, f)
            # exact search: the same scores, and the same rows above the k-th score (ties may go either way)
            np.testing.assert_allclose([s for _, s in fa], [s for _, s in rb], rtol=1e-5, atol=1e-6)
            assert _above_last(fa) == _above_last(rb)
            tokens = Engine(got, emb).tokenizer(query)
            ka, kb = got.keyword_topk(tokens, 8, f), ref.keyword_topk(tokens, 8, f)
            np.testing.assert_allclose([s for _, s in ka], [s for _, s in kb], rtol=1e-4, atol=1e-6)
            assert _above_last(ka) == _above_last(kb)
            assert got.phrase(query[:2], f) == ref.phrase(query[:2], f)
            w = {tokens[-1]: 0.5}
            np.testing.assert_allclose([s for _, s in got.keyword_topk(tokens, 8, f, w)],
                                       [s for _, s in ref.keyword_topk(tokens, 8, f, w)], rtol=1e-4, atol=1e-6)
            assert got.document_frequency(tokens + ["没有的词"]) == ref.document_frequency(tokens + ["没有的词"])
            rows = sorted({r for r, _ in rb} | {r for r, _ in kb})
            if rows:  # what hybrid's learned fusion reads of each candidate is the same on every backend
                np.testing.assert_allclose(got.keyword_scores(tokens, rows), ref.keyword_scores(tokens, rows),
                                           rtol=1e-4, atol=1e-6)
                ev = QueryEvidence(query, tuple(tokens), q, rb, kb, tuple(tokens), ("宁波市",))
                np.testing.assert_allclose(candidate_features(got, ev, rows), candidate_features(ref, ev, rows),
                                           rtol=1e-4, atol=1e-5)


def _above_last(ranked, tol=1e-4) -> set[int]:
    return {r for r, s in ranked if s > ranked[-1][1] + tol} if ranked else set()


def test_an_unknown_backend_says_what_exists(tmp_path):
    from indexer.errors import IndexError_

    with pytest.raises(IndexError_, match="unknown store backend 'nosuch'.*folder"):
        open_store(tmp_path, "nosuch")


def test_the_manifest_names_its_backend(tmp_path):
    import json

    from indexer.store import current_generation

    built("folder", tmp_path, seed=1)
    manifest = json.loads((current_generation(tmp_path / "folder") / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == "folder"


def test_importing_search_does_not_import_the_build_side():
    code = ("import sys, indexer.search, indexer.store; "
            "bad = [m for m in sys.modules if m.startswith('indexer.ingest') or m.startswith('indexer.compare')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_region_scope_and_undated_documents(store):
    docs = store.documents()
    with_sub = {d.doc_id for d in docs if SearchFilters(region="广东").accepts_document(d.meta, d.doc_id)}
    own = {d.doc_id for d in docs if SearchFilters(region="广东", region_scope="self").accepts_document(d.meta, d.doc_id)}
    assert own < with_sub and all(d.meta.region == "广东省" for d in docs if d.doc_id in own)
    dated = SearchFilters(date_from="2018")
    undated = [d for d in docs if not d.meta.date]
    assert undated and dated.undated_left_out(docs) == len(undated)
    keep = SearchFilters(date_from="2018", include_undated=True)
    assert len(store.select(keep)) > len(store.select(dated)) and keep.undated_left_out(docs) == 0


# ---------------------------------------------------------------- a backend describes itself; nothing outside store/ knows it

def test_a_store_describes_itself(store):
    info = store.info()
    assert info["backend"] == store.backend and info["generation"] == store.generation
    assert isinstance(store.location, str) and info["vector_index"] == store.manifest.get("vector_index", {})
    if store.backend == "memory":
        assert store.generation == "" and store.location == ""
    else:  # a generation of the index folder: what X-Index-Generation and /v1/status name
        from indexer.store import current_generation

        folder = current_generation(Path(store.location).parent)
        assert store.generation == folder.name and store.location == str(folder)


def test_the_command_line_offers_every_registered_backend():
    from indexer.cli import build_parser
    from indexer.store.base import backends

    assert backends() == ("folder", "memory", "milvus")
    for name in backends():
        assert build_parser().parse_args(["build", "--store", name]).store == name


def test_no_module_outside_the_store_names_a_backend_or_its_attributes():
    """Doors and the build talk to the ClauseStore interface; backends share helpers from store/, not each other."""
    outside = [p for p in (ROOT / "indexer").rglob("*.py") if "store" not in p.relative_to(ROOT / "indexer").parts]
    leaks = [f"{p.name}: {line.strip()}" for p in outside for line in p.read_text(encoding="utf-8").splitlines()
             if 'store, "folder"' in line or '"milvus")' in line or 'choices=("folder"' in line]
    assert leaks == []
    for name in ("milvus.py", "milvus_writer.py", "milvus_schema.py", "memory.py"):
        text = (ROOT / "indexer" / "store" / name).read_text(encoding="utf-8")
        assert "from indexer.store.folder import" not in text, name
