"""composegen on a real Docker Engine: verify what was rendered, calibrate from what was measured,
watch and adjust.

- `applied`: what a container really got, read from its `docker inspect` data (pure).
- `compare`: the plan against what was applied, as table rows (pure).
- `client`: the Engine API through the `docker` SDK, imported lazily.
- `project`: a compose project of composegen's own: `up --wait` and an unconditional `down`.
- `verify`: the `composegen verify` pipeline.
- `stats`, `statistics`: one stats reading (working set, CPU), and percentiles, the least-squares
  slope with its interval, the leak and cooldown verdicts (pure).
- `sampler`: a project's containers sampled at each tick (stats, state, oom events).
- `measurements`: the measurements file calibrate writes (`composegen.sizing.measured` reads it).
- `calibrate`, `watch`: the `composegen calibrate` and `composegen watch` pipelines.
- `live`, `plots`: the rich live table (on a terminal) and the PNG plots (with matplotlib).
"""
