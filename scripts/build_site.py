"""Build the course's reading site from the committed notebooks (what `make site` runs).

    python scripts/build_site.py [OUTDIR]     # default: build/site

Sphinx with MyST-NB and the Sphinx Book Theme (pinned in requirements-site.txt), configured in
site/conf.py. The notebooks are NOT executed: the site shows their committed outputs. Nothing is
downloaded. Any Sphinx warning (a broken link, a missing image, ...) fails the build. OUTDIR is
emptied first; Sphinx's doctrees go beside it (OUTDIR-doctrees), so OUTDIR holds only the site.
Exit status: Sphinx's (0 when the site was built without a warning).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        print("error: Sphinx is not installed here; `make site` installs requirements-site.txt",
              file=sys.stderr)
        return 1
    out = Path(argv[0]).resolve() if argv else REPO / "build" / "site"
    doctrees = out.with_name(out.name + "-doctrees")
    for folder in (out, doctrees):
        shutil.rmtree(folder, ignore_errors=True)
    status = build_main(["-b", "html", "-c", str(REPO / "site"), "-d", str(doctrees),
                         "-W", "--keep-going", "-q", str(REPO), str(out)])
    if status == 0:
        print(f"site built: {out / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
