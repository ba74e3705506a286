"""What users ask of the cluster, built the same way by every front end (the CLI and
the web UI): a manual run, clear and mark requests with the task instances they
select, and backfills with their dry-run plan. Pure: API dicts in, manifests, merge
patches and previews out; the callers read and write the cluster."""
