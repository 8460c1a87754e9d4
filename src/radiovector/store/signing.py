"""Signed run crates: Ed25519 keys, the list of trusted partners, and the signature over a crate's manifest.

Why Ed25519 with the ``cryptography`` package, what is signed and what a signature proves: see
docs/decision-signed-crates.md. In short:

- a laboratory's key pair lives in its configuration directory (:func:`config_dir`): ``keys/<name>.key`` (PKCS#8
  PEM, mode 0600) and ``keys/<name>.pub`` (one OpenSSH line, ``ssh-ed25519 AAAA... comment``, to send to
  partners);
- the partners a laboratory trusts are named public keys in ``trusted-keys.json`` in the same directory;
- a crate carries ``signature-ed25519.json``: the signer's public key and an Ed25519 signature over
  :func:`signed_payload`, a canonical JSON serialisation of the crate's manifest (every file's path, sha256 and
  size), the run id and the crate format. The receiver rebuilds that payload from the files it actually holds,
  so a crate whose table was edited and whose checksums were recomputed fails the signature.

A fingerprint is ``SHA256:`` + unpadded base64 of the sha256 of the public key's OpenSSH wire blob: the same
string ``ssh-keygen -l -f KEY.pub`` prints, so partners can compare it over the phone with either tool.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from radiovector.errors import RadioVectorError

#: Environment variable naming the configuration directory (keys, trusted keys).
CONFIG_ENV = "RADIOVECTOR_CONFIG_DIR"
#: Name of the crate member that holds the signature (not listed in the manifest: it signs the manifest).
SIGNATURE_FILE = "signature-ed25519.json"
#: Domain separation: a signature over a crate payload can never be taken for a signature over anything else.
PAYLOAD_CONTEXT = "radiovector-crate-signature-v1"
DEFAULT_KEY = "default"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,62}[A-Za-z0-9._@+-]|[A-Za-z0-9]")
_KEY_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TRUSTED_FORMAT = "radiovector-trusted-keys"


class KeyringError(RadioVectorError):
    """A key or the list of trusted keys is missing, malformed or unsafe."""


def config_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """RadioVector's configuration directory: ``path`` if given, else ``$RADIOVECTOR_CONFIG_DIR``, else
    ``$XDG_CONFIG_HOME/radiovector``, else ``~/.config/radiovector``."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "radiovector"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """``SHA256:<unpadded base64>`` of the key's OpenSSH wire blob (as ``ssh-keygen -l`` prints it)."""
    line = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def public_key_line(public_key: Ed25519PublicKey, comment: str = "") -> str:
    """The key as one OpenSSH line, ``ssh-ed25519 AAAA... comment``."""
    line = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip()


def parse_public_key(text: str, source: str = "the public key") -> Ed25519PublicKey:
    """An Ed25519 public key from an OpenSSH line (``ssh-ed25519 AAAA... [comment]``); :class:`KeyringError`
    naming ``source`` otherwise."""
    fields = text.strip().split()
    if len(fields) < 2 or fields[0] != "ssh-ed25519":
        raise KeyringError(
            f"{source} is not an Ed25519 public key line ('ssh-ed25519 AAAA... name')",
            hint="send and trust the .pub file written by `radiovector keys show -o FILE.pub`",
        )
    try:
        key = serialization.load_ssh_public_key(f"{fields[0]} {fields[1]}".encode())
    except (ValueError, UnsupportedAlgorithm, binascii.Error) as exc:
        raise KeyringError(f"{source} is not a valid Ed25519 public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):  # pragma: no cover - the prefix was checked
        raise KeyringError(f"{source} is not an Ed25519 public key")
    return key


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it is 1-64 letters, digits, spaces and ``._@+-`` (not starting or ending with a space)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise KeyringError(
            f"invalid {what} {name!r}",
            hint="use 1-64 letters, digits, spaces and . _ @ + - (e.g. 'lab-a' or 'Uni Example')",
        )
    return name


@dataclass(frozen=True)
class SigningKey:
    """One of this laboratory's key pairs (``name`` is its file name in ``keys/``)."""

    name: str
    private_key: Ed25519PrivateKey
    path: Path | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def public_line(self) -> str:
        return public_key_line(self.public_key, self.name)

    @classmethod
    def generate(cls, name: str = DEFAULT_KEY) -> SigningKey:
        return cls(name, Ed25519PrivateKey.generate())


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``path`` completely or not at all (temporary file in the same directory, then renamed), with
    permissions ``mode`` from the start."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Keyring:
    """This laboratory's keys and the public keys of the partners it trusts, in :func:`config_dir`."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = config_dir(home)

    def __repr__(self) -> str:
        return f"Keyring({str(self.home)!r})"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def trusted_file(self) -> Path:
        return self.home / "trusted-keys.json"

    # ------------------------------------------------------------------ own keys
    def _key_path(self, name: str) -> Path:
        if not _KEY_FILE.fullmatch(name):
            raise KeyringError(
                f"invalid key name {name!r}", hint="key names are 1-64 letters, digits, '.', '_' and '-'"
            )
        return self.keys_dir / f"{name}.key"

    def has_key(self, name: str = DEFAULT_KEY) -> bool:
        return self._key_path(name).is_file()

    def create_key(self, name: str = DEFAULT_KEY) -> tuple[SigningKey, bool]:
        """(the key pair ``name``, True if it was created now). An existing key is kept, never replaced: partners
        trust it. The private key file is written with mode 0600 in a directory with mode 0700."""
        path = self._key_path(name)
        if path.exists():
            return self.signing_key(name), False
        self.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.keys_dir, 0o700)
        key = SigningKey.generate(name)
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(pem)
        _write_atomic(path.with_suffix(".pub"), (key.public_line() + "\n").encode(), 0o644)
        return SigningKey(name, key.private_key, path), True

    def signing_key(self, name: str = DEFAULT_KEY) -> SigningKey:
        """The key pair ``name``; :class:`KeyringError` if it is missing, readable by others, or malformed."""
        path = self._key_path(name)
        if not path.is_file():
            raise KeyringError(
                f"no signing key {name!r} in {self.keys_dir}",
                hint=f"create one with `radiovector keys create{'' if name == DEFAULT_KEY else ' --name ' + name}`"
                f"{'' if self.home == config_dir() else ' --config-dir ' + str(self.home)}",
            )
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyringError(
                f"the private key {path} is readable by other users (mode {mode:04o}); refusing to use it",
                hint=f"`chmod 600 {path}`; if others could read it, create a new key and tell your partners",
            )
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise KeyringError(f"{path} is not a readable unencrypted Ed25519 private key ({exc})") from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyringError(f"{path} holds a {type(private).__name__}, not an Ed25519 key")
        return SigningKey(name, private, path)

    def own_keys(self) -> list[dict[str, str]]:
        """This laboratory's key pairs: name, fingerprint, private key file."""
        if not self.keys_dir.is_dir():
            return []
        found = []
        for path in sorted(self.keys_dir.glob("*.key")):
            key = self.signing_key(path.stem)
            found.append({"name": key.name, "fingerprint": key.fingerprint, "file": str(path)})
        return found

    # ------------------------------------------------------------------ trusted partners
    def trusted(self) -> dict[str, dict[str, str]]:
        """Trusted public keys by name: ``public_key`` (OpenSSH line), ``fingerprint``, ``added_at``."""
        path = self.trusted_file
        if not path.is_file():
            return {}
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != _TRUSTED_FORMAT or not isinstance(doc.get("keys"), dict):
                raise ValueError("not a trusted-keys file")
            keys: dict[str, dict[str, str]] = doc["keys"]
            for name, entry in keys.items():
                check_name(name)
                key = parse_public_key(entry["public_key"], f"trusted key {name!r}")
                if fingerprint(key) != entry["fingerprint"]:
                    raise ValueError(f"the fingerprint of {name!r} does not match its key")
        except (ValueError, KeyError, TypeError, AttributeError, KeyringError) as exc:
            raise KeyringError(
                f"the list of trusted keys {path} is malformed ({exc})",
                hint="fix or move the file; `radiovector keys trust` writes it",
            ) from exc
        return keys

    def _save_trusted(self, keys: dict[str, dict[str, str]]) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {"format": _TRUSTED_FORMAT, "version": 1, "keys": dict(sorted(keys.items()))}
        _write_atomic(self.trusted_file, (json.dumps(doc, indent=1) + "\n").encode(), 0o644)

    def trust(self, name: str, public_key: str | Ed25519PublicKey, source: str = "the public key") -> dict[str, str]:
        """Trust ``public_key`` (an OpenSSH line or key) as partner ``name``; returns its entry. Trusting the same
        key under the same name again changes nothing; a name or a key already trusted otherwise is refused
        (untrust it first)."""
        check_name(name, "partner name")
        key = public_key if isinstance(public_key, Ed25519PublicKey) else parse_public_key(public_key, source)
        keys = self.trusted()
        fp = fingerprint(key)
        if name in keys and keys[name]["fingerprint"] == fp:
            return keys[name]
        if name in keys:
            raise KeyringError(
                f"a key named {name!r} is already trusted ({keys[name]['fingerprint']})",
                hint=f"`radiovector keys untrust {name!r}` first, or choose another name",
            )
        same = [n for n, e in keys.items() if e["fingerprint"] == fp]
        if same:
            raise KeyringError(f"this key ({fp}) is already trusted as {same[0]!r}", hint="nothing to do")
        entry = {"public_key": public_key_line(key), "fingerprint": fp, "added_at": datetime.now(UTC).isoformat()}
        self._save_trusted({**keys, name: entry})
        return entry

    def untrust(self, name: str) -> dict[str, str]:
        """Stop trusting partner ``name``; returns the removed entry. Runs imported before keep their record."""
        keys = self.trusted()
        if name not in keys:
            raise KeyringError(
                f"no trusted key named {name!r} in {self.trusted_file}",
                hint=f"trusted: {sorted(keys) or 'none'} (`radiovector keys list`)",
            )
        entry = keys.pop(name)
        self._save_trusted(keys)
        return entry

    def trusted_name(self, fp: str) -> str | None:
        """The name under which the key with fingerprint ``fp`` is trusted, or None."""
        return next((n for n, e in self.trusted().items() if e["fingerprint"] == fp), None)


# ---------------------------------------------------------------------------------------------------- signatures
def signed_payload(
    run_id: Any, crate_format: Any, files: Iterable[tuple[str, str, int]], signer: str, signed_at: str
) -> bytes:
    """The exact bytes a crate signature covers: canonical JSON (keys sorted, no spaces, ASCII) of the context
    string, the run id, the crate format, the signer's fingerprint, the signing time and every file of the crate
    except the signature itself as ``[path, sha256, size in bytes]``, sorted by path."""
    doc = {
        "context": PAYLOAD_CONTEXT,
        "run_id": run_id,
        "crate_format": crate_format,
        "signer": signer,
        "signed_at": signed_at,
        "files": sorted([str(p), str(s), int(n)] for p, s, n in files),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_crate(
    key: SigningKey, run_id: str, crate_format: int, files: Iterable[tuple[str, str, int]]
) -> dict[str, Any]:
    """The signature document (``signature-ed25519.json``) of a crate with ``files`` (path, sha256, size)."""
    signed_at = datetime.now(UTC).isoformat()
    payload = signed_payload(run_id, crate_format, files, key.fingerprint, signed_at)
    return {
        "format": "radiovector-crate-signature",
        "version": 1,
        "algorithm": "Ed25519",
        "public_key": key.public_line(),
        "fingerprint": key.fingerprint,
        "key_name": key.name,
        "signed_at": signed_at,
        "signature": base64.b64encode(key.private_key.sign(payload)).decode(),
    }


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome of :func:`check_signature`: ``status`` is ``verified`` (valid signature by a trusted key),
    ``untrusted`` (valid signature by a key not in the trusted list) or ``unsigned`` (no signature)."""

    status: str
    signer_name: str | None = None
    fingerprint: str | None = None
    public_key: str | None = None
    key_name: str | None = None
    signed_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class BadSignature(RadioVectorError):
    """The crate's signature is malformed or does not match the crate's contents."""


def check_signature(
    signature: bytes | None, run_id: Any, crate_format: Any, files: Iterable[tuple[str, str, int]], keyring: Keyring
) -> SignatureCheck:
    """Check the signature document ``signature`` (raw bytes of ``signature-ed25519.json``; None if the crate has
    none) against the crate's actual files (path, sha256, size), run id and format, and the trusted keys.

    Raises :class:`BadSignature` for a malformed signature or one that does not verify (the crate or the signature
    was changed after signing). Whether the signer is trusted is reported in the result, not raised: the caller
    decides (import refuses unless ``--allow-unsigned``).
    """
    if signature is None:
        return SignatureCheck("unsigned")
    try:
        doc = json.loads(signature)
        if not isinstance(doc, dict) or doc.get("format") != "radiovector-crate-signature":
            raise ValueError("not a RadioVector crate signature")
        if doc.get("version") != 1 or doc.get("algorithm") != "Ed25519":
            raise ValueError(f"unsupported signature version {doc.get('version')!r} / {doc.get('algorithm')!r}")
        signed_at, key_name = doc.get("signed_at"), doc.get("key_name")
        if not isinstance(signed_at, str) or len(signed_at) > 64:
            raise ValueError("signed_at is not a time")
        datetime.fromisoformat(signed_at)
        if key_name is not None and not isinstance(key_name, str):
            raise ValueError("key_name is not a string")
        raw = base64.b64decode(str(doc.get("signature")), validate=True)
        if len(raw) != 64:
            raise ValueError(f"an Ed25519 signature has 64 bytes, not {len(raw)}")
        key = parse_public_key(str(doc.get("public_key")), "the signer's public key")
    except (ValueError, UnicodeDecodeError, binascii.Error, KeyringError) as exc:
        message = exc.message if isinstance(exc, KeyringError) else str(exc)
        raise BadSignature(f"the signature file {SIGNATURE_FILE} is malformed ({message})") from exc
    fp = fingerprint(key)
    if doc.get("fingerprint") not in (None, fp):
        raise BadSignature(f"the signature names fingerprint {doc.get('fingerprint')!r} but its key is {fp}")
    payload = signed_payload(run_id, crate_format, files, fp, signed_at)
    try:
        key.verify(raw, payload)
    except InvalidSignature as exc:
        raise BadSignature(
            "the signature does not match the crate's contents: a file, the run record or the signature was "
            "changed after the crate was signed"
        ) from exc
    return SignatureCheck(
        "verified" if (name := keyring.trusted_name(fp)) else "untrusted",
        signer_name=name,
        fingerprint=fp,
        public_key=public_key_line(key),
        key_name=key_name[:64] if key_name else None,
        signed_at=signed_at,
    )
