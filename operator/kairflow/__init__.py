"""Kairflow: Apache Airflow's scheduling model as a Kubernetes-native operator."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kairflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
