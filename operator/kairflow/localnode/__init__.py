"""Running pods as local processes: for `kairflow dags test` and the development
node agent. The image is ignored; commands run with the host's own tools."""
