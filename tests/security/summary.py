"""Print the security suite's summary (the JSON file the suite's conftest writes) and judge it.

    python -m tests.security.summary [build/security-summary.json]

Exits 1 when a case failed or escaped, or a record was lost or duplicated; 2 when there is no summary (the
suite did not run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUMMARY_ENV = "HAWK_SECURITY_SUMMARY"
DEFAULT_SUMMARY = Path(__file__).resolve().parents[2] / "build" / "security-summary.json"


def format_summary(s: dict) -> str:
    lines = [
        "== security and chaos suite ==",
        f"cases run {s['cases_run']}, survived {s['survived']}, escaped {s['escaped']}, failed {s['failed']}, "
        f"skipped {s['skipped']}",
        f"records lost {s['records_lost']}, records duplicated {s['records_duplicated']}  "
        f"({s['seconds']} s)",
    ]
    for case, evidence in s["escapes"].items():
        lines.append(f"ESCAPED {case}: {'; '.join(evidence)[:300]}")
    for case in s["failed_cases"]:
        if case not in s["escapes"]:
            lines.append(f"FAILED  {case}")
    return "\n".join(lines)


def verdict(s: dict) -> int:
    return 1 if s["escaped"] or s["failed"] or s["records_lost"] or s["records_duplicated"] else 0


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_SUMMARY
    try:
        s = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        print(f"security summary: error: no summary at {path}: {e}", file=sys.stderr)
        return 2
    print(format_summary(s))
    return verdict(s)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
