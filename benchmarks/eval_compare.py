"""Comparison on a real library, against the labelled sets in benchmarks/compare_dev/, beside naive baselines.

    .venv/bin/python benchmarks/eval_compare.py [answering] [lists] [--split heldout|tune|all]

answering: which documents answer a reference, on ../shared/library (410 Zhejiang regulations, 355 national
laws, 683 administrative regulations) plus the shipped corpus and ../shared/external; precision and recall
of the product (`answering.answering_documents`) beside two naive rules: "same title subject" and "cites the
reference's title anywhere". Documents the set marks `ignore` (grey cases) count neither way.

lists: pasted city lists against Guangdong's 20 clusters through `library.coverage_between` (the coverage
page's path, the default embedder); per name, whether it lands on a right item or, without a counterpart,
comes out a local addition; per reference item, whether covered/missing is right; the false-positive rate
on names without a counterpart. Baseline: character overlap of the names (best item by bigram overlap,
counted when any bigram is shared).

The script only calls functions that also existed before this round, so it runs unchanged on an older
checkout (copy it there) for a before/after figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import library  # noqa: E402
from indexer.ingest.corpus import load_folders  # noqa: E402
from indexer.ingest.lists import pick_list  # noqa: E402

DEV = Path(__file__).parent / "compare_dev"
SHARED = ROOT.parent / "shared"
FOLDERS = [ROOT / "corpus", SHARED / "external", SHARED / "library" / "zhejiang",
           SHARED / "library" / "national" / "laws", SHARED / "library" / "national" / "administrative-regulations"]


def _bigrams(s: str) -> set[str]:
    return {s[k:k + 2] for k in range(len(s) - 1)}


def _prf(tp: int, fp: int, fn: int) -> str:
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return f"P={p:.3f} R={r:.3f} F1={2 * p * r / max(1e-9, p + r):.3f} (tp={tp} fp={fp} fn={fn})"


def answering(split: str) -> None:
    from indexer.compare.answering import answering_documents, same_subject

    t0 = time.perf_counter()
    docs = load_folders(FOLDERS, errors=[])
    print(f"library: {len(docs)} documents read in {time.perf_counter() - t0:.0f} s")
    gold = json.loads((DEV / "answering.json").read_text(encoding="utf-8"))["references"]
    by_file = {Path(d.path).name: d for d in docs}

    def cites_title(ref, d) -> bool:
        t = (ref.meta.title or "").removeprefix("中华人民共和国")
        return len(t) >= 4 and (f"《{t}》" in d.text or f"《中华人民共和国{t}》" in d.text)

    rules = {"product": None,
             "baseline: same title subject": lambda ref, d: same_subject(ref, d),
             "baseline: cites its title anywhere": cites_title}
    for part in (["tune", "heldout"] if split == "all" else [split]):
        refs = [g for g in gold if g["split"] == part]
        print(f"\n== {part}: {len(refs)} references, {sum(len(g['answers']) for g in refs)} gold answers")
        for name, rule in rules.items():
            tp = fp = fn = 0
            empty_fp = 0
            t0 = time.perf_counter()
            for g in refs:
                ref = by_file[g["reference"]]
                want = {by_file[a["doc"]].doc_id for a in g["answers"]}
                grey = {by_file[x["doc"]].doc_id for x in g.get("ignore", []) if x["doc"] in by_file}
                if rule is None:
                    got = {d.doc_id for d, _ in answering_documents(docs, ref)}
                else:
                    got = {d.doc_id for d in docs if d.doc_id != ref.doc_id and rule(ref, d)}
                got -= grey
                tp += len(got & want)
                fp += len(got - want)
                fn += len(want - got)
                empty_fp += (not want) and len(got)
            print(f"  {name:36} {_prf(tp, fp, fn)}  false answers on empty references: {empty_fp}"
                  f"  ({time.perf_counter() - t0:.1f} s)")


def lists(split: str) -> None:
    from indexer.compare.coverage import core_name

    docs = load_folders([ROOT / "corpus"], errors=[])
    data = json.loads((DEV / "lists.json").read_text(encoding="utf-8"))
    ref_list = pick_list(library.find(docs, data["reference"]))
    ref_names = [it.name for it in ref_list.items]
    for part in (["tune", "heldout"] if split == "all" else [split]):
        chosen = [x for x in data["lists"] if x["split"] == part]
        print(f"\n== {part}: {len(chosen)} lists, {sum(len(x['items']) for x in chosen)} names")
        for method in ("product", "baseline: name character overlap"):
            name_ok = names = none_fp = none_n = cell_ok = cells = some_fn = some_n = 0
            pair_tp = pair_fp = pair_fn = 0
            t0 = time.perf_counter()
            for x in chosen:
                gold = x["items"]
                names_in = list(gold)
                if method == "product":
                    cov = library.coverage_between(docs, data["reference"], items=names_in).result
                    took = {t.name: ({t.best} | {m.name for m in t.also}) if t.best else set()
                            for t in cov.target_items}
                    covered = {r.name for r in cov.reference_items if r.status == "covered"}
                else:
                    took = {}
                    for n in names_in:
                        g = _bigrams(core_name(n))
                        score = {r: len(g & _bigrams(core_name(r))) / max(1, len(g | _bigrams(core_name(r))))
                                 for r in ref_names}
                        best = max(score, key=score.get)
                        took[n] = {best} if score[best] > 0 else set()
                    covered = set().union(*took.values()) if took else set()
                for n, want in gold.items():
                    got = took.get(n, set())
                    names += 1
                    if want:
                        name_ok += bool(got) and bool(got & set(want))
                        some_n += 1
                        some_fn += not got
                    else:
                        none_n += 1
                        none_fp += bool(got)
                        name_ok += not got
                    pair_tp += len(got & set(want))
                    pair_fp += len(got - set(want))
                    pair_fn += len(set(want) - got)
                want_cov = {r for w in gold.values() for r in w}
                cells += len(ref_names)
                cell_ok += sum((r in covered) == (r in want_cov) for r in ref_names)
            print(f"  {method:34} names right {name_ok}/{names} ({name_ok / max(1, names):.3f}); "
                  f"item cells right {cell_ok}/{cells} ({cell_ok / max(1, cells):.3f}); "
                  f"no-counterpart names taken as covering {none_fp}/{none_n} "
                  f"(1 in {none_n / none_fp if none_fp else float('inf'):.1f}); names with a counterpart left "
                  f"without one {some_fn}/{some_n}; pairs {_prf(pair_tp, pair_fp, pair_fn)}"
                  f"  ({time.perf_counter() - t0:.1f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="*", help="answering, lists (default both)")
    ap.add_argument("--split", default="all", choices=["tune", "heldout", "all"])
    args = ap.parse_args()
    for what in args.what or ["answering", "lists"]:
        {"answering": answering, "lists": lists}[what](args.split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
