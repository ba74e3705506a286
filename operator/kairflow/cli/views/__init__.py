"""Terminal views of DAGs and runs: pure functions from api models to rich renderables.

`tree.run_tree` / `tree.dag_flow_tree` (runs get, dags show), `grid.runs_grid`,
`graph.run_graph` / `graph.run_graph_dot`, `gantt.run_gantt`; `states` is the one
table of state colors and symbols. No I/O here: the commands fetch, these draw.
"""
