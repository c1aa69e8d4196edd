"""Create or drop a throw-away PostgreSQL test database: python -m tests.pgdb create|drop|url ADMIN_URL NAME"""

from __future__ import annotations

import re
import sys

import psycopg


def main(action: str, admin_url: str, name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"unsafe database name {name!r}")
    if action == "url":
        print(admin_url.rsplit("/", 1)[0] + "/" + name)
        return
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if action == "create":
            connection.execute(f"CREATE DATABASE {name}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
