"""``attentive prepare`` and ``attentive models``: the models on this machine.

``prepare`` builds the per-machine model files once, ahead of the first chat. The bundled models
ship as PyTorch weights (MiniLM) and a GGUF file (SmolLM2). The fast-start embedding runtime needs
MiniLM exported to ONNX, and the attention demo loads SmolLM2 fastest from a converted copy. Doing
both here (``make install`` runs it) keeps that one-off minute out of the first conversation.

``models list|pull|remove`` manage the Hub models the tools use (``tools.model_catalog``) in the
Hugging Face cache, only when asked: a pull shows a progress bar on stderr, resumes what an
interrupted one kept, and checks every file (``tools.model_pull``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import JsonOption

if TYPE_CHECKING:
    from tools.model_pull import ModelRow, PullProgress


def register(app: typer.Typer) -> None:
    """Add ``prepare`` and the ``models`` group (list, pull, remove) to the main CLI."""
    app.add_typer(models_app, name="models")

    @app.command("prepare")
    def prepare(
        model_cache: Annotated[
            Path | None,
            typer.Option(
                "--model-cache", help="Cache folder (default: ATTENTIVE_MODEL_CACHE or ~/.cache/attentive)."
            ),
        ] = None,
    ) -> None:
        """Export MiniLM to ONNX and convert SmolLM2 for transformers, once per machine (a spinner on
        stderr says which step is running: each takes up to a minute the first time)."""
        from agent.cli.progress import spinner
        from agent.settings import load_settings
        from knowledge.minilm_onnx import ensure_exported
        from tools.demo_models import smollm2_folder

        settings = load_settings(model_cache=model_cache)
        failed = False
        steps = (
            ("MiniLM (ONNX)", "Exporting MiniLM to ONNX", ensure_exported),
            ("SmolLM2 (transformers)", "Converting SmolLM2 for transformers", smollm2_folder),
        )
        for what, doing, build in steps:
            try:
                with spinner(f"{doing} (once per machine)…"):
                    built = build(settings.model_cache)
                typer.echo(f"{what}: {built}")
            except (ImportError, OSError, RuntimeError) as exc:  # ExportFailed is a RuntimeError
                typer.echo(f"error: {what}: {exc}", err=True)
                failed = True
        if failed:
            typer.echo(
                "the agent still works, only its start (or the SmolLM2 demo's first load) is slower", err=True
            )
            raise typer.Exit(1)


# --------------------------------------------------------------------------- attentive models ...

models_app = typer.Typer(
    name="models",
    help="List, download (with progress, resumable) and remove the Hub models the tools use.",
    no_args_is_help=True,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _status_text(row: ModelRow) -> str:
    from tools.hub_env import human_bytes

    state = row.state
    if state.status == "cached":
        return f"cached ({human_bytes(state.bytes_on_disk)} on disk)"
    if state.status == "partial":
        name = row.name or row.repo_id
        return f"partial ({human_bytes(state.bytes_on_disk)} fetched; `attentive models pull {name}` resumes)"
    return "not cached"


@models_app.command("list")
def list_models(as_json: JsonOption = False) -> None:
    """Each known model: what uses it, its size, and whether it is in the local cache."""
    import json

    from tools import hub_env, model_pull

    rows = model_pull.list_models()
    if as_json:
        typer.echo(
            json.dumps({"cache": str(hub_env.cache_dir()), "models": [r.to_dict() for r in rows]}, indent=1)
        )
        return
    table = [("NAME", "MODEL", "USED BY", "SIZE", "STATUS")]
    for row in rows:
        size = hub_env.human_bytes(row.size_bytes) if row.size_bytes else "-"
        table.append(
            (
                row.name or "-",
                row.repo_id + (" (gated)" if row.gated else ""),
                row.used_by or "-",
                size,
                _status_text(row),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for line in table:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[4]
        )
    typer.echo(
        f"\nCache: {hub_env.cache_dir()} (HF_HOME / HF_HUB_CACHE); Hub: {hub_env.endpoint()} (HF_ENDPOINT)"
    )


@models_app.command("pull")
def pull_model(
    name: Annotated[
        str, typer.Argument(help="A name from `attentive models list` or a Hub id (OWNER/NAME).")
    ],
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Also fetch weights in other formats (fp16, ONNX, .bin next to safetensors)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Download a model into the Hugging Face cache, with a progress bar; run it again to resume."""
    import json

    from tools import hub_env, model_pull

    try:
        repo_id = model_pull.resolve_name(name)
        plan = model_pull.fetch_plan(repo_id, everything=everything)
    except model_pull.PullError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"Pulling {plan.repo_id} ({len(plan.files)} files, {hub_env.human_bytes(plan.total_bytes)}) "
        f"from {hub_env.endpoint()} into {hub_env.cache_dir()}",
        err=True,
    )
    if plan.skipped:
        typer.echo(
            f"Skipping {len(plan.skipped)} weight files in other formats ({', '.join(plan.skipped[:3])}"
            f"{', ...' if len(plan.skipped) > 3 else ''}); --all fetches them too",
            err=True,
        )
    from agent.cli.progress import progress_bar

    short = plan.repo_id.split("/")[-1]
    last: list[PullProgress] = []

    def show(progress: PullProgress) -> None:
        last[:] = [progress]
        bar.update(
            done=progress.bytes_done,
            description=f"{short} {progress.files_done}/{progress.files_total} files",
        )

    try:
        with progress_bar(f"{short} 0/{len(plan.files)} files", total=plan.total_bytes, unit="bytes") as bar:
            result = model_pull.pull(plan, on_progress=show)
    except model_pull.PullError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        done = hub_env.human_bytes(last[0].bytes_done) if last else "nothing"
        typer.echo(
            f"Interrupted: {done} of {hub_env.human_bytes(plan.total_bytes)} kept in {hub_env.cache_dir()}; "
            f"run `attentive models pull {name}` again to resume.",
            err=True,
        )
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1))
        return
    if result.already_cached:
        typer.echo(f"{result.repo_id} is already cached: {result.folder}")
        return
    resumed = (
        f", {hub_env.human_bytes(result.resumed_bytes)} of it resumed from an earlier pull"
        if result.resumed_bytes
        else ""
    )
    typer.echo(
        f"{result.repo_id} is ready: {result.files} files, {hub_env.human_bytes(result.total_bytes)}{resumed}; "
        f"{result.verified} downloaded files checked against the Hub's hashes ({result.seconds:.1f} s). {result.folder}"
    )


@models_app.command("remove")
def remove_model(
    name: Annotated[str, typer.Argument(help="A name from `attentive models list` or a Hub id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a model from the Hugging Face cache (every revision, and any unfinished download)."""
    import json

    from tools import hub_env, model_pull

    try:
        repo_id = model_pull.resolve_name(name)
        state = model_pull.cache_state(repo_id)
        if state.status == "absent":
            raise model_pull.PullError(
                f"{repo_id} is not in the Hugging Face cache ({hub_env.cache_dir()}); nothing to remove"
            )
        if not yes and not typer.confirm(
            f"Delete {repo_id} ({hub_env.human_bytes(state.bytes_on_disk)}) from the cache?"
        ):
            raise typer.Exit(1)
        removal = model_pull.remove(repo_id)
    except model_pull.PullError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(removal.to_dict()))
        return
    partial = f" and {removal.partial_files} unfinished download(s)" if removal.partial_files else ""
    typer.echo(
        f"Removed {removal.repo_id}: {removal.revisions} revision(s){partial}, {hub_env.human_bytes(removal.freed_bytes)} freed."
    )
