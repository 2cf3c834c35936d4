"""``python -m bench pages|market|sync [options]``: one bench (``--help`` after its name)."""

import importlib
import sys

BENCHES = ("pages", "market", "sync", "learn")
# a bench whose module is not named after it
MODULES = {"learn": "learn_courses"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m bench {{{'|'.join(BENCHES)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(f"bench.{MODULES.get(argv[0], argv[0])}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
