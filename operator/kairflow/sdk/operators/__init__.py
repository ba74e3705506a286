"""Airflow's operators, by their Airflow names and arguments."""
