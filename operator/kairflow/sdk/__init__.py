"""Writing Kairflow DAGs in Python, the way Airflow DAGs are written.

`kairflow dags apply my_dag.py` (or `kairflow dags render my_dag.py | kubectl apply
--server-side -f -`) turns the file's DAGs into the same manifests a YAML author writes
and applies them. See docs/sdk.md for what maps to what, docs/scale.md for why
server-side.
"""

from kairflow.sdk.assets import (
    Asset,
    AssetAll,
    AssetAny,
    AssetOrTimeSchedule,
    Dataset,
    DatasetAll,
    DatasetAny,
    DatasetOrTimeSchedule,
)
from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.callbacks import Callback, SlackWebhookNotifier, WebhookNotifier
from kairflow.sdk.dag import DAG, dag
from kairflow.sdk.deadlines import DeadlineAlert, DeadlineReference
from kairflow.sdk.decorators import setup, task, teardown
from kairflow.sdk.dependencies import chain, cross_downstream
from kairflow.sdk.errors import Location, SdkError, SdkWarning
from kairflow.sdk.loader import Loaded, load, load_file
from kairflow.sdk.manifest import to_manifest
from kairflow.sdk.operators.bash import BashOperator
from kairflow.sdk.operators.cross_dag import (
    ApprovalOperator,
    ExternalTaskSensor,
    TriggerDagRunOperator,
)
from kairflow.sdk.operators.empty import DummyOperator, EmptyOperator
from kairflow.sdk.operators.kubernetes import ContainerOperator, KubernetesPodOperator
from kairflow.sdk.operators.latest_only import LatestOnlyOperator
from kairflow.sdk.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)
from kairflow.sdk.operators.sensors import (
    BaseSensorOperator,
    BashSensor,
    DateTimeSensor,
    PythonSensor,
    TimeDeltaSensor,
)
from kairflow.sdk.operators.unconvertible import UnconvertibleTask
from kairflow.sdk.shipping.runtime import PokeReturnValue
from kairflow.sdk.skipping import AirflowSkipException
from kairflow.sdk.taskgroup import TaskGroup, task_group
from kairflow.sdk.timetables import CronTriggerTimetable, Param
from kairflow.sdk.xcom_arg import XComArg

__all__ = [
    "DAG",
    "AirflowSkipException",
    "ApprovalOperator",
    "Asset",
    "AssetAll",
    "AssetAny",
    "AssetOrTimeSchedule",
    "BaseOperator",
    "BaseSensorOperator",
    "BashOperator",
    "BashSensor",
    "BranchPythonOperator",
    "Callback",
    "ContainerOperator",
    "CronTriggerTimetable",
    "Dataset",
    "DatasetAll",
    "DatasetAny",
    "DatasetOrTimeSchedule",
    "DateTimeSensor",
    "DeadlineAlert",
    "DeadlineReference",
    "DummyOperator",
    "EmptyOperator",
    "ExternalTaskSensor",
    "KubernetesPodOperator",
    "LatestOnlyOperator",
    "Loaded",
    "Location",
    "Param",
    "PokeReturnValue",
    "PythonOperator",
    "PythonSensor",
    "SdkError",
    "SdkWarning",
    "ShortCircuitOperator",
    "SlackWebhookNotifier",
    "TaskGroup",
    "TimeDeltaSensor",
    "TriggerDagRunOperator",
    "UnconvertibleTask",
    "WebhookNotifier",
    "XComArg",
    "chain",
    "cross_downstream",
    "dag",
    "load",
    "load_file",
    "setup",
    "task",
    "task_group",
    "teardown",
    "to_manifest",
]
