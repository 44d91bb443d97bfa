"""Streamlit entry point: wires the pages together (search, compare, coverage, library, provincial)."""
import streamlit as st

from app_pages.routing import land_unknown_paths

st.set_page_config(page_title="政策文件检索与比对", page_icon="📑", layout="wide")

pages = [
    st.Page("app_pages/search.py", title="检索 Search", icon=":material/search:", url_path="search", default=True),
    st.Page("app_pages/compare.py", title="对照 Compare", icon=":material/compare:", url_path="compare"),
    st.Page("app_pages/coverage.py", title="覆盖 Coverage", icon=":material/grid_on:", url_path="coverage"),
    st.Page("app_pages/review.py", title="审查 Review", icon=":material/gavel:", url_path="review"),
    st.Page("app_pages/library.py", title="文库 Library", icon=":material/library_books:", url_path="library"),
    st.Page("app_pages/provincial.py", title="省级视图 Provincial", icon=":material/account_tree:", url_path="provincial"),
]
land_unknown_paths(pages)  # /search and mistyped addresses open the search page, without "Page not found"
st.navigation(pages, position="top").run()
