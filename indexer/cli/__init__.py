"""Command-line interface: `python -m indexer COMMAND …`; each command module registers its own sub-commands."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from indexer.cli.output import print_json  # noqa: F401 — the commands' JSON output
from indexer.errors import PolicyError

COMMAND_MODULES = ("indexer.cli.ingest", "indexer.cli.search", "indexer.cli.align", "indexer.cli.provincial", "indexer.cli.serve",
                   "indexer.cli.review")




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m indexer",
        description="政策文件语义检索与比对 / Policy-document search and comparison",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def checked_arguments(args: argparse.Namespace) -> None:
    """Every text argument through limits.check_text: bytes that are not UTF-8 arrive as lone surrogates
    (surrogateescape) and would fail mid-search, or in the middle of printing an answer."""
    from indexer.limits import check_text

    for name, value in vars(args).items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if isinstance(v, str):
                check_text(v, name.replace("_", "-"))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        checked_arguments(args)
        return int(args.func(args) or 0)
    except PolicyError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # missing file, permission denied, disk full …
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"错误 / error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 — one line for the user; POLICY_DEBUG=1 shows the traceback
        if os.environ.get("POLICY_DEBUG"):
            raise
        print(f"内部错误 / internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
