"""The weekly dashboard: its window, the charts, the heat map, the per-app table, the light
and dark palettes, and the PDF report drawn from the same data."""
