"""``mibench estimate``: MI between columns of your own CSV or Parquet file, continuous or
categorical."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from mibench.errorbars import AUTO, METHODS


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


@click.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--x", "x_cols", required=True, help="Comma-separated column names of X.")
@click.option("--y", "y_cols", required=True, help="Comma-separated column names of Y.")
@click.option(
    "--estimator",
    default=None,
    help="Estimator spec: 'name' or 'name[param=value,...]'. Default: chosen from the kinds "
    "of X and Y: ksg (both continuous; mixed-ksg when more than 1 % of the (x, y) rows "
    "repeat, as rounded values do), plugin (both categorical), ross (one of each, with "
    "discrete= on the categorical side). An estimator that does not take the data's kinds "
    "is refused.",
)
@click.option(
    "--categorical",
    "categorical",
    default=None,
    metavar="COL[,COL...]",
    help="Comma-separated columns to treat as categorical although numeric (integer class "
    "labels). String, bool and categorical columns are categorical without it.",
)
@click.option(
    "--bits",
    is_flag=True,
    help="Report in bits instead of nats: the estimate, its error bar and the MI figures of "
    "the JSON's extras (its 'unit', 'extras_unit' and 'mi_extras' say so).",
)
@click.option(
    "--permutations",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Shuffles for a permutation test of independence, which adds its p-value (e.g. "
    "100); 0 runs no test. Each shuffle costs one more estimate (for a neural estimator, "
    "one more fit).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of shuffles and estimator.")
@click.option(
    "--error-bar",
    "error_bar",
    type=click.Choice([AUTO, *(m for m in METHODS if m != "seeds")]),
    default=None,
    help="Add a standard error and 95 % interval: 'auto' (the estimator's own method), "
    "'subsampling' (any estimator), 'bootstrap' (binning, Gaussian), 'held-out' (neural).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def estimate(
    data, x_cols, y_cols, estimator, categorical, bits, permutations, seed, error_bar, as_json
) -> None:
    """Estimate the MI between columns X and Y of a CSV (or Parquet) file DATA.

    Each of X and Y is continuous or categorical: categorical when its columns hold text,
    booleans or a categorical dtype, or are named by --categorical. All the columns of one
    variable must have the same kind; each distinct row of a categorical variable is one
    category. The estimator used, and whether mibench chose it, is printed (and in --json:
    'estimator', 'chosen', 'kinds', 'categories').
    """
    from mibench.api import estimate_mi

    try:
        table = _read_table(data)
        result = estimate_mi(
            x_cols,
            y_cols,
            estimator,
            data=table,
            categorical=categorical,
            bits=bits,
            permutations=permutations,
            seed=seed,
            error_bar=error_bar,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), default=str))
        return
    line = f"I(X; Y) = {result.mi:.4f} {result.unit}"
    if result.stderr is not None:
        line += (
            f" ± {result.stderr:.4f} (standard error, {result.error_bar}); 95 % interval "
            f"[{result.ci_low:.4f}, {result.ci_high:.4f}]"
        )
    if result.bound == "approximate upper bound":
        line += " (an approximate upper bound: above I(X; Y) only where its q(y | x) fits)"
    click.echo(line)
    how = " (chosen for these data)" if result.chosen else ""
    click.echo(
        f"estimator {result.estimator}{how} {result.params}; n = {result.n}, "
        f"dim_x = {result.dim_x}, dim_y = {result.dim_y}; status {result.status}"
    )
    sides = []
    for side, kind, count in zip("XY", result.kinds, result.categories, strict=True):
        noun = "category" if count == 1 else "categories"
        sides.append(f"{side} {kind}" + (f" ({count} {noun})" if count is not None else ""))
    click.echo("variables: " + ", ".join(sides))
    if result.p_value is not None:
        click.echo(
            f"permutation test of independence: p = {result.p_value:.4g} "
            f"({result.permutations} permutations)"
        )
    if result.message:
        click.echo(f"note: {result.message}")
