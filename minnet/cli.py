"""The ``minnet`` command (also ``python -m minnet``).

``minnet compare`` trains one network per setting of a grid and seed, prints a summary table
and writes everything to a folder (see :func:`minnet.experiments.compare`, which does the
work; this module only turns command-line options into its arguments)::

    minnet compare                                      # ReLU, LeakyReLU, PReLU, ELU, SELU on digits, 3 seeds
    minnet compare --activations relu selu --lr 1e-3 1e-2 --depth 8 --epochs 30
    minnet compare --config sweep.toml --jobs 2

Exit status: 0 on success; 2 for a user error — a bad option, TOML value, data file or output
folder — printed as one line, ``minnet compare: error: ...``, with no traceback (nothing has
run); 1 when a data set cannot be loaded; 130 when interrupted (finished runs are kept; the
same command resumes).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from minnet.console import make_console_safe
from minnet.experiments.cluster import CLUSTER_HINT, check_scheduler
from minnet.experiments.config import (
    DATASETS,
    DEFAULT_DROPOUT_RATE,
    GRID_FIELDS,
    MODELS,
    NORM_POSITIONS,
    NORMS,
    OPTIMIZERS,
    POOLS,
    ExperimentConfig,
)
from minnet.experiments.plots import PLOT_HINT
from minnet.experiments.summary import FORMATS, METRICS, SELECTIONS, ReportOptions
from minnet.experiments.sweep import check_runtime, default_out, make_config, plan, run_sweep, user_data
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

data: digits, iris, wine, breast_cancer and the synthetic sets come with scikit-learn or minnet; MNIST and
Fashion-MNIST are read from $MINNET_DATA_DIR (else ~/.minnet/data; nothing is downloaded), see
datasets/README.md; --data FILE reads your own .npz (X, y) or CSV. Missing data files: exit status 1;
a usage error: exit status 2.
"""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block): ``minnet compare: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``minnet`` command and its ``compare`` subcommand."""
    from minnet._version import __version__

    parser = OneLineParser(
        prog="minnet", description="minnet: a NumPy neural-network framework written to be read. "
        "The command compares activation functions (and any other setting) over seeds.",
        epilog="Run 'minnet compare --help' for the options of the comparison.")
    parser.add_argument("--version", action="version", version=f"minnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    c = commands.add_parser(
        "compare", help="train a grid of settings over seeds and summarise the results",
        description=textwrap.fill(
            "Train one network per setting of a grid and per seed, print a summary table (mean ± std and "
            "95% CI over seeds, ranked by validation accuracy) and write results.csv, summary.md/.csv/.tex, "
            "report.html, config.json, runs/*.json and figures (with matplotlib) to an output folder. Options "
            "that take several values (space- or comma-separated) form a grid: every combination is run.",
            width=88),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)

    grid = c.add_argument_group("grid (each option takes one or more values)")

    def multi(flags: list[str], dest: str, type_: Callable[[str], Any], help_: str, metavar: str) -> None:
        grid.add_argument(*flags, dest=dest, nargs="+", type=_listing(type_), metavar=metavar,
                          help=f"{help_} (default: {_shown(getattr(DEFAULTS, dest))})")

    multi(["--datasets", "--dataset"], "datasets", str, f"data sets: {', '.join(DATASETS)}", "NAME")
    multi(["--activations", "--activation", "-a"], "activations", str,
          f"activation functions: {', '.join(ACTIVATIONS)}", "NAME")
    multi(["--norms", "--norm"], "norms", str,
          f"normalisation in each hidden block: {', '.join(NORMS)} (BatchNorm, LayerNorm)", "NAME")
    multi(["--norm-positions", "--norm-position"], "norm_positions", str,
          f"where the normalisation sits: {', '.join(NORM_POSITIONS)} the activation", "WHERE")
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
    multi(["--channels"], "channels", str, "CNN channels per block joined by x, e.g. 32x64 (several: 16x32 32x64)",
          "CxC")
    multi(["--kernel-sizes", "--kernel-size"], "kernel_sizes", _int, "CNN kernel sizes", "K")
    multi(["--pools", "--pool"], "pools", str, f"CNN pooling: {', '.join(POOLS)}", "KIND")
    multi(["--optimizers", "--optimizer"], "optimizers", str, f"optimizers: {', '.join(OPTIMIZERS)}", "NAME")
    multi(["--lrs", "--lr"], "lrs", float, "learning rates (> 0)", "LR")
    multi(["--weight-decays", "--weight-decay"], "weight_decays", float,
          "weight decay λ (≥ 0; decoupled for adamw, added to the gradient otherwise)", "L")
    multi(["--batch-sizes", "--batch-size"], "batch_sizes", _int, "mini-batch sizes", "N")
    multi(["--epochs"], "epochs", _int, "training epochs per run", "N")
    multi(["--seeds", "--seed"], "seeds", _int, "seeds (≥ 0) of weights, dropout masks and batch order", "N")

    opts = c.add_argument_group("model, data and summary")
    opts.add_argument("--model", choices=MODELS, help="model family (default: mlp; cnn needs image data)")
    opts.add_argument("--data", metavar="FILE", help="your own data set: an .npz file with arrays X and y, or a CSV "
                      "file with a header row and a label column (label, target, y, class, or the last)")
    opts.add_argument("--label-column", metavar="NAME", help="the label column of a CSV --data file")
    opts.add_argument("--select", choices=SELECTIONS, help="the epoch whose accuracies the summary reports: best-val "
                      "(highest validation accuracy, default) or last; settings are ranked by validation accuracy")
    opts.add_argument("--vs", metavar="VALUE", help="paired tests (Wilcoxon, t-test over seeds) of every setting "
                      "against the one with this value, e.g. --vs relu")
    opts.add_argument("--rows", metavar="S[,S]", help="pivot table: settings of its rows, e.g. activation")
    opts.add_argument("--cols", metavar="S[,S]", help="pivot table: settings of its columns, e.g. depth,lr")
    opts.add_argument("--metric", choices=METRICS, help="the pivot table's metric (default: test_accuracy)")
    opts.add_argument("--facet", metavar="SETTING", help="one panel per value of this setting in the convergence plot")
    opts.add_argument("--format", dest="formats", metavar="F[,F]",
                      help=f"figure formats among {', '.join(FORMATS)} (default: png)")
    opts.add_argument("--dpi", type=int, metavar="N", help="figure resolution (default: 110)")
    opts.add_argument("--target-accuracy", type=float, metavar="A",
                      help="report the first epoch whose validation accuracy reaches A "
                      f"(default: {DEFAULTS.target_accuracy})")
    opts.add_argument("--val-size", type=float, metavar="F",
                      help=f"validation fraction of the data set (default: {DEFAULTS.val_size})")
    opts.add_argument("--test-size", type=float, metavar="F",
                      help=f"test fraction of the data set (default: {DEFAULTS.test_size}; MNIST and "
                      "Fashion-MNIST use their official test files)")
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
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the runs on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
                     "for a LocalCluster on this machine (needs the cluster extra)")
    run.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    run.add_argument("--dry-run", action="store_true", help="list the runs and exit without training")
    c.set_defaults(handler=_compare, subparser=c)
    return parser


def _flatten(values: list[list[Any]] | None) -> list[Any] | None:
    return None if values is None else [v for group in values for v in group]


class UserError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def _fail(message: str) -> int:
    print(f"minnet compare: error: {message}", file=sys.stderr)
    return 2


def _options(args: argparse.Namespace) -> tuple[ExperimentConfig, dict[str, Any], dict[str, Any]]:
    """The config, runtime options and the user's data from the command line and the TOML file."""
    options: dict[str, Any] = {name: _flatten(getattr(args, name)) for name in GRID_FIELDS}
    options.update({k: getattr(args, k) for k in ("target_accuracy", "val_size", "test_size", "split_seed",
                                                   "max_samples", "probe_size", "model")})
    own = {}
    if args.data:
        from minnet.experiments.prepare import fingerprint, read_data_file
        own = user_data({Path(args.data).stem: read_data_file(args.data, args.label_column)})
        options["datasets"] = options["datasets"] or list(own)
        options["data_fingerprints"] = tuple((n, fingerprint(*pair)) for n, pair in own.items())
    if args.config is not None and not Path(args.config).is_file():
        raise UserError(f"--config {args.config!r}: no such file (expected a TOML file with the sweep's options)")
    config, runtime = make_config(args.config, **options)
    return config, runtime, own


def _report_options(args: argparse.Namespace, runtime: dict[str, Any]) -> ReportOptions:
    given = {k: getattr(args, k) for k in ReportOptions.keys() if getattr(args, k, None) is not None}
    return ReportOptions.from_mapping({**{k: v for k, v in runtime.items() if k in ReportOptions.keys()}, **given})


def _runtime(args: argparse.Namespace, runtime: dict[str, Any], config: ExperimentConfig) -> tuple[Path, int, bool,
                                                                                                   bool]:
    out = args.out if args.out is not None else runtime.get("out")
    jobs = args.jobs if args.jobs is not None else runtime.get("jobs", 1)
    plots = False if args.no_plots else runtime.get("plots", True)
    progress = False if args.no_progress else runtime.get("progress", True)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0:
        raise UserError(f"--jobs must be a non-zero integer (-1: all cores), got {jobs!r}")
    check_runtime(out, jobs, plots, progress)
    return Path(out or default_out(config)), jobs, plots, progress


def _compare(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: list[str]) -> int:
    try:
        config, runtime, own = _options(args)
        out, jobs, plots, progress = _runtime(args, runtime, config)
        report = _report_options(args, runtime)
        scheduler = check_scheduler(args.scheduler if args.scheduler is not None else runtime.get("scheduler"),
                                    "--scheduler")
        if scheduler is not None and importlib.util.find_spec("distributed") is None:
            raise UserError(CLUSTER_HINT)
        sweep = plan(config, out)
    except (UserError, ValueError, TypeError, OSError, ImportError) as err:
        return _fail(str(err))
    n_settings = len(sweep.settings) // len(config.seeds) if len(sweep.settings) % len(config.seeds) == 0 else None
    shape = f" ({n_settings} settings × {len(config.seeds)} seeds)" if n_settings and not config.sweeps else ""
    print(f"minnet compare: {len(sweep.settings)} runs{shape} on {', '.join(config.datasets)} → {out}")
    for problem in list(sweep.rejected.values())[:5]:
        print(f"not a finished run, running it again: {problem}")
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
        with warnings.catch_warnings():                           # the command prints its own hint
            warnings.filterwarnings("ignore", message="matplotlib is not installed")
            warnings.filterwarnings("ignore", message=r".* run file\(s\) are not finished runs")
            table = run_sweep(config, out=out, jobs=jobs, progress=progress, plots=plots,
                              command=["minnet", *argv], report=report, data=own, scheduler=scheduler)
    except FileNotFoundError as err:                              # e.g. MNIST files missing: not a usage error
        print(f"minnet compare: error: {err}", file=sys.stderr)
        print("minnet compare: from the command line, point MINNET_DATA_DIR at the folder that holds mnist/ and "
              "fashion-mnist/ (see datasets/README.md), or use --data FILE", file=sys.stderr)
        return 1
    except (ValueError, TypeError, PermissionError, IsADirectoryError, NotADirectoryError) as err:
        return _fail(str(err))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished runs are saved in {out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    _print_results(table, out, report, plots)
    return 0


def _print_results(table: Any, out: Path, report: ReportOptions, plots: bool) -> None:
    print()
    print(table.to_markdown())
    if report.rows:
        print(table.pivot(report.rows, report.cols, report.metric))
    failed = {r["failed"] for r in table.final_rows() if r.get("failed")}
    if failed:
        print(f"{sum(1 for r in table.final_rows() if r.get('failed'))} runs failed ({'; '.join(sorted(failed))}): "
              "recorded as failed; run the same command again to retry them")
    if not table.written:
        print(f"Ran {table.computed} runs, reused {table.skipped}. {out} cannot be written: nothing was written there.")
        return
    written = [*table.written_files, "config.json", f"runs/ ({len(table.runs())} files)"]
    if plots and not table.plot_files:
        print(PLOT_HINT)
    written += [Path(p).name for p in table.plot_files]
    print(f"Ran {table.computed} runs" + (f", reused {table.skipped}" if table.skipped else "")
          + f". Wrote to {out}/: " + ", ".join(written))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``minnet`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    make_console_safe()                     # any console: characters it cannot show are escaped, never an error
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    return args.handler(args, args.subparser, argv)


__all__ = ["build_parser", "main"]

if __name__ == "__main__":                                                     # pragma: no cover
    sys.exit(main())
