"""Importing Airflow 2 DAG files as they are: while a file runs, `import airflow...`
resolves to shim modules built on `kairflow.sdk` (see `modules`), and each DAG the file
defines becomes a Kairflow manifest. What has no equivalent (an unknown operator, a
provider's hook, a dataset schedule) is reported per task or per DAG with the file and
line, and the rest still converts (`convert`). Airflow itself is never imported.
"""

from pathlib import Path

from kairflow.sdk.errors import add_library_dir

# The shims' own frames are never the user's line: errors and warnings name the
# Airflow DAG file.
add_library_dir(Path(__file__).resolve().parent)

from kairflow.airflow_import.convert import (  # noqa: E402
    ConvertedDag,
    FileReport,
    RefusedDag,
    UnconvertedTask,
    import_file,
)

__all__ = ["ConvertedDag", "FileReport", "RefusedDag", "UnconvertedTask", "import_file"]
