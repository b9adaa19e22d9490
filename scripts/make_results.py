"""Recompute every stored result table from scratch, into a NEW folder beside the old tables.

Usage:
    python scripts/make_results.py                 # all tables of helpers/results
    python scripts/make_results.py 07_where_depth_breaks --out build/results-new
    python scripts/make_results.py --dry-run       # list what would be trained

Each table says which function trains its rows (its .json description); every configuration
and seed it holds is trained again and written to the new folder (default:
helpers/results/recomputed-<UTC date and time>/), which must not exist or be empty: nothing
stored is ever overwritten. At the end each table is compared with the stored one. To adopt a
recomputed table, move it over the old one by hand (git shows the difference).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pkgutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", help="table names (default: every table)")
    parser.add_argument("--out", type=Path, help="new folder for the recomputed tables")
    parser.add_argument("--dry-run", action="store_true", help="list, train nothing")
    args = parser.parse_args()

    import keras
    import pandas as pd

    from helpers.store import RESULTS_DIR, Table, load_or_train

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M")
    out = args.out or RESULTS_DIR / f"recomputed-{stamp}"
    if out.exists() and any(out.iterdir()):
        print(f"error: --out {out} is not empty; results are never written over", file=sys.stderr)
        return 2
    names = args.tables or sorted(p.stem for p in RESULTS_DIR.glob("*.csv"))
    unknown = [n for n in names if not (RESULTS_DIR / f"{n}.csv").exists()]
    if unknown:
        print(f"error: no stored table {unknown}; known: "
              f"{sorted(p.stem for p in RESULTS_DIR.glob('*.csv'))}", file=sys.stderr)
        return 2
    os.environ["COURSE_RESULTS_DIR"] = str(out)
    for name in names:
        old = Table(name, RESULTS_DIR)
        records, columns = old.records(), old.meta()["columns"]
        keys = columns[:columns.index("seed")]
        configs: dict[tuple, list[int]] = {}
        for row in records:
            configs.setdefault(tuple(row[k] for k in keys), []).append(row["seed"])
        print(f"{name}: {len(configs)} configurations, {len(records)} runs")
        if args.dry_run:
            continue
        trainer = pkgutil.resolve_name(old.meta()["trainer"])
        start = time.perf_counter()
        for values, seeds in configs.items():
            config = dict(zip(keys, values))
            # the row's precision (tables without a floatx column are float64), for the layers
            # too: Keras fixes its dtype policy when the first layer is built
            floatx = config.get("floatx", "float64")
            keras.config.set_floatx(floatx)
            keras.config.set_dtype_policy(floatx)
            load_or_train(name, [config], seeds, trainer, progress=False)
        new = pd.DataFrame(Table(name, out).records()).drop(columns=["run"])
        ref = pd.DataFrame(records).drop(columns=["run"])
        merged = ref.merge(new, on=keys + ["seed"], suffixes=("", "_new"))
        results = [c for c in columns[columns.index("seed") + 1:-1]]
        same = sum(all(r[c] == r[f"{c}_new"] for c in results if "accuracy" in c or
                       c == "learned") for _, r in merged.iterrows())
        print(f"{name}: recomputed in {time.perf_counter() - start:.0f} s into {out}; "
              f"{same} of {len(ref)} runs give the stored accuracies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
