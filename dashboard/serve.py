"""The dashboard server's process: Streamlit's own ``streamlit run``, with the models folder read while it starts.

``cla dashboard`` runs ``python -m dashboard.serve run dashboard/app.py
--server.port ...``: the arguments are Streamlit's. Before handing them to
Streamlit's command line, :func:`main` imports what the pages import (pandas,
Plotly, the trainer's modules; :func:`import_pages`) and starts one
background thread (:func:`warm_up`) that reads the models folder into the
snapshot every page shares (:func:`dashboard.snapshot.snapshot`) and builds
the frames a first visit to Trends and Models would otherwise build
(:data:`dashboard.snapshot.WARM_FRAMES`). A browser tab opened right after the
start then finds the folder read, or being read, instead of paying for it
after its own connection: with 10,000 pairs on a folder never indexed that
was most of the first page's wait. A warm-up that fails changes nothing: the
first page reads the folder itself and shows what went wrong.
"""

from __future__ import annotations

import logging
import sys
import threading

log = logging.getLogger(__name__)


def import_pages() -> None:
    """Import what the pages import, in the calling thread, before the server takes requests.

    Not in the background: Plotly looks pandas up in ``sys.modules``, and a
    page script running while another thread is still importing pandas
    would find it half-initialised.
    """
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    from dashboard import balance_charts, controls, detail_charts, snapshot  # noqa: F401


def warm_up() -> None:
    """Read the folder into the shared snapshot and build its costly frames (errors are logged, never raised)."""
    try:
        from dashboard.snapshot import WARM_FRAMES, snapshot

        current = snapshot()
        if current.problems and not current.rows:
            log.warning("dashboard warm-up: %s", "; ".join(current.problems))
        for build in WARM_FRAMES:
            build(current)
    except Exception as exc:  # noqa: BLE001 - the pages read the folder again and report any problem themselves
        log.warning("dashboard warm-up skipped: %s", exc)


def main() -> None:
    import_pages()
    threading.Thread(target=warm_up, name="cla-warm-up", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
