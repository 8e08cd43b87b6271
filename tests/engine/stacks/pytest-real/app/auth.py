"""The shop's auth service: a WSGI app on gunicorn that signs tokens for users kept in PostgreSQL.

GET /health/          200 when the process answers
GET /token/<user>     an HMAC token for the user (the users table is made on first use)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import psycopg2

SECRET = b"test-only-secret"
_pg: list[object] = []


def postgres():
    if not _pg:
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS users (name text PRIMARY KEY, logins int NOT NULL DEFAULT 0)")
        _pg.append(conn)
    return _pg[0]


def token(user: str) -> dict[str, object]:
    with postgres().cursor() as cur:
        cur.execute(
            "INSERT INTO users (name, logins) VALUES (%s, 1) "
            "ON CONFLICT (name) DO UPDATE SET logins = users.logins + 1 RETURNING logins",
            (user,),
        )
        (logins,) = cur.fetchone()
    signed = hmac.new(SECRET, user.encode(), hashlib.sha256).hexdigest()
    return {"user": user, "token": signed, "logins": logins}


def app(environ, start_response):
    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    if parts == ["health"]:
        body: object = {"ok": True}
    elif len(parts) == 2 and parts[0] == "token":
        body = token(parts[1])
    else:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "not found"}']
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
