"""benchmarks/calibrate_add.py rewrites only the Add ladder's part of docs/calibration.md: other ladders' parts
(the matmul ladder) survive a rerun."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("calibrate_add", REPO / "benchmarks" / "calibrate_add.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rerun_replaces_only_its_own_section(tmp_path: Path) -> None:
    mod = _module()
    page = tmp_path / "calibration.md"
    mod.write_section(page, "# Add v1\n")
    page.write_text("intro\n" + page.read_text() + "\n# Matmul ladder\nkept\n")
    mod.write_section(page, "# Add v2\n")
    text = page.read_text()
    assert "Add v2" in text and "Add v1" not in text
    assert text.startswith("intro\n") and text.endswith("# Matmul ladder\nkept\n")
    assert "calibrate_add.py: begin" in (REPO / "docs" / "calibration.md").read_text()


def test_a_page_from_before_the_markers_keeps_the_other_sections(tmp_path: Path) -> None:
    mod = _module()
    page = tmp_path / "calibration.md"
    page.write_text("# Add (old, unmarked)\nrows\n\n<!-- matmul-ladder:begin -->\n# Matmul\n<!-- matmul-ladder:end -->\nfit\n")
    mod.write_section(page, "# Add new\n")
    text = page.read_text()
    assert "Add (old" not in text and "# Add new" in text
    assert text.endswith("<!-- matmul-ladder:begin -->\n# Matmul\n<!-- matmul-ladder:end -->\nfit\n")
