"""``mibench compare``: differences between two result sets; exit status 1 on a regression."""

from __future__ import annotations

from pathlib import Path

import click

from mibench.report.compare import DEFAULT_ATOL, DEFAULT_RTOL


@click.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--atol",
    type=click.FloatRange(min=0),
    default=DEFAULT_ATOL,
    show_default=True,
    help="Absolute tolerance (nats) on growth of |bias| and RMSE per (task, estimator, n); "
    "the tolerance used is max(atol, 3 standard errors of the bias difference).",
)
@click.option(
    "--rtol",
    type=click.FloatRange(min=0),
    default=DEFAULT_RTOL,
    show_default=True,
    help="Relative tolerance on per-cell values of deterministic estimators.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the full comparison tables (compare_summary.csv, compare_cells.csv) here.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Most rows printed per table.",
)
@click.pass_context
def compare(
    ctx: click.Context,
    base: Path,
    new: Path,
    atol: float,
    rtol: float,
    out: Path | None,
    max_rows: int,
) -> None:
    """Compare result set NEW against BASE; exit status 1 on a regression.

    BASE and NEW are run folders or .sqlite/.parquet/.csv results files.
    Exit status 1 when something regressed: |bias| or RMSE of a (task, estimator, n) grew by
    more than the tolerance, a cell that was ok in BASE is not ok in NEW, or a deterministic
    estimator's value for a cell changed by more than RTOL. Cells and summaries present on one
    side only are reported but are not regressions. Exit status 1 too when no (task,
    estimator, n) is on both sides: nothing was compared.
    """
    from mibench.report.compare import compare_results
    from mibench.report.load import load_results

    try:
        base_df, new_df = load_results(base), load_results(new)
        result = compare_results(base_df, new_df, atol=atol, rtol=rtol)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(result.to_text(max_rows))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        for name, table in (("compare_summary", result.summary), ("compare_cells", result.cells)):
            table.to_csv(out / f"{name}.csv", index=False)
            click.echo(f"wrote {out / f'{name}.csv'}")
    if not result.compared:
        click.echo(
            "nothing compared: no (task, estimator label, n) is in both BASE and NEW",
            err=True,
        )
    ctx.exit(1 if result.regressed or not result.compared else 0)
