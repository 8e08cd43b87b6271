"""`composegen models`: the model catalog, one model's facts and footprint, and what a local model
file or folder says (issue 15).

Registered on the app by `register`; each command imports its heavy parts only when it runs.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.options import FormatOpt, OutputFormat
from composegen.cli.run import run
from composegen.errors import EXIT_OK


class Dtype(str, Enum):
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"


class KindChoice(str, Enum):
    encoder = "encoder"
    decoder = "decoder"
    seq2seq = "seq2seq"


models_app = typer.Typer(
    help="The models composegen knows (their architecture and parameters), and what local model files hold.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@models_app.callback()
def models_list(
    ctx: typer.Context,
    kind: Annotated[KindChoice | None, typer.Option("--kind", help="Only encoders, decoders or seq2seq.")] = None,
    family: Annotated[str | None, typer.Option("--family", help="Only this family (config.json model_type).")] = None,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """List the model catalog: name, kind, family, parameters, layers, hidden size, heads, context.

    Any of these names (or the part after the owner, or an alias) works in composegen.yaml's
    `models: [{name: ...}]` and is recognised in a server's `--model`."""
    if ctx.invoked_subcommand is not None:
        return

    def body() -> int:
        from composegen.models import report

        chosen = report.select(kind.value if kind else None, family)
        typer.echo(report.catalog_json(chosen) if fmt is OutputFormat.json else report.catalog_text(chosen), nl=False)
        return EXIT_OK

    run(body)


@models_app.command("show")
def models_show(
    name: Annotated[str, typer.Argument(help="A Hugging Face id, the id without its owner, or an alias.")],
    dtype: Annotated[Dtype, typer.Option("--dtype", help="The weights' dtype for the footprint.")] = Dtype.bf16,
    context: Annotated[
        int | None,
        typer.Option("--context", min=1, help="Tokens per sequence for the KV cache (default: its maximum)."),
    ] = None,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """One model's architecture, its source, and its footprint at DTYPE: weights, and for a
    decoder the KV cache per token and per sequence."""

    def body() -> int:
        from composegen.models import report

        facts = report.show(name, dtype.value, context)
        typer.echo(json.dumps(facts, indent=2) if fmt is OutputFormat.json else report.show_text(facts))
        return EXIT_OK

    run(body)


@models_app.command("inspect")
def models_inspect(
    path: Annotated[
        Path,
        typer.Argument(help="A Hugging Face model folder or cache, a .safetensors file, or a .gguf file."),
    ],
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """What a local model's headers say, without loading a weight: architecture, parameters and
    bytes (exact from safetensors and GGUF headers), dtypes or quantization types."""

    def body() -> int:
        from composegen.models import report
        from composegen.models.local import inspect

        found = inspect(path)
        if fmt is OutputFormat.json:
            typer.echo(json.dumps(report.local_json(found), indent=2))
        else:
            typer.echo(report.local_text(found))
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `composegen models` to `app`."""
    app.add_typer(models_app, name="models")
