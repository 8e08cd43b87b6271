"""The shop's backend: a WSGI app on gunicorn that reads PostgreSQL, MariaDB and Redis.

GET /health/            200 when the process answers
GET /account/<aid>      the pgbench account's balance, cached in Redis
GET /item/<id>          the MariaDB item's name and stock
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse

import psycopg2
import pymysql
import redis

_connections: dict[str, object] = {}


def postgres():
    if "pg" not in _connections:
        _connections["pg"] = psycopg2.connect(os.environ["DATABASE_URL"])
        _connections["pg"].autocommit = True
    return _connections["pg"]


def cache():
    if "redis" not in _connections:
        _connections["redis"] = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _connections["redis"]


def mariadb():
    if "mariadb" not in _connections:
        url = urlparse(os.environ["MARIADB_URL"])
        _connections["mariadb"] = pymysql.connect(
            host=url.hostname,
            port=url.port or 3306,
            user=url.username,
            password=url.password,
            database=url.path.lstrip("/"),
            autocommit=True,
        )
    return _connections["mariadb"]


def account(aid: int) -> dict[str, int]:
    key = f"account:{aid}"
    hit = cache().get(key)
    if hit is not None:
        return json.loads(hit)
    with postgres().cursor() as cur:
        cur.execute("SELECT aid, bid, abalance FROM pgbench_accounts WHERE aid = %s", (aid,))
        row = cur.fetchone()
    if row is None:
        raise LookupError(aid)
    found = {"aid": row[0], "bid": row[1], "balance": row[2]}
    cache().set(key, json.dumps(found), ex=60)
    return found


def item(id_: int) -> dict[str, object]:
    with mariadb().cursor() as cur:
        cur.execute("SELECT id, name, stock FROM items WHERE id = %s", (id_,))
        row = cur.fetchone()
    if row is None:
        raise LookupError(id_)
    return {"id": row[0], "name": row[1], "stock": row[2]}


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    parts = [p for p in path.split("/") if p]
    try:
        if parts == ["health"]:
            body: object = {"ok": True}
        elif len(parts) == 2 and parts[0] == "account":
            body = account(int(parts[1]))
        elif len(parts) == 2 and parts[0] == "item":
            body = item(int(parts[1]))
        else:
            raise LookupError(path)
    except (LookupError, ValueError):
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "not found"}']
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
