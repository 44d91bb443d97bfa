"""The app in a real headless Chromium: search finds the robot clause, coverage draws the Dongguan matrix.

Starts `streamlit run` on a free local port with the real default model on the shipped corpus (its index
built first into a temporary folder), drives Debian's chromium through Playwright, and saves a screenshot
of each page under artifacts/screenshots/ (not committed).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("POLICY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
HAS_SEARCH = importlib.util.find_spec("indexer.search") is not None
VIEWPORT = {"width": 1200, "height": 1500}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_index(index_dir: Path, env: dict) -> None:
    """Build the real index (default embedder) into a folder with the project's CLI.

    Starts from a copy of the working tree's index when there is one, so the incremental build only
    embeds what changed (a full build of the shipped corpus takes minutes on two cores).
    """
    from indexer import paths

    if paths.INDEX_DIR.is_dir() and not index_dir.exists():
        shutil.copytree(paths.INDEX_DIR, index_dir, ignore=shutil.ignore_patterns("*.lock", ".tmp-*"))
    subprocess.run([sys.executable, "-m", "indexer", "build"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=900)


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(log_path, "wb")  # noqa: SIM115 — closed with the process
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("streamlit did not become healthy")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def app_env(index_dir: Path, upload_dir: Path) -> dict:
    env = {**os.environ, "POLICY_INDEX": str(index_dir), "POLICY_UPLOADS": str(upload_dir)}
    env.pop("POLICY_EMBEDDER", None)  # the real default model
    return env


def search(page, query: str, expect: str = "", timeout_ms: int = 60_000) -> float:
    """Type a query, press Enter, wait until this query's results are shown; returns the seconds taken.

    The results header repeats the query (「…」找到 N 条结果), so an earlier query's cards never count.
    """
    box = page.get_by_label("查询 Query（中文或英文）")
    box.fill(query)
    t0 = time.perf_counter()
    box.press("Enter")
    page.get_by_text(f"「{query}」找到").first.wait_for(state="visible", timeout=timeout_ms)
    if expect:
        page.locator(".doc-text", has_text=expect).first.wait_for(state="visible", timeout=timeout_ms)
    return time.perf_counter() - t0


def pick(page, label: str, option_text: str) -> None:
    """Choose an option of a Streamlit selectbox by its label and the option's visible text."""
    box = page.locator('[data-testid="stSelectbox"]', has_text=label).first
    box.click()
    page.get_by_role("option", name=option_text).first.click()


def settle(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("browser")
    env = app_env(work / "index", work / "uploads")
    build_index(work / "index", env)
    port = free_port()
    SHOTS.mkdir(parents=True, exist_ok=True)
    proc = start_server(env, port, SHOTS.parent / "streamlit-browser-test.log")
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


@pytest.mark.skipif(not HAS_SEARCH, reason="indexer.search not installed yet")
def test_search_finds_the_robot_clause(server, page):
    page.goto(server)
    page.get_by_label("查询 Query（中文或英文）").wait_for(state="visible")
    search(page, "industrial robots in electronics manufacturing", "工业机器人在电子信息")
    search(page, "工业机器人集成应用", "工业机器人")
    page.locator("mark.hit", has_text="工业机器人").first.wait_for(state="visible")
    settle(page)
    page.screenshot(path=str(SHOTS / "search.png"))


def test_coverage_dongguan_against_province(server, page):
    page.goto(f"{server}/coverage")
    page.get_by_text("参照文件 Reference").first.wait_for(state="visible")
    pick(page, "参照文件 Reference", "广东省 · 广东省人民政府关于培育发展战略性支柱产业集群")
    settle(page)
    pick(page, "目标文件 Target document", "东莞市 · 关于培育发展战略性产业集群的实施意见")
    settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible")
    chart.locator("canvas, svg").first.wait_for(state="visible")
    assert page.get_by_text("匹配矩阵 Match matrix").is_visible()
    metric = page.locator('[data-testid="stMetric"]', has_text="参照条目").first
    assert "20" in metric.inner_text()
    assert page.get_by_text("点名东莞市但未覆盖").first.is_visible()
    page.wait_for_timeout(500)  # let the chart finish drawing
    page.screenshot(path=str(SHOTS / "coverage.png"))


def test_compare_and_library_pages(server, page):
    page.goto(f"{server}/compare")
    page.locator(".badge").first.wait_for(state="visible")
    page.get_by_text("逐字差异 Redline（A → B）").first.click()
    page.locator("del.rl-del, ins.rl-ins").first.wait_for(state="visible")
    page.wait_for_timeout(800)  # the expander's opening animation
    page.screenshot(path=str(SHOTS / "compare.png"))

    page.goto(f"{server}/library?doc=dongguan-2021-strategic-clusters&clause=dongguan-2021-strategic-clusters:2.1.2")
    page.locator("mark.focus").first.wait_for(state="visible")
    assert "工业机器人" in page.locator("mark.focus").first.inner_text()
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(state="visible")
    page.wait_for_timeout(800)  # the table draws on a canvas after it appears
    page.screenshot(path=str(SHOTS / "library.png"))


def test_uploaded_markup_shows_as_text(tmp_path, browser):
    """A document containing <script> and **bold** shows them literally in the browser."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "markup.txt").write_text("一、总则\n<script>window.__pwned=1</script> 与 **bold** 原样显示。\n"
                                        "二、附则\n自发布之日起施行。\n", encoding="utf-8")
    env = app_env(tmp_path / "index", uploads)
    env["POLICY_EMBEDDER"] = "fake"  # this test is about rendering; keep it quick
    port = free_port()
    proc = start_server(env, port, tmp_path / "server.log")
    try:
        wait_healthy(port, proc)
        ctx = browser.new_context(viewport=VIEWPORT)
        pg = ctx.new_page()
        pg.goto(f"http://127.0.0.1:{port}/library?doc=markup&clause=markup:1-p1")
        text = pg.locator("mark.focus").first
        text.wait_for(state="visible", timeout=60_000)
        assert "<script>window.__pwned=1</script> 与 **bold** 原样显示。" in text.inner_text()
        assert pg.evaluate("window.__pwned === undefined")
        ctx.close()
    finally:
        stop_server(proc)


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] < height and box["y"] + box["height"] > 0


def test_similar_clauses_open_where_the_user_clicked(server, page):
    """The panel opened ~4,000 px above the clicked card, so the click seemed to do nothing."""
    page.goto(server)
    page.get_by_label("查询 Query（中文或英文）").wait_for(state="visible")
    search(page, "工业机器人集成应用", "工业机器人")
    button = page.get_by_role("button", name="相似条款").nth(2)
    button.scroll_into_view_if_needed()
    button.click()
    panel = page.get_by_text("相似条款 Similar clauses").first
    panel.wait_for(state="visible")
    settle(page)
    assert in_viewport(page, panel) or in_viewport(page, page.get_by_text("与上面这条相似的条款").first)
    page.screenshot(path=str(SHOTS / "search-similar.png"))


def test_a_link_with_a_query_restores_the_search(server, page):
    page.goto(f"{server}/?q=工业机器人集成应用&region=东莞市")
    page.get_by_text("「工业机器人集成应用」找到").first.wait_for(state="visible")
    cards = page.locator(".doc-text", has_text="东莞市")
    cards.first.wait_for(state="visible")
    assert "q=" in page.url  # the address bar keeps the search, so it can be sent on


def test_coverage_item_text_agrees_with_its_selectbox_after_a_target_switch(server, page):
    page.goto(f"{server}/coverage")
    page.get_by_text("参照文件 Reference").first.wait_for(state="visible")
    settle(page)
    box = page.locator('[data-testid="stSelectbox"]', has_text="参照条目 Reference item").first
    box.click()
    page.keyboard.type("智能机器人")  # the list is long: filter it as a user would, and take the match
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    settle(page)
    target = page.locator('[data-testid="stSelectbox"]', has_text="目标文件 Target document").first
    target.click()
    page.keyboard.type("潮州")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    settle(page)
    label = page.locator(".card-path", has_text="参照 · ").first.inner_text()
    item = label.split("参照 · ", 1)[1].strip()
    box = page.locator('[data-testid="stSelectbox"]', has_text="参照条目 Reference item").first
    shown = box.inner_html()  # the selected value is drawn inside the box, not as its label text
    others = [n for n in ("新一代电子信息", "绿色石化", "智能家电", "智能机器人") if n != item]
    assert item in shown and not any(f">{n}<" in shown for n in others), item  # the same item in both places


def test_coverage_page_is_readable_at_390_px(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(f"{server}/coverage")
    chart = pg.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible")
    chart.scroll_into_view_if_needed()
    settle(pg)
    pg.wait_for_timeout(800)
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390
    pg.screenshot(path=str(SHOTS / "coverage-390.png"), full_page=False)
    ctx.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_provincial_matrix_and_timeline_are_drawn(server, browser, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(90_000)
    pg.goto(f"{server}/provincial")
    chart = pg.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible")
    chart.locator("canvas, svg").first.wait_for(state="visible")
    settle(pg)
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(SHOTS / f"provincial-{width}.png"))
    pg.get_by_role("tab", name="扩散时间线 Diffusion").click()
    settle(pg)
    pg.locator('[data-testid="stVegaLiteChart"]:visible').first.wait_for(state="visible")
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(SHOTS / f"provincial-timeline-{width}.png"))
    ctx.close()


# ---------------------------------------------------------------- addresses no page answers

@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    """The app on the shipped corpus with the fake embedder: these tests are about routing, keep them quick."""
    work = tmp_path_factory.mktemp("routing")
    env = {**app_env(work / "index", work / "uploads"), "POLICY_EMBEDDER": "fake"}
    subprocess.run([sys.executable, "-m", "indexer", "build"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=300)
    port = free_port()
    proc = start_server(env, port, work / "server.log")
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def no_page_not_found(page) -> bool:
    settle(page)
    page.wait_for_timeout(500)  # the dialog, when sent, comes with the run's first messages
    return "Page not found" not in page.inner_text("body") and not page.get_by_role("dialog").count()


def test_search_address_restores_the_search(quick_server, page):
    page.goto(f"{quick_server}/search?q=机器人&mode=keyword&region=东莞市")
    page.get_by_text("「机器人」找到").first.wait_for(state="visible")
    from playwright.sync_api import expect

    # the box may be drawn a moment after the results it asked for (the front end's own widget update): wait for it
    expect(page.get_by_label("查询 Query（中文或英文）")).to_have_value("机器人", timeout=30_000)
    page.locator(".doc-text", has_text="东莞市").first.wait_for(state="visible")
    assert no_page_not_found(page)
    assert "q=" in page.url and "mode=keyword" in page.url  # the address still carries the search
    page.screenshot(path=str(SHOTS / "address-search.png"))


@pytest.mark.parametrize(("path", "heading"), [("/nonsense", "检索 Search"), ("/Library", "文库 Library")])
def test_unknown_address_opens_a_page_without_page_not_found(quick_server, page, path, heading):
    page.goto(f"{quick_server}{path}")
    page.get_by_role("heading", name=heading).first.wait_for(state="visible")
    assert no_page_not_found(page)
    page.get_by_role("link", name="对照 Compare").first.click()  # the navigation works as usual from there
    page.get_by_role("heading", name="对照 Compare").first.wait_for(state="visible")
    assert no_page_not_found(page)
