"""``python -m trainer`` is ``cla``; with no command it runs ``cla train``."""

import sys

from trainer.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["train"]))
