"""Sensors: a poke exits 0 when the condition is met and 100 ("not yet") otherwise;
BaseSensorOperator's arguments become the task's SensorSpec."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.errors import SdkError
from kairflow.sdk.operators.fields import env_vars, templated
from kairflow.sdk.operators.python import PythonOperator
from kairflow.sdk.values import duration, utc_datetime


class BaseSensorOperator(BaseOperator):
    """poke_interval and timeout (seconds or timedelta), mode, soft_fail,
    exponential_backoff and max_wait, as in Airflow."""

    def __init__(
        self,
        *,
        poke_interval: Any = 60,
        timeout: Any = 60 * 60 * 24 * 7,
        mode: str = "poke",
        soft_fail: bool = False,
        exponential_backoff: bool = False,
        max_wait: Any = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in ("poke", "reschedule"):
            raise SdkError(f"task {self.task_id!r}: mode must be poke or reschedule", self.location)
        self.sensor = {
            "poke_interval": duration(poke_interval, "poke_interval"),
            "timeout": duration(timeout, "timeout"),
            "mode": mode,
            "soft_fail": soft_fail,
            "exponential_backoff": exponential_backoff,
            "max_wait": duration(max_wait, "max_wait"),
        }
        if silent_fail or never_fail:
            self.dag.warn(f"task {self.task_id!r}: silent_fail / never_fail are not supported")

    def spec_fields(self) -> dict[str, Any]:
        return {"sensor": self.sensor}


class PythonSensor(BaseSensorOperator, PythonOperator):
    """Done when the callable returns a truthy value (or PokeReturnValue(True, xcom))."""

    call_mode = "sensor"

    def spec_fields(self) -> dict[str, Any]:
        return {"sensor": self.sensor, **PythonOperator.spec_fields(self)}


class BashSensor(BaseSensorOperator):
    """Done when the command exits 0; any other exit code means "not yet"."""

    def __init__(self, *, bash_command: Any, env: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bash_command = templated(self, bash_command, "bash_command")
        self.env = env_vars(self, env, "env")

    def spec_fields(self) -> dict[str, Any]:
        poke = f"(\n{self.bash_command}\n) || exit 100"
        return {"sensor": self.sensor, "bash": poke, "env": self.env}


class TimeDeltaSensor(BaseSensorOperator):
    """Done once `delta` has passed since the end of the data interval."""

    def __init__(self, *, delta: timedelta, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = delta

    def spec_fields(self) -> dict[str, Any]:
        seconds = int(self.delta.total_seconds())
        poke = (
            f"due=$(( {{{{ data_interval_end.timestamp() | int }}}} + {seconds} ))\n"
            'if [ "$(date +%s)" -ge "$due" ]; then exit 0; fi\n'
            'echo "waiting $(( due - $(date +%s) ))s more"; exit 100'
        )
        return {"sensor": self.sensor, "bash": poke}


class DateTimeSensor(BaseSensorOperator):
    """Done once `target_time` (a datetime, or a templated ISO-8601 string) has passed."""

    def __init__(self, *, target_time: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_time, datetime):
            target_time = utc_datetime(target_time, "target_time")
        self.target_time = templated(self, target_time, "target_time")

    def spec_fields(self) -> dict[str, Any]:
        poke = (
            "import datetime, json, sys\n"
            "{% set _kf_target %}" + self.target_time + "{% endset %}\n"
            "text = json.loads({{ _kf_target | tojson | tojson }}).strip()\n"
            "target = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))\n"
            "if target.tzinfo is None:\n"
            "    target = target.replace(tzinfo=datetime.timezone.utc)\n"
            "done = datetime.datetime.now(datetime.timezone.utc) >= target\n"
            "print('target', target, 'reached' if done else 'not reached yet')\n"
            "sys.exit(0 if done else 100)"
        )
        return {"sensor": self.sensor, "python": poke}
