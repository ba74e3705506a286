"""kopf's peering resources, which active/standby replicas of the operator need.

kopf elects one active operator among replicas that share a *peering object*: each
replica writes a keep-alive (priority, lifetime, last seen) into the object's
`status`, and a replica pauses while a live one with a higher priority is there.
`kairflow operator` runs with priority 100, `kairflow operator --standby` with 0;
a standby takes over when the active one's record expires (its lifetime, 15 s).

Two kinds of peering object, depending on how the operator runs:

- `ClusterKopfPeering` (cluster-scoped) for an operator watching all namespaces;
- `KopfPeering` (namespaced), one in each namespace an operator started with
  `--namespace` watches.

The object's name is the peering name (`KAIRFLOW_PEERING`, default "kairflow").

Why these are small dicts here and not models in `kairflow.api`: they are kopf's
resources, not ours. kopf reads and writes them by itself and defines their shape
(group `kopf.dev`, version v1, no spec, a free-form `status`, as in kopf's
`docs/peering.yaml`); generating them from pydantic models would only restate that
shape. `kairflow.api.crd.crd_files()` includes the two CRDs, so `crds/` (and
`kubectl apply -f crds/`) installs them with ours.

The peering object itself is not a CRD and is not in `crds/`: without it every
replica runs standalone (a standby then stays paused, by design). Create it once,
where the replicas run:

    python -m kairflow.api.peering | kubectl apply -f -                # cluster-wide
    python -m kairflow.api.peering --namespace NS | kubectl apply -f - # --namespace NS

(`--name NAME` for another peering name.)
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml

PEERING_GROUP = "kopf.dev"
PEERING_VERSION = "v1"
DEFAULT_PEERING = "kairflow"  # OperatorSettings.peering's default

_HEADER = (
    "# kopf's peering CRD for active/standby replicas (kairflow.api.peering);\n"
    "# written by `kairflow crds --write`; do not edit.\n"
)


def _crd(kind: str, plural: str, scope: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{PEERING_GROUP}",
            "labels": {"app.kubernetes.io/part-of": "kairflow"},
        },
        "spec": {
            "group": PEERING_GROUP,
            "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": plural[:-1]},
            "versions": [
                {
                    "name": PEERING_VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                # operator id -> {priority, lifetime, lastseen}, by kopf
                                "status": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def peering_crds() -> list[dict[str, Any]]:
    """kopf's two peering CRDs: cluster-wide and namespaced."""
    return [
        _crd("ClusterKopfPeering", "clusterkopfpeerings", "Cluster"),
        _crd("KopfPeering", "kopfpeerings", "Namespaced"),
    ]


def peering_crd_files() -> dict[str, str]:
    """File name -> YAML text of the peering CRDs, for crds/."""
    return {
        f"{crd['metadata']['name']}.yaml": _HEADER + yaml.safe_dump(crd, sort_keys=False, width=100)
        for crd in peering_crds()
    }


def peering_object(name: str = DEFAULT_PEERING, namespace: str | None = None) -> dict[str, Any]:
    """The peering object replicas named `name` share: a ClusterKopfPeering for
    operators watching all namespaces, a KopfPeering in `namespace` for operators
    started with `--namespace`."""
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/part-of": "kairflow"}}
    if namespace is None:
        return {
            "apiVersion": f"{PEERING_GROUP}/{PEERING_VERSION}",
            "kind": "ClusterKopfPeering",
            "metadata": metadata,
        }
    return {
        "apiVersion": f"{PEERING_GROUP}/{PEERING_VERSION}",
        "kind": "KopfPeering",
        "metadata": {**metadata, "namespace": namespace},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m kairflow.api.peering",
        description="Print the kopf peering object for active/standby operator replicas.",
    )
    parser.add_argument("--name", default=DEFAULT_PEERING, help="peering name (KAIRFLOW_PEERING)")
    parser.add_argument(
        "--namespace", help="for operators run with --namespace: a KopfPeering in it"
    )
    args = parser.parse_args(argv)
    print(yaml.safe_dump(peering_object(args.name, args.namespace), sort_keys=False), end="")


if __name__ == "__main__":
    main()
