"""The dashboard server's process: Streamlit's own ``streamlit run``, with the models folder read while it starts.

``cla dashboard`` runs ``python -m dashboard.serve run dashboard/app.py
--server.port ...``: the arguments are Streamlit's. Before handing them to
Streamlit's command line, :func:`main` imports what the pages import (pandas,
Plotly, the trainer's modules; :func:`import_pages`) and starts one
background thread (:func:`warm_up`) that reads the models folder into the
snapshot every page shares (:func:`dashboard.snapshot.snapshot`) and builds
the frames and charts a first visit to Trends, Class balance and Models
would otherwise build (:data:`dashboard.snapshot.WARM_BUILDS`), then serialises that chart and
draws a throwaway styled table so that Plotly's and pandas' first-use costs
are paid (:func:`first_draws`). A browser tab opened right after the
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
    import pandas.io.formats.style  # noqa: F401 - the styled tables' (and jinja2's) first use cost a page 0.1 s
    import plotly.graph_objects  # noqa: F401
    import plotly.io  # noqa: F401

    from dashboard import balance_charts, controls, detail_charts, snapshot  # noqa: F401


def warm_up() -> None:
    """Read the folder into the shared snapshot and build its costly frames and charts.

    A configuration that does not load or a folder that cannot be read is
    logged and left to the first page, which says what is wrong; anything
    else is a bug and reaches the thread's hook, which logs its traceback.
    """
    from trainer.errors import CLAError

    try:
        from dashboard.snapshot import WARM_BUILDS, snapshot

        current = snapshot()
        if current.problems and not current.rows:
            log.warning("dashboard warm-up: %s", "; ".join(current.problems))
        for build in WARM_BUILDS:
            build(current)
        first_draws(current)
    except (CLAError, OSError) as exc:  # the pages read the folder again and report the problem themselves
        log.warning("dashboard warm-up skipped: %s", exc)


def first_draws(current) -> None:
    """Serialise the prebuilt Trends chart and draw one styled table, thrown away: what a process does only once.

    Plotly's JSON encoder and pandas' table templates are set up on first use;
    a first visit to Trends or Model detail paid for that (about 60 and 130
    ms of its script run). The chart is the one :data:`WARM_BUILDS` built,
    so Plotly's validators are ready too and nothing is built twice.
    """
    import plotly.io

    from dashboard import detail_charts
    from dashboard.snapshot import default_trends_figure

    plotly.io.to_json(default_trends_figure(current), validate=False)
    sample = detail_charts.confusion_frame({"true_negatives": 9, "false_positives": 1, "false_negatives": 1,
                                            "true_positives": 9})
    detail_charts.confusion_table(sample).to_html()


def main() -> None:
    import_pages()
    threading.Thread(target=warm_up, name="cla-warm-up", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
