"""CLI contracts of outline, docs and lists: JSON field names, readable text, one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from indexer.ingest.corpus import DEFAULT_CORPUS


def run(*args, check=True):
    p = subprocess.run([sys.executable, "-m", "indexer", *args], capture_output=True, text=True, timeout=300)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_outline_json_fields():
    out = json.loads(run("outline", str(DEFAULT_CORPUS / "dongguan-2021-strategic-clusters.txt"), "--json").stdout)
    need = {"clause_id", "level", "heading", "section", "text", "start", "end", "page"}
    assert all(need <= set(c) for c in out)
    c = next(c for c in out if c["heading"] == "新能源产业集群")
    assert c["section"] == "二、发展重点 › (二)战略性新兴产业集群 › 3.新能源产业集群" and c["page"] is None


def test_outline_text_is_readable_chinese():
    out = run("outline", str(DEFAULT_CORPUS / "chaozhou-strategic-clusters-draft.txt")).stdout
    assert "四、发展重点" in out and "现代物流产业集群" in out and "{" not in out


def test_docs_json_fields():
    docs = json.loads(run("docs", "--json").stdout)
    need = {"doc_id", "title", "issuer", "doc_number", "cited_numbers", "date", "region", "province", "level",
            "status", "n_clauses", "path"}
    assert len(docs) >= 5 and all(need <= set(d) for d in docs)
    dg = next(d for d in docs if d["doc_id"] == "dongguan-2021-strategic-clusters")
    assert dg["cited_numbers"] == ["粤府函〔2020〕82号"] and dg["n_clauses"] > 20


def test_lists_json_by_doc_id_and_path():
    by_id = json.loads(run("lists", "guangdong-2020-strategic-clusters", "--json").stdout)
    by_path = json.loads(run("lists", str(DEFAULT_CORPUS / "guangdong-2020-strategic-clusters.txt"),
                             "--json").stdout)
    assert by_id == by_path
    big = max(by_id, key=lambda nl: len(nl["items"]))
    assert len(big["items"]) == 20 and {"name", "heading", "clause_id"} <= set(big["items"][0])
    assert big["section"] == "四、发展重点"


def test_unknown_document_is_one_line():
    p = run("lists", "no-such-doc", check=False)
    assert p.returncode == 2 and "no-such-doc" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_missing_file_is_one_line(tmp_path):
    p = run("outline", str(tmp_path / "missing.txt"), check=False)
    assert p.returncode != 0 and "missing.txt" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_docs_and_lists_include_uploaded_documents(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "foshan-clusters.txt").write_text(
        "佛山市培育发展战略性产业集群实施方案\n一、发展重点\n（一）智能家电产业集群。巩固家电优势。\n"
        "（二）汽车产业集群。发展新能源汽车整车。\n（三）先进材料产业集群。发展高端金属材料。\n", encoding="utf-8")
    env = {**os.environ, "POLICY_UPLOADS": str(uploads)}
    p = subprocess.run([sys.executable, "-m", "indexer", "docs", "--json"], capture_output=True, text=True,
                       timeout=300, env=env)
    ids = [d["doc_id"] for d in json.loads(p.stdout)]
    assert "foshan-clusters" in ids and "guangdong-2020-strategic-clusters" in ids
    p = subprocess.run([sys.executable, "-m", "indexer", "lists", "foshan-clusters", "--json"], capture_output=True,
                       text=True, timeout=300, env=env)
    assert [i["name"] for i in json.loads(p.stdout)[0]["items"]] == ["智能家电", "汽车", "先进材料"]
    # --corpus names the folders exactly
    only = json.loads(run("docs", "--json", "--corpus", str(uploads)).stdout)
    assert [d["doc_id"] for d in only] == ["foshan-clusters"]


def test_a_missing_corpus_folder_is_one_line(tmp_path):
    p = run("docs", "--corpus", str(tmp_path / "nowhere"), check=False)
    assert p.returncode == 2 and "nowhere" in p.stderr and "文件夹不存在" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
