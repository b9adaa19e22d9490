"""Write tests/durations.json, each test file's (and notebook's) measured seconds, from a JUnit
XML report of a whole `make test` run. make test's two pytest processes take the files in this
order, longest first (tests/conftest.py), so that no long file is left running alone at the end;
a missing or stale entry only makes that order less good, never a test wrong.

    .venv/bin/python -m pytest ... --junitxml=build/junit.xml   # the make test command, plus this
    .venv/bin/python scripts/test_durations.py build/junit.xml
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "durations.json"


def file_of(classname: str) -> str:
    """A JUnit classname as the file it names: tests.test_x -> tests/test_x.py,
    notebooks.01_a.ipynb -> notebooks/01_a.ipynb."""
    parts = classname.split(".")
    if parts[-1] == "ipynb":
        return "/".join(parts[:-2] + [f"{parts[-2]}.ipynb"])
    return "/".join(parts) + ".py"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print(f"usage: {Path(__file__).name} JUNIT_XML (a report of the whole test run)",
              file=sys.stderr)
        return 2
    seconds: Counter[str] = Counter()
    for case in ET.parse(argv[0]).iter("testcase"):
        seconds[file_of(case.get("classname", ""))] += float(case.get("time") or 0.0)
    OUT.write_text(json.dumps({f: round(s) for f, s in seconds.most_common()}, indent=0) + "\n",
                   encoding="utf-8")
    print(f"{OUT}: {len(seconds)} files, {sum(seconds.values()):.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
