"""A small Flask JSON service with no models: what composegen's python-web default stands for."""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

app = Flask(__name__)
ITEMS = {str(i): {"id": i, "name": f"item {i}"} for i in range(100)}


@app.get("/")
def index() -> object:
    """The worker's pid, and an item when ?id= names one."""
    return jsonify(pid=os.getpid(), item=ITEMS.get(request.args.get("id", "0")))
