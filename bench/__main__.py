"""``python -m bench pages|market|sync|learn-library|egov-pages|egov-letters [options]``: one
bench (``--help`` after its name)."""

import importlib
import sys

BENCHES = ("pages", "market", "sync", "learn-library", "egov-pages", "egov-letters")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m bench {{{'|'.join(BENCHES)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(f"bench.{argv[0].replace('-', '_')}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
