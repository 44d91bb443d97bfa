"""What every command prints with --json: the answer as indented UTF-8 JSON on stdout."""
from __future__ import annotations

import json
import sys


def print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
