"""The compose stack model: read compose files with positions, interpolate, resolve extends and
include, merge `-f a -f b` the way compose v2 does, validate against the compose-spec schema,
and ask the real compose v2 binary when in doubt.

- `stack.load_stack(paths, env)` -> `Stack` (merged model + file:line of every key)
- `merge.merge_files(docs)`, `interpolate.interpolate(data, env)`, `interpolate.read_env_file(path)`
- `schema.validate(data)` (builds its validator on first use)
- `oracle.run_config(files, ...)` (runs docker compose v2 `config`)
- `normalize.canonical_services(data, project_dir)`: what `config` would show, for comparison
"""

from __future__ import annotations

from composegen.compose.interpolate import interpolate, read_env_file, substitute
from composegen.compose.merge import merge_files
from composegen.compose.stack import Problem, Stack, load_stack
from composegen.compose.tree import Origin

__all__ = [
    "Origin",
    "Problem",
    "Stack",
    "interpolate",
    "load_stack",
    "merge_files",
    "read_env_file",
    "substitute",
]
