"""Profiles (how to size) and the stack description composegen.yaml (what runs)."""

#: The stack description's file name (here, not in `loader`, for modules that must not import pydantic).
PROJECT_FILE = "composegen.yaml"
