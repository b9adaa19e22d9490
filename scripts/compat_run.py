"""Run every notebook top to bottom in this interpreter's environment, and judge each one.

Two tiers use it, each from its own venv: `make compat` (Colab's versions, .venv-colab, Python 3.13)
and `make canary` (the newest release of every dependency, a fresh .venv-canary; see the Makefile):
    .venv-colab/bin/python scripts/compat_run.py                     # every notebooks/NN_*.ipynb
    .venv-colab/bin/python scripts/compat_run.py notebooks/0[1-5]_*.ipynb --budget 120
    .venv-canary/bin/python scripts/compat_run.py --deprecations --report build/canary/report.md

Each notebook runs in a fresh `python3` kernel of the interpreter that runs this script, with
notebooks/ as working directory, and is never saved. A notebook fails when a cell raises, when
any output is a stream on stderr (a warning, a log line, a progress bar: Colab would show it in
red to a learner), or when it takes longer than its time budget (default 120 s, kernel start
included; the run stops at the budget; with --jobs N, N notebooks run at once, each in its own
kernel, so a notebook that uses more than one core takes longer). The kernel gets no
TensorFlow environment variables from here: silencing TensorFlow is the notebook's own setup
cell's job, as it is on Colab.
At the end a table gives each notebook's status (clean, or what failed: error, stderr, over
budget), its wall time and its kernel's CPU time (on a busy machine the wall time grows, the CPU
time does not); the exit status is 1 if any failed. With --report the same table goes to a
Markdown file, with the versions the run got and every problem in full. With --deprecations the
kernel also shows deprecation warnings raised from the helpers' code (hidden by Python outside
__main__), so they count as stderr: the canary uses it, to hear of a break before it comes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
KERNEL = "python3"
DEFAULT_BUDGET_S = 120.0
# Notebooks given a margin over the budget, with the reason. 09 builds about 150 thirty-layer
# Keras models to inspect them at initialization and trains its clipping study (10 seeds x 2,
# stacked): 103 s measured with Colab's versions on an idle 2-core machine (92 s locally),
# inside the 2-minute target but close to it; 150 s keeps a busy CI machine from failing it.
# 11 trains two 20-layer, 128-unit networks with model.fit and inspects them per layer: 132 s
# of kernel CPU measured on a loaded machine; since then 36-39 s alone from its stored results
# (README), about 100 s in make compat beside another notebook: the margin is for a busy machine.
LONGER_BUDGETS_S = {"09_beyond_relu.ipynb": 150.0, "11_at_real_scale.ipynb": 300.0}
# Harness only, not the notebook's business: no debugger banner on the kernel's stderr, and
# the venv's python3 kernelspec before any user-wide one.
KERNEL_ENV = {"PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PREFER_ENV_PATH": "1"}
# What a learner's Colab kernel does not have set; the notebooks must cope without them.
UNSET = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND", "PYTHONPATH")
VERSIONS = ("tensorflow", "keras", "tensorboard", "numpy", "scipy", "pandas", "scikit-learn",
            "matplotlib", "tqdm", "ipywidgets", "ipython", "ipykernel", "nbclient",
            "vanishing-gradients-course")
# What went wrong, as the status column names it.
ERROR, STDERR, OVER_BUDGET = "error", "stderr", "over budget"


@dataclass
class Result:
    """One notebook's run: its time and what went wrong (empty: passed)."""

    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the kernel's CPU time: tells a slow notebook from a busy machine
    problems: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # ERROR, STDERR, OVER_BUDGET, in order found

    def add(self, kind: str, problem: str) -> None:
        self.problems.append(problem)
        if kind not in self.kinds:
            self.kinds.append(kind)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        """"clean", or what went wrong: "error", "stderr", "over budget" (comma-separated)."""
        return ", ".join(self.kinds) if self.kinds else "clean"


def default_notebooks() -> list[Path]:
    """Every notebooks/NN_*.ipynb, in file-name (= course) order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _shorten(text: str, keep: int = 250) -> str:
    """Its start and its end when long: a wrapped error (StagingError) names its cause last."""
    return text if len(text) <= 2 * keep + 5 else f"{text[:keep]} ... {text[-keep:]}"


def _first_line(cell) -> str:
    return next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:70]


def _stderr_problems(nb) -> list[str]:
    """Every code cell whose outputs include a stderr stream, with the stream's first line."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                first = next((ln for ln in text.splitlines() if ln.strip()), "")
                problems.append(f"cell {index + 1} wrote to stderr: {first.strip()[:100]!r}")
                break
    return problems


def deprecation_filters(package: str = "helpers") -> str:
    """A PYTHONWARNINGS value showing DeprecationWarning and PendingDeprecationWarning raised
    from every module of ``package`` (found, not imported, in this environment). Python hides
    them outside ``__main__``, so a release deprecating what the helpers call would stay silent
    until it breaks. Refuses a package this environment does not have."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package must be an installed package, got {package!r}")
    modules = [package] + sorted(
        f"{package}.{py.stem}" for folder in spec.submodule_search_locations
        for py in Path(folder).glob("*.py") if py.stem != "__init__"
    )
    return ",".join(f"default::{category}:{module}" for module in modules
                    for category in ("DeprecationWarning", "PendingDeprecationWarning"))


def run(path: Path, budget_s: float) -> Result:
    """Execute one notebook in a fresh kernel (not saved) and judge it; never raises for it."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if not budget_s > 0:
        raise ValueError(f"budget_s must be a positive number of seconds, got {budget_s!r}")
    result = Result(path.name)
    nb = nbformat.read(path, as_version=4)
    current: dict[str, int | None] = {"index": None}
    cpu_before = _children_cpu()
    start = time.perf_counter()
    deadline = start + budget_s

    def on_cell_start(cell, cell_index, **_kwargs):
        current["index"] = cell_index

    def remaining(_cell) -> int:
        # nbclient asks before each cell: the cell may use what is left of the budget.
        return max(1, int(deadline - time.perf_counter()) + 1)

    client = NotebookClient(
        nb,
        timeout_func=remaining,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.resolve().parent)}},
        record_timing=False,
        allow_errors=False,
        on_cell_start=on_cell_start,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )

    def where() -> str:
        index = current["index"]
        if index is None:
            return "before the first cell (kernel start)"
        return f"cell {index + 1} ({_first_line(nb.cells[index])!r})"

    try:
        client.execute()
    except CellTimeoutError:
        result.add(OVER_BUDGET, f"over its {budget_s:.0f} s budget, stopped in {where()}")
    except CellExecutionError as exc:
        what = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
        result.add(ERROR, f"{where()} raised: {_shorten(what)}")
    except DeadKernelError as exc:
        result.add(ERROR, f"the kernel died in {where()}: {exc}")
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = _children_cpu() - cpu_before  # the kernel has exited and been reaped
    if result.ok and result.seconds > budget_s:
        result.add(OVER_BUDGET, f"took {result.seconds:.1f} s, over its {budget_s:.0f} s budget")
    for problem in _stderr_problems(nb):
        result.add(STDERR, problem)
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _versions() -> dict[str, str]:
    """Installed version of each of VERSIONS (its distribution name: tensorflow-cpu or
    tensorflow); a package that is not installed is left out."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in VERSIONS:
        for dist in ("tensorflow-cpu", name) if name == "tensorflow" else (name,):
            try:
                found[dist] = version(dist)
                break
            except PackageNotFoundError:
                continue
    return found


def _table(results: list[Result]) -> list[str]:
    """The per-notebook Markdown table: status, wall time, the kernel's CPU time."""
    width = max(len(r.name) for r in results)
    swidth = max(len("status"), *(len(r.status) for r in results))
    lines = [f"| {'notebook':<{width}} | {'status':<{swidth}} | time (s) | CPU (s) |",
             f"| {'-' * width} | {'-' * swidth} | -------: | ------: |"]
    for r in results:
        lines.append(f"| {r.name:<{width}} | {r.status:<{swidth}} | {r.seconds:8.1f} "
                     f"| {r.cpu_seconds:7.1f} |")
    return lines


def _verdict(results: list[Result]) -> str:
    failed = [r.name for r in results if not r.ok]
    total = sum(r.seconds for r in results)
    return (f"Total: {total:.1f} s for {len(results)} notebook(s); "
            + (f"FAILED: {', '.join(failed)}" if failed else "all passed"))


def write_report(path: Path, title: str, header: str, versions: dict[str, str],
                 results: list[Result]) -> None:
    """Write the run as Markdown to ``path`` (its folder is made): the title, when and where it
    ran, the versions it got (one ``name==version`` a line), the table and every problem."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {title}", "", f"{_verdict(results)}.", "",
             f"Run {now}: {header}", "", "## Versions", "", "```"]
    lines += [f"python=={platform.python_version()}"]
    lines += [f"{name}=={v}" for name, v in versions.items()]
    lines += ["```", "", "## Notebooks", ""] + _table(results)
    problems = [r for r in results if not r.ok]
    if problems:
        lines += ["", "## Problems", ""]
        for r in problems:
            lines += [f"- **{r.name}** ({r.status})", ""]
            for problem in r.problems:
                lines += ["  ```text"] + [f"  {ln}".rstrip() for ln in problem.splitlines()]
                lines += ["  ```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check_kernel() -> None:
    """The python3 kernel must be this interpreter's, or the run would test another environment."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv0 = KernelSpecManager().get_kernel_spec(KERNEL).argv[0]
    if argv0 not in ("python", "python3", sys.executable) and Path(argv0).resolve() != Path(
        sys.executable
    ).resolve():
        raise SystemExit(
            f"error: the {KERNEL!r} kernelspec runs {argv0}, not this interpreter "
            f"({sys.executable}); remove that kernelspec or run from the environment it names."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="notebooks to run (default: notebooks/NN_*.ipynb)"
    )
    parser.add_argument(
        "--budget", type=float, default=DEFAULT_BUDGET_S,
        help=f"seconds per notebook, kernel start included (default {DEFAULT_BUDGET_S:.0f})",
    )
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="notebooks run at once, each in its own kernel (default 1; make compat: 2)",
    )
    parser.add_argument(
        "--report", type=Path, help="also write the run as Markdown to this file (folder made)"
    )
    parser.add_argument(
        "--deprecations", action="store_true",
        help="also show (and so fail on) deprecation warnings raised from the helpers' code",
    )
    parser.add_argument(
        "--title", default="Notebooks run top to bottom",
        help="the report's heading, naming the tier (e.g. 'Canary: newest releases')",
    )
    args = parser.parse_args(argv)
    if not args.title.strip():
        parser.error("--title must not be empty")
    if args.report is not None and args.report.is_dir():
        parser.error(f"--report must name a file, not the folder {args.report}")
    if not args.budget > 0:
        parser.error(f"--budget must be a positive number of seconds, got {args.budget}")
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, got {args.jobs}")
    paths = args.paths or default_notebooks()
    missing = [str(p) for p in paths if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        parser.error("not a notebook file: " + ", ".join(missing))
    if not paths:
        print("No notebooks found in notebooks/ (expected NN_*.ipynb): nothing to run.")
        return 0

    for var in UNSET:
        os.environ.pop(var, None)
    os.environ.update(KERNEL_ENV)
    if args.deprecations:
        os.environ["PYTHONWARNINGS"] = deprecation_filters()
    _check_kernel()
    versions = _versions()
    print(f"{args.title}. Python {platform.python_version()}, "
          + ", ".join(f"{name} {v}" for name, v in versions.items()) + f"; {os.cpu_count()} cores")
    header = (f"{platform.platform()}, {os.cpu_count()} cores; budget {args.budget:.0f} s per "
              f"notebook; fresh kernel each, {args.jobs} at once; nothing is saved"
              + ("; deprecation warnings from the helpers shown." if args.deprecations else "."))
    print(f"Budget: {args.budget:.0f} s per notebook; fresh kernel each; {args.jobs} at once; "
          "nothing is saved.\n")

    budgets = {p: max(args.budget, LONGER_BUDGETS_S.get(p.name, 0.0)) for p in paths}
    # Each notebook in its own worker process (the kernel's CPU time is that worker's children's),
    # those with the longest budgets first so that no long one is left alone at the end; the
    # table below keeps the notebooks' order.
    order = sorted(paths, key=lambda p: -budgets[p])
    done = {}
    with ProcessPoolExecutor(min(args.jobs, len(paths)), mp_context=get_context("spawn")) as pool:
        for path, result in zip(order, pool.map(run, order, [budgets[p] for p in order])):
            done[path] = result
            verdict = "ok" if result.ok else f"FAILED ({result.status})"
            print(f"{result.name}: {result.seconds:.1f} s (CPU {result.cpu_seconds:.1f} s) "
                  f"{verdict}", flush=True)
            for problem in result.problems:
                print(f"    {problem}")
    results = [done[p] for p in paths]

    print("\n" + "\n".join(_table(results)))
    print("\n" + _verdict(results))
    if args.report is not None:
        write_report(args.report, args.title, header, versions, results)
        print(f"Report: {args.report}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
