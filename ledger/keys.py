"""The Ed25519 key pair that signs checkpoints, kept in files outside the database.

`init_keys(directory)` writes `checkpoint.key` (PKCS#8 PEM, mode 0600) and `checkpoint.pub`
(the raw public key in hex). It never overwrites an existing key: a lost or replaced key would
orphan every digest published with it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.errors import DomainError
from ledger.settings import Settings

PRIVATE_KEY_FILE = "checkpoint.key"
PUBLIC_KEY_FILE = "checkpoint.pub"


class KeyFileError(DomainError):
    """Refuse a missing, unreadable, overexposed or already existing key file."""


def default_key_dir(settings: Settings) -> Path:
    """Where keys live unless told otherwise: LEDGER_DATA_DIR/keys."""
    return settings.data_dir / "keys"


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def init_keys(directory: Path) -> tuple[Path, Path]:
    """Create a new key pair in `directory`; return the private and public key paths."""
    private_path = directory / PRIVATE_KEY_FILE
    public_path = directory / PUBLIC_KEY_FILE
    if private_path.exists() or public_path.exists():
        raise KeyFileError(f"refusing to overwrite the existing key in {directory}")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        # O_EXCL: never clobber a key another process created meanwhile; 0600 from the start.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"refusing to overwrite the existing key {private_path}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(private_path, 0o600)  # in case the umask or filesystem changed it
    public_path.write_text(public_key_hex(key.public_key()) + "\n", encoding="ascii")
    return private_path, public_path


def private_key_path(location: Path) -> Path:
    """The private key file: `location` itself, or the key file in that directory."""
    return location / PRIVATE_KEY_FILE if location.is_dir() else location


def load_private_key(location: Path) -> Ed25519PrivateKey:
    """Load the signing key; refuse a file others can read."""
    path = private_key_path(location)
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"no key at {path}; create one with `ledger keys init`") from None
    except OSError as error:
        raise KeyFileError(f"cannot read the key at {path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"the key at {path} is readable by others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise KeyFileError(f"{path} does not hold a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 key")
    return key


def load_public_key_hex(location: Path) -> str:
    """The public key (hex) kept next to the private key, or in the given .pub file."""
    path = location / PUBLIC_KEY_FILE if location.is_dir() else location
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError as error:
        raise KeyFileError(f"cannot read the public key at {path}: {error.strerror}") from None
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:
        raise KeyFileError(f"{path} does not hold a hex Ed25519 public key") from None
    return text
