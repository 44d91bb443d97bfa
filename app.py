"""The app's server: `streamlit run app.py` serves the pages of streamlit_app.py and, as the server starts, opens
the index and loads the tokenizer dictionary and the embedding model in the background, so that they are ready
when the browser has fetched the page (`streamlit run streamlit_app.py` serves the same pages and loads them
on the first visit instead)."""
import sys
import threading
import time
from contextlib import asynccontextmanager

import streamlit as st


def _warm() -> None:
    from app_pages.backend import warm_early
    from indexer import paths

    started = time.perf_counter()
    if warm_early(paths.INDEX_DIR, paths.UPLOAD_DIR).warmed():
        print(f"  索引与模型已就绪 / index and models ready ({time.perf_counter() - started:.1f} s)", file=sys.stderr,
              flush=True)


@asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=_warm, daemon=True, name="app-warm-up").start()
    yield


app = st.App("streamlit_app.py", lifespan=lifespan)
