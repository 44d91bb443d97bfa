"""A real Milvus server process for tests: `milvus-lite server` on a free port, optionally behind a gate.

    python -m tests.milvus_server --data-dir DIR --port PORT [--token T] [--no-aliases]

runs milvus-lite 3's gRPC server in this process with a grpc interceptor that refuses a wrong token
(UNAUTHENTICATED, as a Milvus server with authorization on) and, with --no-aliases, answers every alias call
with UNIMPLEMENTED and no details, exactly as milvus-lite 2.5's server does. `MilvusServer` starts one as a
child process and waits until it answers.
"""
from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_WAIT = 120.0  # seconds for the server to answer (a loaded 2-core machine imports slowly)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_kind() -> str:
    """"3" when milvus-lite 3 (the `milvus-lite server` command) is installed, else "" (none, or 2.5)."""
    try:
        from importlib.metadata import version
        return "3" if int(version("milvus-lite").split(".")[0]) >= 3 else ""
    except Exception:  # noqa: BLE001 - not installed
        return ""


class MilvusServer:
    """A `milvus-lite server` child process on 127.0.0.1 and a free port; `uri` is its http:// address."""

    def __init__(self, data_dir: Path, token: str = "", aliases: bool = True):
        self.data_dir, self.token, self.aliases = Path(data_dir), token, aliases
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> MilvusServer:
        cmd = [sys.executable, "-m", "tests.milvus_server", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        if self.token:
            cmd += ["--token", self.token]
        if not self.aliases:
            cmd.append("--no-aliases")
        self.log = open(self.data_dir.parent / f"milvus-server-{self.port}.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                         [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
        end = time.monotonic() + START_WAIT
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited {self.proc.returncode}: {self.read_log()[-2000:]}")
            if "listening" in self.read_log():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"milvus-lite server did not start in {START_WAIT:.0f} s: {self.read_log()[-2000:]}")

    def read_log(self) -> str:
        return (self.data_dir.parent / f"milvus-server-{self.port}.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # drains and closes the data directory
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()

    def __enter__(self) -> MilvusServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _gate(token: str, no_aliases: bool):
    import grpc

    expected = base64.b64encode(token.encode()).decode() if token else ""

    def refuse(code, details: str):
        def handler(request, context):
            context.abort(code, details)
        return grpc.unary_unary_rpc_method_handler(handler)

    class Gate(grpc.ServerInterceptor):
        def intercept_service(self, continuation, details):
            method = details.method.rsplit("/", 1)[-1]
            if no_aliases and "Alias" in method:
                return refuse(grpc.StatusCode.UNIMPLEMENTED, "")
            if expected and dict(details.invocation_metadata).get("authorization") != expected:
                return refuse(grpc.StatusCode.UNAUTHENTICATED, "user hasn't authenticated")
            return continuation(details)

    return Gate()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--no-aliases", action="store_true")
    args = ap.parse_args()
    import grpc
    from milvus_lite.adapter.grpc import server

    plain = grpc.server

    def gated(*a, **kw):
        return plain(*a, **{**kw, "interceptors": [_gate(args.token, args.no_aliases)]})

    server.grpc.server = gated
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM too closes the data directory
    sys.stdout.reconfigure(line_buffering=True)
    server.run_server(args.data_dir, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
