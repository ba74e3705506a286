"""The `kairflow` command (also installed as the kubectl plugin `kubectl-kairflow`)."""
