"""The web UI: Airflow's views (DAGs, grid, graph, Gantt, calendar, logs) and actions
served from the Kubernetes API with the user's own credentials, pushed live."""
