"""``radiovector runs export`` / ``runs import``: share runs as signed, verified Workflow Run RO-Crate zips."""

from __future__ import annotations

from pathlib import Path

import typer

from radiovector.cli.common import JsonOption, StoreOption, console, err_console, open_store, print_json
from radiovector.cli.keys import ConfigDirOption
from radiovector.store.limits import ImportLimits

_LIMITS = ImportLimits()


def register(runs_app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the ``runs`` command group."""
    runs_app.command("export")(export_command)
    runs_app.command("import")(import_command)


def export_command(
    run: str = typer.Argument(..., help="Run id, a unique prefix of it, 'latest' or 'latest~N'."),
    output: Path = typer.Option(..., "--output", "-o", help="The crate file to write (FILE.zip).", show_default=False),
    no_inputs: bool = typer.Option(
        False, "--no-inputs", help="Leave the input files out; the crate then records only their sha256."
    ),
    key: str = typer.Option(
        None,
        "--key",
        help="Sign with this key of yours (`radiovector keys list`). Default: your key 'default', if it exists.",
        show_default=False,
    ),
    unsigned: bool = typer.Option(
        False, "--unsigned", help="Do not sign the crate (partners then refuse it unless they --allow-unsigned)."
    ),
    config_dir: Path = ConfigDirOption,
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Export one run as a signed Workflow Run RO-Crate zip.

    It holds the result tables (Parquet), inputs, config, provenance and the sha256 of every file.

    It is signed with your Ed25519 key (create it once with `radiovector keys create`).

    Example: radiovector runs export latest -o run.zip
    """
    from radiovector.store.crate import export_run
    from radiovector.store.signing import DEFAULT_KEY, Keyring

    if unsigned and key:
        raise typer.BadParameter("give either --key or --unsigned, not both")
    keyring = Keyring(config_dir)
    signing = None if unsigned else keyring.signing_key(key) if key else None
    if not unsigned and not key and keyring.has_key(DEFAULT_KEY):
        signing = keyring.signing_key(DEFAULT_KEY)
    summary = export_run(open_store(store), run, output, include_inputs=not no_inputs, key=signing)
    if signing is None and not unsigned:
        err_console.print(
            f"[yellow]warning:[/] the crate is NOT signed: you have no key in {keyring.keys_dir}. Partners will "
            "refuse it unless they import with --allow-unsigned.\n  hint: create your key once with "
            "`radiovector keys create`, send your partners `radiovector keys show -o my-lab.pub`, and export again",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        print_json(summary)
        return
    rows = sum(n or 0 for n in summary["tables"].values())
    signed = summary["signed_by"]
    console.print(
        f"[bold green]exported run {summary['run_id']}[/] to {summary['file']} "
        f"({summary['size_bytes'] / 1e6:.1f} MB, {len(summary['tables'])} tables, {rows} rows, "
        f"inputs {'included' if summary['inputs_included'] else 'as checksums only'})\n"
        f"  sha256 {summary['sha256']}\n"
        + (f"  signed with key {signed['key_name']!r} {signed['fingerprint']}\n" if signed else "  unsigned\n")
        + f"next (at the receiving site): radiovector runs import {Path(summary['file']).name} --institution ...",
        highlight=False,
    )


def import_command(
    crate: Path = typer.Argument(..., help="A crate zip written by `radiovector runs export`."),
    institution: str = typer.Option(
        None, "--institution", help="Institution the run comes from (recorded with the run).", show_default=False
    ),
    person: str = typer.Option(
        None,
        "--person",
        help="Person who sent the run (recorded; default: the exporting user named in the crate).",
        show_default=False,
    ),
    allow_unsigned: bool = typer.Option(
        False,
        "--allow-unsigned",
        help="Also import a crate that is unsigned or signed by a key you do not trust; the run records this "
        "(signature_status unsigned/untrusted). A signature that does not match is refused regardless.",
    ),
    max_rows: int = typer.Option(
        _LIMITS.max_rows, "--max-rows", min=1, help="Refuse a crate with a table of more rows than this."
    ),
    max_memory_mib: int = typer.Option(
        _LIMITS.max_bytes >> 20,
        "--max-memory-mib",
        min=1,
        help="Refuse a crate whose tables take more memory than this, decoded (MiB).",
    ),
    max_unzipped_mib: int = typer.Option(
        _LIMITS.max_unzipped_bytes >> 20,
        "--max-unzipped-mib",
        min=1,
        help="Refuse a crate whose files unzip to more than this (MiB).",
    ),
    config_dir: Path = ConfigDirOption,
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Verify a run crate (every sha256, the signature, that you trust the signer) and import the run.

    The run is then listed and queried like a local run; the signer is recorded with it.

    Nothing is written unless the whole crate verifies; an existing run is never overwritten.

    Tables over the limits are refused from their Parquet metadata, before they are read.

    Example: radiovector runs import run.zip --institution "Uni Example" --person "A. Chemist"
    """
    from radiovector.store.crate import import_run
    from radiovector.store.signing import Keyring

    limits = ImportLimits(max_rows=max_rows, max_bytes=max_memory_mib << 20, max_unzipped_bytes=max_unzipped_mib << 20)
    summary = import_run(
        open_store(store),
        crate,
        {"institution": institution, "person": person},
        keyring=Keyring(config_dir),
        allow_unsigned=allow_unsigned,
        limits=limits,
    )
    if as_json:
        print_json(summary)
        return
    signature = summary["signature"]
    if signature["status"] == "verified":
        signed = f"signed by {signature['signer_name']!r} ({signature['fingerprint']})"
    elif signature["status"] == "untrusted":
        signed = f"[yellow]signed by an UNTRUSTED key {signature['fingerprint']}[/] (imported with --allow-unsigned)"
    else:
        signed = "[yellow]UNSIGNED[/] (imported with --allow-unsigned)"
    console.print(
        f"[bold green]imported run {summary['run_id']}[/] into {summary['store']} "
        f"({len(summary['tables'])} tables, {sum(summary['tables'].values())} rows; all checksums verified; "
        f"{signed})\n"
        f"  origin: institution {summary['origin'].get('institution')}, person {summary['origin'].get('person')}, "
        f"imported at {summary['origin']['imported_at']}\n"
        f"next: radiovector runs show {summary['run_id']}",
        highlight=False,
    )
