"""Wall time of executing every notebook in a fresh kernel (copies; nothing is overwritten).

Target (foundation issue): the whole course under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import glob
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> dict[str, float]:
    import nbformat
    from nbclient import NotebookClient

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    times = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.ipynb"))):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": os.path.dirname(path)}}).execute()
        times[os.path.basename(path)] = time.perf_counter() - start
        print(f"{os.path.basename(path):<40}{times[os.path.basename(path)]:>8.1f} s")
    print(f"{'all notebooks':<40}{sum(times.values()):>8.1f} s")
    return times


if __name__ == "__main__":
    main()
