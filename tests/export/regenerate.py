"""The golden files of `composegen export` for the examples, and how to rewrite them.

Regenerate after an intended change, then review the diff:

    .venv/bin/python -m tests.export.regenerate

`tests/export/golden/<example>/k8s/` holds the files `composegen export k8s` writes for the example
(its own profile; `secret.example.env` the keys of the Secret they read), and `k8s.json` what it
reports (manifests, unmapped keys, chosen defaults).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from composegen.export.k8s import SECRET_EXAMPLE, export_k8s, k8s_json, k8s_name, secret_example_text, service_text
from composegen.render.overlay import plan

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
#: The examples issue 5 names; each is exported with the profile of its own name.
EXPORT_EXAMPLES = ("agent-scale", "dev", "ml", "prod", "pytest")


def k8s_files(example: str) -> dict[str, str]:
    """{path below golden/<example>/: text} as `composegen export k8s` would write them."""
    exported = export_k8s(plan(example, None, EXAMPLES / example))
    files = {f"k8s/{k8s_name(s.service)}.yaml": service_text(exported, s) for s in exported.services}
    if exported.secret_keys:  # the Secret's keys, no values
        files[f"k8s/{SECRET_EXAMPLE}"] = secret_example_text(exported)
    files["k8s.json"] = json.dumps(k8s_json(exported, sorted(files)), indent=2) + "\n"
    return files


def golden_files(example: str) -> dict[str, str]:
    folder = GOLDEN / example
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    for example in EXPORT_EXAMPLES:
        folder = GOLDEN / example
        shutil.rmtree(folder, ignore_errors=True)
        for name, text in k8s_files(example).items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print(folder.relative_to(REPO))


if __name__ == "__main__":
    main()
