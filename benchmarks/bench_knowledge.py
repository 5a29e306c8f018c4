"""Knowledge on versus off at equal budget: a thin wrapper of `hawk bench knowledge` (controller/bench_knowledge.py).

Usage: .venv/bin/python benchmarks/bench_knowledge.py [--tasks a,b] [--budget N] [--seeds 1,2,3] [--size full|test|F]
       [--llm-base-url URL --model M] [--json] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.bench_knowledge import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
