"""Drop and create a PostgreSQL database: `python scripts/recreate_pg_db.py SERVER_URL NAME`."""

import sys

import psycopg
from psycopg import sql


def main(server_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(f"test_{name}")
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"Fresh PostgreSQL database {name!r} on {server_url}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
