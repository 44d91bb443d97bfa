"""CLI command `serve`: the HTTP API with uvicorn, on 127.0.0.1 unless a token allows another address."""
from __future__ import annotations

import sys

from indexer import paths

# Host names accepted on a loopback address: a web page that rebinds its own domain name to 127.0.0.1 sends
# its domain as Host and is refused.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(sub) -> None:
    """Add this module's sub-commands to the parser."""
    p = sub.add_parser("serve", help="HTTP 接口 / serve the HTTP API (OpenAPI docs at /docs)")
    p.add_argument("--host", default="127.0.0.1",
                   help="监听地址 / address (default 127.0.0.1; any other needs POLICY_API_TOKEN)")
    p.add_argument("--port", type=int, default=8600, help="端口 / port (default 8600)")
    p.add_argument("--index-dir", default=str(paths.INDEX_DIR), help="索引目录 / index folder (env POLICY_INDEX)")
    p.add_argument("--uploads", default=str(paths.UPLOAD_DIR), help="上传目录 / upload folder (env POLICY_UPLOADS)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="URL",
                   help="允许跨域调用的网页来源 / web origin allowed by CORS (repeatable; default: CORS off)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from indexer.api.security import check_bind, is_loopback, token_from_env

    token = token_from_env()
    check_bind(args.host, token)  # refused before anything listens
    if not 0 < args.port < 65536:
        from indexer.errors import PolicyError

        raise PolicyError(f"端口无效 / invalid port {args.port}")
    import uvicorn

    from indexer.api.app import create_app

    hosts = (*LOOPBACK_HOSTS, args.host) if is_loopback(args.host) else None
    app = create_app(args.index_dir, args.uploads, token=token, cors_origins=args.cors_origin, allowed_hosts=hosts)
    where = f"http://{args.host}:{args.port}"
    print(f"HTTP 接口 / API: {where}/v1/  文档 / docs: {where}/docs"
          f"{'  （需要令牌 / token required）' if token else ''}", file=sys.stderr, flush=True)
    # h11 and asyncio, as measured and tested (httptools and uvloop are installed for the app's server)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False, http="h11",
                loop="asyncio")
    return 0
