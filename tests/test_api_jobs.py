"""The build job runner: one build at a time, at most one waiting (shared), progress readable, failures said."""
from __future__ import annotations

import sys
import threading

import pytest

from indexer.api.jobs import DONE, FAILED, QUEUED, RUNNING, BuildBusy, BuildJob, BuildJobs


class Report:
    def __init__(self, n):
        self.n = n

    def to_dict(self):
        return {"n": self.n}


def held_runner():
    """A build that reports progress, then waits to be released; counts how often it ran."""
    gate, entered, runs = threading.Event(), threading.Event(), []

    def build(progress):
        runs.append(1)
        progress("embed", 3, 10)
        entered.set()
        assert gate.wait(30)
        progress("write", 1, 1)
        return Report(len(runs))

    return build, gate, entered, runs


def test_one_build_at_a_time_and_requests_behind_it_share_one_waiting_job():
    build, gate, entered, runs = held_runner()
    jobs = BuildJobs(build)
    first = jobs.start()
    assert entered.wait(10)
    now = jobs.get(first.job_id)
    assert now.state == RUNNING and (now.stage, now.done, now.total) == ("embed", 3, 10)
    assert 0.05 < now.progress < 0.95
    with pytest.raises(BuildBusy, match=first.job_id):
        jobs.start()
    a, b = jobs.start("upload", queue=True), jobs.start("remove", queue=True)
    assert a.job_id == b.job_id != first.job_id and a.state == QUEUED and a.reason == "upload"
    with pytest.raises(BuildBusy):
        jobs.start()
    gate.set()
    assert jobs.wait(first.job_id).report == {"n": 1}
    done = jobs.wait(a.job_id)
    assert done.state == DONE and done.progress == 1.0 and done.report == {"n": 2} and len(runs) == 2
    assert [j.job_id for j in jobs.jobs()] == [a.job_id, first.job_id] and jobs.current() is None


def test_a_failing_build_fails_its_job_with_one_line_and_the_runner_goes_on():
    calls = []

    def build(progress):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first line\nsecond line")
        return Report(2)

    jobs = BuildJobs(build)
    bad = jobs.wait(jobs.start().job_id)
    assert bad.state == FAILED and bad.error == "first line" and bad.report is None and bad.finished
    assert jobs.wait(jobs.start().job_id).state == DONE


@pytest.mark.parametrize("state, stage, done, total, expected", [
    (QUEUED, "", 0, 0, 0.0), (RUNNING, "read", 5, 5, 0.05), (RUNNING, "embed", 0, 100, 0.05),
    (RUNNING, "embed", 50, 100, 0.5), (RUNNING, "embed", 100, 100, 0.95), (RUNNING, "write", 1, 1, 1.0),
    (DONE, "write", 1, 1, 1.0), (FAILED, "embed", 10, 100, 0.14),
])
def test_progress_weighs_the_embedding_stage(state, stage, done, total, expected):
    job = BuildJob("1-x", "build", state=state, stage=stage, done=done, total=total)
    assert job.progress == pytest.approx(expected)
    assert job.to_dict()["stage_label"] in ("", "读取文件", "计算向量", "写入索引")


def test_finished_jobs_are_forgotten_beyond_the_keep_limit(monkeypatch):
    monkeypatch.setattr(sys.modules["indexer.api.jobs"], "KEEP", 3)
    jobs = BuildJobs(lambda progress: Report(0))
    ids = []
    for _ in range(6):
        ids.append(jobs.start().job_id)
        jobs.wait(ids[-1])
    assert [j.job_id for j in jobs.jobs()][:3] == ids[::-1][:3] and len(jobs.jobs()) <= 4
    with pytest.raises(Exception, match="no job"):
        jobs.get(ids[0])


def test_the_job_runner_imports_no_web_framework():
    import subprocess

    code = "import sys, indexer.api.jobs; print('fastapi' in sys.modules, 'starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
