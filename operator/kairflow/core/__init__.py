"""The pure scheduling core: timetables, graph, trigger rules, retries, planner, templating.

Nothing here imports kopf or kubernetes (an import-linter contract checks it), and
every function that needs the time takes `now` as an argument.
"""
