"""The calculators: pure functions from typed inputs to a plan whose every number says where it came from."""
