"""Profiles (how to size) and the stack description composegen.yaml (what runs)."""
