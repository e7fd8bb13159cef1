"""The dashboard's pages, one script each, routed by ``dashboard/app.py`` with ``st.navigation``."""
