"""Legacy Word 97 .doc files, converted to text by the antiword program."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest.readers.raw import RawText, ReadOptions, file_sha, finish, newlines

ANTIWORD_TIMEOUT = 120


def read_doc(path: Path, options: ReadOptions | None = None) -> RawText:
    """Legacy Word 97 .doc through antiword (readers.word sends a .docx named .doc to read_docx)."""
    exe = shutil.which("antiword")
    if not exe:
        raise IngestError(path, ".doc 需要 antiword：apt-get install -y antiword / legacy .doc needs antiword")
    env = dict(os.environ, LANG=os.environ.get("LANG") or "C.UTF-8")
    try:
        res = subprocess.run([exe, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                             timeout=ANTIWORD_TIMEOUT, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise IngestError(path, f".doc 读取超时（{ANTIWORD_TIMEOUT} 秒）/ antiword timed out") from None
    if res.returncode != 0:
        why = res.stderr.decode("utf-8", errors="replace").strip().splitlines()
        detail = why[-1].replace(str(path), "").strip(" :") if why else f"exit {res.returncode}"
        raise IngestError(path, f".doc 文件无法读取（损坏或不是 Word 97 文件）/ cannot read .doc: {detail}")
    text = res.stdout.decode("utf-8", errors="replace").replace("[pic]", "")
    if not text.strip():
        raise IngestError(path, ".doc 中没有文字 / no text in .doc")
    return finish(newlines(text), "doc", file_sha(path), [])
