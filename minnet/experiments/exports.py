"""The summary as text and files: Markdown, CSV, LaTeX (booktabs) and a self-contained HTML report.

:func:`summary_cells` lays a :class:`~minnet.experiments.results.ResultTable`'s summary out as
text cells once; :func:`to_markdown`, :func:`to_latex` and :func:`to_html` arrange the same
cells. :func:`write_reports` writes, into the output folder, ``summary.md``, ``summary.csv``
(the numbers, one row per setting), ``summary.tex`` (a ``booktabs`` table), ``pivot.md``
(with a pivot), and ``report.html`` — tables and figures in one file, images embedded as
base64 ``data:`` URIs, no script, no network.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
from pathlib import Path
from typing import Any, Sequence

from minnet.experiments.store import write_text_atomic
from minnet.experiments.summary import METHOD_PARTS, STATS, ReportOptions, pivot

SUMMARY_FILES = ("summary.md", "summary.csv", "summary.tex", "report.html")


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def _pm(mean: float | None, std: float | None, fmt: str) -> str:
    """"mean ± std", just "mean" without a std, "—" without a mean."""
    if mean is None:
        return "—"
    return fmt.format(mean) if std is None else f"{fmt.format(mean)} ± {fmt.format(std)}"


def _pct(value: float | None) -> float | None:
    return None if value is None else 100.0 * value


def _p(value: float | None) -> str:
    return "—" if value is None else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def shown_settings(table: Any) -> list[str]:
    """The columns that name a setting in the tables: ``method`` when it varies and says more than the
    activation (with the varying settings it does not encode), else the varying settings
    (``activation`` when nothing varies)."""
    varying = table.varying_settings()
    methods = {r.get("method") for r in table.rows}
    if len(methods) > 1 and any(r.get("method") != r.get("activation") for r in table.rows):
        return ["method", *(k for k in varying if k not in METHOD_PARTS)]
    return varying or ["activation"]


def summary_cells(table: Any) -> tuple[list[str], list[list[str]]]:
    """The summary as text cells: (header, rows), best first."""
    summary = table.summary()
    shown = shown_settings(table)
    target = f"epochs to {table.target_accuracy:.0%} val acc"
    header = [*shown, "val acc (%)", "test acc (%)", "test 95% CI", "train loss", target, "dead units (%)"]
    numerically = any(e["numerically_dead_percent_mean"] is not None for e in summary)
    diverged = any(e["diverged"] for e in summary)
    failed = any(e["failed"] for e in summary)
    vs = table.vs is not None
    header += (["num. dead (%)"] * numerically + ["diverged"] * diverged + ["failed"] * failed
               + [f"p Wilcoxon vs {table.vs}", f"p t-test vs {table.vs}"] * vs)
    rows = []
    for e in summary:
        cells = [str(e[k]) for k in shown]
        cells.append(_pm(_pct(e["val_accuracy_mean"]), _pct(e["val_accuracy_std"]), "{:.2f}"))
        test = _pm(_pct(e["test_accuracy_mean"]), _pct(e["test_accuracy_std"]), "{:.2f}")
        finished = e["runs"] - e["diverged"] - e["failed"]
        cells.append(test + (f" ({e['test_finite']}/{finished})" if 0 < e["test_finite"] < finished else ""))
        mean, ci = e["test_accuracy_mean"], e["test_accuracy_ci"]
        cells.append("—" if mean is None or ci is None else f"[{100 * (mean - ci):.2f}, {100 * (mean + ci):.2f}]")
        loss = e["train_loss_mean"]
        plain = loss is None or 1e-3 <= abs(loss) < 1e4            # else scientific: 3.52e-04, 2.28e+35
        cells.append(_pm(loss, e["train_loss_std"], "{:.4f}" if plain else "{:.2e}"))
        epochs = _pm(e["epochs_to_target_mean"], e["epochs_to_target_std"], "{:.1f}")
        cells.append(epochs + (f" ({e['reached']}/{e['runs']})" if 0 < e["reached"] < e["runs"] else ""))
        cells.append(_pm(e["dead_percent_mean"], e["dead_percent_std"], "{:.1f}"))
        if numerically:
            cells.append(_pm(e["numerically_dead_percent_mean"], e["numerically_dead_percent_std"], "{:.1f}"))
        if diverged:
            where = ", ".join(str(x) for x in e["diverged_epochs"])
            cells.append(f"{e['diverged']}/{e['runs']}" + (f" (epoch {where})" if where else ""))
        if failed:
            cells.append(f"{e['failed']}/{e['runs']}")
        if vs:
            is_ref = bool(e.get("vs")) and _is_ref(e, table.vs)
            cells += ["ref", "ref"] if is_ref else [_p(e.get("p_wilcoxon")), _p(e.get("p_ttest"))]
        rows.append(cells)
    return header, rows


def _is_ref(entry: dict[str, Any], vs: str) -> bool:
    name = entry["vs"].split("=", 1)[0]
    return str(entry.get(name)) == vs


def caption(table: Any) -> str:
    """The notes under the table: what the numbers are, and how the rows were selected and ranked."""
    chosen = ("at the epoch of highest validation accuracy" if table.select == "best-val"
              else "after the last epoch")
    return (f"Mean ± std (ddof = 1) over seeds; 95% CI: Student's t over seeds. Ranked by validation accuracy; "
            f"accuracies {chosen} (select={table.select}). Train loss: last epoch. Epochs to target: first epoch "
            f"with validation accuracy ≥ {table.target_accuracy:g} (— never). Dead units: hidden units whose "
            "derivative is 0 on every probe sample after training. Diverged and failed runs are left out.")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int) -> str:
    """A Markdown table; the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if j < left else c.rjust(w)
                                 for j, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if j >= left else ("-" * (w + 2)) for j, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def to_markdown(table: Any) -> str:
    """The summary as a Markdown table (best first) under a line naming the shared settings."""
    if not table.rows:
        return "(no runs)\n"
    header, rows = summary_cells(table)
    return "\n".join([f"Shared settings: {table.shared_settings()}", "",
                      markdown_table(header, rows, len(shown_settings(table))), "", caption(table)]) + "\n"


def summary_csv(table: Any) -> str:
    """The summary's numbers, one row per setting (best first), for pandas or a spreadsheet."""
    summary = table.summary()
    keys = [*table.setting_keys(), "method"]
    stats = [f"{s}_{part}" for s in STATS for part in ("mean", "std", "ci")]
    columns = [k for k in keys if k != "seed"] + ["runs", "diverged", "failed", "reached", "test_finite", *stats]
    if table.vs is not None:
        columns += ["vs", "p_wilcoxon", "p_ttest"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(summary)
    return buffer.getvalue()


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    out = "".join(_TEX.get(ch, ch) for ch in text)
    return out.replace("±", r"$\pm$").replace("≥", r"$\geq$").replace("—", "---").replace("<", r"$<$")


def to_latex(table: Any) -> str:
    """The summary as a LaTeX ``table`` with ``booktabs`` rules (``\\usepackage{booktabs}``)."""
    header, rows = summary_cells(table)
    left = len(shown_settings(table))
    spec = "l" * left + "r" * (len(header) - left)
    body = [" & ".join(tex_escape(c) for c in r) + r" \\" for r in rows]
    return "\n".join([r"\begin{table}[ht]", r"\centering", r"\small",
                      rf"\caption{{{tex_escape(caption(table))} Shared settings: "
                      rf"{tex_escape(table.shared_settings())}.}}",
                      rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                      " & ".join(tex_escape(h) for h in header) + r" \\", r"\midrule", *body,
                      r"\bottomrule", r"\end{tabular}", r"\end{table}"]) + "\n"


def pivot_cells(table: Any, options: ReportOptions) -> tuple[list[str], list[list[str]]]:
    """The pivot table of ``options.metric`` (mean ± std over the runs in each cell) as text cells."""
    row_keys, col_keys, stats = pivot(table.summary(), options.rows, options.cols, options.metric)
    scale = 100.0 if options.metric.endswith("accuracy") else 1.0
    header = [" / ".join(options.rows)] + [
        ", ".join(f"{k}={v}" for k, v in zip(options.cols, c, strict=True)) for c in col_keys]
    rows = []
    for r in row_keys:
        cells = [" / ".join(str(v) for v in r)]
        for c in col_keys:
            mean, std, _ = stats.get((r, c), (None, None, 0))
            cells.append(_pm(None if mean is None else scale * mean, None if std is None else scale * std,
                             "{:.2f}"))
        rows.append(cells)
    return header, rows


def pivot_markdown(table: Any, options: ReportOptions) -> str:
    header, rows = pivot_cells(table, options)
    unit = " (%)" if options.metric.endswith("accuracy") else ""
    return (f"{options.metric}{unit} by {', '.join(options.rows)} × {', '.join(options.cols)} "
            f"(mean ± std over seeds, select={table.select})\n\n" + markdown_table(header, rows, 1) + "\n")


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


_MIME = {".png": "image/png", ".svg": "image/svg+xml"}


def to_html(table: Any, options: ReportOptions, figures: Sequence[str | os.PathLike[str]] = ()) -> str:
    """A self-contained HTML page: the summary, the pivot (if any) and every PNG/SVG figure as a data URI."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>minnet compare</title>',
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border-bottom:1px solid #ccc;padding:0.2em 0.6em;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:100%}</style></head><body>",
             "<h1>minnet compare</h1>", f"<p>Shared settings: {html.escape(table.shared_settings())}</p>"]
    if table.rows:
        parts.append(_html_table(*summary_cells(table)))
        parts.append(f"<p>{html.escape(caption(table))}</p>")
    if options.rows and table.rows:
        parts.append(f"<h2>{html.escape(options.metric)} by {html.escape(', '.join(options.rows))}</h2>")
        parts.append(_html_table(*pivot_cells(table, options)))
    for path in figures:
        path = Path(path)
        mime = _MIME.get(path.suffix)
        if mime is None or not path.exists():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f'<figure><img alt="{html.escape(path.stem)}" src="data:{mime};base64,{data}">'
                     f"<figcaption>{html.escape(path.name)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_reports(table: Any, out: Path, options: ReportOptions,
                  figures: Sequence[str | os.PathLike[str]] = ()) -> list[str]:
    """Write results.csv, the summaries and (with a pivot) pivot.md into ``out``; return the file names."""
    table.to_csv(out / "results.csv")
    write_text_atomic(out / "summary.md", "# minnet compare\n\n" + to_markdown(table))
    write_text_atomic(out / "summary.csv", summary_csv(table))
    write_text_atomic(out / "summary.tex", to_latex(table))
    written = ["results.csv", *SUMMARY_FILES[:3]]
    if options.rows and table.rows:
        write_text_atomic(out / "pivot.md", pivot_markdown(table, options))
        written.append("pivot.md")
    write_text_atomic(out / "report.html", to_html(table, options, figures))
    return [*written, "report.html"]
