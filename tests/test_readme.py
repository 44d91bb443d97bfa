"""The README a newcomer reads: its first two commands, and links and images that lead somewhere."""
from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
RUN = "bash scripts/setup.sh && .venv/bin/python -m indexer build && .venv/bin/streamlit run app.py"
TEST = "bash scripts/setup.sh && .venv/bin/ruff check . && .venv/bin/python -m pytest -ra"


def test_the_first_two_commands_run_the_app_and_the_tests():
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert [b.strip() for b in blocks[:2]] == [RUN, TEST]
    assert TEST.removeprefix("bash scripts/setup.sh && ") in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_relative_links_and_images_lead_to_files():
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = target.split("#")[0]
            assert (doc.parent / path).exists(), f"{doc.name}: {target}"


def test_every_page_is_walked_through_with_its_screenshot():
    for page in ("检索", "对照", "覆盖", "文库", "省级视图", "审查"):
        assert f"**{page} " in README, page
    for shot in sorted((ROOT / "docs" / "screenshots").glob("*.png")):
        assert f"](docs/screenshots/{shot.name})" in README, shot.name
