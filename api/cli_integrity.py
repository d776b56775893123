"""Commands of `ledger` (registered on api.cli.app): verify, keys, checkpoint, digest, proof."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.cli import app, err
from domain.errors import DomainError
from ledger import integrity
from ledger.checkpoints import Digest
from ledger.keys import default_key_dir, init_keys, load_private_key
from ledger.service import Ledger
from ledger.settings import Settings

keys_app = typer.Typer(help="The key pair that signs checkpoints.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _write_json(data: Any, out: str | None) -> None:
    body = orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    if out is None or out == "-":
        sys.stdout.buffer.write(body)
    else:
        Path(out).write_bytes(body)
        err.print(f"written to {out}", highlight=False)


def _error(message: str, label: str = "error") -> None:
    err.print(f"[red]{label}[/red]: {escape(message)}", highlight=False)


def _bar(description: str) -> Progress:
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _read_digest(path: str) -> Digest:
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as error:
        _error(f"cannot read {path}: {error.strerror}")
        raise typer.Exit(2) from None
    except orjson.JSONDecodeError:
        _error(f"{path} is not JSON")
        raise typer.Exit(2) from None
    try:
        return Digest.from_json(data)
    except DomainError as error:
        _error(error.message)
        raise typer.Exit(2) from None


@app.command()
def verify(
    against: Annotated[
        str | None,
        typer.Option(help="A published checkpoint digest (JSON) to check the history against"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Recompute the hash chain over every stored event; exit 0 if intact, 1 if not."""
    digest = _read_digest(against) if against else None
    with _bar("verifying") as progress:
        task = progress.add_task("verifying", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = integrity.verify(Settings.from_env(), against=digest, progress=advance)
        except DomainError as error:
            _error(error.message, "NOT VERIFIED")
            raise typer.Exit(1) from None
    if as_json:
        _write_json(result.to_json(), None)
    elif result.problem is None:
        checked = (
            f"; matches the checkpoint of {digest.signed_at} at position {digest.position}"
            if digest
            else ""
        )
        typer.echo(
            f"OK: {result.count} events chained, head position {result.head_position}, "
            f"head hash {result.head_hash.hex()}{checked}"
        )
    else:
        p = result.problem
        by = " (against the signed checkpoint)" if p.evidence == "checkpoint" else ""
        _error(f"at position {p.position}: {p.kind}{by} — {p.detail}", "TAMPERED")
        err.print(f"{result.count} events verified before it", highlight=False)
    raise typer.Exit(0 if result.ok else 1)


@keys_app.command("init")
def keys_init(
    path: Annotated[
        Path | None, typer.Option(help="Directory for the key pair (default LEDGER_DATA_DIR/keys)")
    ] = None,
) -> None:
    """Create the Ed25519 key pair that signs checkpoints (never overwrites one)."""
    directory = path or default_key_dir(Settings.from_env())
    try:
        private_path, public_path = init_keys(directory)
    except DomainError as error:
        _error(error.message)
        raise typer.Exit(1) from None
    err.print(f"private key: {private_path} (mode 0600; keep it out of backups of the database)")
    typer.echo(public_path.read_text(encoding="ascii").strip())


@app.command()
def checkpoint(
    key: Annotated[
        Path | None,
        typer.Option(help="Private key file or its directory (default LEDGER_DATA_DIR/keys)"),
    ] = None,
    out: Annotated[str | None, typer.Option(help="Also write the digest to this file")] = None,
) -> None:
    """Verify the chain, sign its head, record the checkpoint, print its digest."""
    settings = Settings.from_env()
    try:
        private_key = load_private_key(key or default_key_dir(settings))
        with _bar("checkpoint") as progress:
            task = progress.add_task("checkpoint", total=None)
            digest = integrity.create_checkpoint(
                settings,
                private_key,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except DomainError as error:
        _error(error.message)
        raise typer.Exit(1) from None
    _write_json(digest.to_json(), None)
    if out:
        _write_json(digest.to_json(), out)


@app.command()
def digest(
    out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout")] = None,
) -> None:
    """Print the latest checkpoint as a JSON digest to publish."""
    data = integrity.latest_checkpoint(Settings.from_env())
    if data is None:
        err.print("[red]error[/red]: no checkpoint yet; run `ledger checkpoint`")
        raise typer.Exit(1)
    _write_json(data, out)


@app.command()
def proof(
    decision_id: Annotated[UUID, typer.Argument(help="The decision's id")],
    against: Annotated[
        str | None, typer.Option(help="Prove against this digest (default: the latest)")
    ] = None,
    out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout")] = None,
) -> None:
    """Print the inclusion proof of a decision (check it with tools/verify_proof.py)."""
    checkpoint = _read_digest(against).to_json() if against else None
    ledger = Ledger(Settings.from_env())
    try:
        data = integrity.proof_for(ledger, decision_id, checkpoint)
    except DomainError as error:
        _error(error.message)
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    _write_json(data, out)


# --- sources ----------------------------------------------------------------------------------

sources_app = typer.Typer(help="The documents decisions rest on.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(
    file: Annotated[Path, typer.Argument(help="The document as you have it (e.g. a PDF)")],
    document_id: Annotated[
        str | None,
        typer.Option("--id", help="Its official identifier (default: the file's name)"),
    ] = None,
) -> None:
    """Which decisions rest on FILE, and whether it is the file they name: its SHA-256 against
    the one each decision recorded. Exit 0 if some decision rests on it and none names this
    document with another hash; 1 otherwise."""
    if not file.is_file():
        err.print(f"[red]error[/red]: {escape(str(file))} is not a file")
        raise typer.Exit(2)
    with file.open("rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    wanted = (document_id or file.stem).lower()
    ledger = Ledger(Settings.from_env())
    try:
        found = integrity.resting_on(ledger, sha256, wanted)
    finally:
        ledger.close()
    typer.echo(f"{file.name}: sha256 {sha256}")
    for item, verdict in found:
        document = item.decision.document
        named = document.id if document and document.id else item.decision.source
        typer.echo(
            f"  {verdict:<9} {item.decision.kind} van {item.decision.effective_on}"
            f" ({named}): besluit {item.id}"
        )
    matching = [item for item, verdict in found if verdict == "klopt"]
    differing = [item for item, verdict in found if verdict == "afwijkend"]
    if not found:
        typer.echo(f"  geen besluit noemt dit bestand (sha256) of {wanted!r}")
    elif differing:
        err.print(
            f"[red]{len(differing)} besluit(en) noemen {escape(wanted)} met een andere "
            "SHA-256[/red]: dit is niet het bestand waarop zij rusten"
        )
    if differing or not matching:
        raise typer.Exit(1)
