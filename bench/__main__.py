"""``python -m bench NAME [options]``: one bench (NAME one of BENCHES; ``--help`` after its
name)."""

import importlib
import sys

BENCHES = (
    "pages",
    "market",
    "sync",
    "learn",
    "learn-library",
    "egov-pages",
    "egov-letters",
    "login",
)
# a bench whose module is not named after it (the others: the name with - as _)
MODULES = {"learn": "learn_courses"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m bench {{{'|'.join(BENCHES)}}} [options]", file=sys.stderr)
        return 2
    module = MODULES.get(argv[0], argv[0].replace("-", "_"))
    return importlib.import_module(f"bench.{module}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
