"""Pictures of the warehouse: SQL that returns small row sets (`marts`), plotly figures built from
those rows (`figures`, shared with the dashboard), and the offline HTML report (`report`)."""
