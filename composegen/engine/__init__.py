"""composegen on a real Docker Engine: verify what was rendered (calibrate and watch come later).

- `applied`: what a container really got, read from its `docker inspect` data (pure).
- `compare`: the plan against what was applied, as table rows (pure).
- `client`: the Engine API through the `docker` SDK, imported lazily.
- `project`: a compose project of composegen's own: `up --wait` and an unconditional `down`.
- `verify`: the `composegen verify` pipeline.
"""
