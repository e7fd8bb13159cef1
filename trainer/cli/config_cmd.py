"""``cla config``: show the effective configuration and document every option."""

from __future__ import annotations

import json

from trainer.config import describe_options


def register(sub, common) -> None:
    p = sub.add_parser("config", parents=[common], help="show the effective configuration or list every option")
    p.add_argument("what", choices=("show", "options"), nargs="?", default="show")
    p.set_defaults(handler=handle)


def handle(args, config) -> int:
    if args.what == "options":
        for key, default, help_text in describe_options():
            print(f"{key} = {json.dumps(default)}\n    {help_text}")
    else:
        print(json.dumps(config.to_dict(), indent=2))
    return 0
