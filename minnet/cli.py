"""The ``minnet`` command (also ``python -m minnet``).

``minnet compare`` trains one network per setting of a grid and seed, prints a summary table
and writes everything to a folder (see :func:`minnet.experiments.compare`, which does the
work; this module only turns command-line options into its arguments)::

    minnet compare                                      # ReLU, LeakyReLU, PReLU, ELU, SELU on digits, 3 seeds
    minnet compare --activations relu selu --lr 1e-3 1e-2 --depth 8 --epochs 30
    minnet compare --config sweep.toml --jobs 2

Exit status: 0 on success, 2 for bad options (nothing has run), 1 when a data set cannot
be loaded, 130 when interrupted (finished runs are kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Sequence

from minnet.experiments.config import DATASETS, DEFAULT_DROPOUT_RATE, GRID_FIELDS, OPTIMIZERS, ExperimentConfig
from minnet.experiments.plots import PLOT_HINT
from minnet.experiments.sweep import default_out, make_config, plan, run_sweep
from minnet.nn.activations import ACTIVATIONS
from minnet.nn.init import INITIALIZERS
from minnet.nn.models import DROPOUT_KINDS

DEFAULTS = ExperimentConfig()


def _listing(type_: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type: a comma-separated list of ``type_`` values (combined with nargs="+")."""
    def parse(text: str) -> list[Any]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected a value, got {text!r}")
        try:
            return [type_(t) for t in items]
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {type_.__name__} value in {text!r}") from None
    parse.__name__ = f"list of {type_.__name__}"
    return parse


def _int(text: str) -> int:
    return int(text)


_int.__name__ = "int"


def _shown(values: Sequence[Any]) -> str:
    return " ".join(str(v) for v in values) if values else "(none)"


EXAMPLES = """\
examples:
  minnet compare
      ReLU, LeakyReLU, PReLU, ELU and SELU (customary initializers) on digits, seeds 0 1 2.
  minnet compare --activations relu selu --depth 4 8 16 --lr 1e-3 3e-3 --epochs 30
      a grid: 2 activations x 3 depths x 2 learning rates x 3 seeds = 36 runs.
  minnet compare --activation selu --dropout alpha dropout --dropout-rate 0.05 0.1
      SELU with alpha dropout versus ordinary dropout.
  minnet compare --config sweep.toml --jobs 2 --out minnet-runs/my-sweep
      a sweep described in a TOML file, two settings at a time.

a TOML file uses the option names with underscores (plural or singular), e.g.
  activations = ["relu", "elu", "selu"]
  lrs = [1e-3, 1e-2]
  depths = [4, 8]
  seeds = [0, 1, 2]
  target_accuracy = 0.95
  out = "minnet-runs/depth-sweep"
options given on the command line override the file.

Run the same command again with the same output folder to resume an interrupted sweep:
finished runs (runs/<id>.json) are skipped.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``minnet`` command and its ``compare`` subcommand."""
    from minnet._version import __version__

    parser = argparse.ArgumentParser(
        prog="minnet", description="minnet: a NumPy neural-network framework written to be read. "
        "The command compares activation functions (and any other setting) over seeds.",
        epilog="Run 'minnet compare --help' for the options of the comparison.")
    parser.add_argument("--version", action="version", version=f"minnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    c = commands.add_parser(
        "compare", help="train a grid of settings over seeds and summarise the results",
        description=textwrap.fill(
            "Train one multilayer perceptron per setting of a grid and per seed, print a summary "
            "table (mean ± std over seeds, best first) and write results.csv, summary.md, config.json, "
            "runs/*.json and plots (with matplotlib) to an output folder. Options that take several values "
            "(space- or comma-separated) form a grid: every combination is run.", width=88),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)

    grid = c.add_argument_group("grid (each option takes one or more values)")

    def multi(flags: list[str], dest: str, type_: Callable[[str], Any], help_: str, metavar: str) -> None:
        grid.add_argument(*flags, dest=dest, nargs="+", type=_listing(type_), metavar=metavar,
                          help=f"{help_} (default: {_shown(getattr(DEFAULTS, dest))})")

    multi(["--datasets", "--dataset"], "datasets", str, f"data sets: {', '.join(DATASETS)}", "NAME")
    multi(["--activations", "--activation", "-a"], "activations", str,
          f"activation functions: {', '.join(ACTIVATIONS)}", "NAME")
    multi(["--inits", "--init"], "inits", str,
          "weight initializers: 'customary' (He normal for the ReLU family and ELU, LeCun normal for SELU, "
          f"Glorot for tanh/sigmoid) or {', '.join(INITIALIZERS)} (aliases kaiming_*, xavier_*)", "NAME")
    multi(["--dropouts", "--dropout"], "dropouts", str,
          f"dropout kinds after each hidden activation: {', '.join(DROPOUT_KINDS)} "
          "('alpha' = AlphaDropout, for SELU)", "KIND")
    grid.add_argument("--dropout-rates", "--dropout-rate", dest="dropout_rates", nargs="+",
                      type=_listing(float), metavar="P",
                      help="drop probabilities in [0, 1) (default: per kind, "
                      + ", ".join(f"{k} {v}" for k, v in DEFAULT_DROPOUT_RATE.items() if k != "none") + ")")
    multi(["--depths", "--depth"], "depths", _int, "numbers of hidden layers", "N")
    multi(["--widths", "--width"], "widths", _int, "units per hidden layer", "N")
    multi(["--optimizers", "--optimizer"], "optimizers", str, f"optimizers: {', '.join(OPTIMIZERS)}", "NAME")
    multi(["--lrs", "--lr"], "lrs", float, "learning rates (> 0)", "LR")
    multi(["--weight-decays", "--weight-decay"], "weight_decays", float,
          "weight decay λ (≥ 0; decoupled for adamw, added to the gradient otherwise)", "L")
    multi(["--batch-sizes", "--batch-size"], "batch_sizes", _int, "mini-batch sizes", "N")
    multi(["--epochs"], "epochs", _int, "training epochs per run", "N")
    multi(["--seeds", "--seed"], "seeds", _int, "seeds (≥ 0) of weights, dropout masks and batch order", "N")

    opts = c.add_argument_group("data and summary")
    opts.add_argument("--target-accuracy", type=float, metavar="A",
                      help="report the first epoch whose validation accuracy reaches A "
                      f"(default: {DEFAULTS.target_accuracy})")
    opts.add_argument("--val-size", type=float, metavar="F",
                      help=f"validation fraction of the data set (default: {DEFAULTS.val_size})")
    opts.add_argument("--test-size", type=float, metavar="F",
                      help=f"test fraction of the data set (default: {DEFAULTS.test_size})")
    opts.add_argument("--split-seed", type=int, metavar="N",
                      help=f"seed of the stratified train/val/test split, the same for every run "
                      f"(default: {DEFAULTS.split_seed})")
    opts.add_argument("--max-samples", type=int, metavar="N",
                      help="use a stratified subset of N samples of the data set (default: all)")
    opts.add_argument("--probe-size", type=int, metavar="N",
                      help="training samples on which dead units and activation statistics are measured "
                      f"after each epoch (default: {DEFAULTS.probe_size})")

    run = c.add_argument_group("running")
    run.add_argument("--config", metavar="FILE.toml",
                     help="read the sweep from a TOML file (keys as the options above, with underscores)")
    run.add_argument("--out", "-o", metavar="DIR",
                     help="output folder (default: minnet-runs/compare-<data sets>-<hash of the settings>, "
                     "so the same command reuses it and skips finished runs)")
    run.add_argument("--jobs", "-j", type=int, metavar="N",
                     help="run N settings at a time in separate processes through joblib (-1: all cores; "
                     "default: 1, in this process)")
    run.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    run.add_argument("--dry-run", action="store_true", help="list the runs and exit without training")
    c.set_defaults(handler=_compare, subparser=c)
    return parser


def _flatten(values: list[list[Any]] | None) -> list[Any] | None:
    return None if values is None else [v for group in values for v in group]


def _compare(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: list[str]) -> int:
    options = {name: _flatten(getattr(args, name)) for name in GRID_FIELDS}
    options.update({k: getattr(args, k) for k in ("target_accuracy", "val_size", "test_size", "split_seed",
                                                   "max_samples", "probe_size")})
    try:
        config, runtime = make_config(args.config, **options)
    except (ValueError, TypeError, OSError, ImportError) as err:
        parser.error(str(err))
    out = Path(args.out or runtime.get("out") or default_out(config))
    jobs = args.jobs if args.jobs is not None else runtime.get("jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0:
        parser.error(f"--jobs must be a non-zero integer (-1: all cores), got {jobs!r}")
    plots = not args.no_plots and runtime.get("plots", True)
    progress = not args.no_progress and runtime.get("progress", True)

    sweep = plan(config, out)
    n_settings = len(sweep.settings) // len(config.seeds) if len(sweep.settings) % len(config.seeds) == 0 else None
    shape = f" ({n_settings} settings × {len(config.seeds)} seeds)" if n_settings else ""
    print(f"minnet compare: {len(sweep.settings)} runs{shape} on {', '.join(config.datasets)} → {out}")
    if sweep.finished:
        print(f"{len(sweep.finished)} of {len(sweep.settings)} runs are already finished in {out}: skipping them "
              "(use another --out, or delete the folder, to start afresh)")
    if args.dry_run:
        for rid, s in zip(sweep.run_ids, sweep.settings, strict=True):
            done = "done " if rid in sweep.finished else "to do"
            print(f"  {rid}  {done}  " + " ".join(f"{k}={v}" for k, v in s.items()))
        return 0
    sys.stdout.flush()
    try:
        table = run_sweep(config, out=out, jobs=jobs, progress=progress, plots=False, command=["minnet", *argv])
    except FileNotFoundError as err:                              # e.g. MNIST files missing
        print(f"minnet compare: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished runs are saved in {out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    print()
    print(table.to_markdown())
    written = ["results.csv", "summary.md", "config.json", f"runs/ ({len(sweep.settings)} files)"]
    if plots:
        try:
            written += [Path(p).name for p in table.plot(out)]
        except ImportError:
            print(PLOT_HINT)
    print(f"Ran {table.computed} runs" + (f", reused {table.skipped}" if table.skipped else "")
          + f". Wrote to {out}/: " + ", ".join(written))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``minnet`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.handler(args, args.subparser, argv)


__all__ = ["build_parser", "main"]

if __name__ == "__main__":                                                     # pragma: no cover
    sys.exit(main())
