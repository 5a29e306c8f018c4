"""Screenshot a campaign's HTML report in headless Chromium (how docs/report.png is made).

    hawk campaign report ID --store results.sqlite --html report.html
    .venv/bin/python scripts/report_screenshot.py report.html docs/report.png --width 1366 --open-kernel 1

The PNG is the whole page at the given window width; --open-kernel N opens the N-th task's best-kernel panel so
the diff shows. Colours are reduced to a palette (Pillow, which matplotlib brings) to keep the file small.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.chromium import Chromium  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("html", type=Path)
    p.add_argument("png", type=Path)
    p.add_argument("--width", type=int, default=1366)
    p.add_argument("--height", type=int, default=768)
    p.add_argument("--open-kernel", type=int, default=0, metavar="N", help="open the N-th best-kernel panel")
    p.add_argument("--sections", default="", help="only these sections (ids, comma-separated, e.g. errors,spend)")
    args = p.parse_args()
    if not args.html.is_file():
        raise SystemExit(f"report_screenshot: no report at {args.html}")
    with Chromium() as browser:
        browser.viewport(args.width, args.height)
        browser.open(args.html.resolve().as_uri())
        if browser.problems():
            raise SystemExit(f"report_screenshot: the page reported errors: {browser.problems()}")
        if args.open_kernel:
            browser.eval(f"document.querySelectorAll('details.kernel')[{args.open_kernel - 1}].open = true")
        if args.sections:
            keep = [s for s in args.sections.split(",") if s]
            browser.eval(f"const keep = {keep!r}; document.querySelectorAll('main > section, nav').forEach(s => "
                         "{ if (!keep.includes(s.id)) s.style.display = 'none'; })")
        browser.screenshot(args.png)
    from PIL import Image

    with Image.open(args.png) as img:
        img.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(args.png, optimize=True)
    print(f"{args.png}: {args.png.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
