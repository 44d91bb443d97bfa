"""Upper-law review against the labelled set in benchmarks/review_dev, beside naive baselines measured in the same run.

Prints, for each split (tune, and the held-out rounds heldout, heldout2, heldout3, heldout4): upper-law basis top-1 / top-5
accuracy (review vs best character overlap among all upper articles); per difference kind, precision and recall
(review vs string comparison); duties not taken up; the seconds to review a ~60-article city regulation against the
library's upper layer; and at the end the same figures as one table with a column per split.

    python benchmarks/eval_review.py [--library ../shared/library] [--cache /tmp/library.pkl]
"""
from __future__ import annotations

import argparse
import json
import pickle
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.compare.align import normalize  # noqa: E402
from indexer.compare.review import CLOSE, _duty_findings  # noqa: E402
from indexer.compare.review_basis import (  # noqa: E402
    SUBJECT,
    Candidate,
    article_basis,
    article_units,
    candidates,
    doc_level,
    is_above,
    upper_layer,
)
from indexer.compare.review_diff import MODALITY, NUMBERS, POWERS, pair_differences  # noqa: E402
from indexer.compare.review_powers import power_differences  # noqa: E402

DEV = ROOT / "benchmarks" / "review_dev"
FOLDERS = ("national/laws", "national/administrative-regulations", "zhejiang")
SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "tune")  # heldout2–4: each labelled after the one before was measured (README)


def load(library: Path, cache: Path | None):
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from indexer.ingest.corpus import load_folders

    docs = load_folders([library / f for f in FOLDERS], errors=[])
    if cache:
        cache.write_bytes(pickle.dumps(docs))
    return docs


def article(docs_by_id, doc_id: str, marker: str):
    return next(a for a in article_units(docs_by_id[doc_id]) if a.marker == marker)


# ---------------------------------------------------------------- basis

def eval_basis(docs, by_id, items) -> dict:
    from rapidfuzz import fuzz, process

    layer = upper_layer(docs)
    out = {s: {"n": 0, "top1": 0, "top5": 0, "base1": 0, "base5": 0} for s in SPLITS}
    for it in items:
        local = by_id[it["local_doc"]]
        gold = {(b["doc"], b["article"]) for b in it["basis"]}
        la = article(by_id, it["local_doc"], it["local_article"])
        cands, _ = candidates(layer, local)
        got = [(b.article.doc_id, b.article.marker) for b in article_basis(layer, [la], cands)[0]]
        pool = [a for a in layer.articles if is_above(by_id[a.doc_id], local)]
        best = process.extract(normalize(la.text), [normalize(a.text) for a in pool], scorer=fuzz.ratio, limit=5)
        base = [(pool[k].doc_id, pool[k].marker) for _, _, k in best]
        r = out[it["split"]]
        r["n"] += 1
        r["top1"] += bool(got[:1] and got[0] in gold)
        r["top5"] += bool(gold & set(got[:5]))
        r["base1"] += bool(base[:1] and base[0] in gold)
        r["base5"] += bool(gold & set(base[:5]))
    return out


# ---------------------------------------------------------------- differences

_NUM_TOKEN = re.compile(r"(?:百分之|千分之)?[0-9零〇一二两三四五六七八九十百千万亿点./]+(?:个)?(?:元|日|天|工作日|月|年|小时|倍|%|周岁|"
                        r"毫升|分之[一二三四五六七八九十]+)?")
_MODAL_WORDS = re.compile(r"应当|必须|可以|不得|禁止|严禁")
_POWER_WORDS = re.compile(r"罚款|没收|吊销|通报批评|警告|许可|批准|审批|核准|查封|扣押|强制|代为|收费|收取")


def system_kinds(local: str, upper: str, layer) -> set[str]:
    wording = float((layer.vectors([local]) @ layer.vectors([upper]).T).todense()[0, 0])
    kinds = {d.kind for d in pair_differences(local, upper, close=wording >= CLOSE)}
    if power_differences(local, [upper]):
        kinds.add(POWERS)
    return kinds


def baseline_kinds(local: str, upper: str) -> set[str]:
    """String comparison: a kind differs when the local text holds a token of it the upper text lacks."""
    kinds = set()
    for kind, rx in ((NUMBERS, _NUM_TOKEN), (MODALITY, _MODAL_WORDS), (POWERS, _POWER_WORDS)):
        mine = {t for t in rx.findall(local) if t}
        theirs = {t for t in rx.findall(upper) if t}
        if kind == NUMBERS:
            mine = {t for t in mine if re.search(r"[0-9一二两三四五六七八九十百千]", t) and len(t) > 1}
            theirs = {t for t in theirs if re.search(r"[0-9一二两三四五六七八九十百千]", t) and len(t) > 1}
        if mine != theirs if kind != POWERS else bool(mine - theirs):
            kinds.add(kind)
    return kinds


def eval_pairs(by_id, layer, pairs) -> dict:
    out = {s: {k: {"sys": [0, 0, 0], "base": [0, 0, 0]} for k in (NUMBERS, MODALITY, POWERS)} for s in SPLITS}
    for p in pairs:
        local = article(by_id, p["local_doc"], p["local_article"]).text
        upper = article(by_id, p["upper_doc"], p["upper_article"]).text
        gold = set(p["kinds"])
        for name, got in (("sys", system_kinds(local, upper, layer)), ("base", baseline_kinds(local, upper))):
            for k in (NUMBERS, MODALITY, POWERS):
                tp_fp_fn = out[p["split"]][k][name]
                tp_fp_fn[0] += k in got and k in gold
                tp_fp_fn[1] += k in got and k not in gold
                tp_fp_fn[2] += k not in got and k in gold
    return out


def eval_duties(by_id, layer, items) -> dict:
    from rapidfuzz import fuzz

    out = {s: {"sys": [0, 0, 0], "base": [0, 0, 0]} for s in SPLITS}
    for it in items:
        local, upper = by_id[it["local_doc"]], by_id[it["upper_doc"]]
        arts = article_units(local)
        found = _duty_findings(layer, arts, [Candidate(upper, (SUBJECT,), 0.0)], doc_level(local))
        sys_missing = any(f.upper and f.upper.marker == it["upper_article"] for f in found)
        ua = article(by_id, it["upper_doc"], it["upper_article"]).text
        base_missing = max(fuzz.partial_ratio(normalize(ua), normalize(a.text)) for a in arts) < 50
        gold = not it["taken_up"]
        for name, got in (("sys", sys_missing), ("base", base_missing)):
            c = out[it["split"]][name]
            c[0] += got and gold
            c[1] += got and not gold
            c[2] += (not got) and gold
    return out


def eval_duty_sources(by_id, layer, items) -> dict:
    """Per split: of the labelled duties' (local, upper) document pairs, how many the review takes duties from, with
    its rule (review.duty_sources) and with the rule before it (same-subject titles first, else one named basis)."""
    from indexer.compare.review import MAX_DUTY_DOCS, duty_sources
    from indexer.compare.review_basis import DOC_BASIS, candidates

    def before(cands):
        return ([c for c in cands if SUBJECT in c.reasons][:MAX_DUTY_DOCS]
                or [c for c in cands if DOC_BASIS in c.reasons][:1])

    out = {s: {"now": 0, "before": 0, "n": 0, "extra_now": 0, "extra_before": 0} for s in SPLITS}
    for (local_id, upper_id), split in {(it["local_doc"], it["upper_doc"]): it["split"] for it in items}.items():
        cands, _ = candidates(layer, by_id[local_id])
        c = out[split]
        c["n"] += 1
        for name, chosen in (("now", duty_sources(cands)), ("before", before(cands))):
            ids = [x.doc.doc_id for x in chosen]
            c[name] += upper_id in ids
            c["extra_" + name] += len([i for i in ids if i != upper_id])
    return out


# ---------------------------------------------------------------- speed

def speed(docs) -> list[tuple[str, int, float, float, float]]:
    """Seconds to review the regulations nearest 60 and 100 articles: with the upper layer fitted from scratch, read
    back from its disk cache (a new process), and already in memory (the API's and the app's later requests)."""
    import os
    import tempfile

    from indexer.compare.review import review_document
    from indexer.compare.review_basis import _LAYERS

    local_docs = [d for d in docs if d.meta.level in ("city", "province")]
    out = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["POLICY_REVIEW_CACHE"] = cache
        for size in (60, 100):
            local = min(local_docs, key=lambda d: abs(len(article_units(d)) - size))
            times = []
            for keep in (False, False, True):
                if not keep:
                    _LAYERS.clear()
                t0 = time.perf_counter()
                review_document(docs, local)
                times.append(time.perf_counter() - t0)
            out.append((local.meta.title, len(article_units(local)), *times))
            for f in Path(cache).iterdir():  # the 100-article run fits from scratch too
                shutil.rmtree(f, ignore_errors=True)
    os.environ.pop("POLICY_REVIEW_CACHE", None)
    return out


def pr(c) -> str:
    tp, fp, fn = c
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"P {p:.2f} R {r:.2f} ({tp}/{tp + fp}/{tp + fn})"


def short(c) -> str:
    tp, fp, fn = c
    p = f"{tp / (tp + fp):.2f}" if tp + fp else " -  "
    r = f"{tp / (tp + fn):.2f}" if tp + fn else " -  "
    return f"{p}/{r}"


def table(splits, basis, pairs, duties) -> None:
    """One column per split: precision/recall (review, then baseline) per kind, and basis top-1/top-5."""
    print("\n" + f"{'P/R':22}" + "".join(f"{s:>13}" for s in splits))
    for name, label in (("sys", "review"), ("base", "baseline")):
        for k in (NUMBERS, MODALITY, POWERS):
            print(f"{k + ' ' + label:22}" + "".join(f"{short(pairs[s][k][name]):>13}" for s in splits))
        print(f"{'duties ' + label:22}" + "".join(f"{short(duties[s][name]):>13}" for s in splits))
    for name, label in (("top", "review"), ("base", "baseline")):
        cells = [f"{basis[s][name + '1'] / basis[s]['n']:.2f}/{basis[s][name + '5'] / basis[s]['n']:.2f}"
                 if basis[s]["n"] else "-" for s in splits]
        print(f"{'basis top1/5 ' + label:22}" + "".join(f"{c:>13}" for c in cells))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=Path, default=ROOT.parent / "shared" / "library")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the loaded library (made on first run)")
    ap.add_argument("--split", choices=SPLITS, action="append", help="print only this half (tune while tuning)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed benchmark")
    args = ap.parse_args()
    t0 = time.perf_counter()
    docs = load(args.library, args.cache)
    print(f"library: {len(docs)} documents ({time.perf_counter() - t0:.0f} s)")
    by_id = {d.doc_id: d for d in docs}
    timings = [] if args.no_speed else speed(docs)
    layer = upper_layer(docs)
    basis = eval_basis(docs, by_id, json.loads((DEV / "basis.json").read_text(encoding="utf-8")))
    pairs = eval_pairs(by_id, layer, json.loads((DEV / "pairs.json").read_text(encoding="utf-8")))
    duties = eval_duties(by_id, layer, json.loads((DEV / "duties.json").read_text(encoding="utf-8")))
    for s in args.split or SPLITS:
        b = basis[s]
        print(f"\n== {s} ==")
        if b["n"]:
            print(f"basis ({b['n']} articles): review top-1 {b['top1'] / b['n']:.2f} top-5 {b['top5'] / b['n']:.2f} | "
                  f"baseline (best character overlap) top-1 {b['base1'] / b['n']:.2f} top-5 {b['base5'] / b['n']:.2f}")
        for k, c in pairs[s].items():
            print(f"{k:9} review {pr(c['sys'])} | baseline (string comparison) {pr(c['base'])}")
        print(f"{'duties':9} review {pr(duties[s]['sys'])} | baseline (no article overlaps it) {pr(duties[s]['base'])}")
    sources = eval_duty_sources(by_id, layer, json.loads((DEV / "duties.json").read_text(encoding="utf-8")))
    print("\nduty sources (the labelled duty's upper document among those duties are taken from; other documents):")
    for s, c in sources.items():
        if c["n"]:
            print(f"  {s:9} now {c['now']}/{c['n']} (+{c['extra_now']} others) | before {c['before']}/{c['n']} "
                  f"(+{c['extra_before']} others)")
    print("\n(P/R as: true positives / predicted / gold)")
    table(args.split or SPLITS, basis, pairs, duties)
    for title, n, fit, disk, warm in timings:
        print(f"speed: 《{title}》 {n} articles against {len(layer.docs)} upper documents: {fit:.1f} s fitting the upper "
              f"layer, {disk:.1f} s reading it from its disk cache, {warm:.2f} s with it in memory")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
