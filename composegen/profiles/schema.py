"""JSON Schemas of composegen.yaml and of profiles, for editors (schemas/ holds the exported copies)."""

from __future__ import annotations

import json
from typing import Any, Literal

from composegen.profiles.models import Profile, Project

SchemaName = Literal["project", "profile"]
FILES: dict[SchemaName, str] = {"project": "composegen.schema.json", "profile": "profile.schema.json"}


def schema(name: SchemaName) -> dict[str, Any]:
    model = Project if name == "project" else Profile
    result = model.model_json_schema(mode="validation")
    title = "composegen.yaml" if name == "project" else "composegen profile"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **result, "title": title}


def schema_text(name: SchemaName) -> str:
    return json.dumps(schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
