"""Redline: character diff invariants, rendering, real clause pairs."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.compare.redline import DELETE, EQUAL, INSERT, new_text, old_text, redline, to_html, to_text
from tests.align_fixtures import CHAOZHOU, PROVINCE, clause

CJK = st.text(alphabet=st.sampled_from(list("市场主导政府引导，。、创新（一）ab<>&\n ")), max_size=60)


@given(CJK, CJK)
def test_ops_rebuild_both_sides(a, b):
    ops = redline(a, b)
    assert old_text(ops) == a
    assert new_text(ops) == b
    assert all(o.text for o in ops)
    assert {o.op for o in ops} <= {EQUAL, INSERT, DELETE}


@given(CJK)
def test_identical_texts_are_one_equal_run(a):
    ops = redline(a, a)
    assert all(o.op == EQUAL for o in ops)
    assert "".join(o.text for o in ops) == a


def test_replacement_reads_as_delete_then_insert():
    ops = redline("创新引领，重点突破", "创新引领，质量为先")
    assert [(o.op, o.text) for o in ops] == [(EQUAL, "创新引领，"), (DELETE, "重点突破"), (INSERT, "质量为先")]
    assert to_text(ops) == "创新引领，[-重点突破-]{+质量为先+}"


def test_html_is_escaped():
    html = to_html(redline("a<b>&c", "a<b>&d"))
    assert "<b>" not in html and "&lt;b&gt;&amp;" in html
    assert "<del>c</del><ins>d</ins>" in html


def test_real_pair_renumbered_principle():
    a = clause(CHAOZHOU, "2.1").text  # （一）市场主导，政府引导。…
    b = clause(PROVINCE, "2.2-p1").text  # 市场主导，政府引导。…
    ops = redline(a, b)
    assert ops[0].op == DELETE and ops[0].text.startswith("（一）")
    assert sum(len(o.text) for o in ops if o.op == EQUAL) >= 0.9 * len(b.strip())


def test_width_variants_are_not_edits_when_asked():
    old = "推广新能源及智能网联汽车，建设充电设施（含换电站）；"
    new = "推广新能源及智能网联汽车,建设充电桩(含换电站);"
    plain = redline(old, new)
    assert sum(o.op != EQUAL for o in plain) > 2  # every comma and bracket shows as a change
    folded = redline(old, new, ignore_width=True)
    assert [(o.op, o.text) for o in folded if o.op != EQUAL] == [(DELETE, "设施"), (INSERT, "桩")]
    assert old_text(folded) == old
