"""``radiovector runs ...``: list, show, query (SQL), compare and maintain the runs in a store."""

from __future__ import annotations

import json
from datetime import timedelta

import typer

from radiovector.cli.common import (
    JsonOption,
    StoreOption,
    arrow_rows,
    console,
    err_console,
    jsonable,
    open_store,
    print_json,
    print_table,
)
from radiovector.errors import RadioVectorError

app = typer.Typer(
    help="Inspect the results store: list runs, show one, query with SQL, diff two runs.",
    no_args_is_help=True,
)

LIST_COLUMNS = ["run_id", "status", "title", "started_at", "committed_at", "duration_s", "git_commit", "user", "host"]


@app.command("list")
def list_runs(store: str = StoreOption, as_json: bool = JsonOption) -> None:
    """List the committed runs in the order this store committed them (committed_at), oldest first.

    Example: radiovector runs list --store results/store
    """
    frame = open_store(store).runs()
    frame["title"] = [json.loads(c).get("title") if c else None for c in frame["config_json"]]
    rows = [jsonable(r) for r in frame[LIST_COLUMNS].to_dict(orient="records")]
    for row in rows:
        if row["git_commit"]:
            row["git_commit"] = row["git_commit"][:10]
    if as_json:
        print_json(rows)
    elif not rows:
        err_console.print("the store has no runs yet; start one with `radiovector run`")
    else:
        print_table(rows, title=f"{len(rows)} run(s)")


@app.command("show")
def show_run(
    run: str = typer.Argument(..., help="Run id, a unique prefix of it, 'latest' or 'latest~N'."),
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Show one run: status, provenance (config, input checksums, versions, git), tables and rejects.

    Example: radiovector runs show latest
    """
    results = open_store(store)
    record = results.get_run(run)
    run_id = record["run_id"]
    if "rejects" in results.table_names() and record["status"] == "succeeded":
        rejects = results.read("rejects", run_id)
        by_input = rejects.group_by(["input"]).aggregate([("row_number", "count")]) if rejects.num_rows else None
        record["rejects_by_input"] = (
            {}
            if by_input is None
            else dict(zip(by_input["input"].to_pylist(), by_input["row_number_count"].to_pylist(), strict=True))
        )
        record["rejects_sample"] = arrow_rows(rejects.slice(0, 10))
    if as_json:
        print_json(record)
        return
    console.print(f"[bold]run {run_id}[/]  status: {record['status']}")
    for key in (
        "started_at",
        "finished_at",
        "duration_s",
        "user",
        "host",
        "git_commit",
        "git_dirty",
        "radiovector_version",
        "snakemake_version",
        "python_version",
        "report_path",
        "command",
    ):
        console.print(f"  {key}: {jsonable(record[key])}", highlight=False)
    if record["error"]:
        console.print(f"  [red]error:[/] {record['error']}", highlight=False)
    if record["origin"]:
        console.print(f"  origin: {record['origin']}", highlight=False)
    if record.get("signature_status"):
        signer = f" by {record['signer_name']!r}" if record.get("signer_name") else ""
        key = f" (key {record['signer_fingerprint']})" if record.get("signer_fingerprint") else ""
        console.print(f"  signature at import: {record['signature_status']}{signer}{key}", highlight=False)
    if record["inputs"]:
        print_table(
            [{"input": k, **v} for k, v in sorted(record["inputs"].items())],
            title="inputs",
            columns=["input", "path", "sha256", "rows_in", "rows_accepted", "rows_rejected"],
        )
    if record["tables"]:
        print_table(
            [{"table": k, "rows": v["rows"], "key": ", ".join(v["key"])} for k, v in sorted(record["tables"].items())],
            title="tables",
        )
    if record.get("rejects_sample"):
        print_table(
            record["rejects_sample"],
            title=f"rejects (first 10; by input: {record['rejects_by_input']})",
            columns=["input", "row_number", "column", "value", "reason"],
        )
    console.print(f"  versions: {record['versions']}", highlight=False)


@app.command("sql")
def sql(
    query: str = typer.Argument(..., help="A SQL query (DuckDB dialect). Each store table is a view."),
    store: str = StoreOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(1000, help="Rows printed at most (the query itself is not limited)."),
) -> None:
    """Query the store with SQL: one view per table (runs, inputs, rejects, results), committed runs only.

    Example: radiovector runs sql "SELECT input, count(*) FROM rejects GROUP BY input"
    """
    result = open_store(store).sql(query)
    rows = arrow_rows(result.slice(0, limit))
    if as_json:
        print_json(rows)
        return
    print_table(rows, columns=result.column_names, title=f"{result.num_rows} row(s)")
    if result.num_rows > limit:
        err_console.print(f"{result.num_rows - limit} more rows not shown (--limit)")


@app.command("diff")
def diff(
    run_a: str = typer.Argument(..., help="The earlier run (id, prefix, latest~N)."),
    run_b: str = typer.Argument(..., help="The later run."),
    table: str = typer.Option(..., "--table", "-t", help="Result table to compare, e.g. targets or rejects."),
    key: str = typer.Option(
        None,
        "--key",
        "-k",
        help="Comma-separated key columns (default: the key the stage declared).",
        show_default=False,
    ),
    rtol: float = typer.Option(0.0, help="Relative tolerance for comparing floating-point values."),
    limit: int = typer.Option(50, help="Rows listed per kind of change."),
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Compare one table between two runs by key: rows added, removed, changed, and which columns changed.

    Example: radiovector runs diff latest~1 latest --table rejects
    """
    from radiovector.store.diff import diff_runs

    keys = [k.strip() for k in key.split(",") if k.strip()] if key else None
    result = diff_runs(open_store(store), run_a, run_b, table, keys, rtol=rtol)
    if as_json:
        print_json(result.to_json(limit))
        return
    s = result.summary()
    console.print(
        f"[bold]{table}[/]: {s['run_a']} -> {s['run_b']} (key: {', '.join(s['key'])})\n"
        f"  added {s['added']}, removed {s['removed']}, changed {s['changed']}, unchanged {s['unchanged']}",
        highlight=False,
    )
    if s["changed_columns"]:
        console.print(f"  changed columns (rows): {s['changed_columns']}", highlight=False)
    details = result.to_json(limit)["rows"]
    for kind in ("added", "removed"):
        if details[kind]:
            print_table(details[kind], title=f"{kind} (first {limit})")
    if details["changed"]:
        print_table(
            [{**row["key"], "changed columns": ", ".join(row["columns"])} for row in details["changed"]],
            title=f"changed (first {limit})",
        )


@app.command("compact")
def compact(
    store: str = StoreOption,
    no_vacuum: bool = typer.Option(False, "--no-vacuum", help="Keep unreferenced files (no VACUUM)."),
    as_json: bool = JsonOption,
) -> None:
    """Merge the many small files that runs accumulate into few large ones (faster queries); data unchanged.

    Example: radiovector runs compact --store results/store
    """
    report = open_store(store).compact(vacuum=not no_vacuum)
    if as_json:
        print_json(report)
    else:
        print_table([{"table": k, **v} for k, v in report.items()], title="compacted")


@app.command("clean")
def clean(
    grace_minutes: float = typer.Option(
        30.0, help="Only delete rows of incomplete runs written longer ago than this (minutes; at least 10)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Allow a grace period below 10 minutes: only when no other process writes the store."
    ),
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Delete rows left by runs that crashed before committing (they are never visible in queries).

    Refused while a table's log is damaged (see `runs check`).

    Example: radiovector runs clean --grace-minutes 60
    """
    if grace_minutes < 0:
        raise RadioVectorError("--grace-minutes must not be negative")
    deleted = open_store(store).clean_orphans(timedelta(minutes=grace_minutes), force=force)
    if as_json:
        print_json({"deleted_rows": deleted})
    else:
        console.print(f"deleted rows of incomplete runs: {deleted or 'none'}")


@app.command("check")
def check(store: str = StoreOption, as_json: bool = JsonOption) -> None:
    """Check the store's health: every table's Delta log readable and complete, one runs row per run, and rows of
    incomplete runs counted. Exits with status 1 on damage.

    Example: radiovector runs check --store results/store
    """
    from radiovector.store.delta import damage_hint

    report = open_store(store).check()
    if as_json:
        print_json(report)
    else:
        rows = [
            {
                "table": name,
                **{k: v for k, v in entry.items() if k != "problems"},
                "problems": "; ".join(entry["problems"]) or "none",
            }
            for name, entry in report["tables"].items()
        ]
        print_table(rows, title=f"store {report['store']}")
        orphans = sum(e["orphan_rows"] or 0 for e in report["tables"].values())
        if orphans:
            err_console.print(f"{orphans} rows of incomplete runs (invisible); `radiovector runs clean` removes them")
    if not report["ok"]:
        damaged = [n for n, e in report["tables"].items() if e["problems"]]
        raise RadioVectorError(
            f"the store is damaged: {'; '.join(report['problems'][:5])}",
            hint=damage_hint(damaged[0])
            if damaged
            else "`radiovector runs clean` withdraws the duplicate rows once older than the grace period",
        )
    if not as_json:
        console.print("store is healthy")
