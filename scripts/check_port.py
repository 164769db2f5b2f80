"""Fail fast when the server could not listen: `python scripts/check_port.py HOST PORT`.

`make run` calls it first, so a busy port is reported at once instead of after
installing, migrating and seeding. Standard library only: it runs before the
virtualenv exists.
"""

import socket
import sys


def main(host: str, port: str) -> int:
    host = host.strip("[]")
    try:
        number = int(port)
    except ValueError:
        print(f"PORT must be a number, not {port!r}.", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As runserver binds: a socket of a server stopped a moment ago (TIME_WAIT)
        # does not count, one that is listening does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, number))
        except OSError as exc:
            print(
                f"Cannot serve on {host}:{number}: {exc.strerror or exc}. Stop what is "
                "listening there, or choose another port, e.g. PORT=8001 make run.",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
