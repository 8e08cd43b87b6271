"""Writes the shop's generated pytest suite: `python3 make_suite.py DIR TESTS`.

TESTS small tests in modules of 100, each a function of its own, that use the stack as a Django
shop's suite would: PostgreSQL (reads, and writes rolled back), Redis (the loaded dataset, and keys
of its own), MariaDB through the backend, the backend's and the auth service's HTTP endpoints.
conftest.py loads the Redis dataset (REDIS_KEYS values of REDIS_VALUE_BYTES) before the first test.
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_MODULE = 100

CONFTEST = """
import json
import os
import urllib.request
from urllib.parse import urlparse

import psycopg2
import pymysql
import pytest
import redis

ACCOUNTS = 100_000 * int(os.environ.get("PGBENCH_SCALE", "1"))
ROWS = int(os.environ.get("MARIADB_ROWS", "1000"))
KEYS = int(os.environ.get("REDIS_KEYS", "1000"))
VALUE_BYTES = int(os.environ.get("REDIS_VALUE_BYTES", "100"))


@pytest.fixture(scope="session")
def pg():
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def cache():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    if client.get("dataset:loaded") != str(KEYS).encode():
        value = b"v" * VALUE_BYTES
        pipe = client.pipeline(transaction=False)
        for n in range(KEYS):
            pipe.set(f"dataset:{n}", value)
            if n % 1000 == 999:
                pipe.execute()
        pipe.set("dataset:loaded", str(KEYS))
        pipe.execute()
    return client


@pytest.fixture(scope="session")
def maria():
    url = urlparse(os.environ["MARIADB_URL"])
    conn = pymysql.connect(host=url.hostname, port=url.port or 3306, user=url.username,
                           password=url.password, database=url.path.lstrip("/"), autocommit=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def get():
    def fetch(url):
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())
    return fetch
"""

KINDS = (
    # a PostgreSQL read, and the backend's answer for the same account (through Redis)
    """def test_account_{n}(pg, get):
    aid = 1 + {n} * 7919 % ACCOUNTS
    with pg.cursor() as cur:
        cur.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", (aid,))
        (balance,) = cur.fetchone()
    pg.rollback()
    assert get(f"http://127.0.0.1:8000/account/{{aid}}")["aid"] == aid
    assert isinstance(balance, int)
""",
    # a PostgreSQL write, rolled back
    """def test_transfer_{n}(pg):
    aid = 1 + {n} * 7919 % ACCOUNTS
    with pg.cursor() as cur:
        cur.execute("UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = %s RETURNING abalance", (aid,))
        (after,) = cur.fetchone()
        cur.execute("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, %s, 5, now())", (aid,))
    pg.rollback()
    assert isinstance(after, int)
""",
    # the Redis dataset, and a key of the test's own
    """def test_cache_{n}(cache):
    assert len(cache.get(f"dataset:{{{n} * 104729 % KEYS}}")) == VALUE_BYTES
    cache.set("test:{n}", "x" * {small}, ex=30)
    assert cache.strlen("test:{n}") == {small}
""",
    # MariaDB, directly and through the backend
    """def test_item_{n}(maria, get):
    row = 1 + {n} * 7907 % ROWS
    with maria.cursor() as cur:
        cur.execute("SELECT name, stock FROM items WHERE id = %s", (row,))
        name, stock = cur.fetchone()
    assert get(f"http://127.0.0.1:8000/item/{{row}}") == {{"id": row, "name": name, "stock": stock}}
""",
    # the auth service
    """def test_login_{n}(get):
    got = get("http://auth:9000/token/user{user}")
    assert got["user"] == "user{user}" and len(got["token"]) == 64 and got["logins"] >= 1
""",
    # plain Python, as many unit tests are
    """def test_price_{n}():
    prices = [round(p * 1.{small:02d}, 2) for p in range(1, {small} + 2)]
    assert sorted(prices) == prices and len(prices) == {small} + 1
""",
)


def module_text(first: int, count: int) -> str:
    lines = ["from conftest import ACCOUNTS, KEYS, ROWS, VALUE_BYTES  # noqa: F401", ""]
    for n in range(first, first + count):
        lines.append(KINDS[n % len(KINDS)].format(n=n, user=n % 50, small=n % 97))
    return "\n".join(lines)


def main() -> None:
    target, tests = Path(sys.argv[1]), int(sys.argv[2])
    target.mkdir(parents=True, exist_ok=True)
    (target / "conftest.py").write_text(CONFTEST)
    for index, first in enumerate(range(0, tests, PER_MODULE)):
        count = min(PER_MODULE, tests - first)
        (target / f"test_shop_{index:03d}.py").write_text(module_text(first, count))


if __name__ == "__main__":
    main()
