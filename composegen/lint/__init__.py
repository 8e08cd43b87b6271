"""composegen lint: rules that catch what kills containers, on real-world compose files."""
