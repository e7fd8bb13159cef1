"""The floor page of ``python -m bench floor``: the least a Streamlit page with a chart and a table costs.

Not part of the dashboard's navigation. One small Plotly chart and one small
dataframe, no models folder: what a fresh browser tab pays for Streamlit's
and Plotly's scripts on this machine, whatever the dashboard does. The
benchmark serves it beside the dashboard and reports every page as a ratio
of it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Floor")
frame = pd.DataFrame({"x": list(range(10)), "y": [v * v for v in range(10)]})
st.plotly_chart(go.Figure(go.Scatter(x=frame["x"], y=frame["y"], mode="lines+markers")), key="floor_chart")
st.dataframe(frame, key="floor_table")
