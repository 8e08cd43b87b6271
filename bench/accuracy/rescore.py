"""Recompute composegen's estimate for the model rows of earlier results files, keeping their
measured peaks: after a change to the ML formula, without running the workloads again.

    .venv/bin/python bench/accuracy/rescore.py /tmp/r1.md /tmp/r2.md > table.md

A later file's row replaces an earlier one of the same case. Prints a markdown table with a
`set` column: `fitted` for the models the activation constants were fitted on, else `held out`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.accuracy.estimate import estimate  # noqa: E402

MIB = 2**20
FITTED = ("gpt2", "SmolLM2-135M", "roberta-base", "roberta-large", "distilroberta")
ROW = re.compile(
    r"\| ((?:arch|model) (\S+) (fp32|bf16)(?: b(\d+)×s(\d+))?) \| ([^|]+) "
    r"\| [\d,]+ MiB \| ([\d,]+) MiB \|.*\| (\w+) \|$"
)


def rows(files: Sequence[Path]) -> dict[str, re.Match[str]]:
    found: dict[str, re.Match[str]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = ROW.match(line)
            if match:
                found[match.group(1)] = match
    return found


def main(argv: Sequence[str]) -> int:
    lines = [
        "| case | set | inputs | estimate | measured | ratio | verdict | limit written | measured by |",
        "|---|---|---|---:|---:|---:|---|---:|---|",
    ]
    ok = 0
    found = rows([Path(a) for a in argv])
    for name, m in found.items():
        model, dtype = m.group(2), m.group(3)
        batch, seq = (int(m.group(4)), int(m.group(5))) if m.group(4) else (8, 512)
        service = {
            "role": "ml-inference",
            "cpus": 2,
            "batch": batch,
            "sequence_length": seq,
            "models": [{"name": model, "dtype": dtype}],
        }
        est = estimate("ml", service, {"image": "inference:cpu", "command": ["python", "serve.py"]})
        measured = int(m.group(7).replace(",", "")) * MIB
        ratio = est.working_set / measured
        verdict = "ok" if 1.0 <= ratio <= 1.3 else "under" if ratio < 1.0 else "over"
        ok += verdict == "ok"
        kept = "fitted" if model in FITTED else "held out"
        lines.append(
            f"| {name} | {kept} | {m.group(6).strip()} | {est.working_set / MIB:,.0f} MiB | {measured / MIB:,.0f} MiB "
            f"| {ratio:.2f} | {verdict} | {est.limit / MIB:,.0f} MiB | {m.group(8)} |"
        )
    print("\n".join(lines) + f"\n\n{ok} of {len(found)} cases in [1.0, 1.3].")
    return 0 if ok == len(found) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
