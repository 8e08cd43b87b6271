from __future__ import annotations

from composegen.cli import main

main()
