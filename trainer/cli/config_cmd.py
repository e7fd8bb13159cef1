"""``cla config``: show the effective configuration, document every option and the model families."""

from __future__ import annotations

import json

from trainer.config import describe_options
from trainer.contract import exit_codes
from trainer.learning import families


def register(sub, common) -> None:
    p = sub.add_parser("config", parents=[common],
                       help="show the effective configuration, list every option, or table the model families")
    p.add_argument("what", choices=("show", "options", "families"), nargs="?", default="show")
    p.add_argument("--markdown", action="store_true", help="with 'options': a Markdown table (docs/CONFIG.md)")
    p.set_defaults(handler=handle)


def handle(args, config) -> int:
    if args.what == "families":
        print(families.markdown())
    elif args.what == "options" and args.markdown:
        print("| key | default | meaning |\n|---|---|---|")
        for key, default, help_text in describe_options():
            print(f"| `{key}` | `{json.dumps(default)}` | {help_text.replace('|', '/')} |")
    elif args.what == "options":
        for key, default, help_text in describe_options():
            print(f"{key} = {json.dumps(default)}\n    {help_text}")
    else:
        print(json.dumps(config.to_dict(), indent=2))
    return exit_codes.OK
