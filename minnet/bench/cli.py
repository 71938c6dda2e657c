"""The command line, ``python -m minnet.bench``: parse the flags, run every section of
:data:`minnet.bench.sections.SECTIONS` (read when it runs, so a section appended there is included),
print the table and write the JSON report."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Sequence

from minnet.bench import sections
from minnet.bench.common import SETTINGS, blas_threads, environment, fmt, load_average, torch_module
from minnet.bench.data import digits_data, mnist_data
from minnet.bench.memory import memory_child
from minnet.bench.sections import Context
from minnet.bench.targets import check_targets, format_targets


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    doc = sys.modules["minnet.bench"].__doc__ or ""
    p = argparse.ArgumentParser(prog="python -m minnet.bench", description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes, runs in seconds (for tests)")
    p.add_argument("--json", "--out", dest="json", default="bench.json", metavar="PATH",
                   help="where to write the JSON report (default: bench.json)")
    p.add_argument("--rounds", type=int, default=None, help="epochs timed per contender on MNIST (default 5)")
    p.add_argument("--threads", type=int, default=None, help="limit BLAS (and PyTorch) to this many threads")
    p.add_argument("--data-dir", default=None, help="folder holding mnist/ (default: $MINNET_DATA_DIR)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    p.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    cfg = dict(SETTINGS["quick" if quick else "full"])
    if args.rounds:
        cfg.update(rounds=args.rounds, digits_rounds=4 * args.rounds, scaling_rounds=args.rounds)
    torch = None if args.no_torch else torch_module()
    threads = args.threads or blas_threads()
    if torch is not None and threads:
        torch.set_num_threads(threads)
    report: dict[str, Any] = {"quick": quick, "argv": sys.argv[1:], "settings": cfg, "environment": environment(),
                              "torch": getattr(torch, "__version__", None)}
    context = Context(cfg=cfg, mnist=mnist_data(cfg["mnist_n"], args.data_dir, allow_real=not quick),
                      digits=digits_data(), torch=torch)
    for section in sections.SECTIONS:
        report[section.key] = section.measure(context)
    report["targets"] = check_targets(report)
    report["environment"]["load_average_end"] = load_average()
    return report


def format_report(report: dict[str, Any]) -> str:
    env = report["environment"]
    quick = " (--quick: sizes too small for the timings to mean anything)" if report["quick"] else ""
    load = env["load_average"], env.get("load_average_end")
    lines = [f"minnet benchmark{quick}",
             f"  {env['dtype']}, BLAS {env['blas']} with {env['blas_threads']} thread(s), numpy {env['numpy']}, "
             f"Python {env['python']}, {env['cpu_count']} CPUs, PyTorch {report['torch'] or 'not installed'}",
             f"  load average {fmt(load[0] and load[0][0], '.1f')} at start, {fmt(load[1] and load[1][0], '.1f')} "
             "at the end (other programs running make every timing noisy)", ""]
    for section in sections.SECTIONS:
        if section.key in report:
            lines += section.format(report[section.key], report) + [""]
    lines += format_targets(report["targets"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child)))
        return 0
    limit: Any = nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(args.threads)
    with limit:
        report = run(args)
    print(format_report(report))
    path = Path(args.json)
    path.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print(f"\nwrote {path}")
    return 0
