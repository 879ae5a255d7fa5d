"""python -m tests.lab up|down|list [scenario] [--docker-host URL] [--port N]"""

from __future__ import annotations

import argparse
import json
import sys

from . import scenarios


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description="Create and destroy lab scenarios on a Docker engine.")
    parser.add_argument("--docker-host", default=scenarios.default_host(), help="engine URL (default: DOCKER_HOST or the local socket)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create a scenario (replacing an earlier copy)")
    up.add_argument("scenario", choices=sorted(scenarios.SCENARIOS))
    up.add_argument("--port", type=int, help="host port of the proxy on 127.0.0.1")
    down = sub.add_parser("down", help="remove a scenario's objects")
    down.add_argument("scenario", nargs="?", choices=sorted(scenarios.SCENARIOS))
    down.add_argument("--all", action="store_true", help="remove every lab scenario's objects")
    sub.add_parser("list", help="list the scenarios")
    rec = sub.add_parser("record", help="print a running scenario's raw engine payloads as JSON (unit-test fixtures)")
    rec.add_argument("scenario", choices=sorted(scenarios.SCENARIOS))
    args = parser.parse_args(argv)

    if args.command == "list":
        for name, factory in sorted(scenarios.SCENARIOS.items()):
            print(f"{name:10} {factory().summary}")
    elif args.command == "record":
        print(json.dumps(scenarios.record(args.scenario, args.docker_host), indent=1, sort_keys=True))
    elif args.command == "up":
        info = scenarios.up(args.scenario, args.docker_host, args.port)
        print(json.dumps(info, indent=2))
    else:
        if not args.scenario and not args.all:
            parser.error("down: name a scenario or pass --all")
        scenarios.down(None if args.all else args.scenario, args.docker_host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
