"""A tiny WSGI app serving transformer models: gunicorn imports it (once in the arbiter with
--preload, else once per worker), and every request runs one forward pass.

Configured by the environment: ACCURACY_MODELS (comma-separated names under ../models),
ACCURACY_DTYPE (fp32, bf16), ACCURACY_CHECKPOINTS (as model_pass.py --checkpoints), ACCURACY_BATCH
and ACCURACY_SEQ. A response is the worker's pid.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_pass import build, forward

CHECKPOINTS = os.environ.get("ACCURACY_CHECKPOINTS")
MODELS = build(
    os.environ["ACCURACY_MODELS"].split(","),
    os.environ.get("ACCURACY_DTYPE", "fp32"),
    Path(CHECKPOINTS) if CHECKPOINTS else None,
)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    forward(MODELS, int(os.environ.get("ACCURACY_BATCH", "8")), int(os.environ.get("ACCURACY_SEQ", "512")))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
