"""The app as a user meets it: cold start to the first search result, then the time of each further search.

Starts `streamlit run` on a free port with the real default model on the built index (embeddings/, or
$POLICY_INDEX), opens it in headless Chromium, types a query and waits until its results are drawn.

    .venv/bin/python benchmarks/bench_app.py            # readable summary
    .venv/bin/python benchmarks/bench_app.py --json     # JSON (also written to artifacts/bench_app.json)

Cold start = from launching the server process to the first result card on screen, split into: server
healthy, query box visible (page drawn, index opened), first result (query embedded, searched, drawn).
Per-search = from pressing Enter to the new results on screen, for queries not asked before (no cache),
in each mode; a repeated query shows the cached path. First visit = from clicking a page in the navigation
(after the searches: the index is open, as a user finds it) to its title on screen and to the page settled
(nothing running).

    .venv/bin/python benchmarks/bench_app.py --before ../wt-base --pairs 3   # before/after, interleaved
    .venv/bin/python benchmarks/bench_app.py --before ../wt-base --before-without httptools,uvloop \
        --before-index ../index-before    # built by the before checkout when the parser version changed

With --before, the app of that checkout and this one start in turn (before, after, before, …) on the same
index, cold start and first visits only (after the first search), and the medians of each side are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import (  # noqa: E402 — shared helpers of the browser test
    VIEWPORT,
    free_port,
    launch,
    search,
    start_server,
    stop_server,
    wait_healthy,
)

FIRST = ("工业机器人集成应用", "工业机器人")
QUERIES = {
    "hybrid": ["链长制 总链长", "超高清视频显示产业", "industrial robots in electronics manufacturing",
               "县域特色产业集群 高质量发展", "加大资金保障", "半导体与集成电路", "人才引进政策",
               "new energy vehicles and batteries"],
    "keyword": ["生物医药", "激光与增材制造", "数字创意", "现代物流"],
    "phrase": ["培育发展战略性产业集群", "强链工程", "总链长"],
    "fuzzy": ["实施集群培育强核工程", "超高清视屏显示"],
}


PAGES = {"compare": "对照 Compare", "coverage": "覆盖 Coverage", "provincial": "省级视图 Provincial"}


def settle(page) -> None:
    """Wait until the app's script has finished (the app root says so; its status widget shows late, if at all)."""
    page.wait_for_timeout(100)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached",
                                                                                      timeout=120_000)


def first_visits(page) -> dict[str, dict[str, float]]:
    """Each page's first visit: click it in the navigation; seconds to its title and to nothing running."""
    out = {}
    for name, label in PAGES.items():
        t0 = time.perf_counter()
        page.get_by_role("link", name=label).first.click()
        page.get_by_role("heading", name=label).first.wait_for(state="visible", timeout=120_000)
        title = time.perf_counter() - t0
        settle(page)
        out[name] = {"title": round(title, 2), "settled": round(time.perf_counter() - t0, 2)}
    return out


def hiding(modules: tuple[str, ...]) -> str:
    """A folder that, first on PYTHONPATH, makes `import m` fail for each of `modules` (packages the checkout
    measured before did not install: its server then runs as it did, e.g. uvicorn without httptools)."""
    shim = Path(tempfile.mkdtemp(prefix="bench-hide-"))
    for name in modules:
        (shim / name).mkdir()
        (shim / name / "__init__.py").write_text(f"raise ImportError('{name} hidden by bench_app --before-without')\n")
    return str(shim)


def start_app(env: dict, port: int, log: Path, app_dir: Path, hide: tuple[str, ...] = ()) -> subprocess.Popen:
    """`streamlit run` of the app in app_dir (this checkout, or the one measured before)."""
    entry = "app.py" if (app_dir / "app.py").is_file() else "streamlit_app.py"  # app.py: the server that warms up
    cmd = [sys.executable, "-m", "streamlit", "run", entry, "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    path = os.pathsep.join([hiding(hide)] * bool(hide) + [str(app_dir)])
    return subprocess.Popen(cmd, cwd=app_dir, env={**env, "PYTHONPATH": path},
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115 — closed with it


MINIMAL_APP = 'import streamlit as st\nst.title("政策文件检索")\nst.text_input("查询 Query（中文或英文）")\n'
MINIMAL_SERVER = 'import streamlit as st\napp = st.App("streamlit_app.py")\n'


def streamlit_floor(repeat: int = 3) -> dict:
    """The part of the cold start that is Streamlit's own: a two-line app (a title and the same query box) launched
    and opened the same way, median of `repeat` starts: no project code runs before its box is visible."""
    from playwright.sync_api import sync_playwright

    app_dir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    (app_dir / "streamlit_app.py").write_text(MINIMAL_APP, encoding="utf-8")
    (app_dir / "app.py").write_text(MINIMAL_SERVER, encoding="utf-8")  # served as the product is
    runs: dict[str, list[float]] = {"server_healthy": [], "query_box_visible": []}
    with sync_playwright() as p:
        browser = launch(p)
        for _ in range(repeat):
            port = free_port()
            t0 = time.perf_counter()
            proc = start_app({**os.environ}, port, app_dir / "server.log", app_dir)
            try:
                wait_healthy(port, proc)
                runs["server_healthy"].append(time.perf_counter() - t0)
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_label("查询 Query（中文或英文）").wait_for(state="visible", timeout=60_000)
                runs["query_box_visible"].append(time.perf_counter() - t0)
                page.close()
            finally:
                stop_server(proc)
        browser.close()
    return {k: round(statistics.median(v), 2) for k, v in runs.items()}


def pick_mode(page, mode: str) -> None:
    label = {"hybrid": "智能 Smart", "keyword": "关键词 Keyword", "phrase": "短语 Phrase", "fuzzy": "模糊 Fuzzy"}[mode]
    page.get_by_text(label, exact=True).click()
    settle(page)


def run(index_dir: str | None, app_dir: Path = ROOT, searches: bool = True, hide: tuple[str, ...] = ()) -> dict:
    from playwright.sync_api import sync_playwright

    env = {**os.environ}
    env.pop("POLICY_EMBEDDER", None)
    if index_dir:
        env["POLICY_INDEX"] = index_dir
    env["POLICY_UPLOADS"] = tempfile.mkdtemp(prefix="bench-uploads-")
    out: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    log = ROOT / "artifacts" / "bench_app-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)  # started before the clock: the user's browser is already open
        port = free_port()
        t0 = time.perf_counter()
        proc = start_app(env, port, log, app_dir, hide) if app_dir != ROOT else start_server(env, port, log)
        try:
            wait_healthy(port, proc)
            t_health = time.perf_counter() - t0
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(120_000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_label("查询 Query（中文或英文）").wait_for(state="visible")
            t_box = time.perf_counter() - t0
            first = search(page, FIRST[0], FIRST[1], timeout_ms=120_000)
            t_first = time.perf_counter() - t0
            out["cold_start_s"] = {"server_healthy": round(t_health, 2), "query_box_visible": round(t_box, 2),
                                   "first_result": round(t_first, 2), "first_search_after_enter": round(first, 2)}
            per_mode: dict[str, list[float]] = {}
            for mode, queries in QUERIES.items() if searches else ():
                pick_mode(page, mode)
                per_mode[mode] = [round(search(page, q), 3) for q in queries]
            out["first_visit_s"] = first_visits(page)
            if not searches:
                return out
            page.get_by_role("link", name="检索 Search").first.click()
            page.get_by_label("查询 Query（中文或英文）").wait_for(state="visible")
            pick_mode(page, "hybrid")
            cached = [round(search(page, q), 3) for q in QUERIES["hybrid"][:3]]
            all_new = [t for ts in per_mode.values() for t in ts]
            out["per_search_s"] = {
                "median": round(statistics.median(all_new), 3),
                "p90": round(sorted(all_new)[max(0, int(0.9 * len(all_new)) - 1)], 3),
                "max": round(max(all_new), 3),
                "by_mode_median": {m: round(statistics.median(ts), 3) for m, ts in per_mode.items()},
                "samples": per_mode,
                "repeated_query_median": round(statistics.median(cached), 3),
            }
        finally:
            stop_server(proc)
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", default=os.environ.get("POLICY_INDEX"), help="index folder (default embeddings/)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--before", type=Path, help="a checkout of the code before: measured in turn with this one")
    ap.add_argument("--pairs", type=int, default=3, help="before/after pairs with --before")
    ap.add_argument("--before-index", type=Path, metavar="DIR",
                    help="the index the --before checkout opens (built by its own parser: two parser versions sharing "
                         "one index rebuild it in turn at every start)")
    ap.add_argument("--before-without", default="", metavar="MODULES",
                    help="comma-separated packages the --before checkout did not install, hidden from its server "
                         "(e.g. httptools,uvloop)")
    args = ap.parse_args(argv)
    if args.before:
        hide = tuple(m for m in args.before_without.split(",") if m)
        return compare(args.index_dir, args.before.resolve(), args.pairs, args.json, hide,
                       str(args.before_index) if args.before_index else None)
    res = run(args.index_dir)
    res["streamlit_floor_s"] = streamlit_floor()
    (ROOT / "artifacts" / "bench_app.json").write_text(json.dumps(res, ensure_ascii=False, indent=1),
                                                       encoding="utf-8")
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    c, s = res["cold_start_s"], res["per_search_s"]
    print(f"冷启动 cold start: 服务就绪 {c['server_healthy']} s · 查询框可用 {c['query_box_visible']} s · "
          f"首个结果 {c['first_result']} s（回车后 {c['first_search_after_enter']} s）")
    f = res["streamlit_floor_s"]
    print(f"  其中 Streamlit 本身 of which Streamlit's own (a two-line app): 服务就绪 {f['server_healthy']} s · "
          f"查询框可用 {f['query_box_visible']} s")
    print(f"每次检索 per search (Enter → results drawn): 中位数 {s['median']} s · p90 {s['p90']} s · "
          f"最长 {s['max']} s · 重复查询 {s['repeated_query_median']} s")
    print("  按模式 by mode: " + ", ".join(f"{m} {t} s" for m, t in s["by_mode_median"].items()))
    print("  首次打开 first visit (title / settled): " + ", ".join(
        f"{n} {v['title']} / {v['settled']} s" for n, v in res["first_visit_s"].items()))
    return 0


def compare(index_dir: str | None, before: Path, pairs: int, as_json: bool, hide: tuple[str, ...] = (),
            before_index: str | None = None) -> int:
    """Interleaved before/after runs (before first in each pair) and the median of each figure per side."""
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for _ in range(pairs):
        for side, app_dir in (("before", before), ("after", ROOT)):
            runs[side].append(run(before_index or index_dir if side == "before" else index_dir, app_dir,
                                  searches=False, hide=hide if side == "before" else ()))
    figures = {side: {**{k: [r["cold_start_s"][k] for r in rs] for k in ("query_box_visible", "first_result")},
                      **{f"{p} {w}": [r["first_visit_s"][p][w] for r in rs] for p in PAGES for w in ("title",
                                                                                                    "settled")}}
               for side, rs in runs.items()}
    res = {side: {k: {"median": round(statistics.median(v), 2), "runs": v} for k, v in f.items()}
           for side, f in figures.items()}
    (ROOT / "artifacts" / "bench_app_compare.json").write_text(json.dumps(res, ensure_ascii=False, indent=1),
                                                               encoding="utf-8")
    if as_json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    print(f"{pairs} 对交替运行的中位数 / medians of {pairs} interleaved pairs (seconds), before → after:")
    for k in figures["after"]:
        print(f"  {k:28} {res['before'][k]['median']:6} → {res['after'][k]['median']:6}   "
              f"(before {res['before'][k]['runs']}, after {res['after'][k]['runs']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
