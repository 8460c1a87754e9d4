"""``radiovector keys ...``: this laboratory's signing key and the partners whose signed crates it trusts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from radiovector.cli.common import JsonOption, console, err_console, print_json, print_table

if TYPE_CHECKING:
    from radiovector.store.signing import Keyring

app = typer.Typer(
    help=(
        "Signing keys for shared runs: create your key, show its public half to send to partners, and keep the "
        "list of partners whose signed crates `runs import` accepts. Keys live in the configuration directory "
        "($RADIOVECTOR_CONFIG_DIR, else ~/.config/radiovector)."
    ),
    no_args_is_help=True,
)

ConfigDirOption = typer.Option(
    None,
    "--config-dir",
    help="Directory of the keys and the trusted-keys list. Default: $RADIOVECTOR_CONFIG_DIR, else "
    "$XDG_CONFIG_HOME/radiovector, else ~/.config/radiovector.",
    show_default=False,
)
KeyNameOption = typer.Option("default", "--name", "-n", help="Name of your key pair (its file name in keys/).")


def _keyring(config_dir: Path | None) -> Keyring:
    from radiovector.store.signing import Keyring  # imported when used: keeps `radiovector --help` fast

    return Keyring(config_dir)


@app.command("create")
def create_key(name: str = KeyNameOption, config_dir: Path = ConfigDirOption, as_json: bool = JsonOption) -> None:
    """Create your Ed25519 key pair (once per laboratory or person); an existing key is kept, never replaced.

    The private key (keys/NAME.key) is readable by you only (mode 0600): never send it.

    Send the public key (`radiovector keys show -o FILE.pub`) to partners; tell them its fingerprint by phone.

    Example: radiovector keys create
    """
    keyring = _keyring(config_dir)
    key, created = keyring.create_key(name)
    info = {
        "name": key.name,
        "fingerprint": key.fingerprint,
        "private_key": str(key.path),
        "public_key_file": str(key.path.with_suffix(".pub")) if key.path else None,
        "created": created,
    }
    if as_json:
        print_json(info)
        return
    if created:
        console.print(f"[bold green]created key {key.name!r}[/] {key.fingerprint}", highlight=False)
    else:
        console.print(f"key {key.name!r} already exists ({key.fingerprint}); kept it", highlight=False)
    console.print(
        f"  private key: {info['private_key']} (mode 0600: keep it secret; back it up)\n"
        f"  public key:  {info['public_key_file']}\n"
        "next: send the public key to your partners (`radiovector keys show -o my-lab.pub`); `runs export` now "
        "signs your crates",
        highlight=False,
    )


@app.command("show")
def show_key(
    name: str = KeyNameOption,
    output: Path = typer.Option(
        None, "--output", "-o", help="Also write the public key to this file (FILE.pub) to send.", show_default=False
    ),
    config_dir: Path = ConfigDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Show your public key and its fingerprint (the public half only; safe to send).

    Example: radiovector keys show -o lab-a.pub
    """
    from radiovector.store.signing import KeyringError

    key = _keyring(config_dir).signing_key(name)
    line = key.public_line()
    if output is not None:
        try:
            output.write_text(line + "\n", encoding="utf-8")
        except OSError as exc:
            raise KeyringError(f"cannot write the public key to {output}: {exc.strerror or exc}") from exc
    if as_json:
        print_json(
            {
                "name": key.name,
                "fingerprint": key.fingerprint,
                "public_key": line,
                "written_to": str(output) if output else None,
            }
        )
        return
    console.print(line, highlight=False, soft_wrap=True)
    err_console.print(f"fingerprint {key.fingerprint}" + (f"; written to {output}" if output else ""), highlight=False)


@app.command("trust")
def trust_key(
    public_key: str = typer.Argument(
        ...,
        help="A partner's public key file (FILE.pub from `keys show -o`), or the key line itself "
        "('ssh-ed25519 AAAA...').",
    ),
    name: str = typer.Option(
        ...,
        "--name",
        "-n",
        help="Your name for this partner (recorded with every run they sign).",
        show_default=False,
    ),
    config_dir: Path = ConfigDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Trust a partner's public key: `runs import` then accepts crates it signed and records NAME as the signer.

    Check the fingerprint printed here with the partner by another channel (phone, in person) first.

    Whoever holds the matching private key can sign runs in that partner's name.

    Example: radiovector keys trust lab-a.pub --name "Lab A"
    """
    path = Path(public_key)
    is_file = not public_key.lstrip().startswith("ssh-") and path.is_file()
    text = path.read_text(encoding="utf-8", errors="replace") if is_file else public_key
    entry = _keyring(config_dir).trust(name, text, str(path) if is_file else "the public key")
    if as_json:
        print_json({"name": name, **entry})
        return
    console.print(f"[bold green]trusting {name!r}[/] {entry['fingerprint']}", highlight=False)
    console.print("  check this fingerprint with the partner by another channel", highlight=False)


@app.command("list")
def list_keys(config_dir: Path = ConfigDirOption, as_json: bool = JsonOption) -> None:
    """List your own keys and the partners' keys you trust.

    Example: radiovector keys list
    """
    keyring = _keyring(config_dir)
    own, trusted = keyring.own_keys(), keyring.trusted()
    rows = [{"name": n, "fingerprint": e["fingerprint"], "added_at": e["added_at"]} for n, e in trusted.items()]
    if as_json:
        print_json({"config_dir": str(keyring.home), "own": own, "trusted": rows})
        return
    if own:
        print_table(own, title=f"your keys ({keyring.keys_dir})", columns=["name", "fingerprint"])
    else:
        err_console.print(f"no key of your own in {keyring.keys_dir}; create one with `radiovector keys create`")
    if rows:
        print_table(rows, title=f"trusted partners ({keyring.trusted_file})")
    else:
        err_console.print("no trusted partner keys; add one with `radiovector keys trust FILE.pub --name NAME`")


@app.command("untrust")
def untrust_key(
    name: str = typer.Argument(..., help="The partner's name, as `radiovector keys list` shows it."),
    config_dir: Path = ConfigDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Stop trusting a partner's key: later imports of crates it signed are refused.

    Runs imported before keep their signer record.

    Example: radiovector keys untrust "Lab A"
    """
    entry = _keyring(config_dir).untrust(name)
    if as_json:
        print_json({"name": name, **entry})
        return
    console.print(f"no longer trusting {name!r} ({entry['fingerprint']})", highlight=False)
